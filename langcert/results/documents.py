"""The documents of a released result, as PDFs.

- Statement of Results: Cambridge English Scale and DELTA exams;
- attestation of results: the adaptive certification, downloadable for 3 years;
- certificate: when earned, for life.

A copy generated for a verifying organisation carries the test-day photo (while consent
holds) and a stamp with the organisation's name and the date; the candidate's own copy
never does (DESIGN.md, "Photos and consent"). Nothing is written here: views check who may
download and write the audit event.
"""

from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from django.db import models
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from langcert.catalog.labels import outcome_label, skill_label
from langcert.catalog.models import Exam
from langcert.core.cefr import CefrLevel
from langcert.core.pdf import render_pdf
from langcert.results.models import ATTESTATION_AVAILABLE_FOR, Result
from langcert.results.selectors import photo_for_verifier

PRELUDE = "results_style"
DASH = "–"


class DocumentKind(models.TextChoices):
    STATEMENT = "statement", gettext_lazy("Statement of Results")
    ATTESTATION = "attestation", gettext_lazy("Attestation of results")
    CERTIFICATE = "certificate", gettext_lazy("Certificate")


TEMPLATES = {
    DocumentKind.STATEMENT: "statement_of_results",
    DocumentKind.ATTESTATION: "attestation_of_results",
    DocumentKind.CERTIFICATE: "certificate",
}


class DocumentUnavailable(Exception):
    """The result has no such document now (not released, withdrawn, attestation expired,
    certificate not earned)."""


class DocumentParts(NamedTuple):
    """What `render_pdf` needs: template name, data, files (the photo, if any)."""

    template: str
    data: dict[str, Any]
    files: dict[str, bytes]


def available_documents(result: Result, *, now: datetime | None = None) -> list[str]:
    """The kinds of document the result has at `now`, its natural document first."""
    if result.status != Result.Status.RELEASED or result.released_at is None:
        return []
    now = now or timezone.now()
    kinds = []
    if not result.entry.session.exam.is_adaptive:
        kinds.append(DocumentKind.STATEMENT)
    elif now < result.released_at + ATTESTATION_AVAILABLE_FOR:
        kinds.append(DocumentKind.ATTESTATION)
    if result.certificate:
        kinds.append(DocumentKind.CERTIFICATE)
    return kinds


def document_filename(result: Result, kind: str, language: str) -> str:
    # No name or date of birth: the file name travels in mail and download folders.
    return f"{DocumentKind(kind).value}-{result.statement_number}-{language}.pdf"


def render_result_document(result: Result, kind: str, *, language: str,
                           organisation: Any = None, now: datetime | None = None) -> bytes:
    """The PDF of `kind` for `result`; an organisation's copy when `organisation` is given."""
    parts = document_parts(result, kind, language=language, organisation=organisation, now=now)
    return render_pdf(parts.template, parts.data, parts.files, prelude=PRELUDE)


def document_parts(result: Result, kind: str, *, language: str, organisation: Any = None,
                   now: datetime | None = None) -> DocumentParts:
    """Template, translated data and photo of a document: what `render_pdf` (or a preview
    with `render_png`) needs. Raises DocumentUnavailable as `render_result_document` does."""
    now = now or timezone.now()
    if kind not in available_documents(result, now=now):
        raise DocumentUnavailable(kind)
    # The candidate's own copy never carries the photo, whatever the consent says.
    files = _photo_file(photo_for_verifier(result)) if organisation is not None else {}
    with translation.override(language):
        data = _BUILDERS[kind](result)
        data.update(
            language=language.split("-")[0],  # Typst wants the bare ISO 639 code
            centre=result.entry.session.centre.name,
            reference=result.statement_number_display,
            photo=next(iter(files), ""),
            stamp=_stamp(organisation, now) if organisation is not None else "",
        )
    return DocumentParts(TEMPLATES[kind], data, files)


# --- Data of each document (called inside translation.override) -------------------------


def _statement(result: Result) -> dict[str, Any]:
    # DELTA reports one mark and a result word: no CEFR level, no table of skills.
    is_delta = result.entry.session.exam.kind == Exam.Kind.DELTA
    return {
        "title": _("Statement of Results"),
        "details": _details(result, _("Statement of Results number")),
        "overall_label": _("Mark") if is_delta else _("Overall score"),
        "overall": _score(result.overall_score),
        "result_word": _outcome(result),
        "cefr": "" if is_delta else _level(result.cefr_level),
        "skills_header": [_("Skill"), _("Score"), _("CEFR level")],
        "skills": [] if is_delta else [
            [skill_label(s["skill"]), _score(s["score"]), _level(s["cefr"])]
            for s in result.skills
        ],
        "note": "" if is_delta else _("Scores are reported on the Cambridge English Scale."),
        "labels": {"results": _("Results"), "result": _("Result"), "cefr": _("CEFR level"),
                   "skills": _("Results by skill")},
    }


