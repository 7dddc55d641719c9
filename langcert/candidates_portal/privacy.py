"""Privacy in the Candidate Results Service: photo consent, the updates opt-in, the access
log, and removal requests from the candidate's click to the board's erasure.

Services (writes) are keyword-only, own their transaction and write their audit row;
files are deleted and notifications sent only once the transaction commits. Selectors
(reads) return querysets filtered by who is asking.
"""

from collections import Counter
from datetime import date
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from langcert.candidates_portal.models import RemovalRequest, ResultsAccount
from langcert.centres.models import Candidate, Entry
from langcert.centres.services import entry_set_photo_consent
from langcert.core import crypto
from langcert.core.audit import record_event
from langcert.core.mail import queue_email
from langcert.core.models import User
from langcert.core.roles import Role
from langcert.core.tasks_helper import enqueue
from langcert.delivery.models import Attempt
from langcert.results.models import DocumentBatch, TestDayPhoto
from langcert.results.selectors import released_results
from langcert.verification.models import AccessEvent, Share
from langcert.verification.tasks import tell_sharers_result_ended

REMOVED_NAME = "Removed"
# The date of birth cannot be empty (the column is required and searches use it), so an
# erased person gets one no real candidate has: a search by number + date of birth can
# never match them again. The real date is gone with the rest.
REMOVED_DATE_OF_BIRTH = date(1900, 1, 1)


def removed_email(kind: str, pk: int) -> str:
    """A unique address that can never receive mail (.invalid is reserved, RFC 2606)."""
    return f"removed-{kind}-{pk}@erased.invalid"


# --- Selectors -------------------------------------------------------------------------


def own_entries(user: Any) -> QuerySet[Entry]:
    """The signed-in person's entries whose exam shows the test-day photo to verifiers."""
    return (Entry.objects.filter(candidate__account=user, candidate__erased_at__isnull=True,
                                 session__exam__shows_test_day_photo=True)
            .select_related("session__exam", "candidate").order_by("-session__opens_at"))


def own_entry(user: Any, public_id: Any) -> Entry:
    """One of the person's photo entries; 404 for anyone else's."""
    return get_object_or_404(own_entries(user), public_id=public_id)


def access_log(user: Any) -> QuerySet[AccessEvent]:
    """Every look at or download of the person's results by an organisation, newest first."""
    return (AccessEvent.objects.filter(result__entry__candidate__account=user)
            .select_related("organisation", "result__entry__session__exam")
            .order_by("-occurred_at", "-pk"))


def pending_removal(user: Any) -> RemovalRequest | None:
    return RemovalRequest.objects.filter(user=user, status=RemovalRequest.Status.PENDING).first()


def removals_for_board() -> QuerySet[RemovalRequest]:
    """Every request with the number of entries it covers."""
    return (RemovalRequest.objects.select_related("user", "processed_by")
            .annotate(entry_count=Count("candidates__entries", distinct=True)))


def pending_removals() -> QuerySet[RemovalRequest]:
    """The queue: the oldest request first."""
    return removals_for_board().filter(status=RemovalRequest.Status.PENDING).order_by(
        "requested_at")


def done_removals() -> QuerySet[RemovalRequest]:
    return removals_for_board().filter(status=RemovalRequest.Status.DONE).order_by(
        "-processed_at")


def removal_entries(removal: RemovalRequest) -> list[dict[str, Any]]:
    """What the board erases: each entry, its exam, its result and active shares."""
    entries = (Entry.objects.filter(candidate__in=removal.candidates.all())
               .select_related("candidate", "session__exam", "session__centre", "result")
               .order_by("session__opens_at"))
    shares = dict(Share.objects.filter(result__entry__in=entries, revoked_at__isnull=True)
                  .values_list("result__entry").annotate(n=Count("pk")))
    return [{"entry": entry, "result": getattr(entry, "result", None),
             "shares": shares.get(entry.pk, 0)} for entry in entries]


# --- The candidate's own settings ------------------------------------------------------


def photo_consent_set(*, actor: Any, entry: Entry, consent: bool,
                      request: HttpRequest | None = None) -> Entry:
    """The candidate gives or withdraws consent for one entry (the centre's service does
    the write and the audit row). An exempt entry has no photo to consent to."""
    if entry.photo_exemption:
        raise ValidationError(_("This entry is exempt from the test-day photo."))
    return entry_set_photo_consent(actor=actor, entry=entry, consent=consent,
                                   exemption=entry.photo_exemption, request=request)


def updates_set(*, actor: Any, wants: bool, request: HttpRequest | None = None) -> None:
    """Opt in to or out of news and updates."""
    with transaction.atomic():
        account = ResultsAccount.objects.select_for_update().filter(user=actor).first()
        if account is None:
            raise PermissionDenied
        account.wants_updates = wants
        account.save(update_fields=["wants_updates"])
        record_event(actor=actor, action="portal.updates_set", target=account, request=request,
                     data={"wants": wants})


# --- Removal ---------------------------------------------------------------------------


def removal_request(*, actor: Any, reason: str = "",
                    request: HttpRequest | None = None) -> RemovalRequest:
    """Ask the board to erase the photos and personal data of every candidate record of
    the account. One request may wait at a time."""
    if getattr(actor, "role", None) != Role.CANDIDATE:
        raise PermissionDenied
    with transaction.atomic():
        User.objects.select_for_update().get(pk=actor.pk)  # two clicks make one request
        if pending_removal(actor) is not None:
            raise ValidationError(_("You have already asked for your data to be removed. "
                                    "The board is processing that request."), code="pending")
        candidates = list(Candidate.objects.filter(account=actor, erased_at__isnull=True))
        removal = RemovalRequest.objects.create(user=actor, reason=reason.strip())
        removal.candidates.set(candidates)
        record_event(actor=actor, action="portal.removal_requested", target=removal,
                     request=request, data={"candidates": [c.pk for c in candidates]})
    return removal


