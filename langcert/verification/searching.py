"""Services of Candidate Search and the result page.

- bulk verification in the browser: read a CSV of Statement of Results numbers and dates of
  birth, check every pair through `lookup.verify` (the same limits as one search), write
  the xlsx report;
- opening a result, its PDF and its photo: each audited and shown in the candidate's
  access log;
- `safe_cell`, the guard against spreadsheet formula injection for every file written for
  an organisation.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import xlsxwriter
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from langcert.candidates_portal import sharing
from langcert.core.audit import record_event
from langcert.results import documents
from langcert.results.models import Result
from langcert.results.selectors import photo_for_verifier
from langcert.verification import lookup
from langcert.verification.lookup import LookupRefused, Searcher
from langcert.verification.models import AccessEvent, Share

MAX_ROWS = 2000
MAX_FILE_BYTES = 1024 * 1024
MAX_ERRORS_SHOWN = 20
# OWASP "CSV injection": a spreadsheet reads a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
# Accepted headers, once lower-cased, without accents and with "_" for other characters.
NUMBER_HEADERS = {
    "statement_number", "statement_of_results_number", "statement_of_results", "sor_number",
    "numero_releve", "numero_de_releve", "numero_du_releve", "numero_releve_de_notes",
    "numero_de_releve_de_notes", "numero_du_releve_de_notes", "numero_de_releve_de_resultats",
    "numero_du_releve_de_resultats",
}
DATE_HEADERS = {"date_of_birth", "birth_date", "dob", "date_de_naissance", "naissance"}


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet may show it: a text that a spreadsheet would run as a
    formula gets a leading apostrophe; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Outcome(models.TextChoices):
    MATCH = "match", gettext_lazy("Match")
    NO_MATCH = "no_match", gettext_lazy("No match")
    TYPO = "typo", gettext_lazy("Typing mistake in the number: not checked")
    NOT_CHECKED = "not_checked", gettext_lazy("Not checked: limit reached")


@dataclass(frozen=True)
class Pair:
    """One row of the file: the number as typed and the date of birth."""

    line: int
    number: str
    date_of_birth: date


@dataclass(frozen=True)
class Checked:
    pair: Pair
    outcome: str
    result: Result | None = None


# --- Reading the file ----------------------------------------------------------------------
def _header_key(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def _columns(header: list[str]) -> tuple[int, int]:
    keys = [_header_key(cell) for cell in header]
    number = next((i for i, key in enumerate(keys) if key in NUMBER_HEADERS), None)
    birth = next((i for i, key in enumerate(keys) if key in DATE_HEADERS), None)
    if number is None or birth is None:
        raise ValidationError(_("The first line must name the columns: statement_number and "
                                "date_of_birth (or numero_releve and date_de_naissance)."))
    return number, birth


def parse_birth_date(text: str) -> date | None:
    """A date of birth written YYYY-MM-DD or DD/MM/YYYY, or None."""
    for pattern in DATE_FORMATS:
        try:
            day = datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
        return day if day.year >= 1900 and day <= timezone.localdate() else None
    return None


def _decode(content: bytes) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError(_("The file is larger than 1 MB."))
    try:
        text: str | None = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:  # not UTF-8, or a binary file (a spreadsheet)
        raise ValidationError(_("This file is not a CSV text file in UTF-8. In your "
                                "spreadsheet, save it as “CSV UTF-8” and try again."))
    return text


def _delimiter(text: str) -> str:
    # French spreadsheets write ";" between cells; others ",".
    first = text.lstrip().split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)


def _pair(cells: list[str], line: int, columns: tuple[int, int]) -> Pair | str:
    """The row's pair, or what is wrong with it."""
    number_at, birth_at = columns
    number = cells[number_at].strip() if number_at < len(cells) else ""
    birth_text = cells[birth_at].strip() if birth_at < len(cells) else ""
    if not number:
        return _("Line %(line)d: the Statement of Results number is missing.") % {"line": line}
    birth = parse_birth_date(birth_text)
    if birth is None:
        return _("Line %(line)d: the date of birth is missing or not valid (write it "
                 "YYYY-MM-DD or DD/MM/YYYY).") % {"line": line}
    return Pair(line=line, number=number, date_of_birth=birth)


