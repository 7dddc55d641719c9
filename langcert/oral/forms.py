from django import forms
from django.utils.translation import gettext_lazy as _

from langcert.core.cefr import CefrLevel
from langcert.oral.models import Availability
from langcert.oral.services import CRITERIA

LEVELS = [("", "—")] + [(c.value, c.label) for c in CefrLevel if c.value != "BELOW_A1"]
CRITERION_LABELS = {
    "vocabulary_range": _("Vocabulary range and control"),
    "grammar_syntax": _("Grammar and syntax"),
    "fluency": _("Fluency"),
    "pronunciation": _("Pronunciation and intonation"),
    "interaction": _("Interaction"),
}


class AvailabilityForm(forms.ModelForm):
    class Meta:
        model = Availability
        fields = ["language", "repeat", "first_date", "last_date", "start_time", "end_time"]
        widgets = {
            "first_date": forms.DateInput(attrs={"type": "date"}),
            "last_date": forms.DateInput(attrs={"type": "date"}),
            "start_time": forms.TimeInput(attrs={"type": "time", "step": 1800}),
            "end_time": forms.TimeInput(attrs={"type": "time", "step": 1800}),
        }

    def __init__(self, *args, evaluator=None, **kwargs):
        super().__init__(*args, **kwargs)
        if evaluator is not None:
            self.fields["language"].queryset = evaluator.languages.all()


class ScoreForm(forms.Form):
    id_document_checked = forms.BooleanField(
        label=_("The candidate showed an ID document that matches them"), required=False)
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}),
                              required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for criterion in CRITERIA:
            self.fields[criterion] = forms.ChoiceField(
                label=CRITERION_LABELS[criterion], choices=LEVELS, required=False)

    @property
    def identity_fields(self):
        return [self["id_document_checked"]]

    @property
    def score_fields(self):
        return [self[name] for name in (*CRITERIA, "comment")]
