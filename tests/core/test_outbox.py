"""The mail outbox: one row per message, sent exactly once, secrets dropped once sent."""

import time
from datetime import timedelta

import pytest
from django.core import mail as django_mail

from langcert.core.mail import queue_email
from langcert.core.models import OutboundEmail
from langcert.core.tasks import deliver_email


def queue(key="welcome:1", sensitive=False):
    return queue_email(
        key=key, to="someone@example.org", template="password_reset",
        context={"reset_url": "https://example.org/reset/abc"}, language="en",
        sensitive=sensitive,
    )


@pytest.mark.django_db
def test_a_message_is_sent_once_when_its_task_runs_twice(mailoutbox):
    message = queue()
    assert deliver_email.apply(args=[message.pk]).get() is True
    assert deliver_email.apply(args=[message.pk]).get() is False
    assert len(mailoutbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundEmail.Status.SENT, 1)


@pytest.mark.django_db
def test_asking_twice_for_the_same_key_gives_one_message(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, second = queue(), queue()
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1 and len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Reset your LangCert password"
    assert "https://example.org/reset/abc" in mailoutbox[0].body


@pytest.mark.django_db
def test_sensitive_content_is_dropped_once_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(sensitive=True)
    message.refresh_from_db()
    assert message.status == OutboundEmail.Status.SENT
    assert message.body_text == "" and message.body_html == "" and message.attachment is None


@pytest.mark.django_db
def test_a_failed_send_is_kept_for_retry(monkeypatch, settings):
    settings.EMAIL_BACKEND = "tests.core.test_outbox.BrokenBackend"
    message = queue()
    with pytest.raises(ConnectionError):
        deliver_email.apply(args=[message.pk], throw=True, retries=deliver_email.max_retries)
    message.refresh_from_db()
    assert message.status == OutboundEmail.Status.FAILED
    assert message.last_error == "ConnectionError"


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("SMTP is down")


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_celery_round_trip_through_redis_sends_once(celery_worker_on_redis):
    """Through a real worker on Redis: a task returns its result, and a message queued and
    then delivered a second time still reaches its recipient once."""
    from langcert.core.tasks import deliver_email as task

    message = queue(key="round-trip:1")  # enqueued on commit, to the worker
    assert task.delay(message.pk).get(timeout=30) in (True, False)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status == OutboundEmail.Status.SENT:
            break
        time.sleep(0.1)
    assert message.status == OutboundEmail.Status.SENT
    assert task.delay(message.pk).get(timeout=30) is False
    assert [m.subject for m in django_mail.outbox] == ["Reset your LangCert password"]


@pytest.mark.django_db
def test_the_sweep_resends_a_message_whose_task_was_lost(mailoutbox, time_machine):
    message = queue(key="lost:1")  # on_commit never runs here: as if the broker was down
    assert OutboundEmail.objects.get(pk=message.pk).status == OutboundEmail.Status.QUEUED
    from langcert.core.tasks import requeue_stale_emails

    assert requeue_stale_emails.apply().get() == 0  # too recent: its task may still run
    time_machine.move_to(message.created_at + timedelta(minutes=11))
    assert requeue_stale_emails.apply().get() == 1
    assert len(mailoutbox) == 1
    assert requeue_stale_emails.apply().get() == 0
