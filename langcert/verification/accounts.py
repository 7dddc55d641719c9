"""Organisation accounts of the Results Verification Service: applying, the board's
decision, joining an existing account, the account's users, its details, each user's
profile and the contact form to the board.

Services are keyword-only, own their transaction, check who may act and write one audit
row with identifiers only (never names, emails or message texts). Selectors return what a
person may see: an organisation user only ever reaches their own organisation.
"""

import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from langcert.core import ratelimit
from langcert.core import services as core_services
from langcert.core.audit import client_ip, record_event
from langcert.core.mail import queue_email
from langcert.core.models import User
from langcert.core.roles import Role
from langcert.verification.models import JoinRequest, Organisation, OrganisationMember

# Anonymous forms that send email are limited per address.
APPLICATIONS_PER_HOUR = 5
JOIN_REQUESTS_PER_HOUR = 10
CONTACTS_PER_HOUR = 5
HOUR = 60 * 60
SEARCH_LIMIT = 20


# --- Small helpers -------------------------------------------------------------------------
def domain_of_email(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


def domain_of_website(website: str) -> str:
    host = (urlsplit(website if "//" in website else f"//{website}").hostname or "").lower()
    return host.removeprefix("www.")


def email_matches_website(email: str, website: str) -> bool:
    """True when the address belongs to the website's domain or a subdomain of it (or the
    other way round: staff.uni.example and www.uni.example are the same institution)."""
    mail, site = domain_of_email(email), domain_of_website(website)
    if not mail or not site:
        return False
    return mail == site or mail.endswith("." + site) or site.endswith("." + mail)


def _limit(scope: str, ident: str, allowed: int, window: int = HOUR) -> None:
    """Count one attempt; refuse when the window's allowance is used up."""
    if ratelimit.is_limited(scope, ident, allowed):
        raise ValidationError(_("Too many requests. Wait an hour and try again."),
                              code="rate_limited")
    ratelimit.count_attempt(scope, ident, window)


def _email_free(email: str) -> None:
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _(
            "An account already uses this email address. Log in, or ask us through the "
            "contact address if you cannot.")}, code="taken")


def set_password_url(user: User) -> str:
    """Django's password-reset link: it expires after settings.PASSWORD_RESET_TIMEOUT and
    once used (the token covers the password hash)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL + path


def _link_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)


def _send_set_password(*, user: User, template: str, key: str, context: dict) -> None:
    queue_email(key=key, to=user.email, template=template, language=user.language,
                context={"first_name": user.first_name, "set_password_url": set_password_url(user),
                         "hours": _link_hours(), "login_url": settings.SITE_URL + reverse("login"),
                         **context},
                sensitive=True)


# --- Selectors -----------------------------------------------------------------------------
def member_for(user: Any) -> OrganisationMember:
    """The signed-in organisation user's membership of an approved organisation, or 404."""
    member = (OrganisationMember.objects.select_related("organisation", "user")
              .filter(user_id=getattr(user, "pk", None),
                      organisation__status=Organisation.Status.APPROVED).first())
    if member is None:
        raise Http404
    return member


def members_of(organisation: Organisation) -> QuerySet[OrganisationMember]:
    """The account's users, the primary one first."""
    return (OrganisationMember.objects.filter(organisation=organisation, user__is_active=True)
            .select_related("user").order_by("-is_primary", "user__last_name",
                                              "user__first_name", "pk"))


def colleague(viewer: OrganisationMember, member_id: int) -> OrganisationMember:
    """A user of the viewer's own organisation, or 404 (another organisation's id says
    nothing more than an unknown one)."""
    member = members_of(viewer.organisation).filter(pk=member_id).first()
    if member is None:
        raise Http404
    return member


def pending_join_requests(organisation: Organisation) -> QuerySet[JoinRequest]:
    return JoinRequest.objects.filter(organisation=organisation,
                                      status=JoinRequest.Status.PENDING).order_by("created_at")


def join_request_of(organisation: Organisation, request_id: int) -> JoinRequest:
    join_request = pending_join_requests(organisation).filter(pk=request_id).first()
    if join_request is None:
        raise Http404
    return join_request


def approved_organisations(query: str) -> QuerySet[Organisation]:
    """Approved organisations whose name contains `query` (at least 2 characters)."""
    query = query.strip()
    if len(query) < 2:
        return Organisation.objects.none()
    return (Organisation.objects.filter(status=Organisation.Status.APPROVED,
                                        name__icontains=query)
            .order_by("name", "pk")[:SEARCH_LIMIT])


