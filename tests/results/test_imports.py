"""Imported marks of the Cambridge exams and DELTA: real CSV and XLSX files, checked row by
row, applied all together or not at all, and the board page that takes them."""

import io
import zoneinfo
from datetime import timedelta

import pytest
import xlsxwriter
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from langcert.catalog.models import Exam
from langcert.core.models import AuditEvent
from langcert.core.roles import Role
from langcert.results.imports import results_import
from langcert.results.models import Result, ResultImport

pytestmark = pytest.mark.django_db

HEADER = ["ID Number", "Reading", "Use of English", "Writing", "Listening", "Speaking"]
WORKED_EXAMPLE = ["191", "196", "210", "191", "193"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def csv_bytes(*rows, header=HEADER, encoding="utf-8"):
    lines = [",".join(header), *(",".join(str(v) for v in row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(*rows, header=HEADER):
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Marks")
    for number, row in enumerate([header, *rows]):
        sheet.write_row(number, 0, row)
    workbook.close()
    return buffer.getvalue()


@pytest.fixture
def enter(entry_factory):
    """entry_factory with a different ID document for each person."""
    counter = iter(range(1, 10_000))
    return lambda session, **fields: entry_factory(
        session, id_document_number=f"DOC{next(counter)}", **fields)


def run(actor, exam, content, name="marks.csv"):
    return results_import(actor=actor, exam=exam, file_name=name, content=content)


@pytest.fixture
def advanced(advanced_session):
    return advanced_session.exam


@pytest.fixture
def three(enter, advanced_session):
    return [enter(advanced_session) for _ in range(3)]


def nothing_written():
    return (not Result.objects.exists() and not ResultImport.objects.exists()
            and not AuditEvent.objects.filter(action="results.import").exists())


# --- Good files ----------------------------------------------------------------------


def test_a_good_csv_computes_every_result_and_approves_it(
    board_user, advanced, advanced_session, three
):
    worked, below, absent = three
    report = run(board_user, advanced, csv_bytes(
        [worked.id_number, *WORKED_EXAMPLE],
        [below.id_number, 150, 150, 150, 150, 150],
        [f" {absent.id_number_display.lower()} ", 191, "absent", 210, 191, 193],
    ))
    assert report.ok and not report.repeated
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)

    result = Result.objects.get(entry=worked)
    assert (result.overall_score, result.grade, result.outcome, result.cefr_level) == (
        196, "B", "grade_b", "C1")
    assert result.certificate is True
    assert result.skills[1] == {"skill": "use_of_english", "score": 196, "cefr": "C1"}
    assert result.skills[2] == {"skill": "writing", "score": 210, "cefr": "C2"}
    assert result.source == Result.Source.IMPORT
    assert result.status == Result.Status.APPROVED
    assert result.reviewed_by == board_user and result.reviewed_at is not None
    assert result.earliest_release_at == advanced_session.results_release_at
    assert result.release_at == advanced_session.results_release_at  # planned date is later
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    assert result.exam_date == advanced_session.opens_at.astimezone(paris).date()
    assert result.import_batch == report.batch

    below_band = Result.objects.get(entry=below)
    assert (below_band.overall_score, below_band.grade, below_band.cefr_level,
            below_band.outcome, below_band.certificate) == (150, "", "", "no_award", False)
    missing = Result.objects.get(entry=absent)
    assert (missing.overall_score, missing.grade, missing.cefr_level, missing.outcome,
            missing.certificate) == (None, "", "", "absent", False)
    assert missing.skills[1] == {"skill": "use_of_english", "score": None, "cefr": None}

    batch = ResultImport.objects.get()
    assert (batch.rows, batch.created, batch.updated, batch.unchanged) == (3, 3, 0, 0)
    assert batch.uploaded_by == board_user and len(batch.sha256) == 64
    [event] = AuditEvent.objects.filter(action="results.import")
    assert event.target_id == str(batch.pk) and event.actor == board_user
    assert event.data == {"exam": "c1-advanced", "rows": 3, "created": 3, "updated": 0,
                          "unchanged": 0}


def test_a_good_xlsx_with_french_headers_and_words(board_user, advanced, three):
    worked, _, absent = three
    header = ["Numéro d'identification", "Compréhension écrite", "USE_OF_ENGLISH",
              "Expression écrite", "compréhension orale", "Expression Orale"]
    content = xlsx_bytes(
        [worked.id_number_display.lower(), 191, 196, 210, 191, 193],
        [absent.id_number, 191, 196, "ABS", 191, "Absent"],
        header=header,
    )
    report = run(board_user, advanced, content, name="NOTES.XLSX")
    assert report.ok, report.errors
    assert report.created == 2
    result = Result.objects.get(entry=worked)
    assert (result.overall_score, result.grade, result.cefr_level) == (196, "B", "C1")
    assert Result.objects.get(entry=absent).outcome == "absent"


def test_an_openpyxl_workbook_with_blank_lines_and_number_cells(board_user, advanced, three):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([])
    sheet.append([three[0].id_number, 191.0, 196, 210, 191, 193])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(board_user, advanced, buffer.getvalue(), name="marks.xlsx")
    assert report.ok and report.created == 1
    assert Result.objects.get(entry=three[0]).overall_score == 196


def test_delta_reports_pass_words_and_no_cefr_level(
    board_user, enter, session_factory, centre
):
    session = session_factory(centre, "delta-module-one")
    entries = [enter(session) for _ in range(4)]
    content = csv_bytes(*[[e.id_number, mark] for e, mark in zip(entries, (85, 70, 50, 49),
                                                                     strict=True)],
                        header=["ID Number", "Written examination"])
    report = run(board_user, session.exam, content)
    assert report.ok and report.created == 4
    got = [Result.objects.get(entry=e) for e in entries]
    assert [(r.overall_score, r.outcome, r.certificate) for r in got] == [
        (85, "pass_distinction", True), (70, "pass_merit", True), (50, "pass", True),
        (49, "fail", False)]
    assert {r.cefr_level for r in got} == {""} and {r.grade for r in got} == {""}
    assert got[0].skills == [{"skill": "written_exam", "score": 85, "cefr": None}]


def test_release_is_never_in_the_past(board_user, enter, session_factory, centre):
    planned = timezone.now() - timedelta(days=1)
    session = session_factory(centre, "c1-advanced", release=planned)
    entry = enter(session)
    before = timezone.now()
    assert run(board_user, session.exam, csv_bytes([entry.id_number, *WORKED_EXAMPLE])).ok
    result = Result.objects.get()
    assert result.earliest_release_at == planned
    assert result.release_at >= before


# --- Mistakes: each is reported by row and column, and nothing is written --------------


@pytest.mark.parametrize(("cells", "column", "words"), [
    (["191", "196", "210", "191", "19x"], "Speaking", "“19x” is not a whole number"),
    (["191", "196", "210", "191.5", "193"], "Listening", "not a whole number"),
    (["141", "196", "210", "191", "193"], "Reading", "outside the scores reported for this "
                                                     "exam (142–210)"),
    (["191", "196", "211", "191", "193"], "Writing", "211 is outside"),
    (["191", "", "210", "191", "193"], "Use of English", "Missing score"),
    (["9" * 5000, "196", "210", "191", "193"], "Reading", "99999999999999999999"),
])
def test_a_bad_cell_is_reported_with_its_row_and_column(
    board_user, advanced, three, cells, column, words
):
    good = [three[0].id_number, *WORKED_EXAMPLE]
    report = run(board_user, advanced, csv_bytes(good, [three[1].id_number, *cells]))
    assert not report.ok
    [error] = report.errors
    assert (error.row, error.column) == (3, column)
    assert words in error.message
    assert nothing_written()


def test_an_unknown_entry_is_reported(board_user, advanced, three, enter,
                                      session_factory, centre):
    first = enter(session_factory(centre, "b2-first"))  # another exam's entry
    report = run(board_user, advanced, csv_bytes(
        [three[0].id_number, *WORKED_EXAMPLE],
        ["ZZZZ2345", *WORKED_EXAMPLE],
        [first.id_number, *WORKED_EXAMPLE],
    ))
    assert [(e.row, e.column) for e in report.errors] == [(3, "ID Number"), (4, "ID Number")]
    assert "No entry with this ID Number in a session of C1 Advanced" in report.errors[0].message
    assert nothing_written()


def test_a_missing_skill_column_and_an_unknown_column_are_reported(board_user, advanced, three):
    header = ["ID Number", "Reading", "Writing", "Listening", "Speaking", "Name"]
    report = run(board_user, advanced, csv_bytes(
        [three[0].id_number, 191, 210, 191, 193, "Ada"], header=header))
    assert [(e.row, e.column) for e in report.errors] == [(1, "Name"), (1, "Use of English")]
    assert "Unknown column" in report.errors[0].message
    assert "Use of English" in report.errors[0].message  # the expected columns are listed
    assert report.errors[1].message == "Missing column."
    assert nothing_written()


def test_the_same_id_number_twice_is_reported(board_user, advanced, three):
    report = run(board_user, advanced, csv_bytes(
        [three[0].id_number, *WORKED_EXAMPLE],
        [three[1].id_number, *WORKED_EXAMPLE],
        [three[0].id_number_display, *WORKED_EXAMPLE],
    ))
    [error] = report.errors
    assert (error.row, error.column, error.message) == (4, "ID Number", "Same ID Number as row 2.")
    assert nothing_written()


def test_a_missing_id_number_is_reported(board_user, advanced, three):
    report = run(board_user, advanced, csv_bytes(["", *WORKED_EXAMPLE]))
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "ID Number", "Missing ID Number.")]


def _damaged_xlsx():
    return xlsx_bytes(["X", 1, 2, 3, 4, 5])[:300]


@pytest.mark.parametrize(("name", "content", "words"), [
    ("marks.csv", "ID Number,Reading\r\nABCD2345,191\r\n".encode("utf-16"), "not in UTF-8"),
    ("marks.csv", bytes(range(256)) * 4, "not in UTF-8"),
    ("marks.xlsx", _damaged_xlsx(), "not a readable Excel"),
    ("marks.xlsx", b"PK\x03\x04 not really", "not a readable Excel"),
    ("marks.csv", b"", "The file is empty."),
    ("marks.csv", b"\r\n,,,\r\n", "The file is empty."),
    ("marks.csv", csv_bytes(), "header but no rows"),
    ("marks.pdf", b"%PDF-1.7", "Upload a .csv or .xlsx file."),
])
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(board_user, advanced, name, content,
                                                          words):
    report = run(board_user, advanced, content, name=name)
    [error] = report.errors
    assert error.row is None and words in error.message
    assert nothing_written()


def test_one_bad_row_among_good_ones_writes_nothing(board_user, advanced, three):
    report = run(board_user, advanced, csv_bytes(
        [three[0].id_number, *WORKED_EXAMPLE],
        [three[1].id_number, *WORKED_EXAMPLE],
        [three[2].id_number, 500, 196, 210, 191, 193],
    ))
    assert len(report.errors) == 1 and report.errors[0].row == 4
    assert nothing_written()


# --- Repeats, updates, released results ----------------------------------------------


def test_the_same_file_again_changes_nothing_and_says_so(board_user, advanced, three):
    content = csv_bytes(*[[e.id_number, *WORKED_EXAMPLE] for e in three])
    first = run(board_user, advanced, content)
    before = list(Result.objects.order_by("pk").values())
    again = run(board_user, advanced, content, name="copy-of-marks.csv")
    assert again.ok and again.repeated
    assert again.batch == first.batch and again.unchanged == 3
    assert (again.created, again.updated) == (0, 0)
    assert list(Result.objects.order_by("pk").values()) == before  # computed_at included
    assert ResultImport.objects.count() == 1
    assert AuditEvent.objects.filter(action__startswith="results.import").count() == 1


def test_the_same_file_for_another_exam_is_not_a_repeat(board_user, advanced, three):
    content = csv_bytes([three[0].id_number, *WORKED_EXAMPLE])
    assert run(board_user, advanced, content).ok
    proficiency = Exam.objects.get(code="c2-proficiency")
    report = run(board_user, proficiency, content)
    assert not report.repeated and not report.ok  # the entry is not in a C2 session


def test_a_new_file_updates_changed_rows_and_keeps_the_others(board_user, advanced, three):
    run(board_user, advanced, csv_bytes(*[[e.id_number, *WORKED_EXAMPLE] for e in three]))
    kept = Result.objects.get(entry=three[0])
    report = run(board_user, advanced, csv_bytes(
        [three[0].id_number, *WORKED_EXAMPLE],
        [three[1].id_number, 205, 205, 210, 205, 205],
    ))
    assert report.ok and (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Result.objects.get(entry=three[0]).computed_at == kept.computed_at
    changed = Result.objects.get(entry=three[1])
    assert (changed.overall_score, changed.grade, changed.cefr_level) == (206, "A", "C2")
    assert changed.import_batch == report.batch
    assert Result.objects.get(entry=three[0]).import_batch != report.batch
    assert Result.objects.count() == 3
    latest = AuditEvent.objects.filter(action="results.import").latest("pk")
    assert latest.data["updated"] == 1 and latest.data["unchanged"] == 1


def test_a_released_result_must_be_withdrawn_first(board_user, advanced_result, enter,
                                                   advanced_session):
    other = enter(advanced_session)
    before = list(Result.objects.order_by("pk").values())
    report = run(board_user, advanced_result.entry.session.exam, csv_bytes(
        [other.id_number, *WORKED_EXAMPLE],
        [advanced_result.entry.id_number, 200, 200, 200, 200, 200],
    ))
    [error] = report.errors
    assert (error.row, error.column) == (3, "ID Number")
    assert "already released: withdraw it first" in error.message
    assert list(Result.objects.order_by("pk").values()) == before
    assert not ResultImport.objects.exists()


def test_a_result_withdrawn_for_an_error_takes_corrected_marks(board_user, advanced_result):
    Result.objects.filter(pk=advanced_result.pk).update(
        status=Result.Status.WITHDRAWN, withdrawn_at=timezone.now(),
        withdrawal_reason=Result.WithdrawalReason.ERROR)
    entry = advanced_result.entry
    report = run(board_user, entry.session.exam,
                 csv_bytes([entry.id_number, 200, 200, 200, 200, 200]))
    assert report.ok and report.updated == 1
    result = Result.objects.get()
    assert (result.status, result.overall_score, result.withdrawn_at) == (
        Result.Status.APPROVED, 200, None)
    assert result.statement_number == advanced_result.statement_number


def test_only_board_staff_import_and_never_for_the_adaptive_exam(
    board_user, centre_user, advanced, three
):
    content = csv_bytes([three[0].id_number, *WORKED_EXAMPLE])
    with pytest.raises(PermissionDenied):
        run(centre_user, advanced, content)
    report = run(board_user, Exam.objects.get(code="adaptive-en"), content)
    assert not report.ok and "cannot be imported" in report.errors[0].message
    assert nothing_written()


# --- The board page --------------------------------------------------------------------


def page(client):
    return client.get(reverse("results:import"))


def post(client, exam_code, name, content):
    return client.post(reverse("results:import"), {
        "exam": exam_code, "file": SimpleUploadedFile(name, content)})


@pytest.fixture
def board_client(client, board_user):
    client.force_login(board_user)
    client.cookies["django_language"] = "en"
    return client


def test_board_page_offers_the_exams_a_form_with_csrf_and_templates(board_client):
    response = page(board_client)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html and 'enctype="multipart/form-data"' in html
    assert '<option value="c1-advanced">' in html and '<option value="delta-module-one">' in html
    assert "adaptive-en" not in html
    assert "?template=c1-advanced" in html


def test_the_template_of_an_exam_has_its_columns(board_client):
    response = board_client.get(reverse("results:import"), {"template": "c1-advanced"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").strip() == ",".join(HEADER)
    assert board_client.get(reverse("results:import"),
                            {"template": "adaptive-en"}).status_code == 404


def test_the_template_read_back_imports(board_client, board_user, three):
    body = board_client.get(reverse("results:import"), {"template": "c1-advanced"}).content
    content = body + ",".join([three[0].id_number, *WORKED_EXAMPLE]).encode() + b"\r\n"
    response = post(board_client, "c1-advanced", "filled.csv", content)
    assert response.status_code == 200
    assert Result.objects.get().overall_score == 196


def test_board_uploads_a_file_and_sees_the_counts_then_the_repeat(board_client, three):
    content = csv_bytes(*[[e.id_number, *WORKED_EXAMPLE] for e in three])
    response = post(board_client, "c1-advanced", "marks.csv", content)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="created">3<' in html and "Marks imported from marks.csv" in html
    again = post(board_client, "c1-advanced", "marks.csv", content)
    assert again.status_code == 200
    assert "already imported" in again.content.decode()
    assert Result.objects.count() == 3 and ResultImport.objects.count() == 1


def test_board_sees_every_mistake_in_a_table_and_nothing_changes(board_client, three):
    response = post(board_client, "c1-advanced", "marks.csv", csv_bytes(
        [three[0].id_number, 100, 196, 210, 191, 193], ["NOPE2345", *WORKED_EXAMPLE]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "2 mistakes. Nothing was imported." in html
    assert "100 is outside" in html and "No entry with this ID Number" in html
    assert not Result.objects.exists()


def test_a_bad_file_gets_a_clear_message(board_client):
    response = post(board_client, "c1-advanced", "marks.xlsx", b"not a workbook")
    assert response.status_code == 400
    assert "not a readable Excel .xlsx file" in response.content.decode()
    response = board_client.post(reverse("results:import"), {"exam": "c1-advanced"})
    assert response.status_code == 400


def test_other_people_cannot_import(client, centre_user, make_user, three):
    content = csv_bytes([three[0].id_number, *WORKED_EXAMPLE])
    assert page(client).status_code == 302  # to the login page
    for user in (centre_user, make_user(Role.ORGANISATION), make_user(Role.CANDIDATE)):
        client.force_login(user)
        assert page(client).status_code == 403
        assert post(client, "c1-advanced", "marks.csv", content).status_code == 403
    assert not Result.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(board_user, three):
    client = Client(enforce_csrf_checks=True)
    client.force_login(board_user)
    content = csv_bytes([three[0].id_number, *WORKED_EXAMPLE])
    response = post(client, "c1-advanced", "marks.csv", content)
    assert response.status_code == 403 and b"CSRF" in response.content
    assert not Result.objects.exists()


def test_an_xlsx_through_the_page_is_read_back(board_client, three):
    content = xlsx_bytes([three[0].id_number, 191, 196, 210, 191, 193])
    response = post(board_client, "c1-advanced", "marks.xlsx", content)
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(content)).active["A2"].value == three[0].id_number
    assert Result.objects.get().grade == "B"
