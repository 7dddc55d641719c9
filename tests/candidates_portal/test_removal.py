"""Removal of a candidate's photos and personal data: asked for on the privacy page,
processed by the board, then nothing of the person is shown, verified or served."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from langcert.candidates_portal import privacy
from langcert.candidates_portal.models import RemovalRequest, ResultsAccount
from langcert.core import crypto
from langcert.core.models import AuditEvent, OutboundEmail, User
from langcert.delivery.models import Attempt
from langcert.results.models import DocumentBatch
from langcert.results.models import TestDayPhoto as DayPhoto
from langcert.results.selectors import released_results
from langcert.verification.models import Share
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0 a test-day photo"
REQUEST = reverse("portal:request_removal")
BOARD_LIST = reverse("portal:board_removals")


def board_page(removal):
    return reverse("portal:board_removal", args=[removal.pk])


@pytest.fixture
def photos(advanced_result, adaptive_released_result, portal_user):
    """The person's C1 Advanced test-day photo and, on a second candidate record of the
    same account, the adaptive test's proctoring photos. Returns the storage names."""
    day_photo = crypto.store_encrypted("test-day-photos", JPEG)
    DayPhoto.objects.create(entry=advanced_result.entry, file=day_photo,
                                content_type="image/jpeg")
    adaptive = adaptive_released_result.entry
    adaptive.candidate.account = portal_user
    adaptive.candidate.save(update_fields=["account"])
    face, id_photo = (crypto.store_encrypted("photos/face", JPEG),
                      crypto.store_encrypted("photos/id", JPEG))
    Attempt.objects.create(entry=adaptive, face_photo=face, id_photo=id_photo)
    return [day_photo, face, id_photo]


@pytest.fixture
def shared(advanced_result, university, portal_user):
    """The C1 Advanced result shared with the university, and a zip of PDFs with it."""
    share = Share.objects.create(result=advanced_result, organisation=university)
    batch = DocumentBatch.objects.create(
        requested_by=university.members.get().user, organisation=university, language="en",
        status=DocumentBatch.Status.READY, file=crypto.store_encrypted("batches", b"PK zip"))
    batch.results.set([advanced_result])
    return share, batch


@pytest.fixture
def board_client(board_user):
    client = Client()
    client.force_login(board_user)
    client.cookies["django_language"] = "en"
    return client


def ask(client, reason="I no longer need it."):
    return client.post(REQUEST, {"reason": reason, "confirm": "on"})


def test_removal_end_to_end(portal_client, portal_user, board_client, board_user, photos,
                            shared, advanced_result, adaptive_released_result, university,
                            mailoutbox, django_capture_on_commit_callbacks):
    share, batch = shared
    batch_file = batch.file
    old_email = portal_user.email
    candidates = {advanced_result.entry.candidate, adaptive_released_result.entry.candidate}
    assert all(default_storage.exists(name) for name in photos)

    # The candidate asks, through the privacy page.
    assert ask(portal_client).status_code == 302
    removal = RemovalRequest.objects.get()
    assert (removal.user, removal.status) == (portal_user, RemovalRequest.Status.PENDING)
    assert set(removal.candidates.all()) == candidates
    assert "The board is processing your request" in portal_client.get(
        reverse("portal:privacy")).text

    # The board sees it waiting, opens it and erases.
    listing = board_client.get(BOARD_LIST).text
    assert old_email in listing.split('id="pending-removals"')[1].split("</table>")[0]
    detail = board_client.get(board_page(removal)).text
    assert "C1 Advanced" in detail and advanced_result.statement_number_display in detail
    assert "Erase now" in detail
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = board_client.post(board_page(removal))
    assert response.status_code == 302 and response.url == BOARD_LIST
    assert "the data is erased" in board_client.get(BOARD_LIST).text

    # Photos: every encrypted file is gone from storage, and the rows with them.
    assert not any(default_storage.exists(name) for name in photos)
    assert not DayPhoto.objects.exists()
    attempt = Attempt.objects.get()
    assert (attempt.face_photo, attempt.id_photo) == ("", "")
    # A zip of PDFs that contained the person is not served any more.
    batch.refresh_from_db()
    assert batch.file == "" and not default_storage.exists(batch_file)

    # Personal data erased, consents off, nothing released any more.
    for candidate in candidates:
        candidate.refresh_from_db()
        assert (candidate.first_name, candidate.last_name) == ("Removed", "Removed")
        assert candidate.email == f"removed-candidate-{candidate.pk}@erased.invalid"
        assert candidate.id_document_number == ""
        assert candidate.date_of_birth == date(1900, 1, 1)
        assert candidate.erased_at is not None
        assert not candidate.entries.filter(photo_consent=True).exists()
    assert not released_results().filter(
        pk__in=[advanced_result.pk, adaptive_released_result.pk]).exists()

    # The share ended and the university's users were told.
    share.refresh_from_db()
    assert share.revoked_at is not None
    member = university.members.get().user
    [told] = [m for m in mailoutbox if m.to == [member.email]]
    assert told.subject == "A result shared with University of Testing has been removed"
    assert advanced_result.statement_number_display in told.body

    # The person is told at the address they had, and can no longer sign in.
    [done] = [m for m in mailoutbox if m.to == [old_email]]
    assert "personal data has been removed" in done.subject
    assert "Candidate" not in done.body  # no name of theirs beyond the greeting's first name
    user = User.objects.get(pk=portal_user.pk)
    assert user.is_active is False and user.email != old_email
    assert not ResultsAccount.objects.filter(user=user).exists()
    assert Client().login(email=old_email, password=PASSWORD) is False
    assert Client().login(email=user.email, password=PASSWORD) is False
    assert portal_client.get(reverse("portal:privacy")).status_code == 302  # signed out

    # The request is done, and both steps are audited with ids and counts only.
    removal.refresh_from_db()
    assert (removal.status, removal.processed_by) == (RemovalRequest.Status.DONE, board_user)
    asked = AuditEvent.objects.get(action="portal.removal_requested")
    assert (asked.actor, asked.target_id) == (portal_user, str(removal.pk))
    processed = AuditEvent.objects.get(action="portal.removal_processed")
    assert processed.actor == board_user
    assert sorted(processed.data["candidates"]) == sorted(c.pk for c in candidates)
    assert (processed.data["photos"], processed.data["results_shared"],
            processed.data["documents"]) == (3, 1, 1)
    assert old_email not in str(processed.data) and "Lovelace" not in str(processed.data)

    # The board's list now shows it done, without the address.
    listing = board_client.get(BOARD_LIST).text
    assert old_email not in listing
    assert f"Request {removal.pk}" in listing.split('id="done-removals"')[1]


