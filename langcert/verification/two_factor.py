"""Two-factor authentication (TOTP) for organisation users.

A user sets it up by scanning a QR code (or typing the secret) into an authenticator app
and typing one code; the secret is kept encrypted with core.crypto. From then on, and for
every user of an organisation that requires it, each signed-in session must pass one code
before any other page (`TwoFactorMiddleware`). Codes are accepted one 30-second step either
side of now, never twice (the last accepted step is kept with the membership), and wrong
codes are limited to 5 per 15 minutes per user.
"""

from urllib.parse import urlencode

import pyotp
import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from pyotp.exceptions import OTPVerificationError

from langcert.core import ratelimit
from langcert.core.audit import record_event
from langcert.core.crypto import decrypt, encrypt
from langcert.core.roles import Role
from langcert.verification.models import OrganisationMember

ISSUER = "LangCert"
SESSION_KEY = "verification_two_factor_user"
VALID_WINDOW = 1  # steps either side of now: the phone's clock may be 30 s off
FAILURES_ALLOWED = 5
FAILURE_WINDOW_SECONDS = 15 * 60
LIMIT_SCOPE = "verification-totp"


# --- State ---------------------------------------------------------------------------------
def is_confirmed(member: OrganisationMember) -> bool:
    return member.totp_confirmed_at is not None and bool(member.totp_secret)


def is_required(member: OrganisationMember) -> bool:
    return member.organisation.two_factor == "required"


def needs_verification(member: OrganisationMember) -> bool:
    return is_confirmed(member) or is_required(member)


def is_verified(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is not None and request.session.get(SESSION_KEY) == user.pk


def _mark_verified(request: HttpRequest) -> None:
    # A new session key once the second factor is passed, as at login.
    request.session.cycle_key()
    request.session[SESSION_KEY] = request.user.pk


def _secret(member: OrganisationMember) -> str:
    return decrypt(member.totp_secret.encode()).decode()


# --- Setting up ----------------------------------------------------------------------------
def setup_secret(*, member: OrganisationMember) -> str:
    """The secret being set up: drawn once and kept (encrypted) until a code confirms it,
    so a page reload shows the same QR code."""
    if is_confirmed(member):
        raise ValidationError(_("Two-factor authentication is already set up."))
    if member.totp_secret:
        return _secret(member)
    secret = pyotp.random_base32()
    member.totp_secret = encrypt(secret.encode()).decode()
    member.save(update_fields=["totp_secret"])
    return secret


def provisioning_uri(*, member: OrganisationMember, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=member.user.email, issuer_name=ISSUER)


def qr_svg(*, member: OrganisationMember, secret: str) -> str:
    """The QR code of the provisioning URI, as inline SVG (no image request, no cache)."""
    qr = segno.make(provisioning_uri(member=member, secret=secret), error="m")
    return qr.svg_inline(scale=5, border=2, title=_("QR code for your authenticator app"))


# --- Checking codes ------------------------------------------------------------------------
def _matching_step(secret: str, code: str) -> int | None:
    """The 30-second step the code belongs to, within the allowed window, or None."""
    try:
        return pyotp.TOTP(secret).verify_and_get_timecode(code, for_time=timezone.now(),
                                                          valid_window=VALID_WINDOW)
    except OTPVerificationError:
        return None


def _claim_step(member: OrganisationMember, step: int) -> bool:
    """Accept a step once: not a step already used, nor one older than the last used. One
    conditional UPDATE, so two requests with the same code cannot both pass."""
    fresh = Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step)
    return OrganisationMember.objects.filter(fresh, pk=member.pk).update(
        totp_last_step=step) == 1


def _check_code(*, member: OrganisationMember, code: str, request: HttpRequest | None) -> None:
    """Raise a ValidationError unless the code is right, fresh and within the limits."""
    ident = str(member.user_id)
    if ratelimit.is_limited(LIMIT_SCOPE, ident, FAILURES_ALLOWED):
        raise ValidationError(_("Too many wrong codes. Wait 15 minutes and try again."),
                              code="rate_limited")
    code = "".join(code.split())
    step = _matching_step(_secret(member), code) if len(code) == 6 and code.isdigit() else None
    if step is not None and _claim_step(member, step):
        return
    ratelimit.count_attempt(LIMIT_SCOPE, ident, FAILURE_WINDOW_SECONDS)
    record_event(actor=member.user, action="verification.two_factor_failed", target=member,
                 request=request, data={"replay": step is not None})
    if step is not None:
        raise ValidationError(_("This code was already used. Wait for the next code of your "
                                "app."), code="replay")
    raise ValidationError(_("This code is not right. Check your app and type the code it "
                            "shows now."), code="wrong")


def setup_confirm(*, member: OrganisationMember, code: str, request: HttpRequest) -> None:
    """The first code typed confirms the setup and passes this session."""
    if is_confirmed(member) or not member.totp_secret:
        raise ValidationError(_("Start the setup again."), code="no_setup")
    _check_code(member=member, code=code, request=request)
    with transaction.atomic():
        member.totp_confirmed_at = timezone.now()
        member.save(update_fields=["totp_confirmed_at"])
        record_event(actor=member.user, action="verification.two_factor_setup", target=member,
                     request=request)
    _mark_verified(request)


def verify(*, member: OrganisationMember, code: str, request: HttpRequest) -> None:
    """The code asked once per session, after signing in."""
    if not is_confirmed(member):
        raise ValidationError(_("Set up two-factor authentication first."), code="no_setup")
    _check_code(member=member, code=code, request=request)
    record_event(actor=member.user, action="verification.two_factor_verified", target=member,
                 request=request)
    _mark_verified(request)


def disable(*, member: OrganisationMember, code: str, request: HttpRequest) -> None:
    """Turn it off (with a current code), unless the organisation requires it."""
    if is_required(member):
        raise ValidationError(_("Your organisation requires two-factor authentication."),
                              code="required")
    if not is_confirmed(member):
        raise ValidationError(_("Two-factor authentication is not set up."), code="no_setup")
    _check_code(member=member, code=code, request=request)
    with transaction.atomic():
        member.totp_secret, member.totp_confirmed_at = "", None
        member.save(update_fields=["totp_secret", "totp_confirmed_at"])
        record_event(actor=member.user, action="verification.two_factor_disabled",
                     target=member, request=request)


# --- Middleware ----------------------------------------------------------------------------
def _exempt(path: str) -> bool:
    """Pages open before the code: the two-factor page itself, signing out, the language
    switch and static files."""
    if path.startswith(settings.STATIC_URL):
        return True
    return path in {reverse("verification:two_factor"), reverse("logout"),
                    reverse("switch_language")}


class TwoFactorMiddleware:
    """Sends an organisation user who has two-factor authentication (or whose organisation
    requires it) to the two-factor page until this session passed a code.

    Goes after AuthenticationMiddleware. Everyone else (visitors, candidates, staff,
    organisation users without two-factor) passes untouched, at the cost of no query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_verify(request):
            target = reverse("verification:two_factor")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _must_verify(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.role != Role.ORGANISATION:
            return False
        if is_verified(request) or _exempt(request.path):
            return False
        member = (OrganisationMember.objects.select_related("organisation")
                  .filter(user_id=user.pk).first())
        return member is not None and needs_verification(member)
