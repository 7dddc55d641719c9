"""Sharing results with organisations: a candidate's writes (share, revoke, invite an
organisation that is not listed yet) and the reads behind the sharing page.

Services are keyword-only, own their transaction, check that the actor owns the result and
write their audit row with identifiers only (never names or emails).
"""

import hashlib
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from langcert.centres.models import Candidate
from langcert.core import ratelimit
from langcert.core.audit import record_event
from langcert.core.mail import queue_email
from langcert.results.models import Result
from langcert.results.selectors import released_results
from langcert.verification import events
from langcert.verification.models import Organisation, Share

DIRECTORY_LIMIT = 50
INVITES_PER_DAY = 5
INVITE_WINDOW_SECONDS = 24 * 60 * 60
INVITE_SCOPE = "portal-invite"
ORGANISATION_APPLY_PATH = "/organisations/apply/"


# --- Selectors ---------------------------------------------------------------------------
def shareable_result_for(user: Any, public_id: UUID | str) -> Result:
    """The user's own released result, or 404 (someone else's, withdrawn, erased, held)."""
    results = released_results().select_related("entry__session__exam", "entry__candidate")
    return get_object_or_404(results, public_id=public_id, entry__candidate__account=user)


def share_for(user: Any, share_id: int) -> Share:
    """A share of one of the user's released results, or 404."""
    shares = Share.objects.select_related("result", "organisation")
    return get_object_or_404(shares, pk=share_id, result__in=released_results(),
                             result__entry__candidate__account=user)


def directory(query: str, country: str = "") -> QuerySet[Organisation]:
    """Approved organisations whose name contains `query`, in `country` if given."""
    organisations = Organisation.objects.filter(status=Organisation.Status.APPROVED)
    if query.strip():
        organisations = organisations.filter(name__icontains=query.strip())
    if country:
        organisations = organisations.filter(country=country.upper())
    return organisations.order_by("name", "pk")[:DIRECTORY_LIMIT]


def shares_of(result: Result) -> QuerySet[Share]:
    """Every share of the result, active ones first, newest first; revoked ones stay
    listed (with `revoked_at`) so the candidate sees the whole history."""
    return (Share.objects.filter(result=result).select_related("organisation")
            .order_by(F("revoked_at").desc(nulls_first=True), "-shared_at"))


def active_organisation_ids(result: Result) -> set[int]:
    return set(Share.objects.filter(result=result, revoked_at__isnull=True)
               .values_list("organisation_id", flat=True))


# --- Services ----------------------------------------------------------------------------
def _ensure_owner(actor: Any, result: Result) -> None:
    if not released_results().filter(pk=result.pk, entry__candidate__account=actor).exists():
        raise PermissionDenied


def _share_one(*, actor: Any, result: Result, organisation: Organisation,
               request: HttpRequest | None) -> Share | None:
    """A new active share, or None when one is already active (a no-op)."""
    try:
        with transaction.atomic():  # savepoint: the unique constraint settles races
            share = Share.objects.create(result=result, organisation=organisation)
    except IntegrityError:
        return None
    record_event(actor=actor, action="portal.share", target=result, request=request,
                 data={"organisation": organisation.pk, "share": share.pk})
    events.share_started(share)
    return share


def share_result(*, actor: Any, result: Result, organisations: Iterable[Organisation],
                 request: HttpRequest | None = None) -> list[Share]:
    """Share `result` with approved `organisations`; returns the shares created (an
    organisation that already has an active share is left as it is)."""
    organisations = list(organisations)
    if any(o.status != Organisation.Status.APPROVED for o in organisations):
        raise ValidationError(_("Results can only be shared with approved organisations."))
    with transaction.atomic():
        _ensure_owner(actor, result)
        active = active_organisation_ids(result)
        created = [_share_one(actor=actor, result=result, organisation=o, request=request)
                   for o in organisations if o.pk not in active]
    return [share for share in created if share is not None]


def share_revoke(*, actor: Any, share: Share, request: HttpRequest | None = None) -> Share:
    """Stop sharing; revoking a share already revoked changes nothing."""
    with transaction.atomic():
        share = Share.objects.select_for_update().select_related("result").get(pk=share.pk)
        _ensure_owner(actor, share.result)
        if share.revoked_at is None:
            share.revoked_at = timezone.now()
            share.save(update_fields=["revoked_at"])
            record_event(actor=actor, action="portal.share_revoke", target=share.result,
                         request=request,
                         data={"organisation": share.organisation_id, "share": share.pk})
            events.share_ended(share, "share.revoked")
    return share


def share_opened(*, share: Share) -> None:
    """Mark the first opening only: the verification view audits every access itself."""
    Share.objects.filter(pk=share.pk, first_opened_at__isnull=True).update(
        first_opened_at=timezone.now())


def _inviter_first_name(actor: Any) -> str:
    if actor.first_name:
        return actor.first_name
    names = Candidate.objects.filter(account=actor).values_list("first_name", flat=True)
    return names.first() or ""


def _invite_key(actor: Any, email: str) -> str:
    """One invitation per candidate, address and day: a form sent twice mails once."""
    digest = hashlib.sha256(email.casefold().encode()).hexdigest()[:24]
    return f"portal-invite:{actor.pk}:{digest}:{timezone.now():%Y-%m-%d}"


def organisation_invite(*, actor: Any, organisation_name: str, email: str, message: str = "",
                        request: HttpRequest | None = None) -> None:
    """Email an organisation how to apply for the Results Verification Service, in the
    language the candidate is using; at most INVITES_PER_DAY per candidate."""
    if ratelimit.is_limited(INVITE_SCOPE, str(actor.pk), INVITES_PER_DAY):
        raise ValidationError(
            _("You have sent %(limit)d invitations today, the most allowed. Please try again "
              "tomorrow.") % {"limit": INVITES_PER_DAY}, code="rate_limited")
    context = {"organisation_name": organisation_name.strip(),
               "first_name": _inviter_first_name(actor), "message": message.strip(),
               "apply_url": settings.SITE_URL + ORGANISATION_APPLY_PATH}
    language = translation.get_language() or actor.language
    with transaction.atomic():
        outbound = queue_email(key=_invite_key(actor, email), to=email.strip(),
                               template="organisation_invitation", context=context,
                               language=language)
        record_event(actor=actor, action="portal.invite", target=None, request=request,
                     data={"outbound_email": outbound.pk})
    ratelimit.count_attempt(INVITE_SCOPE, str(actor.pk), INVITE_WINDOW_SECONDS)