def test_a_second_pending_request_is_refused(portal_client, portal_user):
    assert ask(portal_client).status_code == 302
    response = ask(portal_client, reason="again")
    assert response.status_code == 400
    assert "You have already asked for your data to be removed." in response.text
    assert RemovalRequest.objects.count() == 1
    with pytest.raises(ValidationError):
        privacy.removal_request(actor=portal_user)


def test_the_request_needs_the_confirmation(portal_client):
    response = portal_client.post(REQUEST, {"reason": "why not"})
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.text
    assert not RemovalRequest.objects.exists()


def test_only_the_board_processes_a_request(client, portal_client, portal_user, centre_user,
                                            advanced_result):
    removal = privacy.removal_request(actor=portal_user)
    assert portal_client.post(board_page(removal)).status_code == 403
    assert portal_client.get(BOARD_LIST).status_code == 403
    other = Client()
    other.force_login(centre_user)
    assert other.post(board_page(removal)).status_code == 403
    assert Client().post(board_page(removal)).status_code == 302  # to the sign-in page
    with pytest.raises(PermissionDenied):
        privacy.removal_process(actor=centre_user, removal=removal)
    removal.refresh_from_db()
    advanced_result.entry.candidate.refresh_from_db()
    assert removal.status == RemovalRequest.Status.PENDING
    assert advanced_result.entry.candidate.erased_at is None


def test_a_request_is_processed_once(board_client, board_user, portal_user, advanced_result,
                                     django_capture_on_commit_callbacks):
    removal = privacy.removal_request(actor=portal_user)
    with django_capture_on_commit_callbacks(execute=True):
        privacy.removal_process(actor=board_user, removal=removal)
    with pytest.raises(ValidationError):
        privacy.removal_process(actor=board_user, removal=removal)
    board_client.post(board_page(removal))
    assert "already been processed" in board_client.get(BOARD_LIST).text
    assert AuditEvent.objects.filter(action="portal.removal_processed").count() == 1
    assert OutboundEmail.objects.filter(idempotency_key=f"removal_done:{removal.pk}").count() == 1


def test_a_failure_part_way_leaves_everything_as_it_was(board_user, portal_user, photos,
                                                         advanced_result, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    removal = privacy.removal_request(actor=portal_user)

    def broken(**kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(privacy, "queue_email", broken)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        privacy.removal_process(actor=board_user, removal=removal)
    assert all(default_storage.exists(name) for name in photos)
    candidate = advanced_result.entry.candidate
    candidate.refresh_from_db()
    assert candidate.erased_at is None and candidate.first_name != "Removed"
    assert DayPhoto.objects.exists()
    removal.refresh_from_db()
    assert removal.status == RemovalRequest.Status.PENDING
    assert User.objects.get(pk=portal_user.pk).is_active
