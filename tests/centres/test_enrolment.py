"""Enrolment by form and by file, duplicates, permissions and new Secret Numbers."""

import io
from datetime import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from langcert.catalog.models import JobRole
from langcert.centres.models import Candidate, Entry
from langcert.centres.selectors import secret_matches
from langcert.centres.services import entries_import, entry_enrol, entry_reissue_secret
from langcert.core.models import OutboundEmail
from tests.conftest import PASSWORD, person
from tests.helpers import id_and_secret

pytestmark = pytest.mark.django_db

HEADER = ("first_name,last_name,date_of_birth,gender,email,id_document_number,target_level,"
          "photo_consent")
GOOD_ROWS = [
    "Jean,Dupont,1990-02-03,M,jean@example.org,X1,B1,yes",
    "Marie,Curie,07/11/1987,F,marie@example.org,X2,C1,non",
    "Alan,Turing,1992-06-23,male,alan@example.org,X3,B2,oui",
]


def csv_file(*rows, header=HEADER):
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def post_form(client, session, **overrides):
    data = {
        "first_name": "Grace", "last_name": "Hopper", "date_of_birth": "1986-12-09",
        "gender": "F", "email": "grace@example.org", "id_document_number": "gh 42",
        "target_level": "B2", "photo_consent": "on", "time_zone": "America/New_York",
        "language": "en",
    }
    data.update(overrides)
    return client.post(reverse("centres:enrol", args=[session.public_id]), data)


