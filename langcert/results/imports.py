"""Marks given elsewhere (the Cambridge exams and DELTA), imported by board staff.

A CSV or XLSX file holds one row per candidate: the ID Number and one score per skill of
the exam's scheme. Every row is checked and every mistake reported by row and column; the
file is applied all together in one transaction, or not at all. The board member who
imports has checked the marks, so the results are approved and wait for their release date.
"""

import csv
import hashlib
import io
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from langcert.catalog import scoring
from langcert.catalog.labels import SKILL_LABELS, skill_label
from langcert.catalog.models import Exam
from langcert.centres.enrolment_files import (
    EnrolmentFileError,
    _csv_table,
    _xlsx_table,
    cell_text,
)
from langcert.centres.models import Entry, Session
from langcert.core import identifiers
from langcert.core.audit import record_event
from langcert.core.roles import Role
from langcert.results.models import Result, ResultImport

IMPORTABLE_KINDS = (Exam.Kind.CAMBRIDGE_SCALE, Exam.Kind.DELTA)
MAX_ROWS = 5000
ID_COLUMN = "id_number"
ID_HEADERS = ("ID Number", "Numéro d'identification", "Numéro ID", "N° ID")
ABSENT_WORDS = {"absent", "absente", "abs"}
DELTA_PASSES = {"pass", "pass_merit", "pass_distinction"}
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
# Names people give the skills in French files, besides the labels of the interface.
FRENCH_SKILL_NAMES = {
    "reading": ("lecture", "compréhension écrite"),
    "use_of_english": ("utilisation de l'anglais", "use of english"),
    "writing": ("écriture", "expression écrite"),
    "listening": ("écoute", "compréhension orale"),
    "speaking": ("oral", "expression orale"),
    "written_exam": ("épreuve écrite", "examen écrit", "mark", "note"),
}
RESULT_FIELDS = [
    "overall_score", "grade", "outcome", "cefr_level", "skills", "certificate", "exam_date",
    "source", "status", "reviewed_by", "reviewed_at", "hold_reason", "earliest_release_at",
    "release_at", "released_at", "withdrawn_at", "withdrawal_reason", "withdrawal_note",
    "import_batch", "computed_at",
]


class RowError(NamedTuple):
    row: int | None  # the line a spreadsheet shows (header = 1); None for the whole file
    column: str  # the column as written in the file, or its label when it is missing
    message: str


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repeated: bool = False  # the same file was applied before: nothing changed
    batch: ResultImport | None = None  # this import, or the earlier one when repeated

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class MarksRow:
    line: int
    id_number: str
    scores: dict[str, Any]  # skill -> int, or scoring.ABSENT


class CellError(ValueError):
    """A cell that cannot be used; the message says why, in the user's language."""


# --- Reading the file ----------------------------------------------------------------


def plain(text: object) -> str:
    """Text as compared: no accents, no case, single spaces, '_' read as a space."""
    text = str(text or "").replace("_", " ").replace("’", "'")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(text.split()).casefold()


def read_table(file_name: str, content: bytes) -> list[tuple[int, list[str]]]:
    """(line number, cells as text) of every line that is not blank; the header first.

    Raises EnrolmentFileError (a translated message) for a file that cannot be read.
    """
    name = file_name.lower()
    if name.endswith(".xlsx"):
        table = _xlsx_table(content)
    elif name.endswith(".csv"):
        table = _csv_table(content)
    else:
        raise EnrolmentFileError(_("Upload a .csv or .xlsx file."))
    lines = [(number, [cell_text(cell) for cell in row])
             for number, row in enumerate(table, start=1)]
    lines = [(number, cells) for number, cells in lines if any(cells)]
    if not lines:
        raise EnrolmentFileError(_("The file is empty."))
    if len(lines) == 1:
        raise EnrolmentFileError(_("The file has a header but no rows of marks."))
    if len(lines) > MAX_ROWS + 1:
        raise EnrolmentFileError(_("At most %(count)d rows per file.") % {"count": MAX_ROWS})
    return lines


