"""The organisation's API page (Your Organisation › API): ask for API access, then create,
rotate and revoke client credentials and see the webhooks. Thin: the rules are in
api_clients.py. A new secret is shown in the answer to the POST that made it, never stored
in the session and never shown again (Cache-Control: no-store)."""

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.verification import api_clients, selectors
from langcert.verification.models import ApiCredential, OrganisationMember

PAGE = "verification:api"


def _page(request: HttpRequest, member: OrganisationMember, *,
          new: tuple[ApiCredential, str] | None = None) -> HttpResponse:
    organisation = member.organisation
    credentials = list(api_clients.credentials_of(organisation))
    context = {
        "member": member,
        "organisation": organisation,
        "credentials": [{"credential": c, "usable": api_clients.credential_usable(c)}
                        for c in credentials],
        "webhooks": api_clients.webhooks_of(organisation),
        "api_enabled": api_clients.api_enabled(organisation),
        "token_url": request.build_absolute_uri(reverse("api_token")),
        "docs_url": request.build_absolute_uri(reverse("api-v1:openapi-view")),
        "openapi_url": request.build_absolute_uri(reverse("api-v1:openapi-json")),
        "ping_url": request.build_absolute_uri(reverse("api-v1:ping")),
        "new": {"credential": new[0], "secret": new[1]} if new else None,
    }
    response = render(request, "verification/api_page.html", context)
    if new:
        response["Cache-Control"] = "no-store"
    return response


@role_required(Role.ORGANISATION)
@require_GET
def api_page(request: HttpRequest) -> HttpResponse:
    return _page(request, selectors.membership_of(request.user))


@role_required(Role.ORGANISATION)
@require_POST
def api_request_access(request: HttpRequest) -> HttpResponse:
    member = selectors.membership_of(request.user)
    api_clients.api_access_request(actor=request.user, organisation=member.organisation)
    messages.success(request, _("Your request for API access was sent to the LangCert board. "
                                "We will answer within 2 working days."))
    return redirect(PAGE)


@role_required(Role.ORGANISATION)
@require_POST
def api_credential_create(request: HttpRequest) -> HttpResponse:
    member = selectors.membership_of(request.user)
    try:
        new = api_clients.credential_create(actor=request.user, organisation=member.organisation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(PAGE)
    return _page(request, member, new=new)


@role_required(Role.ORGANISATION)
@require_POST
def api_credential_rotate(request: HttpRequest, credential_id: int) -> HttpResponse:
    member = selectors.membership_of(request.user)
    credential = api_clients.credential_of(member.organisation, credential_id)
    try:
        new = api_clients.credential_rotate(actor=request.user, credential=credential)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(PAGE)
    return _page(request, member, new=new)


@role_required(Role.ORGANISATION)
@require_POST
def api_credential_revoke(request: HttpRequest, credential_id: int) -> HttpResponse:
    member = selectors.membership_of(request.user)
    credential = api_clients.credential_of(member.organisation, credential_id)
    api_clients.credential_revoke(actor=request.user, credential=credential)
    messages.success(request, _("The credential was revoked: its tokens no longer work."))
    return redirect(PAGE)


@role_required(Role.ORGANISATION)
@require_POST
def api_webhook_delete(request: HttpRequest, public_id: UUID) -> HttpResponse:
    member = selectors.membership_of(request.user)
    webhook = get_object_or_404(api_clients.webhooks_of(member.organisation),
                                public_id=public_id)
    api_clients.webhook_delete(organisation=member.organisation, webhook=webhook,
                               actor=request.user)
    messages.success(request, _("The webhook was deleted: nothing more is sent to it."))
    return redirect(PAGE)
