"""Translated names of skills, oral criteria and result outcomes, keyed by their codes."""

from django.utils.translation import gettext_lazy as _

SKILL_LABELS = {
    "reading": _("Reading"),
    "use_of_english": _("Use of English"),
    "writing": _("Writing"),
    "listening": _("Listening"),
    "speaking": _("Speaking"),
    "written_exam": _("Written examination"),
    "vocabulary": _("Vocabulary"),
    "grammar": _("Grammar and syntax"),
    "expressions": _("Expressions"),
    "vocabulary_range": _("Vocabulary range and control"),
    "grammar_syntax": _("Grammar and syntax"),
    "fluency": _("Fluency"),
    "pronunciation": _("Pronunciation and intonation"),
    "interaction": _("Interaction"),
}

OUTCOME_LABELS = {
    "grade_a": _("Pass at Grade A"),
    "grade_b": _("Pass at Grade B"),
    "grade_c": _("Pass at Grade C"),
    "level": _("Certificate at level %(cefr)s"),
    "no_award": _("No grade or certificate awarded"),
    "absent": _("Absent from one or more papers"),
    "pass_distinction": _("Pass with Distinction"),
    "pass_merit": _("Pass with Merit"),
    "pass": _("Pass"),
    "fail": _("Fail"),
}


def skill_label(code: str) -> str:
    return str(SKILL_LABELS.get(code, code))


def outcome_label(outcome: str, cefr: str | None = None) -> str:
    label = str(OUTCOME_LABELS[outcome])
    return label % {"cefr": cefr} if "%(cefr)s" in label else label
