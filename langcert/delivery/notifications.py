"""Emails of the written test."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from langcert.centres.models import Session
from langcert.core import identifiers
from langcert.core.mail import queue_email
from langcert.core.timefmt import local_datetime_text


def test_link(id_number: str) -> str:
    """The sign-in page with the ID Number after '#', so it never reaches a server log."""
    return f"{settings.SITE_URL}/test/#{identifiers.display(id_number)}"


def announce_open_tests() -> int:
    """Email every candidate of a session whose window is open and not yet announced."""
    now = timezone.now()
    sent = 0
    with transaction.atomic():
        sessions = Session.objects.select_for_update(skip_locked=True).filter(
            exam__kind="adaptive_cefr", opens_at__lte=now, closes_at__gt=now,
            availability_notified_at__isnull=True)
        for session in sessions:
            for entry in session.entries.select_related("candidate", "candidate__account"):
                candidate = entry.candidate
                queue_email(
                    key=f"test-available:{entry.pk}",
                    to=candidate.mail_address,
                    template="test_available",
                    context={"candidate_name": candidate.full_name,
                             "exam": session.exam.name,
                             "closes": local_datetime_text(session.closes_at,
                                                           candidate.time_zone,
                                                           candidate.language),
                             "test_url": test_link(entry.id_number)},
                    language=candidate.language,
                )
                sent += 1
            session.availability_notified_at = now
            session.save(update_fields=["availability_notified_at"])
    return sent
