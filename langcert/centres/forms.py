"""Enrolment input. One form checks a person typed in the page and each row of a file."""

from django import forms
from django.utils.translation import gettext_lazy as _

from langcert.catalog.models import JobRole
from langcert.centres.models import Candidate, Entry
from langcert.core.cefr import CefrLevel
from langcert.core.models import time_zone_choices

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]

YES_WORDS = {"yes", "y", "oui", "o", "true", "1"}
NO_WORDS = {"no", "n", "non", "false", "0"}

# Words people write in files for a gender, in either language.
GENDER_WORDS = {
    "f": "F", "female": "F", "femme": "F", "féminin": "F",
    "m": "M", "male": "M", "homme": "M", "masculin": "M", "h": "M",
    "x": "X", "other": "X", "autre": "X",
}


class YesNoField(forms.Field):
    """A yes/no answer: a checkbox in the page, 'yes'/'no'/'oui'/'non' in a file."""

    widget = forms.CheckboxInput

    def to_python(self, value):
        if isinstance(value, bool):
            return value
        word = str(value or "").strip().lower()
        if word in YES_WORDS or word == "on":
            return True
        if word in NO_WORDS or word == "":
            return False
        raise forms.ValidationError(_("Write yes or no."), code="invalid")

    def validate(self, value):
        pass


class EnrolmentForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    gender = forms.ChoiceField(label=_("Gender"), choices=Candidate.Gender.choices)
    email = forms.EmailField(label=_("Email address"))
    id_document_number = forms.CharField(label=_("ID document number"), max_length=50)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=[("", _("Centre's time zone"))], required=False
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Centre's language")), ("fr", _("French")), ("en", _("English"))],
        required=False,
    )
    job = forms.ModelChoiceField(
        label=_("Job"),
        queryset=JobRole.objects.select_related("band"),
        required=False,
        empty_label=_("Choose a job"),
        help_text=_("Suggests the target level from the job grid."),
    )
    target_level = forms.ChoiceField(
        label=_("Target level"),
        choices=[("", _("Suggested from the job"))]
        + [(c.value, c.label) for c in CefrLevel if c.value != CefrLevel.BELOW_A1],
        required=False,
    )
    photo_consent = YesNoField(
        label=_("The candidate allows the test-day photo to be shown to organisations"),
        required=False,
    )
    photo_exemption = forms.ChoiceField(
        label=_("Photo exemption"), choices=Entry.PhotoExemption.choices, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices += time_zone_choices()

    def clean_first_name(self):
        return " ".join(self.cleaned_data["first_name"].split())

    def clean_last_name(self):
        return " ".join(self.cleaned_data["last_name"].split())

    def clean_id_document_number(self):
        return "".join(self.cleaned_data["id_document_number"].split()).upper()


class EnrolmentRowForm(EnrolmentForm):
    """A row of an enrolment file: genders and yes/no in words, a job by its name."""

    job = forms.CharField(required=False)
    photo_consent = YesNoField(required=False, widget=forms.TextInput)

    def __init__(self, data, **kwargs):
        data = dict(data)
        gender = str(data.get("gender") or "").strip().lower()
        data["gender"] = GENDER_WORDS.get(gender, gender)
        super().__init__(data, **kwargs)

    def clean_job(self):
        name = (self.cleaned_data.get("job") or "").strip()
        if not name:
            return None
        job = (
            JobRole.objects.select_related("band").filter(name_en__iexact=name).first()
            or JobRole.objects.select_related("band").filter(name_fr__iexact=name).first()
        )
        if job is None:
            raise forms.ValidationError(_("This job is not in the job grid."), code="unknown")
        return job


class EnrolmentFileForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or Excel .xlsx)"),
        help_text=_("One candidate per row; download the template for the columns."),
    )
