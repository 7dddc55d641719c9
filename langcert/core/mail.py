"""The mail outbox: every email of the platform is a row here first.

`queue_email` renders the message in the recipient's language and stores it under an
idempotency key; a Celery task delivers it. Asking twice for the same key gives the same
row, and delivery locks the row, so a message is never sent twice.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from langcert.core.models import OutboundEmail
from langcert.core.tasks_helper import enqueue


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


def render_email(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, text body and HTML body of `emails/<template>.*` in `language`."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}.subject.txt", context).strip()
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    return " ".join(subject.split()), text, html


def queue_email(
    *,
    key: str,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    attachment: Attachment | None = None,
    sensitive: bool = False,
) -> OutboundEmail:
    """Store one message under `key` and deliver it after the transaction commits."""
    existing = OutboundEmail.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    subject, text, html = render_email(template, context, language)
    with transaction.atomic():
        message, created = OutboundEmail.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "to": to,
                "subject": subject,
                "body_text": text,
                "body_html": html,
                "attachment_name": attachment.filename if attachment else "",
                "attachment_type": attachment.mimetype if attachment else "",
                "attachment": attachment.content if attachment else None,
                "sensitive": sensitive,
            },
        )
        if created:
            from langcert.core.tasks import deliver_email

            enqueue(deliver_email, message.pk)
    return message


def deliver(message_id: int) -> bool:
    """Send one queued message; True if this call sent it, False if it was already sent."""
    with transaction.atomic():
        message = OutboundEmail.objects.select_for_update().get(pk=message_id)
        if message.status == OutboundEmail.Status.SENT:
            return False
        message.attempts += 1
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
        )
        if message.body_html:
            email.attach_alternative(message.body_html, "text/html")
        if message.attachment:
            email.attach(
                message.attachment_name, bytes(message.attachment), message.attachment_type
            )
        email.send()
        message.status = OutboundEmail.Status.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        if message.sensitive:
            message.body_text = message.body_html = ""
            message.attachment = None
        message.save()
    return True


def stale_message_ids(*, older_than) -> list[int]:
    """Queued messages created before `older_than` (their task was probably lost)."""
    # attempts == 0: never tried, so no retry of its own is waiting.
    return list(
        OutboundEmail.objects.filter(
            status=OutboundEmail.Status.QUEUED, created_at__lt=older_than, attempts=0
        ).values_list("pk", flat=True)[:500]
    )


def record_failure(message_id: int, error: Exception, final: bool) -> None:
    pending = OutboundEmail.objects.filter(pk=message_id).exclude(
        status=OutboundEmail.Status.SENT)
    pending.update(
        last_error=type(error).__name__,
        status=OutboundEmail.Status.FAILED if final else OutboundEmail.Status.QUEUED,
    )
    if final:  # a secret that will never be sent is not kept either
        pending.filter(sensitive=True).update(body_text="", body_html="", attachment=None)
