"""Bulk verification in the browser: a CSV of numbers and dates of birth in, an xlsx report
out (read back with openpyxl), the same limits as one search, no formula injection, and a
clear message (nothing checked) for a file that cannot be used."""

import io
from datetime import date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from langcert.core import identifiers
from langcert.core.models import AuditEvent
from langcert.verification import lookup, searching
from langcert.verification.models import AccessEvent
from tests.verification.test_search import typo_of
from tests.verification.test_shared_results import (  # noqa: F401 (shared fixtures)
    advanced_result,
    entry_factory,
    org_client,
    organisation,
    release,
)

pytestmark = pytest.mark.django_db

BULK = reverse("verification:bulk_verification")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, text, encoding="utf-8", name="numbers.csv"):
    content = text.encode(encoding) if isinstance(text, str) else text
    return client.post(BULK, {"file": SimpleUploadedFile(name, content, "text/csv")})


def report_rows(response):
    assert response.status_code == 200, response.content[:2000]
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="verification-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def lookups():
    return AuditEvent.objects.filter(action__startswith="verification.lookup").count()


def test_page_explains_the_file(org_client):
    page = org_client.get(BULK).content.decode()
    assert 'enctype="multipart/form-data"' in page and "statement_number" in page


def test_match_miss_and_typo_are_reported_row_by_row(org_client, advanced_result):
    number = advanced_result.statement_number_display
    miss = identifiers.new_statement_number()
    typo = typo_of(advanced_result.statement_number)
    rows = report_rows(upload(org_client, "statement_number,date_of_birth\n"
                                          f"{number},1990-12-10\n"
                                          f"{miss},10/12/1990\n"
                                          "\n"
                                          f"{typo},1990-12-10\n"))
    assert rows[0] == ["Statement of Results number", "Date of birth", "Outcome", "Exam",
                       "Last name", "First name", "Overall score", "CEFR level"]
    candidate = advanced_result.entry.candidate
    assert rows[1] == [number, datetime(1990, 12, 10), "Match", "C1 Advanced",
                       candidate.last_name, candidate.first_name, 196, "C1"]
    assert rows[2] == [miss, datetime(1990, 12, 10), "No match", None, None, None, None, None]
    assert rows[3][:3] == [typo, datetime(1990, 12, 10),
                           "Typing mistake in the number: not checked"]
    assert len(rows) == 4
    # Through lookup.verify: the match in the candidate's access log, the miss audited,
    # the typo neither; and one audit row for the run, with counts only.
    assert AccessEvent.objects.get().result == advanced_result
    assert AuditEvent.objects.filter(action="verification.lookup_miss",
                                     data__channel="bulk_web").count() == 1
    run = AuditEvent.objects.get(action="verification.bulk_verification")
    assert run.data["rows"] == 3 and run.data["match"] == 1 and run.data["typo"] == 1


def test_french_headers_semicolons_and_a_bom(org_client, advanced_result):
    text = ("\ufeffNuméro relevé;Date de naissance\r\n"
            f"{advanced_result.statement_number};10/12/1990\r\n")
    rows = report_rows(upload(org_client, text))
    assert rows[1][2] == "Match"


def test_the_report_is_in_the_users_language(org_client, advanced_result):
    org_client.cookies["django_language"] = "fr"
    text = f"statement_number,date_of_birth\n{advanced_result.statement_number},1990-12-10\n"
    rows = report_rows(upload(org_client, text))
    assert rows[0][1] == "Date de naissance" and rows[0][3] == "Examen"


def test_rows_after_the_limit_are_not_checked(org_client, advanced_result, monkeypatch):
    monkeypatch.setattr(lookup, "MISSES_PER_USER", 2)
    lines = [identifiers.new_statement_number() + ",1990-12-10" for _ in range(2)]
    lines += [f"{advanced_result.statement_number},1990-12-10",
              identifiers.new_statement_number() + ",1990-12-10"]
    rows = report_rows(upload(org_client, "statement_number,date_of_birth\n"
                                          + "\n".join(lines)))
    assert [row[2] for row in rows[1:]] == ["No match", "No match",
                                            "Not checked: limit reached",
                                            "Not checked: limit reached"]
    assert not AccessEvent.objects.exists()


# --- Formula injection ---------------------------------------------------------------------
@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cell_neutralises_formulas(text):
    assert searching.safe_cell(text) == "'" + text


def test_safe_cell_leaves_other_values_alone():
    assert searching.safe_cell("Ada") == "Ada"
    assert searching.safe_cell(-3) == -3
    assert searching.safe_cell(None) is None


def test_no_formula_reaches_the_report(org_client, release, advanced_session):
    evil = release(advanced_session, last_name="=HYPERLINK(\"http://x\")", first_name="@Ada")
    text = ("statement_number,date_of_birth\n"
            '"=HYPERLINK(""http://evil.example"",""x"")",1990-12-10\n'
            f"{evil.statement_number},1990-12-10\n")
    response = upload(org_client, text)
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    values = [cell.value for cell in cells]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in values
    assert "'=HYPERLINK(\"http://x\")" in values and "'@Ada" in values


# --- Files that cannot be used: a message, nothing checked ---------------------------------
@pytest.mark.parametrize(("content", "message"), [
    ("numéro;naissance\nX;1990-12-10\n".encode("cp1252"), "CSV UTF-8"),
    (b"PK\x03\x04\x00\x00binary", "CSV UTF-8"),
    ("ABCD-EFGH-JK,1990-12-10\n", "The first line must name the columns"),
    ("", "The file is empty"),
    ("statement_number,date_of_birth\n\n", "The file has no rows to check."),
])
def test_a_bad_file_gets_a_message_and_nothing_is_checked(org_client, content, message):
    response = upload(org_client, content or b" ")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Nothing was checked" in response.content.decode()
    assert lookups() == 0


def test_too_many_rows(org_client, advanced_result):
    number = advanced_result.statement_number
    text = "statement_number,date_of_birth\n" + f"{number},1990-12-10\n" * 2001
    response = upload(org_client, text)
    assert response.status_code == 400
    assert "more than 2000 rows" in response.content.decode()
    assert lookups() == 0 and not AccessEvent.objects.exists()
    # 2,000 rows are fine.
    ok = upload(org_client, "statement_number,date_of_birth\n" + f"{number},1990-12-10\n" * 2000)
    assert ok.status_code == 200


def test_unreadable_dates_are_listed_by_line_and_nothing_is_checked(org_client,
                                                                    advanced_result):
    number = advanced_result.statement_number
    text = ("statement_number,date_of_birth\n"
            f"{number},1990-12-10\n"
            f"{number},12/31/1990\n"
            ",1990-12-10\n")
    body = upload(org_client, text).content.decode()
    assert "Line 3: the date of birth is missing or not valid" in body
    assert "Line 4: the Statement of Results number is missing." in body
    assert lookups() == 0


def test_dates_are_read_in_both_formats():
    assert searching.parse_birth_date("1990-12-10") == date(1990, 12, 10)
    assert searching.parse_birth_date("10/12/1990") == date(1990, 12, 10)
    assert searching.parse_birth_date("1990/12/10") is None
    assert searching.parse_birth_date("10/12/2999") is None
