"""Forms of the Downloads tab (requesting a file, custom templates) and of the user's email
notifications. They only read and check input: the services in `downloads` and
`notifications` make the changes."""

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from langcert.verification import downloads, result_data
from langcert.verification.models import DataDownload, DownloadTemplate, OrganisationMember

SCOPE_SELECTED, SCOPE_ALL = "selected", "all"
MAX_ORDER = 999


class UUIDListField(forms.Field):
    """The public ids of the results ticked in the Shared Results list."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("One of the chosen results is not valid.")}

    def to_python(self, value: Any) -> list[uuid.UUID]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return list(dict.fromkeys(uuid.UUID(str(item)) for item in values))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DownloadRequestForm(forms.Form):
    """"Download Options": the ticked results (or every shared result, optionally shared
    in a date range), a format and, for data files, a template."""

    result = UUIDListField(required=False)
    scope = forms.ChoiceField(required=False, initial=SCOPE_SELECTED,
                              choices=[(SCOPE_SELECTED, _("The selected results")),
                                       (SCOPE_ALL, _("Every result shared with us"))])
    shared_from = forms.DateField(label=_("Shared from"), required=False, widget=DateInput())
    shared_to = forms.DateField(label=_("Shared until"), required=False, widget=DateInput())
    format = forms.ChoiceField(label=_("Format"), choices=DataDownload.Format.choices,
                               error_messages={"required": _("Choose a file format."),
                                               "invalid_choice": _("Choose a file format.")})
    template = forms.ChoiceField(label=_("Template (data files)"), required=False)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = downloads.template_choices(organisation)
        self.fields["template"].error_messages["invalid_choice"] = _(
            "This template does not exist any more.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["scope"] = data.get("scope") or SCOPE_SELECTED
        data["template"] = data.get("template") or downloads.DEFAULT
        if data["scope"] == SCOPE_SELECTED and not data.get("result") and not self.errors:
            raise ValidationError(_("Choose at least one result to download."), code="empty")
        first, last = data.get("shared_from"), data.get("shared_to")
        if first and last and first > last:
            raise ValidationError(_("The first date must not be after the last."),
                                  code="dates")
        return data


class TemplateForm(forms.Form):
    """A custom template: for every field, a tick, an order number and a header."""

    name = forms.CharField(label=_("Template name"), max_length=100)
    header_language = forms.ChoiceField(label=_("Header language"), choices=settings.LANGUAGES,
                                        widget=forms.RadioSelect)

    def __init__(self, *args, template: DownloadTemplate | None = None, **kwargs):
        if template is not None and not kwargs.get("initial"):
            kwargs["initial"] = self.initial_from(template)
        super().__init__(*args, **kwargs)
        for n, code in enumerate(result_data.FIELDS, start=1):
            label = result_data.field_label(code, translation.get_language() or "en")
            self.fields[f"use_{code}"] = forms.BooleanField(
                label=label, required=False)
            self.fields[f"order_{code}"] = forms.IntegerField(
                label=_("Order of “%(field)s”") % {"field": label}, required=False,
                min_value=1, max_value=MAX_ORDER, initial=n)
            self.fields[f"header_{code}"] = forms.CharField(
                label=_("Header of “%(field)s”") % {"field": label}, required=False,
                max_length=downloads.HEADER_MAX_LENGTH)

    @staticmethod
    def initial_from(template: DownloadTemplate) -> dict[str, Any]:
        initial: dict[str, Any] = {"name": template.name,
                                   "header_language": template.header_language}
        for n, column in enumerate(template.columns, start=1):
            initial[f"use_{column['field']}"] = True
            initial[f"order_{column['field']}"] = n
            initial[f"header_{column['field']}"] = column.get("header", "")
        # Fields not in the template are numbered after it, in their usual order.
        rest = [code for code in result_data.FIELDS if f"use_{code}" not in initial]
        for n, code in enumerate(rest, start=len(template.columns) + 1):
            initial[f"order_{code}"] = n
        return initial

    def rows(self) -> list[dict[str, Any]]:
        """One row per field, for the table of the page."""
        return [{"code": code, "use": self[f"use_{code}"], "order": self[f"order_{code}"],
                 "header": self[f"header_{code}"]} for code in result_data.FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        codes = list(result_data.FIELDS)
        chosen = [code for code in codes if data.get(f"use_{code}")]
        if not chosen:
            raise ValidationError(_("Choose at least one field."), code="empty")
        # Fields without a number go last; equal numbers keep the fields' usual order.
        chosen.sort(key=lambda code: (data.get(f"order_{code}") or MAX_ORDER + 1,
                                      codes.index(code)))
        data["columns"] = [{"field": code, "header": (data.get(f"header_{code}") or "").strip()}
                           for code in chosen]
        return data


class NotificationForm(forms.Form):
    notify = forms.BooleanField(label=_("Send me email notifications"), required=False)
    notify_frequency = forms.ChoiceField(
        label=_("How often"), widget=forms.RadioSelect,
        choices=OrganisationMember._meta.get_field("notify_frequency").choices)

    @classmethod
    def for_member(cls, member: OrganisationMember, data=None) -> "NotificationForm":
        return cls(data, initial={"notify": member.notify,
                                  "notify_frequency": member.notify_frequency})

