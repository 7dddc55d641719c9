"""The access sweep: every URL pattern of the site, filled in with organisation B's objects,
asked for by organisation A's primary user (GET, and a POST for each action the forms
know, naming B's objects in every field) and by A's API client: no answer shows anything
of B's, and nothing of B's changes.

A new URL pattern is swept without a change here; one with a parameter this file cannot
fill in fails the test until it is taught what to put there."""

import json
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from langcert.verification import api_clients, downloads
from langcert.verification.models import (
    AccessEvent,
    ApiCredential,
    DataDownload,
    DownloadTemplate,
    JoinRequest,
    Organisation,
    OrganisationMember,
    Share,
    Webhook,
)
from tests.results.conftest import entry_factory  # noqa: F401 (fixture)
from tests.verification.test_api import make_organisation, primary_of, token_for
from tests.verification.test_downloads import add_member, download, release, signed_in

pytestmark = pytest.mark.django_db

# What the forms post as "action" (views_account, views_downloads, views_api).
ACTIONS = ["", "approve", "reject", "api_approve", "add", "accept", "decline", "save",
           "remove", "hand_over", "reset_two_factor", "delete", "disable", "revoke", "rotate"]
# Paths for the patterns given as regular expressions (the admin's and the API's own).
REGEX_SAMPLES = {
    "admin/^(?P<app_label>auth|django_celery_beat|core|catalog|centres|verification|itembank"
    "|oral|oauth2_provider)/$": ["/admin/verification/"],
    "admin/(?P<url>.*)$": ["/admin/verification/organisation/1/change/"],
    "api/v1/^.*$": ["/api/v1/anything"],
}
# Parameters filled with one of B's own objects: A must be refused there, whatever it asks.
B_OBJECT_PARAMETERS = {"public_id", "member_id", "credential_id", "share_id", "webhook_id",
                       "object_id", "id"}
REFUSED = {302, 400, 401, 403, 404, 405}
B_SECRETS = {  # text that belongs to B alone
    "candidate": "Quillonby", "document": "BQX771234", "email": "quillonby@b-only.example",
    "member": "Brightwater", "template": "Registry private layout",
    "joiner": "joiner@b-only.example", "hook": "hooks.b-only.example",
}


@pytest.fixture
def world(make_user, entry_factory, advanced_session,  # noqa: F811
          django_capture_on_commit_callbacks):
    """A and B, each with a shared result; B with everything an organisation can have."""
    a = make_organisation(make_user, name="Alpha College")
    b = make_organisation(make_user, name="Beta Institute")
    a_result = release(entry_factory, advanced_session, last_name="Aardvark")
    b_result = release(entry_factory, advanced_session, last_name=B_SECRETS["candidate"],
                       email=B_SECRETS["email"], id_document_number=B_SECRETS["document"],
                       date_of_birth=date(1987, 3, 4))
    Share.objects.create(result=a_result, organisation=a)
    Share.objects.create(result=b_result, organisation=b)
    colleague = add_member(make_user, b, last_name=B_SECRETS["member"])
    colleague.totp_secret, colleague.totp_confirmed_at = "encrypted-secret", timezone.now()
    colleague.save()  # two-factor on: a reset of it would show
    b_client = signed_in(primary_of(b))
    b_download, _content = download(b_client, django_capture_on_commit_callbacks, [b_result])
    template = downloads.template_save(
        actor=primary_of(b), organisation=b, name=B_SECRETS["template"],
        columns=[{"field": "last_name", "header": ""}], header_language="en")
    credential, _secret = api_clients.credential_create(actor=primary_of(b), organisation=b)
    webhook, _secret = api_clients.webhook_create(
        organisation=b, url=f"https://{B_SECRETS['hook']}/in", events=["result.shared"])
    join = JoinRequest.objects.create(organisation=b, first_name="Jo", last_name="Joiner",
                                      job_title="Clerk", email=B_SECRETS["joiner"])
    return {"a": a, "b": b, "b_result": b_result, "b_share": b_result.shares.get(),
            "b_colleague": colleague, "b_download": b_download, "b_template": template,
            "b_credential": credential, "b_webhook": webhook, "b_join": join,
            "a_token": token_for(Client(), api_clients.credential_create(
                actor=primary_of(a), organisation=a))}