def applications() -> QuerySet[Organisation]:
    """Every application: pending ones first (oldest first), then decided ones (latest
    decision first)."""
    pending_first = Case(When(status=Organisation.Status.PENDING, then=Value(0)),
                         default=Value(1), output_field=IntegerField())
    return (Organisation.objects.annotate(pending_first=pending_first)
            .select_related("decided_by")
            .order_by("pending_first", F("decided_at").desc(nulls_last=True), "created_at",
                      "pk"))


def api_access_requests() -> QuerySet[Organisation]:
    return Organisation.objects.filter(status=Organisation.Status.APPROVED,
                                       api_access="requested").order_by("name", "pk")


def primary_member(organisation: Organisation) -> OrganisationMember | None:
    return (OrganisationMember.objects.filter(organisation=organisation, is_primary=True)
            .select_related("user").first())


# --- Applying and the board's decision -----------------------------------------------------
def organisation_apply(*, first_name: str, last_name: str, job_title: str, email: str,
                       organisation_name: str, kind: str, website: str, street: str,
                       city: str, postcode: str, country: str, language: str,
                       request: HttpRequest | None = None) -> Organisation:
    """A new organisation asks for an account. The applicant's user is created inactive
    and without a password: nobody can sign in or ask for a reset link until the board
    approves, and the approval email carries the link to set the password."""
    _limit("verification-apply", client_ip(request) or "", APPLICATIONS_PER_HOUR)
    _email_free(email)
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=organisation_name, kind=kind, website=website, country=country,
            address="\n".join(part for part in (street.strip(), f"{postcode} {city}".strip())
                              if part),
            terms_accepted_at=timezone.now())
        user = core_services.user_create(actor=None, email=email, role=Role.ORGANISATION,
                                         password=None, first_name=first_name,
                                         last_name=last_name, language=language,
                                         request=request)
        user.is_active = False
        user.save(update_fields=["is_active"])
        OrganisationMember.objects.create(organisation=organisation, user=user,
                                          is_primary=True, job_title=job_title)
        record_event(actor=None, action="verification.apply", target=organisation,
                     request=request, data={"user": user.pk,
                                            "domain_matches": email_matches_website(email,
                                                                                    website)})
        queue_email(key=f"verification-received:{organisation.pk}", to=user.email,
                    template="verification_account_received", language=language,
                    context={"first_name": first_name, "organisation": organisation.name})
    return organisation


def _pending(organisation: Organisation) -> Organisation:
    """The application, locked; refused if someone already decided it."""
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if locked.status != Organisation.Status.PENDING:
        raise ValidationError(_("This application was already decided."), code="decided")
    return locked


def application_approve(*, actor: User, organisation: Organisation,
                        request: HttpRequest | None = None) -> Organisation:
    """Approve: the primary user becomes active and gets the link to set a password."""
    with transaction.atomic():
        organisation = _pending(organisation)
        organisation.status = Organisation.Status.APPROVED
        organisation.decided_by, organisation.decided_at = actor, timezone.now()
        organisation.save(update_fields=["status", "decided_by", "decided_at"])
        primary = primary_member(organisation)
        if primary is not None:
            primary.user.is_active = True
            primary.user.save(update_fields=["is_active"])
            _send_set_password(user=primary.user, template="verification_account_approved",
                               key=f"verification-approved:{organisation.pk}",
                               context={"organisation": organisation.name})
        record_event(actor=actor, action="verification.approve", target=organisation,
                     request=request)
    return organisation


