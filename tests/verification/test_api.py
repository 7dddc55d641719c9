"""The machine API (/api/v1/): OAuth2 client credentials, who gets in, listing shared
results with cursor paging, verifying one or many results, PDFs, limits, the one error
shape, the OpenAPI document; and the organisation's API page (access request, credentials
created, rotated and revoked, the secret shown once)."""

import base64
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from langcert.core import identifiers
from langcert.core.models import AuditEvent
from langcert.core.roles import Role
from langcert.results.models import Result
from langcert.verification import api_clients, lookup
from langcert.verification.models import (
    AccessEvent,
    ApiCredential,
    Organisation,
    OrganisationMember,
    Share,
)
from tests.conftest import PASSWORD
from tests.helpers import pdf_text
from tests.results.conftest import (  # noqa: F401 (shared fixtures)
    ADVANCED_SKILLS,
    adaptive_released_result,
    advanced_result,
    entry_factory,
)

pytestmark = pytest.mark.django_db

BIRTH = date(1990, 12, 10)  # tests.conftest.person()
TOKEN_URL = "/api/v1/oauth/token/"


# --- Fixtures and helpers --------------------------------------------------------------------
def make_organisation(make_user, name="University of Testing", api_access="approved"):
    organisation = Organisation.objects.create(
        name=name, kind=Organisation.Kind.UNIVERSITY, country="GB",
        status=Organisation.Status.APPROVED, api_access=api_access)
    user = make_user(Role.ORGANISATION, language="en", first_name="Pat", last_name="Primary")
    OrganisationMember.objects.create(organisation=organisation, user=user, is_primary=True)
    return organisation


def primary_of(organisation):
    return organisation.members.get(is_primary=True).user


@pytest.fixture
def organisation(make_user):
    return make_organisation(make_user)


@pytest.fixture
def other_organisation(make_user):
    return make_organisation(make_user, name="Other Employer")


@pytest.fixture
def credential(organisation):
    """(credential, plain secret) of the organisation."""
    return api_clients.credential_create(actor=primary_of(organisation),
                                         organisation=organisation)


def request_token(client, client_id, secret):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return client.post(TOKEN_URL, urlencode({"grant_type": "client_credentials"}),
                       content_type="application/x-www-form-urlencoded",
                       HTTP_AUTHORIZATION=f"Basic {basic}")


def token_for(client, credential_and_secret):
    credential, secret = credential_and_secret
    response = request_token(client, credential.application.client_id, secret)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def token(client, credential):
    return token_for(client, credential)


class Api:
    """The test client with a Bearer token."""

    def __init__(self, client, token):
        self.client, self.token = client, token

    def _auth(self, headers):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", **headers}

    def get(self, path, data=None, **headers):
        return self.client.get(f"/api/v1{path}", data, **self._auth(headers))

    def post(self, path, payload, **headers):
        return self.client.post(f"/api/v1{path}", json.dumps(payload),
                                content_type="application/json", **self._auth(headers))

    def delete(self, path, **headers):
        return self.client.delete(f"/api/v1{path}", **self._auth(headers))


@pytest.fixture
def api(client, token):
    return Api(client, token)


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


_copies = iter(range(1, 100_000))


def copy_of(result):
    """Another candidate with the same released result: rows copied from the fixture's
    (enrolling through the service hashes a Secret Number each time, which is slow)."""
    n = next(_copies)
    candidate, entry = result.entry.candidate, result.entry
    candidate.pk = candidate.id = None
    candidate.public_id = uuid.uuid4()
    candidate.last_name, candidate.email = f"Copy{n}", f"copy{n}@example.org"
    candidate.id_document_number = f"ID{n:06d}"
    candidate.save()
    entry.pk = entry.id = None
    entry.candidate, entry.public_id = candidate, uuid.uuid4()
    entry.id_number = f"{entry.id_number[:-6]}{n:06d}"
    entry.save()
    copy = Result.objects.get(pk=result.pk)
    copy.pk = copy.id = None
    copy.entry, copy.public_id = entry, uuid.uuid4()
    copy.statement_number = unknown_number()
    copy.save()
    return copy