def b_state(world) -> dict:
    """Everything of B's a request from A could change."""
    b = world["b"]
    return {
        "organisation": list(Organisation.objects.filter(pk=b.pk).values()),
        "members": list(OrganisationMember.objects.filter(organisation=b).order_by("pk")
                        .values("pk", "user_id", "is_primary", "job_title", "user__first_name",
                                "user__last_name", "user__email", "user__language",
                                "user__is_active", "totp_secret", "totp_confirmed_at",
                                "totp_last_step", "notify", "notify_frequency")),
        "shares": list(Share.objects.filter(organisation=b).values()),
        "result": list(type(world["b_result"]).objects.filter(pk=world["b_result"].pk)
                       .values("status", "withdrawn_at")),
        "access_events": list(AccessEvent.objects.filter(result=world["b_result"])
                              .values("organisation_id", "kind")),
        "downloads": list(DataDownload.objects.filter(organisation=b).values("pk", "status",
                                                                             "file")),
        "downloads_of_b_result": list(DataDownload.objects.filter(results=world["b_result"])
                                      .values("organisation_id")),
        "templates": list(DownloadTemplate.objects.filter(organisation=b).values()),
        "credentials": list(ApiCredential.objects.filter(organisation=b)
                            .values("pk", "revoked_at", "expires_at",
                                    "application__client_secret")),
        "webhooks": list(Webhook.objects.filter(organisation=b).values()),
        # Anyone may ask to join an organisation ("Join an existing account"): new requests
        # are allowed, B's own must stay as they are.
        "join_requests": list(JoinRequest.objects.filter(pk=world["b_join"].pk).values()),
    }


