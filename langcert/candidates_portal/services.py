"""Writes of the Candidate Results Service accounts: registration with an ID Number and
Secret Number, email confirmation, further entries, email change.

Wrong ID/Secret pairs count against limits per entry and per address, kept in the shared
cache (Redis or the database), and every failure gives the same message: nobody learns
which half was wrong.
"""

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from langcert.candidates_portal.models import ResultsAccount
from langcert.centres.models import Entry
from langcert.centres.selectors import secret_matches
from langcert.core import identifiers, ratelimit
from langcert.core import services as core_services
from langcert.core.audit import client_ip, record_event
from langcert.core.mail import queue_email
from langcert.core.models import User
from langcert.core.roles import Role

PAIR_FAILURES_PER_ENTRY = 5  # then the entry is locked for the window
PAIR_FAILURES_PER_ADDRESS = 20
PAIR_WINDOW_SECONDS = 60 * 60
CONFIRM_SALT = "portal.confirm-email"
NEW_EMAIL_SALT = "portal.new-email"
LINK_MAX_AGE = 60 * 60 * 48  # confirmation links expire after 48 hours
RESENDS_ALLOWED = 5


def _wrong_pair_error() -> ValidationError:
    return ValidationError(
        _("This ID Number and Secret Number do not match an entry. Check both on your "
          "confirmation of entry."), code="wrong_pair")


def entry_by_pair(*, id_number: str, secret: str, ip: str | None) -> Entry:
    """The entry an ID Number + Secret Number name, within the guessing limits."""
    id_number = identifiers.normalise(id_number)
    keys = [("pair-entry", id_number), ("pair-ip", ip or "")]
    limits = [PAIR_FAILURES_PER_ENTRY, PAIR_FAILURES_PER_ADDRESS]
    if any(ratelimit.is_limited(s, i, n) for (s, i), n in zip(keys, limits, strict=True)):
        raise ValidationError(_("Too many wrong attempts. Wait an hour and try again."),
                              code="rate_limited")
    entry = (Entry.objects.filter(id_number=id_number)
             .select_related("candidate__account", "session__exam").first())
    if entry is None:
        make_password(secret)  # the same work as a real check: no timing oracle
    if entry is None or not secret_matches(entry, secret):
        for scope, ident in keys:
            ratelimit.count_attempt(scope, ident, PAIR_WINDOW_SECONDS)
        raise _wrong_pair_error()
    return entry


def _fingerprint(email: str) -> str:
    """Ties a link to one address without putting the address in the URL."""
    return hashlib.sha256(email.lower().encode()).hexdigest()[:16]


def _link(view: str, salt: str, user: User, email: str) -> str:
    # A fresh nonce: every link sent is a new one (and a new outbox message).
    payload = {"u": user.pk, "h": _fingerprint(email), "n": secrets.token_hex(4)}
    return settings.SITE_URL + reverse(view, args=[signing.dumps(payload, salt=salt)])


def _read_link(token: str, salt: str) -> dict[str, Any]:
    try:
        return signing.loads(token, salt=salt, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired as error:
        raise ValidationError(_("This link has expired: ask for a new one."),
                              code="expired") from error
    except signing.BadSignature as error:
        raise ValidationError(_("This link is not valid."), code="invalid") from error


def _send_confirmation(user: User) -> None:
    link = _link("portal:confirm_email", CONFIRM_SALT, user, user.email)
    queue_email(key=f"portal-confirm:{hashlib.sha256(link.encode()).hexdigest()[:32]}",
                to=user.email, template="portal_confirm_email", language=user.language,
                context={"first_name": user.first_name, "confirm_url": link})


def account_register(*, id_number: str, secret: str, email: str, password: str,
                     country: str, first_language: str, wants_updates: bool, language: str,
                     request: HttpRequest | None = None) -> User:
    """Open an account over the entry the pair names; login waits for the email link."""
    entry = entry_by_pair(id_number=id_number, secret=secret, ip=client_ip(request))
    candidate = entry.candidate
    if candidate.account_id is not None:
        raise ValidationError(_("This entry already belongs to an account: log in with your "
                                "ID Number or email address."), code="registered")
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _(
            "An account already uses this email address: log in, then add this entry.")})
    with transaction.atomic():
        user = core_services.user_create(
            actor=None, email=email, role=Role.CANDIDATE, password=password,
            first_name=candidate.first_name, last_name=candidate.last_name,
            time_zone=candidate.time_zone, language=language, request=request)
        ResultsAccount.objects.create(user=user, country=country, first_language=first_language,
                                      terms_accepted_at=timezone.now(),
                                      wants_updates=wants_updates)
        candidate.account = user
        candidate.save(update_fields=["account"])
        record_event(actor=None, action="portal.register", target=user, request=request,
                     data={"entry": entry.pk})
        _send_confirmation(user)
    return user