def application_reject(*, actor: User, organisation: Organisation, reason: str,
                       request: HttpRequest | None = None) -> Organisation:
    """Reject with a reason, which the applicant reads in the email."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason: the applicant will read it.")})
    with transaction.atomic():
        organisation = _pending(organisation)
        organisation.status = Organisation.Status.REJECTED
        organisation.decided_by, organisation.decided_at = actor, timezone.now()
        organisation.rejection_reason = reason
        organisation.save(update_fields=["status", "decided_by", "decided_at",
                                         "rejection_reason"])
        primary = primary_member(organisation)
        if primary is not None:
            queue_email(key=f"verification-rejected:{organisation.pk}", to=primary.user.email,
                        template="verification_account_rejected",
                        language=primary.user.language,
                        context={"first_name": primary.user.first_name,
                                 "organisation": organisation.name, "reason": reason})
        record_event(actor=actor, action="verification.reject", target=organisation,
                     request=request)
    return organisation


def api_access_approve(*, actor: User, organisation: Organisation,
                       request: HttpRequest | None = None) -> Organisation:
    """The board grants the API access the primary user asked for; the primary user is told
    by email where to create a credential."""
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if organisation.api_access != "requested":
            raise ValidationError(_("This organisation has no API access request waiting."),
                                  code="not_requested")
        organisation.api_access = "approved"
        organisation.save(update_fields=["api_access"])
        primary = primary_member(organisation)
        # The primary user asked, and alone creates credentials.
        if primary is not None and primary.user.is_active:
            queue_email(key=f"verification-api-approved:{organisation.pk}",
                        to=primary.user.email, template="verification_api_access_approved",
                        language=primary.user.language,
                        context={"first_name": primary.user.first_name,
                                 "organisation": organisation.name,
                                 "api_page_url": settings.SITE_URL + reverse("verification:api"),
                                 "docs_url": settings.SITE_URL + reverse("api-v1:openapi-view")})
        record_event(actor=actor, action="verification.api_access_approve",
                     target=organisation, request=request)
    return organisation


# --- Joining an existing account -----------------------------------------------------------
def join_request_create(*, organisation: Organisation, first_name: str, last_name: str,
                        job_title: str, email: str,
                        request: HttpRequest | None = None) -> JoinRequest:
    """Ask to join an approved organisation; its primary user is told by email."""
    if organisation.status != Organisation.Status.APPROVED:
        raise Http404
    _limit("verification-join", client_ip(request) or "", JOIN_REQUESTS_PER_HOUR)
    _email_free(email)
    with transaction.atomic():
        existing = pending_join_requests(organisation).filter(email__iexact=email).first()
        if existing is not None:  # asked twice: one request, one email
            return existing
        join_request = JoinRequest.objects.create(
            organisation=organisation, first_name=first_name, last_name=last_name,
            job_title=job_title, email=email)
        primary = primary_member(organisation)
        if primary is not None and primary.user.is_active:
            queue_email(key=f"verification-join:{join_request.pk}", to=primary.user.email,
                        template="verification_account_join_request",
                        language=primary.user.language,
                        context={"first_name": primary.user.first_name,
                                 "requester": f"{first_name} {last_name}".strip(),
                                 "requester_email": email, "job_title": job_title,
                                 "organisation": organisation.name,
                                 "domain_matches": email_matches_website(
                                     email, organisation.website),
                                 "users_url": settings.SITE_URL + reverse("verification:users")})
        record_event(actor=None, action="verification.join_request", target=organisation,
                     request=request, data={"join_request": join_request.pk})
    return join_request


def _primary_of(actor: User) -> OrganisationMember:
    """The actor's membership, if they are their organisation's primary user."""
    member = OrganisationMember.objects.select_related("organisation").filter(
        user=actor, organisation__status=Organisation.Status.APPROVED).first()
    if member is None or not member.is_primary:
        raise PermissionDenied
    return member


def _same_organisation(primary: OrganisationMember, organisation_id: int) -> None:
    if primary.organisation_id != organisation_id:
        raise PermissionDenied


def _new_member(*, actor: User, organisation: Organisation, first_name: str, last_name: str,
                job_title: str, email: str, request: HttpRequest | None) -> OrganisationMember:
    """Create (or bring back, if removed earlier) the user, then send the link to set a
    password."""
    user = User.objects.filter(email__iexact=email).first()
    returning = (user is not None and not user.is_active and user.role == Role.ORGANISATION
                 and not OrganisationMember.objects.filter(user=user).exists())
    if user is not None and not returning:
        raise ValidationError({"email": _("An account already uses this email address.")},
                              code="taken")
    if returning:  # a user removed earlier: same account, new password
        user.first_name, user.last_name, user.is_active = first_name, last_name, True
        user.set_unusable_password()
        user.save(update_fields=["first_name", "last_name", "is_active", "password"])
    else:
        user = core_services.user_create(actor=actor, email=email, role=Role.ORGANISATION,
                                         password=None, first_name=first_name,
                                         last_name=last_name, language=actor.language,
                                         time_zone=actor.time_zone, request=request)
    member = OrganisationMember.objects.create(organisation=organisation, user=user,
                                               job_title=job_title)
    _send_set_password(user=user, template="verification_account_welcome",
                       key=f"verification-welcome:{member.pk}",
                       context={"organisation": organisation.name,
                                "added_by": actor.get_full_name()})
    return member


def join_request_accept(*, actor: User, join_request: JoinRequest,
                        request: HttpRequest | None = None) -> OrganisationMember:
    primary = _primary_of(actor)
    _same_organisation(primary, join_request.organisation_id)
    with transaction.atomic():
        join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
        if join_request.status != JoinRequest.Status.PENDING:
            raise ValidationError(_("This request was already answered."), code="answered")
        member = _new_member(actor=actor, organisation=primary.organisation,
                             first_name=join_request.first_name,
                             last_name=join_request.last_name,
                             job_title=join_request.job_title, email=join_request.email,
                             request=request)
        join_request.status, join_request.decided_at = JoinRequest.Status.ACCEPTED, timezone.now()
        join_request.save(update_fields=["status", "decided_at"])
        record_event(actor=actor, action="verification.join_accept", target=member,
                     request=request, data={"join_request": join_request.pk})
    return member


def join_request_decline(*, actor: User, join_request: JoinRequest,
                         request: HttpRequest | None = None) -> JoinRequest:
    primary = _primary_of(actor)
    _same_organisation(primary, join_request.organisation_id)
    with transaction.atomic():
        updated = JoinRequest.objects.filter(pk=join_request.pk,
                                             status=JoinRequest.Status.PENDING).update(
            status=JoinRequest.Status.DECLINED, decided_at=timezone.now())
        if not updated:
            raise ValidationError(_("This request was already answered."), code="answered")
        record_event(actor=actor, action="verification.join_decline",
                     target=primary.organisation, request=request,
                     data={"join_request": join_request.pk})
    join_request.refresh_from_db()
    return join_request


# --- The account's users -------------------------------------------------------------------
def member_add(*, actor: User, first_name: str, last_name: str, job_title: str, email: str,
               request: HttpRequest | None = None) -> OrganisationMember:
    """The primary user adds a user, who gets an email to set their password."""
    primary = _primary_of(actor)
    with transaction.atomic():
        member = _new_member(actor=actor, organisation=primary.organisation,
                             first_name=first_name, last_name=last_name, job_title=job_title,
                             email=email, request=request)
        record_event(actor=actor, action="verification.user_add", target=member,
                     request=request, data={"user": member.user_id})
    return member


def member_edit(*, actor: User, member: OrganisationMember, first_name: str, last_name: str,
                job_title: str, request: HttpRequest | None = None) -> OrganisationMember:
    primary = _primary_of(actor)
    _same_organisation(primary, member.organisation_id)
    with transaction.atomic():
        user = member.user
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
        member.job_title = job_title
        member.save(update_fields=["job_title"])
        record_event(actor=actor, action="verification.user_edit", target=member,
                     request=request)
    return member


def member_remove(*, actor: User, member: OrganisationMember,
                  request: HttpRequest | None = None) -> None:
    """Remove a user: their account is deactivated (signed out at once) and leaves the
    organisation. Neither yourself nor the primary user."""
    primary = _primary_of(actor)
    _same_organisation(primary, member.organisation_id)
    if member.user_id == actor.pk or member.is_primary:
        raise ValidationError(_("You cannot remove yourself or the primary user. Hand over "
                                "the primary role first."), code="protected")
    with transaction.atomic():
        user = member.user
        user.is_active = False
        user.save(update_fields=["is_active"])
        record_event(actor=actor, action="verification.user_remove",
                     target=primary.organisation, request=request,
                     data={"user": user.pk, "member": member.pk})
        member.delete()


def primary_hand_over(*, actor: User, member: OrganisationMember,
                      request: HttpRequest | None = None) -> OrganisationMember:
    """Make another user the primary one; the actor becomes a normal user. Both changes
    or neither (one primary user per organisation, by a database constraint)."""
    primary = _primary_of(actor)
    _same_organisation(primary, member.organisation_id)
    if member.pk == primary.pk or not member.user.is_active:
        raise ValidationError(_("Choose another active user of your organisation."),
                              code="invalid")
    with transaction.atomic():
        locked = {row.pk: row for row in OrganisationMember.objects.select_for_update()
                  .filter(pk__in=[primary.pk, member.pk], organisation=primary.organisation)}
        if len(locked) != 2 or not locked[primary.pk].is_primary:
            raise PermissionDenied
        # The old primary first: the constraint is checked statement by statement.
        OrganisationMember.objects.filter(pk=primary.pk).update(is_primary=False)
        OrganisationMember.objects.filter(pk=member.pk).update(is_primary=True)
        record_event(actor=actor, action="verification.primary_hand_over", target=member,
                     request=request, data={"from": primary.pk, "to": member.pk})
    member.refresh_from_db()
    return member


def member_two_factor_reset(*, actor: User, member: OrganisationMember,
                            request: HttpRequest | None = None) -> OrganisationMember:
    """The primary user clears a user's two-factor setup (a lost phone): they set it up
    again at their next sign-in if the organisation requires it."""
    primary = _primary_of(actor)
    _same_organisation(primary, member.organisation_id)
    with transaction.atomic():
        member.totp_secret, member.totp_confirmed_at = "", None
        member.save(update_fields=["totp_secret", "totp_confirmed_at"])
        record_event(actor=actor, action="verification.two_factor_reset", target=member,
                     request=request)
    return member


def organisation_update(*, actor: User, name: str, website: str, address: str, country: str,
                        recognised_exams: Any, two_factor: str,
                        request: HttpRequest | None = None) -> Organisation:
    """The primary user edits the organisation's details and recognised exams."""
    organisation = _primary_of(actor).organisation
    with transaction.atomic():
        fields = {"name": name, "website": website, "address": address, "country": country,
                  "two_factor": two_factor}
        changed = sorted(key for key, value in fields.items()
                         if getattr(organisation, key) != value)
        for key, value in fields.items():
            setattr(organisation, key, value)
        organisation.save(update_fields=list(fields))
        before = set(organisation.recognised_exams.values_list("pk", flat=True))
        organisation.recognised_exams.set(recognised_exams)
        if before != {exam.pk for exam in recognised_exams}:
            changed.append("recognised_exams")
        record_event(actor=actor, action="verification.details_edit", target=organisation,
                     request=request, data={"fields": changed})
    return organisation


