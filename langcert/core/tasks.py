from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from langcert.core import mail

MAX_DELIVERY_ATTEMPTS = 6


@shared_task(bind=True, max_retries=MAX_DELIVERY_ATTEMPTS - 1, acks_late=True)
def deliver_email(self, message_id: int) -> bool:
    """Deliver one outbox message, retrying with exponential backoff on failure."""
    try:
        return mail.deliver(message_id)
    except Exception as error:
        final = self.request.retries >= self.max_retries
        mail.record_failure(message_id, error, final=final)
        if final:
            raise
        raise self.retry(exc=error, countdown=30 * 2**self.request.retries) from error


STALE_AFTER = timedelta(minutes=10)


@shared_task
def requeue_stale_emails() -> int:
    """Periodic sweep: re-send messages whose delivery task was lost (broker down at commit,
    worker killed). Delivery locks each row, so a message is still sent once."""
    stale = mail.stale_message_ids(older_than=timezone.now() - STALE_AFTER)
    for message_id in stale:
        deliver_email.delay(message_id)
    return len(stale)