def removal_process(*, actor: Any, removal: RemovalRequest,
                    request: HttpRequest | None = None) -> RemovalRequest:
    """Board staff erase everything the request covers, in one transaction: photos
    (files deleted on commit), personal data, shares (organisations told on commit), the
    account; the person is told at the address they had."""
    if getattr(actor, "role", None) != Role.BOARD or not actor.is_active:
        raise PermissionDenied
    with transaction.atomic():
        removal = RemovalRequest.objects.select_for_update().get(pk=removal.pk)
        if removal.status != RemovalRequest.Status.PENDING:
            raise ValidationError(_("This request has already been processed."), code="done")
        if removal.user is not None:  # entries added to the account since the request
            removal.candidates.add(*Candidate.objects.filter(account=removal.user,
                                                             erased_at__isnull=True))
        goodbye = _goodbye_message(removal)  # the address, before it is erased
        counts: Counter[str] = Counter()
        candidates = list(removal.candidates.select_for_update())
        for candidate in candidates:
            counts.update(_erase_candidate(candidate))
        if removal.user is not None:
            _close_account(removal.user)
        if goodbye is not None:
            queue_email(**goodbye)
        removal.status = RemovalRequest.Status.DONE
        removal.processed_by, removal.processed_at = actor, timezone.now()
        removal.save(update_fields=["status", "processed_by", "processed_at"])
        record_event(actor=actor, action="portal.removal_processed", target=removal,
                     request=request,
                     data={"candidates": [c.pk for c in candidates], **counts})
    return removal


def _goodbye_message(removal: RemovalRequest) -> dict[str, Any] | None:
    user = removal.user
    candidate = removal.candidates.first()
    to = user.email if user is not None else (candidate.email if candidate else "")
    if not to:
        return None
    first_name = (user.first_name if user is not None else "") or (
        candidate.first_name if candidate else "")
    language = user.language if user is not None else candidate.language
    return {"key": f"removal_done:{removal.pk}", "to": to, "template": "removal_done",
            "context": {"first_name": first_name}, "language": language}


def _erase_candidate(candidate: Candidate) -> Counter[str]:
    """Everything of one person; the counts go to the audit row."""
    counts: Counter[str] = Counter()
    counts["photos"] = _delete_photos(candidate)
    counts["documents"] = _delete_document_batches(candidate)
    counts["results_shared"] = _end_shares(candidate)
    now = timezone.now()
    counts["entries"] = candidate.entries.update(photo_consent=False,
                                                 photo_consent_changed_at=now)
    candidate.first_name = candidate.last_name = REMOVED_NAME
    candidate.email = removed_email("candidate", candidate.pk)
    candidate.id_document_number = ""
    candidate.date_of_birth = REMOVED_DATE_OF_BIRTH
    candidate.gender = Candidate.Gender.OTHER
    candidate.erased_at = now
    candidate.save(update_fields=["first_name", "last_name", "email", "id_document_number",
                                  "date_of_birth", "gender", "erased_at"])
    return counts


def _delete_after_commit(names: list[str]) -> None:
    """Files go once the erasure is committed: a rollback leaves everything as it was."""
    for name in names:
        transaction.on_commit(partial(crypto.delete_encrypted, name))


def _delete_photos(candidate: Candidate) -> int:
    """The test-day photos (rows and files) and the proctoring face and ID photos."""
    photos = TestDayPhoto.objects.filter(entry__candidate=candidate)
    names = list(photos.values_list("file", flat=True))
    photos.delete()
    attempts = Attempt.objects.filter(entry__candidate=candidate)
    for face, id_photo in attempts.values_list("face_photo", "id_photo"):
        names += [name for name in (face, id_photo) if name]
    attempts.update(face_photo="", id_photo="")
    _delete_after_commit(names)
    return len(names)


def _delete_document_batches(candidate: Candidate) -> int:
    """Zips of PDFs that contain one of the person's results are not served any more
    (DESIGN.md, "Removal"): the file goes, the batch row stays with no file."""
    batches = DocumentBatch.objects.filter(results__entry__candidate=candidate).exclude(file="")
    batches = DocumentBatch.objects.filter(pk__in=batches.values("pk"))
    names = list(batches.values_list("file", flat=True))
    batches.update(file="")
    _delete_after_commit(names)
    return len(names)


def _end_shares(candidate: Candidate) -> int:
    """Every organisation a released result was shared with is told (on commit); shares
    end now. Returns the number of results that had been shared."""
    shared = list(released_results().filter(entry__candidate=candidate, shares__isnull=False)
                  .distinct().values_list("pk", flat=True))
    Share.objects.filter(result__entry__candidate=candidate, revoked_at__isnull=True).update(
        revoked_at=timezone.now())
    for result_id in shared:
        enqueue(tell_sharers_result_ended, result_id, "removed")
    return len(shared)


def _close_account(user: User) -> None:
    """The account can no longer sign in and no longer holds the person's address."""
    ResultsAccount.objects.filter(user=user).delete()
    user.email = removed_email("user", user.pk)
    user.first_name = user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()

