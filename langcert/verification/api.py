"""The machine API of the Results Verification Service, at /api/v1/ (django-ninja).

Every endpoint needs a Bearer token from the client-credentials grant (POST
/api/v1/oauth/token/) of a credential that is neither revoked nor expired, belonging to an
approved organisation whose API access the board approved. Each organisation may make
REQUESTS_PER_MINUTE requests a minute; lookups by number + date of birth also count
against the same limits as the pages (lookup.verify). Every error has one shape:
``{"error": {"code": "...", "message": "..."}}`` (plus ``details`` for invalid input).
"""

import base64
import binascii
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_start
from typing import Any, Literal
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from oauth2_provider.models import AccessToken
from pydantic import create_model

from langcert.core import ratelimit
from langcert.results.documents import (
    DocumentUnavailable,
    available_documents,
    document_filename,
    render_result_document,
)
from langcert.verification import api_clients, lookup
from langcert.verification.lookup import LookupRefused, Searcher
from langcert.verification.models import AccessEvent, ApiCredential, Organisation, Webhook
from langcert.verification.result_data import FIELDS, RESULT_COLUMNS, result_fields

logger = logging.getLogger(__name__)

SCOPE = "results"
REQUESTS_PER_MINUTE = 600
PAGE_DEFAULT, PAGE_MAX = 500, 2000
BULK_MAX = 2000

DESCRIPTION = """
Verify LangCert results and receive the results candidates share with your organisation.

**Authentication.** Ask the board for API access from *Your Organisation › API*, create a
credential there (its secret is shown once), then exchange it for a token valid one hour:
`POST /api/v1/oauth/token/` with HTTP Basic `client_id:client_secret` and the form field
`grant_type=client_credentials`. Send the token as `Authorization: Bearer <token>`.
Credentials expire 12 months after they are created or rotated.

**Errors** all look like `{"error": {"code": "...", "message": "..."}}`; invalid input
(422) adds `details` (where and what). Codes: `unauthorized` (401), `forbidden` /
`api_not_approved` (403), `not_found` (404), `validation_error`, `typo`, `invalid_cursor`,
`invalid_url`, `invalid_events`, `too_many` (422), `rate_limited` (429, with `Retry-After`
in seconds). The token endpoint answers in the OAuth 2.0 error format instead.

**Limits.** 600 requests a minute per organisation. Lookups that find nothing count against
limits per organisation and per address (as in the Candidate Search page); once reached,
lookups answer 429 until the hour is over. In a bulk call, the items after the limit is
reached get the error `rate_limited` (the call answers 429 only if no item could be looked
up at all).

**Results listing.** `GET /results` returns the results shared with your organisation,
oldest share first, `limit` a page (500 by default, at most 2,000) with an opaque
`next_cursor` (null on the last page). `shared_from` / `shared_to` are days in UTC,
inclusive. Fields that do not apply to a result are left out.

**Webhooks.** Each delivery is a POST of JSON with `X-LangCert-Event`,
`X-LangCert-Delivery` (event id, the same on retries), `X-LangCert-Timestamp` and
`X-LangCert-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the
webhook's secret>`. Answer 2xx within 5 seconds; failures are retried 5 times with
exponential backoff (30 s, 1, 2, 4, 8 min). Redirects are not followed.
"""


# --- Errors ------------------------------------------------------------------------------
class ApiError(Exception):
    """An error answered in the API's one shape."""

    def __init__(self, status: int, code: str, message: Any, *, retry_after: int = 0):
        super().__init__(code)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


class ErrorDetail(Schema):
    location: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    details: list[ErrorDetail] | None = None


class ErrorOut(Schema):
    error: ErrorBody


AUTH_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


# --- Authentication and the per-organisation limit ---------------------------------------
@dataclass(frozen=True)
class ApiClient:
    organisation: Organisation
    credential: ApiCredential


