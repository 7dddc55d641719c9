"""Who may reach what: candidates reach only their own test, staff only what their role allows."""

from uuid import uuid4

import pytest
from django.urls import reverse

from langcert.centres.services import entry_enrol
from langcert.core.models import AuditEvent
from langcert.delivery import services
from langcert.delivery.models import Attempt
from tests.conftest import person
from tests.delivery.fixtures import GOOD_DEVICE, JPEG
from tests.helpers import sign_in_candidate

pytestmark = pytest.mark.django_db


def signed_in(client, attempt):
    return sign_in_candidate(client, attempt)


@pytest.fixture
def other_attempt(centre_user, open_session, ready_attempt):
    entry = entry_enrol(actor=centre_user, session=open_session,
                        data=person(first_name="Other", id_document_number="O1"))
    attempt = Attempt.objects.create(entry=entry)
    services.record_tech_check(attempt=attempt, measurements=GOOD_DEVICE, beeps_played=3)
    services.accept_rules(attempt=attempt)
    services.store_photo(attempt=attempt, kind="face", data=JPEG)
    services.store_photo(attempt=attempt, kind="id", data=JPEG)
    services.record_microphone(attempt=attempt, peak_level=0.5, duration_ms=2000)
    return attempt


def test_a_candidate_cannot_answer_play_or_fetch_anothers_question(client, ready_attempt,
                                                                   other_attempt):
    theirs = services.start_or_resume(attempt=other_attempt, reloaded=False).delivery
    signed_in(client, ready_attempt)
    mine = client.post("/test/api/begin/", {"reloaded": False}, content_type="application/json")
    assert mine.status_code == 200 and mine.json()["question"]["id"] != str(theirs.public_id)
    stolen = client.post("/test/api/answer/", {"question": str(theirs.public_id),
                                               "answer": "right", "key": str(uuid4())},
                         content_type="application/json")
    assert stolen.status_code == 409 and stolen.json()["error"] == "unknown_question"
    play = client.post("/test/api/play/", {"question": str(theirs.public_id)},
                       content_type="application/json")
    assert play.status_code == 409
    theirs.refresh_from_db()
    assert theirs.status == "pending" and theirs.plays == 0


def test_a_candidate_cannot_use_anothers_audio_link(client, ready_attempt, other_attempt):
    step = services.start_or_resume(attempt=other_attempt, reloaded=False)
    while step.delivery.item.type != "listening":
        step = services.answer(attempt=other_attempt, delivery_id=step.delivery.public_id,
                               given="right", answer_key=uuid4())
    token = services.issue_audio_play(attempt=other_attempt, delivery_id=step.delivery.public_id)
    signed_in(client, ready_attempt)
    assert client.get(f"/test/audio/{token}/").status_code == 410
    # The owner can still use it: the stranger's try did not burn it.
    signed_in(client, other_attempt)
    response = client.get(f"/test/audio/{token}/")
    assert response.status_code == 200 and response.content.startswith(b"OggS")


def test_photos_are_served_to_board_staff_only_and_each_view_is_audited(
    client, make_user, ready_attempt, centre_user
):
    url = reverse("board_attempt_photo", args=[ready_attempt.public_id, "face"])
    signed_in(client, ready_attempt)
    assert client.get(url).status_code == 302  # a candidate is not signed in as staff
    for role in ("centre", "evaluator", "organisation", "candidate"):
        client.force_login(make_user(role))
        assert client.get(url).status_code == 403
    board = make_user("board")
    client.force_login(board)
    response = client.get(url)
    assert response.status_code == 200 and response.content == JPEG
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="delivery.view_photo_face", actor=board).count() == 1
    page = client.get(reverse("board_evidence", args=[ready_attempt.public_id]))
    assert "Face photo" in page.content.decode() or "Photo du visage" in page.content.decode()


def test_the_api_needs_a_signed_in_candidate_and_csrf(client, ready_attempt):
    from django.test import Client

    assert client.post("/test/api/begin/", {}, content_type="application/json").status_code == 401
    strict = Client(enforce_csrf_checks=True)
    signed_in(strict, ready_attempt)
    assert strict.post("/test/api/begin/", {}, content_type="application/json").status_code == 403


