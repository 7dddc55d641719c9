"""Writes of the Results Verification Service (organisations, shares)."""

from django.db import transaction
from django.utils import timezone

from langcert.core.audit import record_event
from langcert.core.mail import queue_email
from langcert.results.models import Result
from langcert.verification import downloads, events
from langcert.verification.models import Share

# Why a shared result ended: each has its email template `shared_result_<why>`.
ENDINGS = ("withdrawn", "removed")


def notify_result_ended(*, result: Result, why: str) -> int:
    """Tell every organisation the result was shared with that it was withdrawn by the
    board or removed at the candidate's request; the shares end. One email per
    organisation user, once. Returns the emails queued."""
    if why not in ENDINGS:
        raise ValueError(why)
    queued, organisations = 0, set()
    with transaction.atomic():
        shares = (Share.objects.select_for_update().filter(result=result)
                  .select_related("organisation"))
        for share in shares:
            for member in share.organisation.members.select_related("user"):
                user = member.user
                if not user.is_active:
                    continue
                queue_email(
                    key=f"shared_result_{why}:{result.pk}:{user.pk}",
                    to=user.email, template=f"shared_result_{why}", language=user.language,
                    context={"statement_number": result.statement_number_display,
                             "exam": result.entry.session.exam.name,
                             "organisation": share.organisation.name})
                queued += 1
            if share.revoked_at is None:
                share.revoked_at = timezone.now()
                share.save(update_fields=["revoked_at"])
                if why == "withdrawn":
                    events.share_ended(share, "result.withdrawn")
            record_event(actor=None, action=f"verification.told_result_{why}",
                         target=share.organisation, data={"result": result.pk})
            organisations.add(share.organisation)
    # Their downloaded files holding the result are deleted now, not at the hourly sweep.
    for organisation in organisations:
        downloads.expire_stale_downloads(organisation=organisation)
    return queued
