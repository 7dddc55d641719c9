"""The candidate's sharing pages: find approved organisations, share a result with them,
see whether they opened it, revoke; invite an organisation that is not listed."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_countries import countries

from langcert.candidates_portal import sharing as sharing_service
from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.verification.models import Organisation


class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Organisation name"), required=False,
                        max_length=100)
    country = forms.ChoiceField(label=gettext_lazy("Country"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Any country")), *countries]

    @property
    def searched(self) -> bool:
        return self.is_valid() and bool(self.cleaned_data["q"].strip()
                                        or self.cleaned_data["country"])


class ShareForm(forms.Form):
    organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.filter(status=Organisation.Status.APPROVED),
        to_field_name="public_id",
        error_messages={"required": gettext_lazy("Choose at least one organisation."),
                        "invalid_choice": gettext_lazy("This organisation cannot be chosen."),
                        "invalid_pk_value": gettext_lazy("This organisation cannot be chosen.")})


class InviteForm(forms.Form):
    organisation_name = forms.CharField(label=gettext_lazy("Organisation name"),
                                        max_length=200)
    email = forms.EmailField(label=gettext_lazy("Email address of the organisation"),
                             help_text=gettext_lazy("For example, the address of its admissions "
                                                    "or recruitment office."))
    message = forms.CharField(label=gettext_lazy("Message (optional)"), required=False,
                              max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))


def _search_data(request) -> dict[str, str]:
    """The search typed: in the address, or carried in the share form when it is sent."""
    source = request.POST if request.method == "POST" else request.GET
    return {key: source[key] for key in ("q", "country") if source.get(key)}


def _sharing_page(request, result, share_form=None, status=200):
    search = SearchForm(_search_data(request) or None)
    found = sharing_service.directory(**_search_terms(search)) if search.searched else []
    context = {
        "result": result, "search": search, "share_form": share_form,
        "organisations": [(o, countries.name(o.country)) for o in found],
        "shared_ids": sharing_service.active_organisation_ids(result),
        "shares": sharing_service.shares_of(result),
    }
    return render(request, "candidates_portal/sharing.html", context, status=status)


def _search_terms(search: SearchForm) -> dict[str, str]:
    return {"query": search.cleaned_data["q"], "country": search.cleaned_data["country"]}


def _share(request, result):
    form = ShareForm(request.POST)
    if not form.is_valid():
        return _sharing_page(request, result, share_form=form, status=400)
    try:
        created = sharing_service.share_result(actor=request.user, result=result,
                                               organisations=form.cleaned_data["organisations"],
                                               request=request)
    except ValidationError as error:
        form.add_error(None, error)
        return _sharing_page(request, result, share_form=form, status=400)
    if created:
        messages.success(request, ngettext(
            "Your result is now shared with %(count)d organisation.",
            "Your result is now shared with %(count)d organisations.",
            len(created)) % {"count": len(created)})
    else:
        messages.info(request, _("Your result was already shared with these organisations."))
    url = reverse("portal:sharing", kwargs={"public_id": result.public_id})
    terms = _search_data(request)
    return redirect(f"{url}?{urlencode(terms)}" if terms else url)


@role_required(Role.CANDIDATE)
def sharing(request, public_id):
    result = sharing_service.shareable_result_for(request.user, public_id)
    if request.method == "POST":
        return _share(request, result)
    return _sharing_page(request, result)


@role_required(Role.CANDIDATE)
@require_POST
def revoke(request, share_id):
    share = sharing_service.share_for(request.user, share_id)
    sharing_service.share_revoke(actor=request.user, share=share, request=request)
    messages.success(request, _("%(organisation)s can no longer see your result.")
                     % {"organisation": share.organisation.name})
    return redirect("portal:sharing", public_id=share.result.public_id)


@role_required(Role.CANDIDATE)
def invite(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sharing_service.organisation_invite(actor=request.user, request=request,
                                                **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your invitation has been sent to %(email)s.")
                             % {"email": form.cleaned_data["email"]})
            return redirect("portal:invite")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "candidates_portal/invite.html", {"form": form}, status=status)
