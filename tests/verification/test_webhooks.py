"""Webhooks: registered through the API (https only, secret shown once and stored
encrypted), told of shares, revocations and withdrawals, each delivery signed and sent to a
real HTTP receiver on this machine, retried with backoff, never redirected."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from langcert.core import crypto
from langcert.verification import api_clients, events, services, webhooks
from langcert.verification.models import Share, Webhook, WebhookDelivery
from langcert.verification.tasks_webhooks import MAX_ATTEMPTS, send_share_event
from tests.results.conftest import (  # noqa: F401 (shared fixtures)
    advanced_result,
    entry_factory,
)
from tests.verification.test_api import (  # noqa: F401 (shared fixtures)
    api,
    assert_error,
    credential,
    organisation,
    other_organisation,
    token,
)

pytestmark = pytest.mark.django_db

EVENTS = ["result.shared", "share.revoked", "result.withdrawn"]


class Receiver:
    """An HTTP server in a thread on 127.0.0.1 that records each POST and answers with the
    next status of `statuses` (200 once they are used up)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status in (301, 302, 307, 308):
                    self.send_header("Location", f"{receiver.url}/redirected")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True  # the demo and tests only: production is https
    started = []

    def start(statuses=()):
        started.append(Receiver(statuses))
        return started[-1]

    yield start
    for each in started:
        each.stop()


def register(api, url, events=EVENTS):  # noqa: F811
    response = api.post("/webhooks", {"url": url, "events": events})
    assert response.status_code == 201, response.content
    return response.json()