def _attestation(result: Result) -> dict[str, Any]:
    criteria = result.entry.session.exam.scoring_scheme.get("oral_criteria",
                                                            list(result.oral_criteria))
    until = result.released_at + ATTESTATION_AVAILABLE_FOR
    return {
        "title": _("Attestation of results"),
        "details": _details(result, _("Reference number")),
        "levels": [[_("Written level"), _level(result.written_level)],
                   [_("Oral level"), _level(result.oral_level)],
                   [_("Final level"), _level(result.cefr_level)],
                   [_("Target level"), _level(result.target_level)]],
        "certificate_earned": result.certificate,
        "certificate": _("Certificate awarded") if result.certificate
        else _("Target level not reached: no certificate awarded"),
        "written": [[skill_label(s["skill"]), _level(s["cefr"])] for s in result.skills],
        "oral": [[skill_label(c), _level(result.oral_criteria.get(c, ""))] for c in criteria],
        "validity": _("This attestation is valid for 3 years from the release of the results, "
                      "until %(date)s.") % {"date": _date(until)},
        "labels": {"results": _("Results"), "written": _("Written examination"),
                   "oral": _("Oral interview"), "skill": _("Skill"),
                   "criterion": _("Criterion"), "level": _("Level")},
    }


def _certificate(result: Result) -> dict[str, Any]:
    entry = result.entry
    # The adaptive certification states a CEFR level; DELTA a result word; the scale both.
    level = _level(result.cefr_level) if result.cefr_level else _outcome(result)
    with_word = result.cefr_level and not entry.session.exam.is_adaptive
    return {
        "title": _("Certificate"),
        "name": entry.candidate.full_name,
        "exam": entry.session.exam.name,
        "level": level,
        "outcome": _outcome(result) if with_word else "",
        "details": [[_("Exam date"), _date(result.exam_date)],
                    [_("Centre"), entry.session.centre.name],
                    [_("Reference number"), result.statement_number_display]],
        "labels": {"certify": _("This is to certify that"),
                   "achieved": _("has achieved the following result in"),
                   "level": _("Level reached") if result.cefr_level else _("Result")},
    }


_BUILDERS = {
    DocumentKind.STATEMENT: _statement,
    DocumentKind.ATTESTATION: _attestation,
    DocumentKind.CERTIFICATE: _certificate,
}


# --- Small helpers ------------------------------------------------------------------------


def _details(result: Result, number_label: str) -> list[list[str]]:
    entry = result.entry
    candidate, session = entry.candidate, entry.session
    return [[_("Candidate"), candidate.full_name],
            [_("Date of birth"), _date(candidate.date_of_birth)],
            [_("Exam"), session.exam.name],
            [_("Exam date"), _date(result.exam_date)],
            [_("Centre"), session.centre.name],
            [_("Session"), session.code],
            [number_label, result.statement_number_display]]


def _photo_file(photo: bytes | None) -> dict[str, bytes]:
    """The photo under a name matching its format (uploads are JPEG or PNG only)."""
    if photo and photo.startswith(b"\x89PNG\r\n\x1a\n"):
        return {"photo.png": photo}
    if photo and photo.startswith(b"\xff\xd8\xff"):
        return {"photo.jpg": photo}
    return {}


def _stamp(organisation: Any, now: datetime) -> str:
    moment = now.astimezone(UTC)  # organisations have no time zone of their own
    when = f"{formats.date_format(moment, 'j F Y')}, {moment:%H:%M} UTC"
    return _("Generated for %(organisation)s on %(date)s") % {
        "organisation": organisation.name, "date": when}


def _date(value: date) -> str:
    return formats.date_format(value, "j F Y")


def _level(code: str | None) -> str:
    return str(CefrLevel(code).label) if code else DASH


def _score(score: int | None) -> str:
    return DASH if score is None else str(score)


def _outcome(result: Result) -> str:
    # Adaptive results store "certificate"/"attestation", which are not outcome words.
    if not result.outcome or result.entry.session.exam.is_adaptive:
        return ""
    return outcome_label(result.outcome, result.cefr_level or None)