def profile_update(*, actor: User, first_name: str, last_name: str, job_title: str,
                   language: str, time_zone: str,
                   request: HttpRequest | None = None) -> User:
    """Each user's own name, job title, language and time zone."""
    member = member_for(actor)
    with transaction.atomic():
        actor.first_name, actor.last_name = first_name, last_name
        actor.language, actor.time_zone = language, time_zone
        actor.save(update_fields=["first_name", "last_name", "language", "time_zone"])
        member.job_title = job_title
        member.save(update_fields=["job_title"])
        record_event(actor=actor, action="verification.profile_edit", target=member,
                     request=request)
    return actor


# --- Help: the contact form to the board ---------------------------------------------------
def _board_recipients() -> list[tuple[str, str]]:
    """(address, language) pairs: the board's contact address if set, else every active
    board user."""
    address = getattr(settings, "BOARD_CONTACT_EMAIL", "")
    if address:
        return [(address, settings.LANGUAGE_CODE)]
    return list(User.objects.filter(role=Role.BOARD, is_active=True).order_by("pk")
                .values_list("email", "language"))


def board_contact(*, actor: User, subject: str, message: str,
                  request: HttpRequest | None = None) -> int:
    """Send an organisation user's question to the board; returns the emails queued.
    The audit row keeps who and when, never the text."""
    member = member_for(actor)
    _limit("verification-contact", str(actor.pk), CONTACTS_PER_HOUR)
    recipients = _board_recipients()
    with transaction.atomic():
        event = record_event(actor=actor, action="verification.help_contact",
                             target=member.organisation, request=request,
                             data={"recipients": len(recipients)})
        context = {"organisation": member.organisation.name, "sender": actor.get_full_name(),
                   "sender_email": actor.email, "job_title": member.job_title,
                   "subject": subject, "message": message}
        for n, (address, language) in enumerate(recipients):
            queue_email(key=f"verification-contact:{event.pk}:{n}:{uuid.uuid4().hex[:8]}",
                        to=address, template="verification_account_contact",
                        language=language, context=context)
    return len(recipients)