def share(result, organisation, shared_at=None):
    created = Share.objects.create(result=result, organisation=organisation)
    if shared_at is not None:
        Share.objects.filter(pk=created.pk).update(shared_at=shared_at)
        created.refresh_from_db()
    return created


def typo_of(number):
    """The number with its first symbol changed: the check symbol no longer agrees."""
    first = identifiers.ALPHABET[(identifiers.ALPHABET.index(number[0]) + 1) % 29]
    return first + number[1:]


def unknown_number():
    """A well-formed number (right check symbol) that no result has."""
    while True:
        number = identifiers.new_statement_number()
        if not Result.objects.filter(statement_number=number).exists():
            return number


# --- Tokens and who gets in ------------------------------------------------------------------
@pytest.mark.real_password_hashing
def test_client_credentials_give_a_bearer_token_for_one_hour(client, credential):
    cred, secret = credential
    application = cred.application
    assert application.client_type == Application.CLIENT_CONFIDENTIAL
    assert application.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS
    assert application.client_secret != secret and application.client_secret.startswith("argon2")
    assert abs((cred.expires_at - timezone.now()) - timedelta(days=365)) < timedelta(minutes=1)

    response = request_token(client, application.client_id, secret)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "results"
    ping = Api(client, body["access_token"]).get("/ping")
    assert ping.status_code == 200 and ping.json() == {"ok": True}


def test_a_wrong_secret_gets_no_token(client, credential):
    cred, _secret = credential
    response = request_token(client, cred.application.client_id, "not-the-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Bearer nope"},
                                     {"HTTP_AUTHORIZATION": "Basic abc"}])
def test_no_token_or_a_bad_one_is_401_in_the_error_shape(client, headers):
    response = client.get("/api/v1/results", **headers)
    assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_refused(api, token):
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert_error(api.get("/ping"), 401, "unauthorized")


def test_an_expired_credential_gets_no_token_and_its_tokens_stop(client, api, credential):
    cred, secret = credential
    ApiCredential.objects.filter(pk=cred.pk).update(expires_at=timezone.now())
    assert_error(api.get("/ping"), 401, "unauthorized")
    response = request_token(client, cred.application.client_id, secret)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_a_revoked_credential_gets_no_token_and_its_tokens_stop(client, api, credential,
                                                               organisation):
    cred, secret = credential
    api_clients.credential_revoke(actor=primary_of(organisation), credential=cred)
    assert not AccessToken.objects.filter(application=cred.application).exists()
    assert_error(api.get("/ping"), 401, "unauthorized")
    assert request_token(client, cred.application.client_id, secret).status_code == 401


def test_rotating_gives_a_new_secret_and_the_old_one_stops_working(client, api, credential,
                                                                  organisation):
    cred, old_secret = credential
    ApiCredential.objects.filter(pk=cred.pk).update(expires_at=timezone.now()
                                                    + timedelta(days=3))
    rotated, new_secret = api_clients.credential_rotate(actor=primary_of(organisation),
                                                        credential=cred)
    assert new_secret != old_secret
    assert rotated.application.client_id == cred.application.client_id
    assert rotated.expires_at > timezone.now() + timedelta(days=364)
    assert_error(api.get("/ping"), 401, "unauthorized")  # tokens of the old secret
    assert request_token(client, cred.application.client_id, old_secret).status_code == 401
    assert request_token(client, cred.application.client_id, new_secret).status_code == 200


def test_api_access_withdrawn_is_403_and_gets_no_token(client, api, credential, organisation):
    Organisation.objects.filter(pk=organisation.pk).update(api_access="requested")
    assert_error(api.get("/ping"), 403, "api_not_approved")
    cred, secret = credential
    assert request_token(client, cred.application.client_id, secret).status_code == 401


def test_an_organisation_not_approved_is_403(api, organisation):
    Organisation.objects.filter(pk=organisation.pk).update(status=Organisation.Status.PENDING)
    assert_error(api.get("/results"), 403, "api_not_approved")