def _labels(code: str) -> set[str]:
    """A column's names in English and French: its code and its labels."""
    names = {code}
    for language in ("en", "fr"):
        with translation.override(language):
            names.add(_("ID Number") if code == ID_COLUMN else str(SKILL_LABELS.get(code, code)))
    return names | set(ID_HEADERS if code == ID_COLUMN else FRENCH_SKILL_NAMES.get(code, ()))


def column_label(code: str) -> str:
    return _("ID Number") if code == ID_COLUMN else skill_label(code)


def _read_header(
    exam: Exam, line: int, cells: list[str]
) -> tuple[list[str | None], dict[str, str], list[RowError]]:
    """The column code of each cell, the header written for each code, and the mistakes."""
    expected = [ID_COLUMN, *exam.skills]
    aliases = {plain(name): code for code in expected for name in _labels(code)}
    codes: list[str | None] = []
    written: dict[str, str] = {}
    errors: list[RowError] = []
    for text in cells:
        code = aliases.get(plain(text)) if text else None
        if text and code is None:
            columns = ", ".join(column_label(c) for c in expected)
            errors.append(RowError(line, text, _("Unknown column. The columns of this exam "
                                                 "are: %(columns)s.") % {"columns": columns}))
        elif code in written:
            errors.append(RowError(line, text, _("This column appears twice.")))
            code = None
        if code is not None:
            written[code] = text
        codes.append(code)
    errors += [RowError(line, column_label(c), _("Missing column."))
               for c in expected if c not in written]
    return codes, written, errors


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def parse_score(text: str, low: int, high: int) -> int | str:
    """A cell's score, or scoring.ABSENT; CellError says what is wrong with it."""
    if not text:
        raise CellError(_("Missing score: write the score, or “absent”."))
    if plain(text) in ABSENT_WORDS:
        return scoring.ABSENT
    if not WHOLE_NUMBER.fullmatch(text):
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": _short(text)})
    score = int(text) if len(text) <= 9 else None  # no huge conversions
    if score is None or not low <= score <= high:
        raise CellError(_("%(score)s is outside the scores reported for this exam "
                          "(%(low)d–%(high)d).")
                        % {"score": _short(text), "low": low, "high": high})
    return score


def _parse_row(
    exam: Exam, line: int, values: dict[str, str], written: dict[str, str]
) -> tuple[MarksRow, list[RowError]]:
    low, high = exam.scoring_scheme["reported_range"]
    errors: list[RowError] = []
    id_number = identifiers.normalise(values.get(ID_COLUMN, ""))
    if not id_number:
        errors.append(RowError(line, written[ID_COLUMN], _("Missing ID Number.")))
    scores: dict[str, Any] = {}
    for skill in exam.skills:
        try:
            scores[skill] = parse_score(values.get(skill, ""), low, high)
        except CellError as error:
            errors.append(RowError(line, written[skill], str(error)))
    return MarksRow(line, id_number, scores), errors


def parse_rows(
    exam: Exam, lines: list[tuple[int, list[str]]]
) -> tuple[list[MarksRow], list[RowError], dict[str, str]]:
    """The rows of marks of a file read by `read_table`, every mistake found, and the
    header written in the file for each column."""
    (header_line, header), body = lines[0], lines[1:]
    codes, written, errors = _read_header(exam, header_line, header)
    if errors:
        return [], errors, written
    rows: list[MarksRow] = []
    first_line: dict[str, int] = {}
    for line, cells in body:
        values = {code: text for code, text in zip(codes, cells, strict=False) if code}
        row, row_errors = _parse_row(exam, line, values, written)
        earlier = first_line.setdefault(row.id_number, line) if row.id_number else line
        if earlier != line:
            row_errors.insert(0, RowError(line, written[ID_COLUMN],
                                          _("Same ID Number as row %(row)d.") % {"row": earlier}))
        errors += row_errors
        rows.append(row)
    return rows, errors, written


# --- Checking against the database and computing -------------------------------------


