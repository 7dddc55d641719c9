"""Writes of results: computing the adaptive result, the board's review, the scheduled
release and withdrawal.

A result moves pending_review → (held ↔) approved → released → (withdrawn). It is released
at the latest of the planned date, 72 h after the oral and the review's approval
(DESIGN.md, "Release"); `release_due_results` runs on a schedule and releases what is due.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from langcert.catalog.scoring import adaptive_result
from langcert.centres.models import Entry
from langcert.core.audit import record_event
from langcert.core.mail import queue_email
from langcert.core.tasks_helper import enqueue
from langcert.core.timefmt import local_datetime_text
from langcert.oral.models import Booking
from langcert.results import selectors
from langcert.results.models import Result

# Results come about 72 hours after the oral, once the whole process is checked.
ORAL_TO_RELEASE = timedelta(hours=72)
REVIEWABLE = (Result.Status.PENDING_REVIEW, Result.Status.HELD)


def result_from_adaptive(*, entry: Entry, booking: Booking) -> Result | None:
    """Compute the adaptive result once the written test is sent and the oral scored.

    Called by the oral's scoring service inside its transaction; does nothing if the
    written part is missing or a result already exists (a result is computed once).
    """
    written = selectors.written_levels(entry)
    if written is None or hasattr(entry, "result"):
        return None
    score = booking.score
    oral = {criterion: getattr(score, criterion) for criterion in selectors.ORAL_CRITERIA}
    scheme = entry.session.exam.scoring_scheme
    # Without a target set by the centre, only C2 earns the certificate.
    target = entry.target_level or "C2"
    outcome = adaptive_result(scheme, written, oral, target)
    result = Result.objects.create(
        entry=entry, source=Result.Source.ADAPTIVE, cefr_level=outcome.final_level,
        skills=[{"skill": skill, "score": None, "cefr": written[skill]}
                for skill in scheme["written_skills"]],
        oral_criteria=oral, written_level=outcome.written_level,
        oral_level=outcome.oral_level, target_level=entry.target_level,
        certificate=outcome.certificate,
        outcome="certificate" if outcome.certificate else "attestation",
        exam_date=selectors.written_test_date(entry),
        earliest_release_at=max(entry.session.results_release_at,
                                booking.starts_at + ORAL_TO_RELEASE),
    )
    record_event(actor=None, action="results.computed", target=result,
                 data={"entry": entry.pk})
    return result


def result_approve(*, actor: Any, result: Result, request: HttpRequest | None = None) -> Result:
    """The board approves the process: the release is scheduled at the latest allowed time."""
    with transaction.atomic():
        result = Result.objects.select_for_update().get(pk=result.pk)
        if result.status not in REVIEWABLE:
            raise ValidationError(_("This result is not waiting for review."))
        now = timezone.now()
        result.status = Result.Status.APPROVED
        result.reviewed_by, result.reviewed_at = actor, now
        result.release_at = max(result.earliest_release_at, now)
        result.save(update_fields=["status", "reviewed_by", "reviewed_at", "release_at"])
        record_event(actor=actor, action="results.approve", target=result, request=request)
    return result


def results_approve_clean(*, actor: Any, results: list[Result],
                          request: HttpRequest | None = None) -> int:
    """Approve in bulk those of `results` whose evidence is clean; the others are left."""
    approved = 0
    for result in results:
        if result.status in REVIEWABLE and selectors.review_summary(result)["clean"]:
            result_approve(actor=actor, result=result, request=request)
            approved += 1
    return approved


def result_hold(*, actor: Any, result: Result, reason: str,
                request: HttpRequest | None = None) -> Result:
    """Hold a result for a stated reason; the candidate sees "under review" meanwhile."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the result is held.")})
    with transaction.atomic():
        result = Result.objects.select_for_update().get(pk=result.pk)
        if result.status not in (*REVIEWABLE, Result.Status.APPROVED):
            raise ValidationError(_("Only a result not yet released can be held."))
        result.status, result.hold_reason = Result.Status.HELD, reason
        result.reviewed_by, result.reviewed_at = actor, timezone.now()
        result.release_at = None
        result.save(update_fields=["status", "hold_reason", "reviewed_by", "reviewed_at",
                                   "release_at"])
        record_event(actor=actor, action="results.hold", target=result, request=request)
    return result


def release_due_results(*, now=None) -> int:
    """Release every approved result whose time has come; the candidate is emailed once."""
    now = now or timezone.now()
    due = Result.objects.filter(status=Result.Status.APPROVED, release_at__lte=now)
    released = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            result = (Result.objects.select_for_update(skip_locked=True)
                      .filter(pk=pk, status=Result.Status.APPROVED).first())
            if result is None:
                continue  # another worker has it, or it was held meanwhile
            result.status, result.released_at = Result.Status.RELEASED, now
            result.save(update_fields=["status", "released_at"])
            record_event(actor=None, action="results.release", target=result)
            _email_candidate(result, "result_released")
            released += 1
    return released


def result_withdraw(*, actor: Any, result: Result, reason: str, note: str,
                    request: HttpRequest | None = None) -> Result:
    """Withdraw a released result: it disappears everywhere; sharers are told."""
    if reason not in Result.WithdrawalReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    if not note.strip():
        raise ValidationError({"note": _("Explain the withdrawal for the record.")})
    with transaction.atomic():
        result = Result.objects.select_for_update().get(pk=result.pk)
        if result.status != Result.Status.RELEASED:
            raise ValidationError(_("Only a released result can be withdrawn."))
        result.status, result.withdrawn_at = Result.Status.WITHDRAWN, timezone.now()
        result.withdrawal_reason, result.withdrawal_note = reason, note.strip()
        result.save(update_fields=["status", "withdrawn_at", "withdrawal_reason",
                                   "withdrawal_note"])
        record_event(actor=actor, action="results.withdraw", target=result, request=request,
                     data={"reason": reason})
        _email_candidate(result, "result_withdrawn")
        from langcert.verification.tasks import tell_sharers_result_ended

        enqueue(tell_sharers_result_ended, result.pk, "withdrawn")
    return result


def _email_candidate(result: Result, template: str) -> None:
    candidate = result.entry.candidate
    queue_email(
        key=f"{template}:{result.pk}",
        to=candidate.mail_address,
        template=template,
        language=candidate.language,
        context={
            "first_name": candidate.first_name,
            "exam": result.entry.session.exam.name,
            "released_at": local_datetime_text(result.released_at, candidate.time_zone,
                                               candidate.language)
            if result.released_at else "",
            "results_url": settings.SITE_URL + reverse("portal:home"),
        },
    )
