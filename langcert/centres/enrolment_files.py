"""Reading enrolment files (CSV or XLSX) into rows of named values.

Column headers may be written in English or French, in any order and case. A file that
cannot be read at all raises `EnrolmentFileError`; checking the rows is the services' job.
"""

import csv
import io
import itertools
from datetime import date, datetime

from django.utils.translation import gettext as _
from openpyxl import load_workbook

MAX_ROWS = 5000

COLUMNS = [
    "first_name", "last_name", "date_of_birth", "gender", "email", "id_document_number",
    "time_zone", "language", "job", "target_level", "photo_consent", "photo_exemption",
]
REQUIRED_COLUMNS = COLUMNS[:6]

HEADER_ALIASES = {
    "first name": "first_name", "prénom": "first_name", "prenom": "first_name",
    "last name": "last_name", "family name": "last_name", "nom": "last_name",
    "date of birth": "date_of_birth", "date de naissance": "date_of_birth",
    "gender": "gender", "genre": "gender", "sexe": "gender",
    "email": "email", "email address": "email", "e-mail": "email", "courriel": "email",
    "adresse e-mail": "email",
    "id document number": "id_document_number", "passport number": "id_document_number",
    "numéro de pièce d'identité": "id_document_number",
    "time zone": "time_zone", "fuseau horaire": "time_zone",
    "language": "language", "langue": "language",
    "job": "job", "métier": "job", "metier": "job",
    "target level": "target_level", "niveau cible": "target_level",
    "photo consent": "photo_consent", "consentement photo": "photo_consent",
    "photo exemption": "photo_exemption", "exemption photo": "photo_exemption",
}


class EnrolmentFileError(ValueError):
    """The file as a whole cannot be used; the message says why, in the user's language."""


def header_key(header: object) -> str:
    text = " ".join(str(header or "").replace("_", " ").replace("’", "'").split()).lower()
    return HEADER_ALIASES.get(text, text.replace(" ", "_"))


def cell_text(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def read_enrolment_file(name: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number in the file, row keyed by canonical column names) for every row."""
    if name.lower().endswith(".xlsx"):
        table = _xlsx_table(content)
    elif name.lower().endswith(".csv"):
        table = _csv_table(content)
    else:
        raise EnrolmentFileError(_("Upload a .csv or .xlsx file."))
    # Blank lines are skipped but keep their place, so errors name the line people see.
    table = [(line, row) for line, row in enumerate(table, start=1)
             if any(cell_text(cell) for cell in row)]
    if not table:
        raise EnrolmentFileError(_("The file is empty."))
    headers = [header_key(h) for h in table[0][1]]
    unknown = [h for h in headers if h and h not in COLUMNS]
    if unknown:
        raise EnrolmentFileError(_("Unknown column: %(column)s.") % {"column": unknown[0]})
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        raise EnrolmentFileError(_("Missing column: %(column)s.") % {"column": missing[0]})
    rows = table[1:]
    if not rows:
        raise EnrolmentFileError(_("The file has a header but no candidates."))
    if len(rows) > MAX_ROWS:
        raise EnrolmentFileError(
            _("At most %(count)d candidates per file.") % {"count": MAX_ROWS}
        )
    return [
        (line, {h: cell_text(v) for h, v in zip(headers, row, strict=False) if h})
        for line, row in rows
    ]


def _csv_table(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise EnrolmentFileError(
            _("The file is not in UTF-8. Save it as “CSV UTF-8” and upload it again.")
        ) from error
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else "", delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        return list(itertools.islice(csv.reader(io.StringIO(text), delimiter=delimiter),
                                     MAX_ROWS + 2))
    except csv.Error as error:
        raise EnrolmentFileError(_("This file cannot be read as CSV.")) from error


def _xlsx_table(content: bytes) -> list[list[object]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise EnrolmentFileError(_("This is not a readable Excel .xlsx file.")) from error
    try:
        sheet = workbook.worksheets[0]
        # Read no further than the row limit: a small file can hold a huge sheet.
        rows = itertools.islice(sheet.iter_rows(values_only=True), MAX_ROWS + 2)
        return [list(row) for row in rows]
    finally:
        workbook.close()
