"""Forms of Shared Results, Candidate Search and bulk verification."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from langcert.catalog.models import Exam
from langcert.verification import searching
from langcert.verification.models import DataDownload

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SharedResultsFilterForm(forms.Form):
    """The filters of the Shared Results table (sent by GET: the organisation's own list,
    never a lookup by number and date of birth)."""

    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    exam = forms.ModelChoiceField(label=_("Exam taken"), queryset=Exam.objects.none(),
                                  to_field_name="code", required=False,
                                  empty_label=_("All exams"))
    shared_from = forms.DateField(label=_("Shared from"), required=False, widget=DATE_INPUT)
    shared_to = forms.DateField(label=_("Shared until"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, exams=None, **kwargs):
        super().__init__(*args, **kwargs)
        if exams is not None:
            self.fields["exam"].queryset = exams

    def clean(self):
        data = super().clean()
        start, end = data.get("shared_from"), data.get("shared_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date comes after the end date."))
        return data


class SearchForm(forms.Form):
    """Statement of Results number and date of birth: sent by POST only."""

    statement_number = forms.CharField(
        label=_("Statement of Results number"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                      "autocapitalize": "characters"}))
    date_of_birth = forms.DateField(
        label=_("Date of birth"), input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "off"},
                               format="%Y-%m-%d"))


class BulkVerificationForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Interpolated per request, in the user's language.
        self.fields["file"].help_text = gettext(
            "Two columns, named on the first line: statement_number and date_of_birth "
            "(numero_releve and date_de_naissance are accepted). Dates as YYYY-MM-DD or "
            "DD/MM/YYYY. At most %(max)d rows.") % {"max": searching.MAX_ROWS}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > searching.MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        return upload


DOWNLOAD_FORMATS = [(DataDownload.Format.XLSX, _("Data file (xlsx)")),
                    (DataDownload.Format.CSV, _("Data file (csv)")),
                    (DataDownload.Format.PDF_ZIP, _("PDF Statements of Results (zip)"))]