def test_credentials_need_approved_api_access_and_the_primary_user(make_user, organisation):
    pending = make_organisation(make_user, name="Waiting", api_access="requested")
    with pytest.raises(api_clients.ValidationError):
        api_clients.credential_create(actor=primary_of(pending), organisation=pending)
    colleague = make_user(Role.ORGANISATION)
    OrganisationMember.objects.create(organisation=organisation, user=colleague)
    with pytest.raises(api_clients.PermissionDenied):
        api_clients.credential_create(actor=colleague, organisation=organisation)
    with pytest.raises(api_clients.PermissionDenied):  # another organisation's primary user
        api_clients.credential_create(actor=primary_of(pending), organisation=organisation)
    assert not ApiCredential.objects.exists()


def test_per_organisation_request_limit_answers_429_with_retry_after(api, settings):
    settings.API_REQUESTS_PER_MINUTE = 3
    assert [api.get("/ping").status_code for _ in range(3)] == [200, 200, 200]
    error = assert_error(api.get("/ping"), 429, "rate_limited")
    assert error["message"]
    response = api.get("/webhooks")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60


def test_unknown_paths_and_methods_answer_in_the_error_shape(api):
    assert_error(api.get("/nothing-here"), 404, "not_found")
    assert_error(api.client.get("/api/v1/nothing-here"), 404, "not_found")
    response = api.delete("/results")
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_answers_are_in_english_unless_french_is_asked(client):
    # The site's default language is French; a machine client did not choose it.
    english = client.get("/api/v1/results")
    assert english.json()["error"]["message"].startswith("A valid access token")
    assert english["Content-Language"] == "en"
    french = client.get("/api/v1/results", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert french["Content-Language"] == "fr"


# --- Listing shared results ------------------------------------------------------------------
@pytest.fixture
def seven_shares(advanced_result, organisation, other_organisation):  # noqa: F811
    """Seven results shared with the organisation on seven days, one shared with another
    organisation, one revoked share."""
    start = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    shares = [share(copy_of(advanced_result), organisation, start + timedelta(days=n))
              for n in range(7)]
    share(copy_of(advanced_result), other_organisation, start)
    revoked = share(copy_of(advanced_result), organisation, start)
    Share.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    return shares


def test_results_come_page_by_page_with_an_opaque_cursor(api, seven_shares):
    seen, cursor, pages = [], None, 0
    while True:
        response = api.get("/results", {"limit": 3, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [item["result_id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert "|" not in cursor and str(seven_shares[0].pk) not in cursor.split("-")
    assert pages == 3
    assert seen == [str(s.result.public_id) for s in seven_shares]  # oldest share first


def test_each_item_is_every_shared_field_with_iso_dates(api, seven_shares):
    item = api.get("/results", {"limit": 1}).json()["items"][0]
    first = seven_shares[0].result
    candidate = first.entry.candidate
    assert item["statement_number"] == first.statement_number_display
    assert item["last_name"] == candidate.last_name
    assert item["email"] == candidate.mail_address  # shared: the email is there
    assert item["id_document_number"] == candidate.id_document_number != ""
    assert item["date_of_birth"] == "1990-12-10" and item["exam_date"] == "2026-06-13"
    assert item["overall_score"] == 196 and item["grade"] == "B"
    assert item["result"] == "Pass at Grade B" and item["certificate"] is True
    assert item["score_writing"] == 210 and item["cefr_writing"] == "C2"
    assert "score_vocabulary" not in item  # not a skill of this exam
    assert item["shared_at"].startswith("2026-07-01T09:00:00")


def test_listing_is_recorded_in_each_candidates_access_log(api, seven_shares):
    api.get("/results", {"limit": 2})
    viewed = set(AccessEvent.objects.filter(kind=AccessEvent.Kind.VIEW)
                 .values_list("result_id", flat=True))
    assert viewed == {seven_shares[0].result_id, seven_shares[1].result_id}
    assert AuditEvent.objects.filter(action="verification.api_list").count() == 1


def test_results_by_date_shared_in_utc_days(api, seven_shares):
    body = api.get("/results", {"shared_from": "2026-07-02", "shared_to": "2026-07-04"}).json()
    assert [item["result_id"] for item in body["items"]] == [
        str(s.result.public_id) for s in seven_shares[1:4]]
    assert body["next_cursor"] is None


def test_limit_and_cursor_are_checked(api, seven_shares):
    assert api.get("/results").json()["next_cursor"] is None  # default 500
    error = assert_error(api.get("/results", {"limit": 2001}), 422, "validation_error")
    assert error["details"][0]["location"].endswith("limit")
    assert_error(api.get("/results", {"limit": 0}), 422, "validation_error")
    assert_error(api.get("/results", {"cursor": "bm9wZQ"}), 422, "invalid_cursor")
    assert_error(api.get("/results", {"cursor": base64.urlsafe_b64encode(
        b"2026-07-01T09:00:00+00:00|99999999999999999999").decode()}), 422, "invalid_cursor")
    assert_error(api.get("/results", {"shared_from": "yesterday"}), 422, "validation_error")
    assert api.get("/results", {"shared_to": "9999-12-31"}).status_code == 200


def test_erased_candidates_and_withdrawn_results_are_gone(api, seven_shares):
    erased = seven_shares[0].result.entry.candidate
    erased.erased_at = timezone.now()
    erased.save(update_fields=["erased_at"])
    Result.objects.filter(pk=seven_shares[1].result_id).update(status=Result.Status.WITHDRAWN)
    ids = [item["result_id"] for item in api.get("/results").json()["items"]]
    assert ids == [str(s.result.public_id) for s in seven_shares[2:]]


# --- Verifying -------------------------------------------------------------------------------
def test_verify_a_match_gives_the_result_without_share_only_fields(api, advanced_result):  # noqa: F811
    response = api.post("/verifications", {
        "statement_number": advanced_result.statement_number_display.lower(),
        "date_of_birth": "1990-12-10"})
    assert response.status_code == 200
    body = response.json()
    assert body["match"] is True
    assert body["result"]["result_id"] == str(advanced_result.public_id)
    assert body["result"]["overall_score"] == 196
    assert body["result"]["email"] == "" and body["result"]["id_document_number"] == ""
    event = AccessEvent.objects.get(result=advanced_result)
    assert event.kind == AccessEvent.Kind.VIEW and event.user is None
    assert AuditEvent.objects.filter(action="verification.lookup",
                                     data__channel="api").count() == 1


def test_verify_a_miss_says_only_no_match(api, advanced_result, organisation):  # noqa: F811
    wrong_birth = api.post("/verifications", {
        "statement_number": advanced_result.statement_number, "date_of_birth": "1990-12-11"})
    unknown = api.post("/verifications", {"statement_number": unknown_number(),
                                          "date_of_birth": "1990-12-10"})
    assert wrong_birth.json() == unknown.json() == {"match": False}
    assert AuditEvent.objects.filter(action="verification.lookup_miss",
                                     target_id=str(organisation.pk)).count() == 2


def test_verify_a_typo_is_422_and_counts_nothing(api, advanced_result):  # noqa: F811
    response = api.post("/verifications", {
        "statement_number": typo_of(advanced_result.statement_number),
        "date_of_birth": "1990-12-10"})
    error = assert_error(response, 422, "typo")
    assert "typing mistake" in error["message"]
    assert not AuditEvent.objects.filter(action="verification.lookup_miss").exists()
    assert_error(api.post("/verifications", {"statement_number": "X"}), 422,
                 "validation_error")


def test_verify_rate_limited_is_429_with_retry_after(api, advanced_result, monkeypatch):  # noqa: F811
    monkeypatch.setattr(lookup, "MISSES_PER_ORGANISATION", 2)
    for _ in range(2):
        assert api.post("/verifications", {"statement_number": unknown_number(),
                                           "date_of_birth": "1990-12-10"}).json() == {
            "match": False}
    response = api.post("/verifications", {"statement_number": advanced_result.statement_number,
                                           "date_of_birth": "1990-12-10"})
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == str(lookup.MISS_WINDOW_SECONDS)


def test_verify_an_erased_candidate_is_a_miss(api, advanced_result):  # noqa: F811
    candidate = advanced_result.entry.candidate
    candidate.erased_at = timezone.now()
    candidate.save(update_fields=["erased_at"])
    response = api.post("/verifications", {"statement_number": advanced_result.statement_number,
                                           "date_of_birth": "1990-12-10"})
    assert response.json() == {"match": False}


def test_bulk_mixes_matches_misses_and_typos(api, advanced_result, adaptive_released_result):  # noqa: F811
    items = [
        {"statement_number": advanced_result.statement_number, "date_of_birth": "1990-12-10"},
        {"statement_number": unknown_number(), "date_of_birth": "1990-12-10"},
        {"statement_number": typo_of(advanced_result.statement_number),
         "date_of_birth": "1990-12-10"},
        {"statement_number": adaptive_released_result.statement_number_display,
         "date_of_birth": "1990-12-10"},
    ]
    response = api.post("/verifications/bulk", {"items": items})
    assert response.status_code == 200, response.content
    out = response.json()["items"]
    assert [item["index"] for item in out] == [0, 1, 2, 3]
    assert [item["match"] for item in out] == [True, False, False, True]
    assert out[0]["result"]["result_id"] == str(advanced_result.public_id)
    assert "result" not in out[1] and "error" not in out[1]
    assert out[2]["error"]["code"] == "typo"
    assert out[3]["result"]["cefr_level"] == "B2" and "overall_score" not in out[3]["result"]
    assert AuditEvent.objects.filter(action="verification.lookup",
                                     data__channel="bulk_api").count() == 2


def test_bulk_of_more_than_2000_items_is_422(api):
    item = {"statement_number": "X", "date_of_birth": "1990-12-10"}
    error = assert_error(api.post("/verifications/bulk", {"items": [item] * 2001}), 422,
                         "validation_error")
    assert error["details"][0]["location"].endswith("items")
    assert_error(api.post("/verifications/bulk", {"items": []}), 422, "validation_error")


def test_bulk_once_limited_the_rest_is_not_looked_up(api, advanced_result, monkeypatch):  # noqa: F811
    monkeypatch.setattr(lookup, "MISSES_PER_ORGANISATION", 2)
    hit = {"statement_number": advanced_result.statement_number, "date_of_birth": "1990-12-10"}
    misses = [{"statement_number": unknown_number(), "date_of_birth": "1990-12-10"}
              for _ in range(2)]
    response = api.post("/verifications/bulk", {"items": [hit, *misses, hit, hit]})
    assert response.status_code == 200
    out = response.json()["items"]
    assert [item["match"] for item in out] == [True, False, False, False, False]
    assert [item.get("error", {}).get("code") for item in out] == [
        None, None, None, "rate_limited", "rate_limited"]
    assert AccessEvent.objects.filter(result=advanced_result).count() == 1
    # Limited from the first item: nothing can be looked up, the call is 429.
    response = api.post("/verifications/bulk", {"items": [hit]})
    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) == lookup.MISS_WINDOW_SECONDS


# --- PDF -------------------------------------------------------------------------------------
def test_pdf_of_a_shared_result_is_the_organisations_copy(api, advanced_result, organisation):  # noqa: F811
    share(advanced_result, organisation)
    response = api.get(f"/results/{advanced_result.public_id}/statement.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert advanced_result.statement_number in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert advanced_result.statement_number_display in text and "Date of birth" in text
    assert organisation.name in text  # the stamp of the organisation's copy
    event = AccessEvent.objects.get(result=advanced_result)
    assert event.kind == AccessEvent.Kind.DOWNLOAD
    french = api.get(f"/results/{advanced_result.public_id}/statement.pdf", {"language": "fr"})
    assert "Date de naissance" in pdf_text(french.content)


def test_pdf_of_another_organisations_or_unshared_result_is_404(api, advanced_result,  # noqa: F811
                                                                other_organisation):
    path = f"/results/{advanced_result.public_id}/statement.pdf"
    assert_error(api.get(path), 404, "not_found")  # not shared at all
    share(advanced_result, other_organisation)
    assert_error(api.get(path), 404, "not_found")
    assert_error(api.get("/results/not-a-uuid/statement.pdf"), 422, "validation_error")
    assert not AccessEvent.objects.exists()


def test_pdf_of_an_erased_candidate_is_404(api, advanced_result, organisation):  # noqa: F811
    share(advanced_result, organisation)
    candidate = advanced_result.entry.candidate
    candidate.erased_at = timezone.now()
    candidate.save(update_fields=["erased_at"])
    assert_error(api.get(f"/results/{advanced_result.public_id}/statement.pdf"), 404,
                 "not_found")


# --- The OpenAPI document --------------------------------------------------------------------
def test_openapi_document_is_valid_and_lists_every_endpoint(client):
    import jsonschema_rs
    from schemathesis.specs.openapi.definitions import OPENAPI_31

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    jsonschema_rs.Draft202012Validator(OPENAPI_31).validate(document)
    operations = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item}
    assert operations == {
        ("GET", "/api/v1/ping"), ("GET", "/api/v1/results"),
        ("POST", "/api/v1/verifications"), ("POST", "/api/v1/verifications/bulk"),
        ("GET", "/api/v1/results/{public_id}/statement.pdf"),
        ("GET", "/api/v1/webhooks"), ("POST", "/api/v1/webhooks"),
        ("DELETE", "/api/v1/webhooks/{webhook_id}"),
    }
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert operation["security"], (method, path)
            assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)
    pdf = document["paths"]["/api/v1/results/{public_id}/statement.pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    assert client.get("/api/v1/docs").status_code == 200


# --- The API page ----------------------------------------------------------------------------
@pytest.fixture
def primary_client(client, organisation):
    client.force_login(primary_of(organisation))
    client.cookies["django_language"] = "en"
    return client


def test_primary_user_requests_api_access(client, make_user):
    organisation = make_organisation(make_user, api_access="none")
    client.force_login(primary_of(organisation))
    client.cookies["django_language"] = "en"
    page = client.get(reverse("verification:api")).content.decode()
    assert "Request API access" in page
    response = client.post(reverse("verification:api_request"))
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.api_access == "requested"
    page = client.get(reverse("verification:api")).content.decode()
    assert "waiting for the LangCert board" in page
    assert AuditEvent.objects.filter(action="verification.api_access_request").count() == 1


def test_the_secret_is_shown_once_then_never_again(primary_client, organisation):
    response = primary_client.post(reverse("verification:api_credential_create"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    credential = ApiCredential.objects.get(organisation=organisation)
    page = response.content.decode()
    assert credential.application.client_id in page
    secret = page.split('id="client-secret"')[0].rsplit('value="', 1)[1].split('"', 1)[0]
    assert len(secret) >= 40
    # The secret works for a token, and is nowhere on the page afterwards.
    assert request_token(primary_client, credential.application.client_id,
                         secret).status_code == 200
    later = primary_client.get(reverse("verification:api")).content.decode()
    assert credential.application.client_id in later and secret not in later

    rotated = primary_client.post(reverse("verification:api_credential_rotate",
                                          args=[credential.pk])).content.decode()
    new_secret = rotated.split('id="client-secret"')[0].rsplit('value="', 1)[1].split('"', 1)[0]
    assert new_secret != secret
    assert request_token(primary_client, credential.application.client_id,
                         secret).status_code == 401

    primary_client.post(reverse("verification:api_credential_revoke", args=[credential.pk]))
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    assert "Revoked" in primary_client.get(reverse("verification:api")).content.decode()


def test_other_users_cannot_manage_credentials(client, make_user, organisation, credential,
                                               other_organisation):
    colleague = make_user(Role.ORGANISATION, language="en")
    OrganisationMember.objects.create(organisation=organisation, user=colleague)
    client.force_login(colleague)
    page = client.get(reverse("verification:api")).content.decode()
    assert credential[0].application.client_id in page and "Create a credential" not in page
    assert client.post(reverse("verification:api_credential_create")).status_code == 403
    # Another organisation's primary user: the credential does not exist for them.
    client.force_login(primary_of(other_organisation))
    response = client.post(reverse("verification:api_credential_revoke",
                                   args=[credential[0].pk]))
    assert response.status_code == 404
    assert ApiCredential.objects.get().revoked_at is None


def test_the_api_page_is_for_organisation_users_only(client, make_user):
    assert client.get(reverse("verification:api")).status_code == 302  # to sign in
    client.login(email=make_user(Role.CANDIDATE).email, password=PASSWORD)
    assert client.get(reverse("verification:api")).status_code == 403