def test_centre_staff_enrol_by_form_and_see_the_entry(
    client, centre_user, adaptive_session, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(centre_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_form(client, adaptive_session)
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.candidate.time_zone == "America/New_York"
    assert entry.candidate.id_document_number == "GH42"
    assert (entry.target_level, entry.photo_consent) == ("B2", True)
    page = client.get(reverse("centres:session", args=[adaptive_session.public_id]))
    assert "Grace HOPPER" in page.content.decode()
    assert entry.id_number_display in page.content.decode()
    [mail] = mailoutbox
    assert mail.to == ["grace@example.org"]
    assert mail.attachments[0][0] == f"confirmation-{entry.id_number}.pdf"


def test_form_errors_are_shown_beside_fields_and_nothing_is_written(
    client, centre_user, adaptive_session
):
    client.force_login(centre_user)
    response = post_form(client, adaptive_session, email="not-an-email", date_of_birth="31/02/1990")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email-error"' in html and 'id="id_date_of_birth-error"' in html
    assert not Entry.objects.exists() and not Candidate.objects.exists()


def test_target_level_is_suggested_from_the_job_grid(centre_user, adaptive_session):
    accountant = JobRole.objects.get(name_en="Accountant")
    director = JobRole.objects.get(name_en="Sales director")
    a = entry_enrol(actor=centre_user, session=adaptive_session,
                    data=person(job=accountant, target_level=""))
    b = entry_enrol(actor=centre_user, session=adaptive_session,
                    data=person(first_name="Bo", id_document_number="Z9", job=director,
                                target_level=""))
    assert (a.target_level, b.target_level) == ("B1", "C1")
    with pytest.raises(ValidationError):
        entry_enrol(actor=centre_user, session=adaptive_session,
                    data=person(first_name="Cy", id_document_number="Z8", target_level=""))


def test_the_same_person_twice_in_a_session_is_refused(client, centre_user, adaptive_session):
    entry_enrol(actor=centre_user, session=adaptive_session, data=person())
    with pytest.raises(ValidationError):
        entry_enrol(actor=centre_user, session=adaptive_session,
                    data=person(first_name="ADA", email="other@example.org",
                                id_document_number="OTHER"))
    with pytest.raises(ValidationError):  # same ID document, other name
        entry_enrol(actor=centre_user, session=adaptive_session,
                    data=person(first_name="Someone"))
    assert Entry.objects.count() == 1


def test_a_person_enrolled_again_in_another_session_is_one_candidate(
    centre_user, adaptive_session, advanced_session
):
    first = entry_enrol(actor=centre_user, session=adaptive_session, data=person())
    second = entry_enrol(actor=centre_user, session=advanced_session, data=person())
    assert first.candidate_id == second.candidate_id
    assert first.id_number != second.id_number
    assert second.target_level == ""  # target levels belong to the adaptive certification


def test_centre_staff_see_and_touch_only_their_centres(
    client, centre_user, other_centre_user, adaptive_session, other_session
):
    entry = entry_enrol(actor=centre_user, session=adaptive_session, data=person())
    client.force_login(other_centre_user)
    assert client.get(reverse("centres:session", args=[adaptive_session.public_id])).status_code \
        == 404
    assert client.get(reverse("centres:entry", args=[entry.public_id])).status_code == 404
    assert post_form(client, adaptive_session).status_code == 404
    assert client.post(reverse("centres:reissue_secret", args=[entry.public_id])).status_code \
        == 404
    listing = client.get(reverse("centres:home")).content.decode()
    assert other_session.code in listing and adaptive_session.code not in listing
    with pytest.raises(PermissionDenied):
        entry_enrol(actor=other_centre_user, session=adaptive_session,
                    data=person(first_name="Eve", id_document_number="E1"))
    assert Entry.objects.count() == 1


def test_people_of_other_roles_cannot_open_the_centre_area(client, make_user, adaptive_session):
    for role in ("candidate", "evaluator", "organisation"):
        client.force_login(make_user(role))
        assert client.get(reverse("centres:home")).status_code == 403
    client.logout()
    response = client.get(reverse("centres:session", args=[adaptive_session.public_id]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def upload(client, session, name, content):
    return client.post(
        reverse("centres:import", args=[session.public_id]),
        {"file": SimpleUploadedFile(name, content)},
    )


def test_a_good_csv_enrols_everyone(
    client, centre_user, adaptive_session, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(centre_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, adaptive_session, "entries.csv", csv_file(*GOOD_ROWS))
    assert response.status_code == 302
    entries = Entry.objects.order_by("candidate__last_name")
    assert [e.candidate.last_name for e in entries] == ["Curie", "Dupont", "Turing"]
    assert [e.photo_consent for e in entries] == [False, True, True]
    assert entries[2].candidate.gender == "M"
    assert str(entries[0].candidate.date_of_birth) == "1987-11-07"
    assert len(mailoutbox) == 3


def test_a_good_xlsx_with_french_headers_enrols_everyone(client, centre_user, adaptive_session):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Prénom", "Nom", "Date de naissance", "Genre", "Courriel",
                  "Numéro de pièce d'identité", "Métier", "Consentement photo"])
    sheet.append(["Léa", "Petit", datetime(1995, 3, 4), "femme", "lea@example.org", 998877,
                  "Comptable", "oui"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.force_login(centre_user)
    response = upload(client, adaptive_session, "inscriptions.xlsx", buffer.getvalue())
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert (entry.candidate.first_name, entry.candidate.id_document_number) == ("Léa", "998877")
    assert (entry.target_level, entry.job.name_en) == ("B1", "Accountant")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (["Jean,Dupont,1990-02-30,M,jean@example.org,X1,B1,yes"], (1, "date_of_birth")),
        (["Jean,Dupont,1990-02-03,M,not-an-email,X1,B1,yes"], (1, "email")),
        (["Jean,Dupont,1990-02-03,Q,jean@example.org,X1,B1,yes"], (1, "gender")),
        (["Jean,Dupont,1990-02-03,M,jean@example.org,X1,Z9,yes"], (1, "target_level")),
        (["Jean,Dupont,1990-02-03,M,jean@example.org,X1,B1,maybe"], (1, "photo_consent")),
        (["Jean,Dupont,1990-02-03,M,jean@example.org,X1,,yes"], (1, "target_level")),
        ([GOOD_ROWS[0], GOOD_ROWS[0].replace("X1", "X9")], (2, "last_name")),  # duplicate row
        ([GOOD_ROWS[0], GOOD_ROWS[1].replace("X2", "X1")], (2, "last_name")),  # same ID document
    ],
)
def test_a_file_with_a_bad_row_changes_nothing_and_reports_it(
    client, centre_user, adaptive_session, rows, expected
):
    client.force_login(centre_user)
    response = upload(client, adaptive_session, "entries.csv", csv_file(GOOD_ROWS[2], *rows))
    assert response.status_code == 400
    report = response.context["report"]
    row, field = expected
    # Line 1 is the header, line 2 GOOD_ROWS[2]: the bad rows start on line 3.
    assert [(e.row - 2, e.field) for e in report.errors] == [(row, field)]
    assert "import-report" in response.content.decode()
    assert not Entry.objects.exists() and not Candidate.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_a_file_repeating_an_entry_already_in_the_session_changes_nothing(
    centre_user, adaptive_session
):
    entries_import(actor=centre_user, session=adaptive_session, file_name="a.csv",
                   content=csv_file(GOOD_ROWS[0]))
    report = entries_import(actor=centre_user, session=adaptive_session, file_name="a.csv",
                            content=csv_file(*GOOD_ROWS))
    assert [(e.row, e.field) for e in report.errors] == [(2, "last_name")]
    assert Entry.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("entries.csv", csv_file(*GOOD_ROWS).decode().replace("Dupont", "Düpont")
         .encode("latin-1"), "UTF-8"),
        ("entries.csv", b"", "empty"),
        ("entries.csv", csv_file(header=HEADER.replace(",email", "")), "Missing column: email"),
        ("entries.csv", csv_file(GOOD_ROWS[0], header=HEADER + ",shoe_size"), "Unknown column"),
        ("entries.csv", csv_file(), "no candidates"),
        ("entries.xlsx", b"PK\x03\x04 definitely not a workbook", "not a readable Excel"),
        ("entries.pdf", b"%PDF-1.7", ".csv or .xlsx"),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_a_clear_message(
    client, centre_user, adaptive_session, name, content, words
):
    client.force_login(centre_user)
    client.cookies["django_language"] = "en"
    response = upload(client, adaptive_session, name, content)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Entry.objects.exists()


def test_a_lost_confirmation_is_resent_with_a_new_secret_that_replaces_the_old(
    client, centre_user, adaptive_session, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = entry_enrol(actor=centre_user, session=adaptive_session, data=person())
    _, old_secret = id_and_secret(mailoutbox[0].body)
    client.force_login(centre_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("centres:reissue_secret", args=[entry.public_id]))
    assert response.status_code == 302
    assert len(mailoutbox) == 2
    _, new_secret = id_and_secret(mailoutbox[1].body)
    entry.refresh_from_db()
    assert new_secret != old_secret
    assert secret_matches(entry, new_secret) and not secret_matches(entry, old_secret)


def test_reissue_is_refused_to_another_centre(other_centre_user, centre_user, adaptive_session):
    entry = entry_enrol(actor=centre_user, session=adaptive_session, data=person())
    with pytest.raises(PermissionDenied):
        entry_reissue_secret(actor=other_centre_user, entry=entry)


def test_the_template_file_lists_the_columns(client, centre_user):
    client.force_login(centre_user)
    response = client.get(reverse("centres:enrolment_template"))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0].startswith("first_name,last_name")


def test_sign_in_and_reach_the_centre_area(client, centre_user):
    response = client.post(reverse("login"), {"username": centre_user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home"))["Location"] == reverse("centres:home")


def test_errors_name_the_row_a_spreadsheet_shows_even_after_blank_lines(centre_user,
                                                                        adaptive_session):
    content = csv_file(GOOD_ROWS[0], "", ",,,,,,,", GOOD_ROWS[1].replace("F,", "Q,"))
    report = entries_import(actor=centre_user, session=adaptive_session, file_name="e.csv",
                            content=content)
    assert [(e.row, e.field) for e in report.errors] == [(5, "gender")]


def test_a_csv_with_an_enormous_cell_is_refused_cleanly(client, centre_user, adaptive_session):
    client.force_login(centre_user)
    client.cookies["django_language"] = "en"
    content = csv_file(GOOD_ROWS[0].replace("Jean", "J" * 200_000))
    response = upload(client, adaptive_session, "entries.csv", content)
    assert response.status_code == 400 and "cannot be read as CSV" in response.content.decode()