def account_confirm_email(*, token: str, request: HttpRequest | None = None) -> User:
    """Follow the link of the confirmation email (valid 48 hours, for that address)."""
    payload = _read_link(token, CONFIRM_SALT)
    account = ResultsAccount.objects.select_related("user").filter(user_id=payload["u"]).first()
    if account is None or _fingerprint(account.user.email) != payload["h"]:
        raise ValidationError(_("This link is not valid."), code="invalid")
    if account.email_confirmed_at is None:
        account.email_confirmed_at = timezone.now()
        account.save(update_fields=["email_confirmed_at"])
        record_event(actor=account.user, action="portal.confirm_email", target=account.user,
                     request=request)
    return account.user


def confirmation_resend(*, email: str, request: HttpRequest | None = None) -> None:
    """Send a new link to an unconfirmed account; says nothing about other addresses."""
    keys = [("resend-email", email.lower()), ("resend-ip", client_ip(request) or "")]
    if any(ratelimit.is_limited(s, i, RESENDS_ALLOWED) for s, i in keys):
        raise ValidationError(_("Too many requests. Wait an hour and try again."))
    for scope, ident in keys:
        ratelimit.count_attempt(scope, ident, PAIR_WINDOW_SECONDS)
    account = (ResultsAccount.objects.select_related("user")
               .filter(user__email__iexact=email, email_confirmed_at__isnull=True).first())
    if account is not None:
        _send_confirmation(account.user)
        record_event(actor=None, action="portal.resend_confirmation", target=account.user,
                     request=request)


def account_add_entry(*, actor: User, id_number: str, secret: str,
                      request: HttpRequest | None = None) -> Entry:
    """Add a further entry (another exam, another session) to the account."""
    entry = entry_by_pair(id_number=id_number, secret=secret, ip=client_ip(request))
    candidate = entry.candidate
    if candidate.account_id == actor.pk:
        raise ValidationError(_("This entry is already in your account."), code="already")
    if candidate.account_id is not None:
        raise ValidationError(_("This entry belongs to another account."), code="taken")
    candidate.account = actor
    candidate.save(update_fields=["account"])
    record_event(actor=actor, action="portal.add_entry", target=entry, request=request)
    return entry


def email_change_request(*, actor: User, new_email: str, password: str,
                         request: HttpRequest | None = None) -> None:
    """Ask to change the account's email: the password again, then a link to the new one."""
    if not actor.check_password(password):
        raise ValidationError({"password": _("This is not your password.")})
    if User.objects.filter(email__iexact=new_email).exclude(pk=actor.pk).exists():
        raise ValidationError({"new_email": _("Another account uses this email address.")})
    ResultsAccount.objects.filter(user=actor).update(pending_email=new_email)
    link = _link("portal:confirm_new_email", NEW_EMAIL_SALT, actor, new_email)
    queue_email(key=f"portal-new-email:{hashlib.sha256(link.encode()).hexdigest()[:32]}",
                to=new_email, template="portal_new_email", language=actor.language,
                context={"first_name": actor.first_name, "confirm_url": link})
    record_event(actor=actor, action="portal.email_change_requested", target=actor,
                 request=request)


def email_change_confirm(*, token: str, request: HttpRequest | None = None) -> User:
    """Follow the link sent to the new address (the latest one asked for)."""
    payload = _read_link(token, NEW_EMAIL_SALT)
    account = ResultsAccount.objects.select_related("user").filter(user_id=payload["u"]).first()
    new_email = account.pending_email if account is not None else ""
    if not new_email or _fingerprint(new_email) != payload["h"] or \
            User.objects.filter(email__iexact=new_email).exists():
        raise ValidationError(_("This link is not valid."), code="invalid")
    user = account.user
    user.email = new_email
    user.save(update_fields=["email"])
    account.pending_email = ""
    account.save(update_fields=["pending_email"])
    record_event(actor=user, action="portal.email_changed", target=user, request=request)
    return user
