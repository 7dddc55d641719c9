"""Uploads of results: marks files (board) and test-day photos (centres)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from langcert.results.imports import importable_exams


class ResultImportForm(forms.Form):
    exam = forms.ModelChoiceField(
        label=_("Exam"), queryset=importable_exams(), to_field_name="code",
        empty_label=_("Choose an exam"),
    )
    file = forms.FileField(
        label=_("File (CSV or Excel .xlsx)"),
        help_text=_("One row per candidate: the ID Number, then one score per skill, or "
                    "“absent”. Download the template of the exam for the columns."),
    )


class PhotoForm(forms.Form):
    """One entry's photo: a form in each row of the session's list."""

    entry = forms.UUIDField(widget=forms.HiddenInput)
    photo = forms.FileField(
        label=_("Photo (JPEG or PNG, at most 5 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


class PhotoZipForm(forms.Form):
    archive = forms.FileField(
        label=_("Zip of photos"),
        help_text=_("Name each photo by the candidate's ID Number, for example ABCD2345.jpg. "
                    "All photos are kept, or none: every problem is listed."),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )
