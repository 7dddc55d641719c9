"""API clients of an organisation: asking for API access, OAuth2 client credentials
(django-oauth-toolkit applications, client-credentials grant) and webhooks.

A credential is a confidential DOT `Application` wrapped in an `ApiCredential` that
expires after 12 months. Its secret is hashed when saved (`hash_client_secret`), so the
plain secret exists only in the value these services return: the page shows it once.
Rotating sets a new secret (the old one and every token issued with it stop working) and
starts a new 12 months; revoking ends the credential and its tokens.

Services are keyword-only, own their transaction, check the actor and write an audit row
with identifiers only. `OrganisationOAuth2Validator` refuses tokens to credentials that
are revoked or expired, or whose organisation has no approved API access.
"""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application
from oauth2_provider.oauth2_validators import OAuth2Validator

from langcert.core import crypto
from langcert.core.audit import record_event
from langcert.results.models import Result
from langcert.verification import selectors, webhooks
from langcert.verification.models import (
    AccessEvent,
    ApiCredential,
    Organisation,
    OrganisationMember,
    Share,
    Webhook,
)

CREDENTIAL_LIFETIME = timedelta(days=365)
MAX_ACTIVE_CREDENTIALS = 5
MAX_WEBHOOKS = 10
API_ACCESS_NONE, API_ACCESS_REQUESTED, API_ACCESS_APPROVED = "none", "requested", "approved"


# --- Reads ---------------------------------------------------------------------------------
def api_enabled(organisation: Organisation) -> bool:
    """Only approved organisations whose API access the board approved may use the API."""
    return (organisation.status == Organisation.Status.APPROVED
            and organisation.api_access == API_ACCESS_APPROVED)


