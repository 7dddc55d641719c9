"""Email notifications of new shares, as each organisation user chooses: off, at once for
every candidate, a daily summary or a weekly summary sent on Mondays.

Every message goes through the outbox under an idempotency key, so it is sent once
however often the tasks run; summary periods are whole days in the user's own time zone.
"""

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from langcert.core.audit import record_event
from langcert.core.mail import queue_email
from langcert.core.models import OutboundEmail
from langcert.core.timefmt import local_datetime_text
from langcert.results.selectors import released_results
from langcert.verification.models import Organisation, OrganisationMember, Share

EACH, DAILY, WEEKLY = "each", "daily", "weekly"
FREQUENCIES = (EACH, DAILY, WEEKLY)
DIGEST_LIST_LIMIT = 100  # names listed in one summary; the count covers them all


# --- Settings -----------------------------------------------------------------------------
def notification_settings_update(*, actor: Any, member: OrganisationMember, notify: bool,
                                 frequency: str,
                                 request: HttpRequest | None = None) -> OrganisationMember:
    """Each user sets their own notifications, nobody else's."""
    if member.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if frequency not in FREQUENCIES:
        raise ValidationError(_("Choose how often to be notified."), code="frequency")
    with transaction.atomic():
        member.notify, member.notify_frequency = notify, frequency
        member.save(update_fields=["notify", "notify_frequency"])
        record_event(actor=actor, action="verification.notifications_update", target=member,
                     request=request, data={"notify": notify, "frequency": frequency})
    return member


# --- Reads --------------------------------------------------------------------------------
def recipients(organisation: Organisation, frequency: str) -> QuerySet[OrganisationMember]:
    """Active users of the organisation who want notifications at this frequency."""
    return (OrganisationMember.objects
            .filter(organisation=organisation, notify=True, notify_frequency=frequency,
                    user__is_active=True)
            .select_related("user").order_by("pk"))


def visible_shares(organisation: Organisation) -> QuerySet[Share]:
    """Active shares of released results: a share revoked since, or a result withdrawn or
    erased since, is not announced."""
    return (Share.objects.filter(organisation=organisation, revoked_at__isnull=True,
                                 result__in=released_results())
            .select_related("result__entry__candidate", "result__entry__session__exam")
            .order_by("shared_at", "pk"))


def digest_period(kind: str, now: datetime, time_zone: str) -> tuple[datetime, datetime] | None:
    """[start, end) of the summary due at `now` in `time_zone`: yesterday for a daily one,
    the week before this Monday for a weekly one (None on other days)."""
    today = now.astimezone(zoneinfo.ZoneInfo(time_zone)).date()
    if kind == WEEKLY and today.weekday() != 0:
        return None
    first_day = today - timedelta(days=7 if kind == WEEKLY else 1)
    return _midnight(first_day, time_zone), _midnight(today, time_zone)


def _midnight(day: date, time_zone: str) -> datetime:
    # Wall-clock midnight: a day across a daylight-saving change lasts 23 or 25 hours.
    return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(time_zone))


def _site_url(name: str, **kwargs: Any) -> str:
    return settings.SITE_URL + reverse(f"verification:{name}", kwargs=kwargs or None)


def _already_queued(key: str) -> bool:
    return OutboundEmail.objects.filter(idempotency_key=key).exists()


# --- Services -----------------------------------------------------------------------------
def notify_new_share(*, share_id: int) -> int:
    """Email at once each user of the share's organisation who wants every candidate;
    returns the emails queued by this call (0 when they were already queued)."""
    share = (Share.objects
             .filter(pk=share_id, revoked_at__isnull=True, result__in=released_results(),
                     organisation__status=Organisation.Status.APPROVED)
             .select_related("organisation", "result__entry__candidate",
                             "result__entry__session__exam").first())
    if share is None:  # revoked, withdrawn or erased before the task ran
        return 0
    result = share.result
    queued = 0
    for member in recipients(share.organisation, EACH):
        user, key = member.user, f"share-notify:{share.pk}:{member.user_id}"
        if _already_queued(key):
            continue
        queue_email(key=key, to=user.email, template="verification_notify_share",
                    language=user.language, context={
                        "first_name": user.first_name, "organisation": share.organisation.name,
                        "candidate": result.entry.candidate.full_name,
                        "exam": result.entry.session.exam.name,
                        "shared_at": local_datetime_text(share.shared_at, user.time_zone,
                                                         user.language),
                        "result_url": _site_url("result_detail", public_id=result.public_id)})
        queued += 1
    return queued


def send_digests(*, kind: str, now: datetime | None = None) -> int:
    """One summary per user who chose `kind` ("daily" or "weekly") and has new shares in
    the period that just ended in their time zone; returns the emails queued."""
    if kind not in (DAILY, WEEKLY):
        raise ValueError(kind)
    now = now or timezone.now()
    members = (OrganisationMember.objects
               .filter(notify=True, notify_frequency=kind, user__is_active=True,
                       organisation__status=Organisation.Status.APPROVED)
               .select_related("user", "organisation").order_by("pk"))
    return sum(_send_digest(member, kind, now) for member in members.iterator())


def _send_digest(member: OrganisationMember, kind: str, now: datetime) -> int:
    user = member.user
    period = digest_period(kind, now, user.time_zone)
    if period is None:
        return 0
    start, end = period
    key = f"digest:{kind}:{user.pk}:{start.date().isoformat()}"
    if _already_queued(key):  # cheap check first: the task runs many times a day
        return 0
    shares = visible_shares(member.organisation).filter(shared_at__gte=start, shared_at__lt=end)
    count = shares.count()
    if count == 0:
        return 0
    queue_email(key=key, to=user.email, template="verification_notify_digest",
                language=user.language,
                context=_digest_context(member, kind, shares, count, start, end))
    return 1


def _digest_context(member: OrganisationMember, kind: str, shares: QuerySet[Share], count: int,
                    start: datetime, end: datetime) -> dict[str, Any]:
    user = member.user
    with translation.override(user.language):
        first = formats.date_format(start.date(), "j F Y")
        last = formats.date_format((end - timedelta(days=1)).date(), "j F Y")
    listed = [{"candidate": share.result.entry.candidate.full_name,
               "exam": share.result.entry.session.exam.name}
              for share in shares[:DIGEST_LIST_LIMIT]]
    return {"first_name": user.first_name, "organisation": member.organisation.name,
            "kind": kind, "count": count, "shares": listed,
            "more": max(count - DIGEST_LIST_LIMIT, 0), "first_day": first, "last_day": last,
            "shared_results_url": _site_url("shared_results")}