def _throttle(organisation: Organisation) -> None:
    """A fixed window of one minute per organisation, counted in the shared cache."""
    limit = getattr(settings, "API_REQUESTS_PER_MINUTE", REQUESTS_PER_MINUTE)
    now = time.time()
    window = int(now // 60)
    if ratelimit.count_attempt("api-org", f"{organisation.pk}:{window}", 60) > limit:
        raise ApiError(429, "rate_limited", _("Too many requests: wait and try again."),
                       retry_after=max(1, 60 - int(now % 60)))


class OrganisationBearer(HttpBearer):
    """A valid token of a usable credential of an organisation with API access."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        checksum = hashlib.sha256(token.encode()).hexdigest()
        access = (AccessToken.objects
                  .select_related("application__credential__organisation")
                  .filter(token_checksum=checksum).first())
        if access is None or access.application is None or not access.is_valid([SCOPE]):
            return None
        credential = getattr(access.application, "credential", None)
        if credential is None or not api_clients.credential_usable(credential):
            return None
        if not api_clients.api_enabled(credential.organisation):
            raise ApiError(403, "api_not_approved",
                           _("API access is not approved for your organisation."))
        _throttle(credential.organisation)
        return ApiClient(credential.organisation, credential)


api = NinjaAPI(title="LangCert Results Verification API", version="1",
               description=DESCRIPTION, urls_namespace="api-v1", auth=OrganisationBearer())


def _error(request: HttpRequest, status: int, code: str, message: Any,
           details: list[dict[str, str]] | None = None) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if details:
        body["details"] = details
    return api.create_response(request, {"error": body}, status=status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = _error(request, exc.status, exc.code, exc.message)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [{"location": ".".join(str(part) for part in error.get("loc", ())),
                "message": str(error.get("msg", ""))} for error in exc.errors]
    return _error(request, 422, "validation_error", _("The request is not valid."), details)


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, "unauthorized",
                      _("A valid access token is required (Authorization: Bearer <token>)."))
    response["WWW-Authenticate"] = 'Bearer realm="api", error="invalid_token"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
             429: "rate_limited"}
    response = _error(request, exc.status_code, codes.get(exc.status_code, "error"), exc.message)
    wait = getattr(exc, "wait", None)
    if wait:
        response["Retry-After"] = str(int(wait))
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 403, "forbidden", _("You may not do this."))


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500, "server_error",
                  _("Something went wrong on our side: try again later."))


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any other path under /api/v1/: the same JSON shape as every error."""
    return _error(request, 404, "not_found", _("Not found."))


def method_not_allowed_view(request: HttpRequest) -> HttpResponse:
    return _error(request, 405, "method_not_allowed", _("This method is not allowed here."))


def client_of(request: HttpRequest) -> ApiClient:
    return request.auth  # type: ignore[attr-defined]


def searcher_of(request: HttpRequest, channel: str) -> Searcher:
    return Searcher(client_of(request).organisation, None, request.META.get("REMOTE_ADDR"),
                    channel)


# --- Schemas -------------------------------------------------------------------------------
def _field_type(code: str) -> tuple[Any, Any]:
    """(type, default) of one result field; fields that may not apply are optional."""
    if code.startswith("score_") or code == "overall_score":
        return int | None, None
    if code.startswith("cefr_"):
        return str | None, None
    if code in ("exam_date", "date_of_birth"):
        return date | None, None
    if code == "certificate":
        return bool, ...
    return str, ...


def _result_schema() -> type[Schema]:
    with translation.override("en"):
        fields = {code: (kind, Field(default, description=str(label)))
                  for code, label in FIELDS.items()
                  for kind, default in [_field_type(code)]}
    return create_model("ResultOut", __base__=Schema, **fields)  # type: ignore[call-overload]


ResultOut = _result_schema()


class SharedResultOut(ResultOut):  # type: ignore[misc, valid-type]
    shared_at: datetime = Field(description="When the candidate shared the result")


class ResultsPage(Schema):
    items: list[SharedResultOut]
    next_cursor: str | None = Field(
        None, description="Pass it as `cursor` for the next page; null on the last page")


class VerificationIn(Schema):
    statement_number: str = Field(max_length=40, examples=["K7M2-9QXC-4T"])
    date_of_birth: date


class VerificationOut(Schema):
    match: bool
    result: ResultOut | None = None  # type: ignore[valid-type]


class BulkIn(Schema):
    items: list[VerificationIn] = Field(min_length=1, max_length=BULK_MAX)


class ItemError(Schema):
    code: Literal["typo", "rate_limited"]
    message: str


class BulkItemOut(Schema):
    index: int
    match: bool
    result: ResultOut | None = None  # type: ignore[valid-type]
    error: ItemError | None = None


class BulkOut(Schema):
    items: list[BulkItemOut]


class PingOut(Schema):
    ok: bool


class WebhookIn(Schema):
    url: str = Field(max_length=500, examples=["https://crm.example.org/langcert/events"])
    events: list[Literal["result.shared", "share.revoked", "result.withdrawn"]] = Field(
        min_length=1)


class WebhookOut(Schema):
    id: UUID
    url: str
    events: list[str]
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret, shown only in this response")


def present(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields that apply to the result: the others are left out of the answer."""
    return {code: value for code, value in fields.items() if value is not None}


def _webhook_out(webhook: Webhook) -> dict[str, Any]:
    return {"id": webhook.public_id, "url": webhook.url, "events": webhook.events,
            "created_at": webhook.created_at}


# --- Cursor --------------------------------------------------------------------------------
def encode_cursor(shared_at: datetime, share_id: int) -> str:
    raw = f"{shared_at.astimezone(UTC).isoformat()}|{share_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, share_id = raw.split("|")
        parsed, number = datetime.fromisoformat(moment), int(share_id)
        if parsed.tzinfo is None or not 0 < number < 2**63:
            raise ValueError(moment)
        return parsed, number
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiError(422, "invalid_cursor", _("This cursor is not valid: use the "
                                                "next_cursor of the previous page.")) from None


def _utc_day_start(day: date) -> datetime:
    return datetime.combine(day, day_start.min, tzinfo=UTC)


def _utc_day_end(day: date) -> datetime | None:
    """The start of the next day (None after the last day there is: no bound)."""
    return _utc_day_start(day + timedelta(days=1)) if day < date.max else None


# --- Endpoints -----------------------------------------------------------------------------
@api.get("/ping", response={200: PingOut, **AUTH_ERRORS}, tags=["service"], url_name="ping",
         summary="Check the token",
         description="A trivial authenticated call: answers {\"ok\": true} with a valid "
                     "token (also the reference of the load benchmark).")
def ping(request: HttpRequest) -> dict[str, bool]:
    return {"ok": True}


@api.get("/results", response={200: ResultsPage, 422: ErrorOut, **AUTH_ERRORS},
         tags=["results"], summary="Results shared with your organisation",
         exclude_unset=True)
def list_results(request: HttpRequest, shared_from: date | None = None,
                 shared_to: date | None = None, cursor: str | None = Query(None, max_length=200),
                 limit: int = Query(PAGE_DEFAULT, ge=1, le=PAGE_MAX)) -> dict[str, Any]:
    organisation = client_of(request).organisation
    after = decode_cursor(cursor) if cursor else None
    shares = api_clients.shared_page(
        organisation,
        shared_from=_utc_day_start(shared_from) if shared_from else None,
        shared_before=_utc_day_end(shared_to) if shared_to else None,
        after=after, limit=limit + 1)
    page = shares[:limit]
    api_clients.record_listing(organisation=organisation, results=[s.result for s in page],
                               request=request)
    items = [{**present(result_fields(s.result, shared=True)), "shared_at": s.shared_at}
             for s in page]
    last = page[-1] if page else None
    more = len(shares) > limit
    return {"items": items,
            "next_cursor": encode_cursor(last.shared_at, last.pk) if more and last else None}


def _verify(pair: VerificationIn, searcher: Searcher) -> dict[str, Any]:
    """{"match": ...} for one pair; LookupRefused goes up."""
    result = lookup.verify(statement_number=pair.statement_number,
                           date_of_birth=pair.date_of_birth, searcher=searcher,
                           columns=RESULT_COLUMNS)
    return _verified(result)


@api.post("/verifications", response={200: VerificationOut, 422: ErrorOut, **AUTH_ERRORS},
          tags=["verification"], summary="Verify one result", exclude_unset=True)
def verify_one(request: HttpRequest, payload: VerificationIn) -> dict[str, Any]:
    """Look a result up by Statement of Results number and date of birth. A miss says
    nothing about whether the number exists; a number whose check character is wrong is
    refused (422, `typo`) without counting as a miss."""
    try:
        return _verify(payload, searcher_of(request, "api"))
    except LookupRefused as refused:
        if refused.code == "typo":
            raise ApiError(422, "typo", refused.message) from None
        raise ApiError(429, "rate_limited", refused.message,
                       retry_after=refused.retry_after) from None


@api.post("/verifications/bulk", response={200: BulkOut, 422: ErrorOut, **AUTH_ERRORS},
          tags=["verification"], summary="Verify up to 2,000 results", exclude_unset=True)
def verify_bulk(request: HttpRequest, payload: BulkIn) -> dict[str, Any]:
    """Each pair is checked as `POST /verifications` checks one, in order, against the
    same limits. Once the limit is reached the remaining items get `rate_limited`; if it
    is reached before any pair could be looked up, the call answers 429."""
    searcher = searcher_of(request, "bulk_api")
    outcomes = lookup.verify_many(
        [(pair.statement_number, pair.date_of_birth) for pair in payload.items],
        searcher=searcher, columns=RESULT_COLUMNS)
    items = [{"index": index, **_verified(outcome)} for index, outcome in enumerate(outcomes)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, LookupRefused)]
    limited = [refusal for refusal in refusals if refusal.code == "rate_limited"]
    if limited and len(refusals) == len(outcomes):  # not one pair could be looked up
        raise ApiError(429, "rate_limited", limited[0].message,
                       retry_after=limited[0].retry_after)
    return {"items": items}


def _verified(outcome: lookup.LookupOutcome) -> dict[str, Any]:
    if isinstance(outcome, LookupRefused):
        return {"match": False, "error": {"code": outcome.code, "message": outcome.message}}
    if outcome is None:
        return {"match": False}
    return {"match": True, "result": present(result_fields(outcome, shared=False))}


PDF_RESPONSE = {"responses": {"200": {
    "description": "The PDF (organisation copy: test-day photo where allowed, stamp)",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}}


@api.get("/results/{public_id}/statement.pdf", response={404: ErrorOut, 422: ErrorOut,
                                                          **AUTH_ERRORS},
         tags=["results"], summary="PDF of a shared result", openapi_extra=PDF_RESPONSE)
def result_pdf(request: HttpRequest, public_id: UUID,
               language: Literal["en", "fr"] = "en") -> HttpResponse:
    """The result's own document (Statement of Results, or the attestation of the adaptive
    certification) as the organisation's copy. Only results shared with you."""
    searcher = searcher_of(request, "api")
    share = api_clients.shared_result(searcher.organisation, public_id)
    kinds = available_documents(share.result)
    if not kinds:
        raise Http404
    try:
        pdf = render_result_document(share.result, kinds[0], language=language,
                                     organisation=searcher.organisation)
    except DocumentUnavailable:
        raise Http404 from None
    lookup.record_access(result=share.result, searcher=searcher,
                         kind=AccessEvent.Kind.DOWNLOAD, action="verification.api_download")
    response = HttpResponse(pdf, content_type="application/pdf")
    name = document_filename(share.result, kinds[0], language)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@api.get("/webhooks", response={200: list[WebhookOut], **AUTH_ERRORS}, tags=["webhooks"],
         summary="Your webhooks")
def list_webhooks(request: HttpRequest) -> list[dict[str, Any]]:
    organisation = client_of(request).organisation
    return [_webhook_out(w) for w in api_clients.webhooks_of(organisation)]


@api.post("/webhooks", response={201: WebhookCreatedOut, 422: ErrorOut, **AUTH_ERRORS},
          tags=["webhooks"], summary="Register a webhook")
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Status:
    """Register an https URL for some events. The signing secret is in this response
    only: keep it to check each delivery's X-LangCert-Signature."""
    client = client_of(request)
    try:
        webhook, secret = api_clients.webhook_create(
            organisation=client.organisation, url=payload.url, events=list(payload.events),
            credential=client.credential)
    except DjangoValidationError as error:
        code = {"url": "invalid_url", "events": "invalid_events", "too_many": "too_many",
                "api_not_approved": "api_not_approved"}.get(error.code or "", "validation_error")
        raise ApiError(422 if code != "api_not_approved" else 403, code,
                       " ".join(error.messages)) from None
    return Status(201, {**_webhook_out(webhook), "secret": secret})


@api.delete("/webhooks/{webhook_id}", response={204: None, 404: ErrorOut, 422: ErrorOut,
                                                **AUTH_ERRORS},
            tags=["webhooks"], summary="Delete a webhook")
def delete_webhook(request: HttpRequest, webhook_id: UUID) -> Status:
    client = client_of(request)
    webhook = api_clients.webhooks_of(client.organisation).filter(public_id=webhook_id).first()
    if webhook is None:
        raise Http404
    api_clients.webhook_delete(organisation=client.organisation, webhook=webhook,
                               credential=client.credential)
    return Status(204, None)
