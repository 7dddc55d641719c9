"""Webhook deliveries: one row per (share event, webhook), each POSTed by a task that
retries with exponential backoff (30 s, 1 min, 2 min, 4 min, 8 min: 6 attempts over about
a quarter of an hour) and ends DELIVERED or FAILED. See webhooks.py for the signature."""

import time
import uuid

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from langcert.core import crypto
from langcert.core.tasks_helper import enqueue
from langcert.verification import webhooks
from langcert.verification.api_clients import api_enabled, loopback_allowed, webhooks_of
from langcert.verification.models import Share, Webhook, WebhookDelivery

MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 30
# Event ids derive from (share, event, webhook): a task run twice makes no second delivery.
EVENT_NAMESPACE = uuid.UUID("6f0c6a59-2f6e-4c55-9b8e-0d7b3f4f2a10")


def payload_for(share: Share, event: str, event_id: uuid.UUID) -> dict:
    """What the receiver is told: the event and which result, nothing personal beyond the
    Statement of Results number the share already gave the organisation."""
    if event == Webhook.Event.RESULT_SHARED:
        occurred = share.shared_at
    else:
        occurred = share.revoked_at or timezone.now()
    return {
        "event": event,
        "event_id": str(event_id),
        "occurred_at": occurred.isoformat(),
        "data": {
            "result_id": str(share.result.public_id),
            "statement_number": share.result.statement_number_display,
            "shared_at": share.shared_at.isoformat(),
            "revoked_at": share.revoked_at.isoformat() if share.revoked_at else None,
        },
    }


@shared_task
def send_share_event(share_id: int, event: str) -> int:
    """One delivery for each of the organisation's webhooks subscribed to `event`;
    returns how many were created (0 on a second run)."""
    share = Share.objects.select_related("result", "organisation").filter(pk=share_id).first()
    if share is None or event not in Webhook.Event.values or not api_enabled(share.organisation):
        return 0
    created = 0
    for webhook in webhooks_of(share.organisation):
        if event not in webhook.events:
            continue
        event_id = uuid.uuid5(EVENT_NAMESPACE, f"{share.pk}:{event}:{webhook.pk}")
        delivery, new = WebhookDelivery.objects.get_or_create(
            event_id=event_id, defaults={"webhook": webhook, "event": event,
                                         "payload": payload_for(share, event, event_id)})
        if new:
            enqueue(deliver_webhook, delivery.pk)
            created += 1
    return created


def _start_attempt(delivery_id: int) -> WebhookDelivery | None:
    """Count the attempt; None when there is nothing (left) to send."""
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update()
                    .select_related("webhook__organisation").filter(pk=delivery_id).first())
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return None
        webhook = delivery.webhook
        if not webhook.is_active or not api_enabled(webhook.organisation):
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.last_error = "webhook deleted or API access withdrawn"
            delivery.save(update_fields=["status", "last_error"])
            return None
        delivery.attempts += 1
        delivery.save(update_fields=["attempts"])
        return delivery


def _attempt(delivery: WebhookDelivery) -> str:
    webhook = delivery.webhook
    if not webhooks.resolves_publicly(webhook.url, allow_loopback=loopback_allowed()):
        return "receiver address refused"
    return webhooks.post(url=webhook.url, secret=crypto.decrypt(webhook.secret.encode()).decode(),
                         event=delivery.event, event_id=str(delivery.event_id),
                         body=webhooks.body_of(delivery.payload), timestamp=int(time.time()))


@shared_task(bind=True, max_retries=MAX_ATTEMPTS - 1)
def deliver_webhook(self, delivery_id: int) -> str:
    """POST the delivery once; on failure retry later, up to MAX_ATTEMPTS in all. The HTTP
    call happens outside any transaction (no row lock held while waiting on a receiver)."""
    delivery = _start_attempt(delivery_id)
    if delivery is None:
        return "skipped"
    error = _attempt(delivery)
    rows = WebhookDelivery.objects.filter(pk=delivery.pk)
    if not error:
        rows.update(status=WebhookDelivery.Status.DELIVERED, delivered_at=timezone.now(),
                    last_error="")
        return WebhookDelivery.Status.DELIVERED
    if delivery.attempts >= MAX_ATTEMPTS:
        rows.update(status=WebhookDelivery.Status.FAILED, last_error=error[:300])
        return WebhookDelivery.Status.FAILED
    rows.update(last_error=error[:300])
    if self.request.is_eager:  # no worker (the demo, tests): the next attempt at once
        return deliver_webhook.apply((delivery_id,)).get()
    base = getattr(settings, "WEBHOOK_RETRY_BASE_SECONDS", RETRY_BASE_SECONDS)
    raise self.retry(countdown=base * 2 ** (delivery.attempts - 1))