def _check_entries(
    exam: Exam, rows: list[MarksRow], written_id: str
) -> tuple[dict[str, Entry], dict[int, Result], list[RowError]]:
    """The rows' entries, their current results (locked), and the rows that cannot apply."""
    entries = {
        entry.id_number: entry
        for entry in Entry.objects.filter(
            session__exam=exam, id_number__in={row.id_number for row in rows}
        ).select_related("session__centre")
    }
    results = {
        result.entry_id: result
        for result in Result.objects.select_for_update().filter(
            entry__in=[entry.pk for entry in entries.values()]
        )
    }
    errors: list[RowError] = []
    for row in rows:
        entry = entries.get(row.id_number)
        if entry is None:
            errors.append(RowError(row.line, written_id, _(
                "No entry with this ID Number in a session of %(exam)s.") % {"exam": exam.name}))
            continue
        message = _refusal(results.get(entry.pk))
        if message:
            errors.append(RowError(row.line, written_id, message))
    return entries, results, errors


def _refusal(result: Result | None) -> str:
    if result is None:
        return ""
    if result.status == Result.Status.RELEASED:
        return _("This result is already released: withdraw it first, then import the marks "
                 "again.")
    if result.source != Result.Source.IMPORT:
        return _("This result was not imported and cannot be replaced by an import.")
    if (result.status == Result.Status.WITHDRAWN
            and result.withdrawal_reason == Result.WithdrawalReason.MALPRACTICE):
        return _("This result was withdrawn for malpractice and cannot be replaced by an "
                 "import.")
    return ""


def computed(exam: Exam, scores: dict[str, Any]) -> dict[str, Any]:
    """The result fields that follow from the scores, by the exam's scheme."""
    scheme = exam.scoring_scheme
    if exam.kind == Exam.Kind.DELTA:
        delta = scoring.score_delta(scheme, scores)
        skills = [{"skill": skill, "score": None if value == scoring.ABSENT else value,
                   "cefr": None} for skill, value in scores.items()]
        return {"overall_score": delta.mark, "grade": "", "outcome": delta.outcome,
                "cefr_level": "", "certificate": delta.outcome in DELTA_PASSES,
                "skills": skills}
    scale = scoring.score_cambridge_scale(scheme, scores)
    return {
        "overall_score": scale.overall, "grade": scale.grade or "", "outcome": scale.outcome,
        "cefr_level": scale.cefr or "", "certificate": scale.certificate,
        "skills": [{"skill": s.skill, "score": s.score, "cefr": s.cefr} for s in scale.skills],
    }


def exam_date(session: Session):
    """The session's first day, in the centre's time zone."""
    return session.opens_at.astimezone(zoneinfo.ZoneInfo(str(session.centre.time_zone))).date()


def _approval(actor: Any, session: Session, now: datetime) -> dict[str, Any]:
    """Checked by the board member who imports: approved, released when the date comes."""
    return {
        "source": Result.Source.IMPORT, "status": Result.Status.APPROVED,
        "reviewed_by": actor, "reviewed_at": now, "hold_reason": "",
        "earliest_release_at": session.results_release_at,
        "release_at": max(session.results_release_at, now), "released_at": None,
        "withdrawn_at": None, "withdrawal_reason": "", "withdrawal_note": "",
        "exam_date": exam_date(session), "computed_at": now,
    }