def share_now(result, organisation, django_capture_on_commit_callbacks):  # noqa: F811
    """A share that starts, as the sharing service makes it (events after commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        share = Share.objects.create(result=result, organisation=organisation)
        events.share_started(share)
    return share


# --- Registering -----------------------------------------------------------------------------
def test_registering_returns_the_secret_once_and_stores_it_encrypted(api, receiver,
                                                                    organisation):
    created = register(api, f"{receiver().url}/hook", ["result.shared"])
    assert created["secret"].startswith("whsec_") and created["events"] == ["result.shared"]
    webhook = Webhook.objects.get(public_id=created["id"])
    assert webhook.organisation == organisation
    assert created["secret"] not in webhook.secret
    assert crypto.decrypt(webhook.secret.encode()).decode() == created["secret"]
    listed = api.get("/webhooks").json()
    assert listed == [{"id": created["id"], "url": created["url"], "events": ["result.shared"],
                       "created_at": created["created_at"]}]


@pytest.mark.parametrize("url", [
    "http://crm.example.org/hook",  # not https
    "https://10.1.2.3/hook",  # private address
    "https://169.254.169.254/latest",  # link-local (cloud metadata)
    "https://user:pass@crm.example.org/hook",  # credentials in the URL
    "https://localhost/hook",  # loopback, outside the demo and tests
    "http://127.0.0.1:8000/hook",
    "ftp://crm.example.org/hook",
    "not a url",
])
def test_only_public_https_urls_are_accepted(api, url, settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    error = assert_error(api.post("/webhooks", {"url": url, "events": EVENTS}), 422,
                         "invalid_url")
    assert "https://" in error["message"]
    assert not Webhook.objects.exists()


def test_events_must_be_known(api):
    assert_error(api.post("/webhooks", {"url": "https://crm.example.org/hook",
                                        "events": ["result.eaten"]}), 422, "validation_error")
    assert_error(api.post("/webhooks", {"url": "https://crm.example.org/hook",
                                        "events": []}), 422, "validation_error")


def test_public_https_url_is_accepted_without_loopback():
    webhooks.check_url("https://crm.example.org:8443/langcert?x=1", allow_loopback=False)
    webhooks.check_url("https://93.184.216.34/hook", allow_loopback=False)
    assert not webhooks.resolves_publicly("https://localhost/hook", allow_loopback=False)


def test_deleting_stops_deliveries_and_is_per_organisation(api, receiver, client,  # noqa: F811
                                                          other_organisation, advanced_result,
                                                          django_capture_on_commit_callbacks,
                                                          organisation):
    created = register(api, f"{receiver().url}/hook")
    other_webhook, _secret = api_clients.webhook_create(
        organisation=other_organisation, url="https://other.example.org/hook", events=EVENTS)
    assert_error(api.delete(f"/webhooks/{other_webhook.public_id}"), 404, "not_found")
    assert api.delete(f"/webhooks/{created['id']}").status_code == 204
    assert api.get("/webhooks").json() == []
    assert_error(api.delete(f"/webhooks/{created['id']}"), 404, "not_found")
    share_now(advanced_result, organisation, django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.exists()


# --- Delivering ------------------------------------------------------------------------------
def test_a_share_is_delivered_signed_and_retried_after_a_500(
        api, receiver, organisation, advanced_result,  # noqa: F811
        django_capture_on_commit_callbacks):
    live = receiver(statuses=[500])  # fails once, then answers 200
    created = register(api, f"{live.url}/langcert", ["result.shared"])
    share = share_now(advanced_result, organisation, django_capture_on_commit_callbacks)

    assert len(live.requests) == 2  # one retry
    delivery = WebhookDelivery.objects.get()  # one delivery
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2 and delivery.delivered_at is not None
    for request in live.requests:
        headers, body = request["headers"], request["body"]
        assert request["path"] == "/langcert"
        assert headers["Content-Type"] == "application/json"
        assert headers["X-LangCert-Event"] == "result.shared"
        assert headers["X-LangCert-Delivery"] == str(delivery.event_id)
        assert abs(int(headers["X-LangCert-Timestamp"]) - time.time()) < 60
        # What a receiver does: recompute the HMAC of "<timestamp>.<body>" with the secret.
        assert webhooks.signature_matches(created["secret"], headers["X-LangCert-Timestamp"],
                                          body, headers["X-LangCert-Signature"])
        assert not webhooks.signature_matches("whsec_wrong", headers["X-LangCert-Timestamp"],
                                              body, headers["X-LangCert-Signature"])
    payload = json.loads(live.requests[1]["body"])
    assert payload == {
        "event": "result.shared", "event_id": str(delivery.event_id),
        "occurred_at": share.shared_at.isoformat(),
        "data": {"result_id": str(advanced_result.public_id),
                 "statement_number": advanced_result.statement_number_display,
                 "shared_at": share.shared_at.isoformat(), "revoked_at": None}}
    candidate = advanced_result.entry.candidate
    assert candidate.last_name not in live.requests[1]["body"].decode()


def test_gives_up_after_six_attempts_and_never_follows_redirects(
        api, receiver, organisation, advanced_result,  # noqa: F811
        django_capture_on_commit_callbacks):
    live = receiver(statuses=[302] * MAX_ATTEMPTS)
    register(api, f"{live.url}/hook", ["result.shared"])
    share_now(advanced_result, organisation, django_capture_on_commit_callbacks)
    assert [r["path"] for r in live.requests] == ["/hook"] * MAX_ATTEMPTS
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == MAX_ATTEMPTS and delivery.last_error == "HTTP 302"


def test_revoked_and_withdrawn_shares_are_told_to_subscribers_only(
        api, receiver, organisation, advanced_result,  # noqa: F811
        django_capture_on_commit_callbacks):
    live = receiver()
    register(api, f"{live.url}/ends", ["share.revoked", "result.withdrawn"])
    share = share_now(advanced_result, organisation, django_capture_on_commit_callbacks)
    assert live.requests == []  # not subscribed to result.shared

    with django_capture_on_commit_callbacks(execute=True):
        Share.objects.filter(pk=share.pk).update(revoked_at=timezone.now())
        events.share_ended(share, "share.revoked")
    again = share_now(advanced_result, organisation, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_result_ended(result=advanced_result, why="withdrawn")

    sent = [json.loads(r["body"]) for r in live.requests]
    assert [p["event"] for p in sent] == ["share.revoked", "result.withdrawn"]
    assert sent[0]["data"]["revoked_at"] is not None
    again.refresh_from_db()
    assert sent[1]["occurred_at"] == again.revoked_at.isoformat()
    assert WebhookDelivery.objects.filter(status=WebhookDelivery.Status.DELIVERED).count() == 2


def test_an_event_makes_one_delivery_per_webhook_even_if_sent_twice(
        receiver, organisation, other_organisation, advanced_result,  # noqa: F811
        django_capture_on_commit_callbacks):
    live = receiver()
    for n in range(2):
        api_clients.webhook_create(organisation=organisation, url=f"{live.url}/{n}",
                                   events=EVENTS)
    api_clients.webhook_create(organisation=other_organisation, url=f"{live.url}/other",
                               events=EVENTS)
    share = share_now(advanced_result, organisation, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_share_event.delay(share.pk, "result.shared").get() == 0
    assert sorted(r["path"] for r in live.requests) == ["/0", "/1"]
    assert WebhookDelivery.objects.count() == 2


def test_no_deliveries_without_api_access(receiver, organisation, advanced_result,  # noqa: F811
                                          django_capture_on_commit_callbacks):
    live = receiver()
    api_clients.webhook_create(organisation=organisation, url=f"{live.url}/x", events=EVENTS)
    organisation.api_access = "none"
    organisation.save(update_fields=["api_access"])
    share_now(advanced_result, organisation, django_capture_on_commit_callbacks)
    assert live.requests == [] and not WebhookDelivery.objects.exists()


# --- With a real Celery worker on Redis ------------------------------------------------------
@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_worker_retries_after_a_500_then_delivers(celery_worker_on_redis, receiver,
                                                    settings, organisation,
                                                    advanced_result):  # noqa: F811
    settings.WEBHOOK_RETRY_BASE_SECONDS = 1
    live = receiver(statuses=[500])
    webhook, secret = api_clients.webhook_create(organisation=organisation,
                                                 url=f"{live.url}/worker", events=EVENTS)
    share = Share.objects.create(result=advanced_result, organisation=organisation)
    events.share_started(share)  # no transaction: sent to the worker at once

    deadline = time.monotonic() + 60
    delivery = None
    while time.monotonic() < deadline:
        delivery = WebhookDelivery.objects.filter(webhook=webhook).first()
        if delivery is not None and delivery.status != WebhookDelivery.Status.PENDING:
            break
        time.sleep(0.2)
    assert delivery is not None and delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2 and len(live.requests) == 2
    last = live.requests[-1]
    assert webhooks.signature_matches(secret, last["headers"]["X-LangCert-Timestamp"],
                                      last["body"], last["headers"]["X-LangCert-Signature"])
