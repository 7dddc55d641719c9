"""What an organisation may see of a result, as named fields: one source for the result
page, the data files and the API.

DESIGN.md: a share shows everything the guide lists; a search by number + date of birth
without a share shows the result but not the candidate's email or ID document number.
"""

from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from langcert.catalog.labels import SKILL_LABELS, outcome_label
from langcert.results.models import Result

SHARE_ONLY_FIELDS = ("id_document_number", "email")

# code -> label, in the order of the default data file.
FIELDS: dict[str, Any] = {
    "result_id": _("Result ID"),
    "statement_number": _("Statement of Results number"),
    "exam": _("Exam"),
    "exam_date": _("Exam date"),
    "session_code": _("Session code"),
    "place_of_entry": _("Place of entry"),
    "centre": _("Centre"),
    "last_name": _("Last name"),
    "first_name": _("First name"),
    "gender": _("Gender"),
    "date_of_birth": _("Date of birth"),
    "candidate_id": _("Candidate ID"),
    "id_document_number": _("ID document number"),
    "email": _("Email address"),
    "overall_score": _("Overall score"),
    "result": _("Result"),
    "grade": _("Grade"),
    "cefr_level": _("CEFR level"),
    "certificate": _("Certificate"),
    **{f"score_{code}": label for code, label in SKILL_LABELS.items()},
    **{f"cefr_{code}": label for code, label in SKILL_LABELS.items()},
}
DEFAULT_COLUMNS = [code for code in FIELDS if code != "result_id"]
# Slate (admissions CRM) imports need a stable unique id in the first column.
SLATE_COLUMNS = ["result_id", "statement_number", "last_name", "first_name", "date_of_birth",
                 "email", "exam", "exam_date", "overall_score", "grade", "cefr_level"]

# What `result_fields` reads of a result and its relations, for a lookup that loads no more
# (the API's, on its hot path: about 35 columns of six tables instead of about 80).
RESULT_COLUMNS = (
    "public_id", "statement_number", "exam_date", "overall_score", "outcome", "cefr_level",
    "source", "grade", "certificate", "skills", "oral_criteria", "entry__id_number",
    "entry__candidate__last_name", "entry__candidate__first_name", "entry__candidate__gender",
    "entry__candidate__date_of_birth", "entry__candidate__id_document_number",
    "entry__candidate__email", "entry__candidate__account", "entry__session__code",
    "entry__session__exam__name", "entry__session__centre__name",
    "entry__session__centre__city", "entry__session__centre__country",
)


def field_label(code: str, language: str) -> str:
    label = FIELDS[code]
    with translation.override(language):
        if code.startswith("score_"):
            return f"{label} – {translation.gettext('score')}"
        if code.startswith("cefr_"):
            return f"{label} – {translation.gettext('CEFR')}"
        return str(label)


def result_fields(result: Result, *, shared: bool) -> dict[str, Any]:
    """Every field of one result; the share-only ones are blank without a share."""
    entry = result.entry
    candidate, session = entry.candidate, entry.session
    centre = session.centre
    values: dict[str, Any] = {
        "result_id": str(result.public_id),
        "statement_number": result.statement_number_display,
        "exam": session.exam.name,
        "exam_date": result.exam_date,
        "session_code": session.code,
        "place_of_entry": ", ".join(filter(None, [centre.city, centre.country])),
        "centre": centre.name,
        "last_name": candidate.last_name,
        "first_name": candidate.first_name,
        "gender": candidate.get_gender_display(),
        "date_of_birth": candidate.date_of_birth,
        "candidate_id": entry.id_number_display,
        "id_document_number": candidate.id_document_number if shared else "",
        "email": candidate.mail_address if shared else "",
        "overall_score": result.overall_score,
        "result": outcome_label(result.outcome, result.cefr_level)
        if result.source == Result.Source.IMPORT and result.outcome else "",
        "grade": result.grade,
        "cefr_level": result.cefr_level,
        "certificate": result.certificate,
    }
    for skill in result.skills:
        values[f"score_{skill['skill']}"] = skill["score"]
        values[f"cefr_{skill['skill']}"] = skill["cefr"]
    for criterion, level in result.oral_criteria.items():
        values[f"cefr_{criterion}"] = level
    return values