def test_the_centre_sees_where_each_candidate_stands(client, centre_user, ready_attempt):
    session = ready_attempt.entry.session
    client.force_login(centre_user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("centres:session", args=[session.public_id])).content.decode()
    assert "Checks done" in page
    step = services.start_or_resume(attempt=ready_attempt, reloaded=False)
    services.answer(attempt=ready_attempt, delivery_id=step.delivery.public_id, given="right",
                    answer_key=uuid4())
    page = client.get(reverse("centres:session", args=[session.public_id])).content.decode()
    assert "Section 1 of 5" in page


def test_sign_in_page_and_bad_pairs(client, enrolled, synthetic_bank):
    entry, secret = enrolled
    client.cookies["django_language"] = "en"
    bad = client.post("/test/", {"id_number": entry.id_number, "secret_number": "XXXX-XXXX"})
    assert bad.status_code == 400 and "do not match" in bad.content.decode()
    good = client.post("/test/", {"id_number": entry.id_number_display, "secret_number": secret})
    assert good["Location"] == reverse("delivery:home")
    assert "Not taken" in client.get(reverse("delivery:home")).content.decode()


def test_the_candidate_page_lists_every_test_with_its_state(client, ready_attempt, centre_user,
                                                            session_factory, centre):
    later = session_factory(centre, "adaptive-en")
    entry_enrol(actor=centre_user, session=later, data=person())  # the same person, again
    signed_in(client, ready_attempt)
    client.cookies["django_language"] = "en"
    tests = client.get(reverse("delivery:home")).context["tests"]
    assert [label for _, label in tests] == ["Not taken", "Not taken"]
    ready_attempt.status = Attempt.Status.SUBMITTED
    ready_attempt.save()
    labels = {entry.pk: label for entry, label in
              client.get(reverse("delivery:home")).context["tests"]}
    assert labels[ready_attempt.entry_id] == "Sent"


def test_a_new_secret_number_ends_sessions_opened_with_the_old_one(client, ready_attempt,
                                                                    centre_user):
    from langcert.centres.services import entry_reissue_secret

    signed_in(client, ready_attempt)
    assert client.get(reverse("delivery:home")).status_code == 200
    entry_reissue_secret(actor=centre_user, entry=ready_attempt.entry)
    assert client.get(reverse("delivery:home"))["Location"].startswith(
        reverse("delivery:sign_in") + "?")
    assert client.post("/test/api/begin/", {}, content_type="application/json").status_code \
        == 401


def test_evidence_cannot_be_replaced_once_the_test_has_started(ready_attempt):
    from django.core.exceptions import ValidationError

    services.start_or_resume(attempt=ready_attempt, reloaded=False)
    ready_attempt.refresh_from_db()
    face = ready_attempt.face_photo
    for call in (lambda: services.store_photo(attempt=ready_attempt, kind="face", data=JPEG),
                 lambda: services.accept_rules(attempt=ready_attempt),
                 lambda: services.record_microphone(attempt=ready_attempt, peak_level=1,
                                                    duration_ms=5000)):
        with pytest.raises(ValidationError):
            call()
    ready_attempt.refresh_from_db()
    assert ready_attempt.face_photo == face


def test_bad_measurements_and_events_get_a_clear_400(client, enrolled, synthetic_bank):
    entry, secret = enrolled
    attempt = services.sign_in(id_number=entry.id_number, secret=secret, ip=None)
    signed_in(client, attempt)
    for body in ({"peak_level": "abc"}, {"duration_ms": [1]}):
        response = client.post("/test/api/microphone/", body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"] == "invalid"
    assert client.post("/test/api/event/", {"kind": "focus_lost", "data": [1, 2]},
                       content_type="application/json").status_code == 200
    assert client.post("/test/api/event/", "[1]",
                       content_type="application/json").status_code == 400


def test_signing_in_from_a_link_returns_to_the_linked_page(client, enrolled, synthetic_bank):
    entry, secret = enrolled
    first = client.get("/test/oral/")
    assert first["Location"] == "/test/?next=%2Ftest%2Foral%2F"
    back = client.post(first["Location"], {"id_number": entry.id_number,
                                           "secret_number": secret})
    assert back["Location"] == "/test/oral/"
    client.post("/test/sign-out/")
    elsewhere = client.post("/test/?next=https://evil.example/x",
                            {"id_number": entry.id_number, "secret_number": secret})
    assert elsewhere["Location"] == reverse("delivery:home")