def read_pairs(content: bytes) -> list[Pair]:
    """Every pair of the CSV file, or ValidationError listing what is wrong: the whole
    file is refused (nothing is looked up) until every row is readable."""
    text = _decode(content)
    if not text.strip():
        raise ValidationError(_("The file is empty."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        # The header is the first line that is not blank.
        columns = _columns(next(cells for cells in reader if any(c.strip() for c in cells)))
        pairs, errors = [], []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(pairs) + len(errors) == MAX_ROWS:
                raise ValidationError(_("The file has more than %(max)d rows: split it into "
                                        "smaller files.") % {"max": MAX_ROWS})
            row = _pair(cells, reader.line_num, columns)
            (pairs if isinstance(row, Pair) else errors).append(row)
    except csv.Error as error:
        raise ValidationError(_("This file could not be read as CSV.")) from error
    if errors:
        more = len(errors) - MAX_ERRORS_SHOWN
        tail = [_("… and %(count)d more.") % {"count": more}] if more > 0 else []
        raise ValidationError(errors[:MAX_ERRORS_SHOWN] + tail)
    if not pairs:
        raise ValidationError(_("The file has no rows to check."))
    return pairs


# --- Checking and reporting ----------------------------------------------------------------
def check_pairs(*, pairs: list[Pair], searcher: Searcher) -> list[Checked]:
    """Each pair as `lookup.verify` checks one: a typo costs no lookup; once the guessing
    limit is reached, the rest are not checked (and count nothing)."""
    outcomes = lookup.verify_many([(pair.number, pair.date_of_birth) for pair in pairs],
                                  searcher=searcher)
    return [Checked(pair, _outcome(looked), looked if isinstance(looked, Result) else None)
            for pair, looked in zip(pairs, outcomes, strict=True)]


def _outcome(looked: lookup.LookupOutcome) -> str:
    if isinstance(looked, LookupRefused):
        return Outcome.TYPO if looked.code == "typo" else Outcome.NOT_CHECKED
    return Outcome.NO_MATCH if looked is None else Outcome.MATCH


def _headers() -> list[str]:
    return [_("Statement of Results number"), _("Date of birth"), _("Outcome"), _("Exam"),
            _("Last name"), _("First name"), _("Overall score"), _("CEFR level")]


def _cells(row: Checked) -> list[Any]:
    """The report's cells after the date: outcome, then the result's facts on a match."""
    cells: list[Any] = [str(Outcome(row.outcome).label)]
    if row.result is not None:
        entry = row.result.entry
        cells += [entry.session.exam.name, entry.candidate.last_name,
                  entry.candidate.first_name, row.result.overall_score, row.result.cefr_level]
    return cells


def write_report(rows: list[Checked]) -> bytes:
    """The xlsx report, one row per input row, in the file's order."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False})
    sheet = workbook.add_worksheet(_("Verification")[:31])
    bold = workbook.add_format({"bold": True})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for column, header in enumerate(_headers()):
        sheet.write_string(0, column, safe_cell(header), bold)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 5, 24)
    for index, row in enumerate(rows, start=1):
        sheet.write_string(index, 0, safe_cell(row.pair.number))
        sheet.write_datetime(index, 1, datetime.combine(row.pair.date_of_birth, time()), day)
        for column, value in enumerate(_cells(row), start=2):
            if isinstance(value, str):
                sheet.write_string(index, column, safe_cell(value))
            elif value is not None:
                sheet.write_number(index, column, value)
    workbook.close()
    return output.getvalue()


def bulk_verification_report(*, content: bytes, searcher: Searcher) -> tuple[bytes, dict]:
    """Read the CSV, check every pair, and return the xlsx report with the count of each
    outcome. Raises ValidationError (nothing looked up) when the file cannot be used."""
    pairs = read_pairs(content)
    rows = check_pairs(pairs=pairs, searcher=searcher)
    counts = {outcome: 0 for outcome in Outcome.values}
    for row in rows:
        counts[row.outcome] += 1
    # Each lookup is audited by `verify`; this row says a bulk run happened (counts only).
    record_event(actor=searcher.user, action="verification.bulk_verification",
                 target=searcher.organisation,
                 data={"channel": searcher.channel, "rows": len(rows), **counts})
    return write_report(rows), counts


# --- Opening one result --------------------------------------------------------------------
def result_opened(*, result: Result, share: Share | None, searcher: Searcher) -> None:
    """The organisation opened the result page: the share counts as opened (no longer
    bold) and the view is audited and shown in the candidate's access log."""
    with transaction.atomic():
        if share is not None:
            sharing.share_opened(share=share)
        lookup.record_access(result=result, searcher=searcher, kind=AccessEvent.Kind.VIEW,
                             action="verification.view_result")


def result_document(*, result: Result, searcher: Searcher, language: str) -> tuple[bytes, str]:
    """The organisation's copy of the result's document (Statement of Results, or the
    attestation of an adaptive exam), with the photo when allowed and the stamp; the
    download is audited and logged for the candidate. Raises DocumentUnavailable."""
    kinds = documents.available_documents(result)
    if not kinds:
        raise documents.DocumentUnavailable("none")
    pdf = documents.render_result_document(result, kinds[0], language=language,
                                           organisation=searcher.organisation)
    with transaction.atomic():
        lookup.record_access(result=result, searcher=searcher,
                             kind=AccessEvent.Kind.DOWNLOAD,
                             action="verification.download_result")
    return pdf, documents.document_filename(result, kinds[0], language)


def result_photo(*, result: Result, searcher: Searcher,
                 request: HttpRequest | None = None) -> bytes | None:
    """The test-day photo for the organisation (exam that shows photos, consent holds),
    audited; None when there is none to show."""
    photo = photo_for_verifier(result)
    if photo is not None:
        record_event(actor=searcher.user, action="verification.view_photo", target=result,
                     request=request, data={"organisation": searcher.organisation.pk,
                                            "channel": searcher.channel})
    return photo