def credential_usable(credential: ApiCredential, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return credential.revoked_at is None and credential.expires_at > now


def credentials_of(organisation: Organisation) -> QuerySet[ApiCredential]:
    """Every credential of the organisation, newest first, revoked ones included."""
    return (ApiCredential.objects.filter(organisation=organisation)
            .select_related("application", "created_by").order_by("-created_at", "-pk"))


def credential_of(organisation: Organisation, credential_id: int) -> ApiCredential:
    """One of the organisation's credentials; 404 for anyone else's."""
    return get_object_or_404(credentials_of(organisation), pk=credential_id)


def webhooks_of(organisation: Organisation) -> QuerySet[Webhook]:
    """The organisation's webhooks still registered (deleted ones keep their history)."""
    return Webhook.objects.filter(organisation=organisation, is_active=True).order_by(
        "created_at", "pk")


# --- What API clients read -------------------------------------------------------------------
def shared_page(organisation: Organisation, *, shared_from: datetime | None = None,
                shared_before: datetime | None = None, after: tuple[datetime, int] | None = None,
                limit: int) -> list[Share]:
    """Up to `limit` active shares of released results, in a stable order (shared_at,
    share id), starting after the (shared_at, id) of `after`."""
    shares = selectors.shared_results(organisation).select_related(
        "result__entry__session__centre")
    if shared_from is not None:
        shares = shares.filter(shared_at__gte=shared_from)
    if shared_before is not None:
        shares = shares.filter(shared_at__lt=shared_before)
    if after is not None:
        moment, share_id = after
        shares = shares.filter(Q(shared_at__gt=moment) | Q(shared_at=moment, pk__gt=share_id))
    return list(shares.order_by("shared_at", "pk")[:limit])


def shared_result(organisation: Organisation, public_id: UUID) -> Share:
    """The active share of a released result with the organisation, or 404 (another
    organisation's result, a withdrawn one, an erased person's: as if it never existed)."""
    shares = selectors.shared_results(organisation).select_related(
        "result__entry__session__centre")
    return get_object_or_404(shares, result__public_id=public_id)


def record_listing(*, organisation: Organisation, results: list[Result],
                   request: HttpRequest | None = None) -> None:
    """A page of shared results read through the API: each one is a view in the
    candidate's access log, and one audit row lists them."""
    if not results:
        return
    with transaction.atomic():
        AccessEvent.objects.bulk_create(
            AccessEvent(result=result, organisation=organisation, kind=AccessEvent.Kind.VIEW)
            for result in results)
        record_event(actor=None, action="verification.api_list", target=organisation,
                     request=request,
                     data={"results": [result.pk for result in results], "channel": "api"})


# --- Checks --------------------------------------------------------------------------------
def _ensure_primary(actor: Any, organisation: Organisation) -> None:
    """Only the primary user of an approved organisation manages its API clients."""
    allowed = OrganisationMember.objects.filter(
        user=actor, organisation=organisation, is_primary=True,
        organisation__status=Organisation.Status.APPROVED).exists()
    if not allowed:
        raise PermissionDenied


def _ensure_api_enabled(organisation: Organisation) -> None:
    if not api_enabled(organisation):
        raise ValidationError(_("API access has not been approved for your organisation yet."),
                              code="api_not_approved")


# --- API access ----------------------------------------------------------------------------
def api_access_request(*, actor: Any, organisation: Organisation) -> Organisation:
    """The primary user asks for API access; the board decides in its queue. Asking again
    while a request waits (or after approval) changes nothing."""
    with transaction.atomic():
        _ensure_primary(actor, organisation)
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        if organisation.api_access == API_ACCESS_NONE:
            organisation.api_access = API_ACCESS_REQUESTED
            organisation.save(update_fields=["api_access"])
            record_event(actor=actor, action="verification.api_access_request",
                         target=organisation)
    return organisation


# --- Credentials ---------------------------------------------------------------------------
def _new_secret(application: Application) -> str:
    """Give the application a new secret; DOT hashes it on save. Returns the plain one."""
    secret = generate_client_secret()
    application.client_secret = secret
    application.hash_client_secret = True
    application.save()
    return secret


def credential_create(*, actor: Any, organisation: Organisation) -> tuple[ApiCredential, str]:
    """A new client (confidential, client-credentials grant) valid for 12 months.
    Returns the credential and its plain secret, which is never readable again."""
    with transaction.atomic():
        _ensure_primary(actor, organisation)
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        _ensure_api_enabled(organisation)
        active = [c for c in credentials_of(organisation) if credential_usable(c)]
        if len(active) >= MAX_ACTIVE_CREDENTIALS:
            raise ValidationError(
                _("Your organisation already has %(count)d active credentials: revoke one "
                  "first.") % {"count": MAX_ACTIVE_CREDENTIALS}, code="too_many")
        application = Application(
            name=f"{organisation.name} ({timezone.now():%Y-%m-%d})"[:255],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            redirect_uris="", skip_authorization=True)
        secret = _new_secret(application)
        credential = ApiCredential.objects.create(
            organisation=organisation, application=application, created_by=actor,
            expires_at=timezone.now() + CREDENTIAL_LIFETIME)
        record_event(actor=actor, action="verification.api_credential_create",
                     target=organisation, data={"credential": credential.pk})
    return credential, secret


def _end_tokens(credential: ApiCredential) -> int:
    deleted, _rows = AccessToken.objects.filter(application=credential.application).delete()
    return deleted


def credential_rotate(*, actor: Any, credential: ApiCredential) -> tuple[ApiCredential, str]:
    """A new secret for the same client id: the old secret and its tokens stop working at
    once, and the credential is valid for a new 12 months. Returns the plain secret."""
    with transaction.atomic():
        credential = ApiCredential.objects.select_for_update().select_related(
            "application", "organisation").get(pk=credential.pk)
        _ensure_primary(actor, credential.organisation)
        _ensure_api_enabled(credential.organisation)
        if credential.revoked_at is not None:
            raise ValidationError(_("This credential was revoked: create a new one."),
                                  code="revoked")
        secret = _new_secret(credential.application)
        _end_tokens(credential)
        credential.expires_at = timezone.now() + CREDENTIAL_LIFETIME
        credential.save(update_fields=["expires_at"])
        record_event(actor=actor, action="verification.api_credential_rotate",
                     target=credential.organisation, data={"credential": credential.pk})
    return credential, secret


def credential_revoke(*, actor: Any, credential: ApiCredential) -> ApiCredential:
    """End the credential and every token it was given; revoking twice changes nothing."""
    with transaction.atomic():
        credential = ApiCredential.objects.select_for_update().select_related(
            "application", "organisation").get(pk=credential.pk)
        _ensure_primary(actor, credential.organisation)
        if credential.revoked_at is None:
            credential.revoked_at = timezone.now()
            credential.save(update_fields=["revoked_at"])
            _end_tokens(credential)
            record_event(actor=actor, action="verification.api_credential_revoke",
                         target=credential.organisation, data={"credential": credential.pk})
    return credential


class OrganisationOAuth2Validator(OAuth2Validator):
    """DOT's validator, plus: a client gets a token only while its credential is neither
    revoked nor expired and its organisation's API access is approved."""

    def authenticate_client(self, request, *args, **kwargs):
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        credential = (ApiCredential.objects.select_related("organisation")
                      .filter(application=request.client).first())
        return (credential is not None and credential_usable(credential)
                and api_enabled(credential.organisation))


# --- Webhooks ------------------------------------------------------------------------------
def loopback_allowed() -> bool:
    """http://127.0.0.1 and localhost receivers: for the demo and the tests only."""
    return bool(getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", settings.DEBUG))


def webhook_create(*, organisation: Organisation, url: str, events: list[str],
                   credential: ApiCredential | None = None) -> tuple[Webhook, str]:
    """Register a receiver for `events`. Returns the webhook and its signing secret, shown
    once (stored encrypted). Raises ValidationError with a clear message."""
    url = url.strip()
    webhooks.check_url(url, allow_loopback=loopback_allowed())
    chosen = sorted(set(events))
    if not chosen or any(event not in Webhook.Event.values for event in chosen):
        raise ValidationError(_("Choose one or more of these events: %(events)s.")
                              % {"events": ", ".join(Webhook.Event.values)}, code="events")
    secret = webhooks.new_secret()
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        _ensure_api_enabled(organisation)
        if webhooks_of(organisation).count() >= MAX_WEBHOOKS:
            raise ValidationError(_("Your organisation already has %(count)d webhooks: delete "
                                    "one first.") % {"count": MAX_WEBHOOKS}, code="too_many")
        webhook = Webhook.objects.create(
            organisation=organisation, url=url, events=chosen,
            secret=crypto.encrypt(secret.encode()).decode())
        record_event(actor=None, action="verification.webhook_create", target=organisation,
                     data={"webhook": webhook.pk,
                           "credential": credential.pk if credential else None})
    return webhook, secret


def webhook_delete(*, organisation: Organisation, webhook: Webhook, actor: Any = None,
                   credential: ApiCredential | None = None) -> Webhook:
    """Stop sending to the webhook; its delivery history stays. Only its organisation may
    (and, from a page, only the primary user)."""
    with transaction.atomic():
        if actor is not None:
            _ensure_primary(actor, organisation)
        webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
        if webhook.organisation_id != organisation.pk:
            raise PermissionDenied
        if webhook.is_active:
            webhook.is_active = False
            webhook.save(update_fields=["is_active"])
            record_event(actor=actor, action="verification.webhook_delete",
                         target=organisation,
                         data={"webhook": webhook.pk,
                               "credential": credential.pk if credential else None})
    return webhook