# --- Every pattern, filled in with B's objects ----------------------------------------------
def every_pattern(patterns=None, prefix=""):
    """(route text, name, pattern) of every URL pattern, includes flattened."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from every_pattern(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name or "", entry.pattern


def b_values(world, name: str, url_name: str) -> list[str]:
    """What to put in the parameter `name` of the pattern called `url_name`."""
    by_public_id = {"download_status": "b_download", "download_file": "b_download",
                    "board_application": "b", "api_webhook_delete": "b_webhook"}
    if name == "public_id":
        return [str(world[by_public_id.get(url_name, "b_result")].public_id)]
    numbers = {"member_id": world["b_colleague"].pk, "credential_id": world["b_credential"].pk,
               "share_id": world["b_share"].pk, "webhook_id": world["b_webhook"].public_id,
               "object_id": world["b"].pk, "id": primary_of(world["b"]).pk,
               "content_type_id": 1, "request_id": 1, "pk": 1}
    if name in numbers:
        return [str(numbers[name])]
    words = {"token": "not-a-token", "kind": "statement", "code": "practice-1",
             "uidb64": "MQ", "str": "x"}
    if name in words:
        return [words[name]]
    raise AssertionError(f"teach the sweep what to put in <{name}> of {url_name!r}")


def concrete_paths(world) -> list[tuple[str, str, bool]]:
    """(path, URL name, whether the path names one of B's objects) for every pattern."""
    paths = []
    for route, name, pattern in every_pattern():
        if not isinstance(pattern, RoutePattern) or "^" in route or "(?P" in route:
            assert route in REGEX_SAMPLES, f"teach the sweep a sample path for {route!r}"
            paths += [(sample, name, False) for sample in REGEX_SAMPLES[route]]
            continue
        parameters = re.findall(r"<(?:\w+:)?(\w+)>", route)
        filled = "/" + route
        for parameter in parameters:
            [value] = b_values(world, parameter, name)
            filled = re.sub(rf"<(?:\w+:)?{parameter}>", value, filled, count=1)
        paths.append((filled, name, bool(set(parameters) & B_OBJECT_PARAMETERS)))
    return paths


def poison(world, action: str, **valid) -> dict:
    """A form naming B's objects in every field the views read (never with the right date of
    birth: a number and date of birth together may be verified by anyone); `valid` replaces
    fields with A's own good values, so that a form gets past them to B's objects."""
    b = world
    return {
        "action": action, "organisation": str(b["b"].public_id),
        "result": [str(b["b_result"].public_id)], "template": str(b["b_template"].pk),
        "join_request": str(b["b_join"].pk), "member": str(b["b_colleague"].pk),
        "credential": str(b["b_credential"].pk), "webhook": str(b["b_webhook"].public_id),
        "share": str(b["b_share"].pk), "statement_number": b["b_result"].statement_number,
        "date_of_birth": "2001-01-01", "format": "xlsx", "scope": "all", "reason": "sweep",
        "email": "sweeper@a.example", "email_again": "sweeper@a.example",
        "first_name": "Sweep", "last_name": "Er", "job_title": "Tester", "name": "Sweep",
        **valid,
    }


# B's results asked for with everything else right (the default template, the selection).
ONLY_B_RESULTS = {"template": "default", "scope": "selected"}


def b_query(world) -> dict:
    """The GET parameters the views read, naming B's objects and B's candidate."""
    start = B_SECRETS["candidate"][:5]  # as a search would type it: only a leak shows it all
    return {"edit": world["b_template"].pk, "format": "json", "name": start,
            "organisation": str(world["b"].public_id), "q": start}


def body_of(response) -> str:
    content = (b"".join(response.streaming_content) if response.streaming
               else response.content)
    return content.decode("utf-8", errors="replace")


def leaks(response, world) -> list[str]:
    result = world["b_result"]
    text = body_of(response) + "".join(f"{k}: {v}" for k, v in response.items())
    text = text.replace(f'value="{result.statement_number}"', "")  # A's own input, echoed
    found = [what for what, secret in B_SECRETS.items() if secret in text]
    found += [number for number in (result.statement_number, result.statement_number_display)
              if number in text]
    return found


def test_a_user_of_one_organisation_gets_nothing_of_anothers(world):
    before = b_state(world)
    a_primary = primary_of(world["a"])
    paths = concrete_paths(world)
    assert len(paths) > 100  # the whole site, not a corner of it
    found, own_page = [], ""
    for path, name, names_b_object in paths:
        # A fresh session for every request: a logout or a changed setting earlier in the
        # sweep must not leave the rest of it looking as nobody.
        actions = ACTIONS[:1] if path.startswith("/admin/") else ACTIONS  # staff only, all
        answers = [signed_in(a_primary).get(path), signed_in(a_primary).get(path, b_query(world)),
                   signed_in(a_primary).post(path, poison(world, "", **ONLY_B_RESULTS))]
        answers += [signed_in(a_primary).post(path, poison(world, action)) for action in actions]
        for response in answers:
            found += [(path, name, response.status_code, leak)
                      for leak in leaks(response, world)]
            if names_b_object and response.status_code not in REFUSED:
                found.append((path, name, response.status_code, "not refused"))
        if name == "shared_results":
            own_page = body_of(answers[0])
    assert found == []
    assert b_state(world) == before
    assert "Aardvark" in own_page  # the sweep saw with A's eyes: A's own result was there


def test_an_api_client_of_one_organisation_gets_nothing_of_anothers(world, client):
    before = b_state(world)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {world['a_token']}"}
    payloads = [{}, {"statement_number": world["b_result"].statement_number,
                     "date_of_birth": "2001-01-01"},
                {"items": [{"statement_number": world["b_result"].statement_number,
                            "date_of_birth": "2001-01-01"}]},
                {"url": "https://sweep.example/in", "events": ["result.shared"]}]
    found = []
    for path, name, names_b_object in concrete_paths(world):
        if not path.startswith("/api/"):
            continue
        answers = [client.get(path, **bearer), client.delete(path, **bearer)]
        answers += [client.post(path, json.dumps(p), content_type="application/json",
                                **bearer) for p in payloads]
        for response in answers:
            found += [(path, name, response.status_code, leak)
                      for leak in leaks(response, world)]
            if names_b_object and response.status_code not in REFUSED | {422}:
                found.append((path, name, response.status_code, "not refused"))
    assert found == []
    assert b_state(world) == before