def _same_scores(stored: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    return [(s["skill"], s["score"]) for s in stored] == [(s["skill"], s["score"]) for s in new]


def _plan(
    actor: Any, exam: Exam, rows: list[MarksRow], entries: dict[str, Entry],
    results: dict[int, Result],
) -> tuple[list[Result], list[Result], int]:
    """Results to create, results to update (fields set, not saved), rows unchanged."""
    now = timezone.now()
    creates: list[Result] = []
    updates: list[Result] = []
    for row in rows:
        entry = entries[row.id_number]
        values = computed(exam, row.scores)
        existing = results.get(entry.pk)
        if existing is not None and _same_scores(existing.skills, values["skills"]):
            continue
        values |= _approval(actor, entry.session, now)
        if existing is None:
            creates.append(Result(entry=entry, **values))
            continue
        for name, value in values.items():
            setattr(existing, name, value)
        updates.append(existing)
    return creates, updates, len(rows) - len(creates) - len(updates)


# --- The service ---------------------------------------------------------------------


def _earlier_import(exam: Exam, digest: str) -> ResultImport | None:
    return ResultImport.objects.filter(exam=exam, sha256=digest).order_by("uploaded_at").first()


def _apply(
    *, actor: Any, exam: Exam, file_name: str, digest: str, rows: list[MarksRow],
    id_header: str, errors: list[RowError], request: HttpRequest | None,
) -> ImportReport:
    """Inside the transaction: check the entries, then write everything (or nothing).

    `errors` are the mistakes already found in the cells, reported with the others."""
    entries, results, entry_errors = _check_entries(
        exam, [row for row in rows if row.id_number], id_header)
    if errors or entry_errors:
        return ImportReport(errors=sorted(errors + entry_errors, key=lambda e: e.row or 0))
    creates, updates, unchanged = _plan(actor, exam, rows, entries, results)
    batch = ResultImport.objects.create(
        exam=exam, file_name=file_name[:200], sha256=digest, rows=len(rows),
        created=len(creates), updated=len(updates), unchanged=unchanged, uploaded_by=actor,
    )
    for result in creates + updates:
        result.import_batch = batch
    Result.objects.bulk_create(creates, batch_size=500)
    Result.objects.bulk_update(updates, RESULT_FIELDS, batch_size=500)
    record_event(
        actor=actor, action="results.import", target=batch, request=request,
        data={"exam": exam.code, "rows": len(rows), "created": len(creates),
              "updated": len(updates), "unchanged": unchanged},
    )
    return ImportReport(created=len(creates), updated=len(updates), unchanged=unchanged,
                        batch=batch)


def _repeated(batch: ResultImport) -> ImportReport:
    return ImportReport(unchanged=batch.rows, repeated=True, batch=batch)


def results_import(
    *, actor: Any, exam: Exam, file_name: str, content: bytes,
    request: HttpRequest | None = None,
) -> ImportReport:
    """Import the marks of `exam` from a CSV/XLSX file: all rows, or none.

    A file already applied for this exam changes nothing (`repeated`); a row whose scores
    equal the stored result's counts as unchanged. Raises PermissionDenied unless the
    actor is board staff.
    """
    if getattr(actor, "role", None) != Role.BOARD:
        raise PermissionDenied
    if exam.kind not in IMPORTABLE_KINDS:
        return ImportReport(errors=[RowError(None, "", _(
            "Results of this exam come from the adaptive test and the oral: they cannot be "
            "imported."))])
    digest = hashlib.sha256(content).hexdigest()
    earlier = _earlier_import(exam, digest)
    if earlier is not None:
        return _repeated(earlier)
    try:
        lines = read_table(file_name, content)
    except EnrolmentFileError as error:
        return ImportReport(errors=[RowError(None, "", str(error))])
    rows, errors, written = parse_rows(exam, lines)
    if not rows:  # the header is wrong: the rows cannot be read
        return ImportReport(errors=errors)
    with transaction.atomic():
        Exam.objects.select_for_update().filter(pk=exam.pk).first()  # one import at a time
        earlier = _earlier_import(exam, digest)
        if earlier is not None:
            return _repeated(earlier)
        return _apply(actor=actor, exam=exam, file_name=file_name, digest=digest, rows=rows,
                      id_header=written[ID_COLUMN], errors=errors, request=request)


def importable_exams():
    return Exam.objects.filter(kind__in=IMPORTABLE_KINDS, is_active=True).order_by("name")


def template_csv(exam: Exam) -> str:
    """An empty file with the exam's columns, headed in the active language."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([column_label(c) for c in (ID_COLUMN, *exam.skills)])
    return buffer.getvalue()
