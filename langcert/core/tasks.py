from celery import shared_task

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
