"""The confirmation of entry PDF, read back as text."""

from datetime import UTC, datetime

import pytest

from langcert.centres.services import entry_enrol
from tests.conftest import person
from tests.helpers import id_and_secret, pdf_text

pytestmark = pytest.mark.django_db


def enrol_and_read_pdf(centre_user, session, mailoutbox, capture, **overrides):
    with capture(execute=True):
        entry = entry_enrol(actor=centre_user, session=session, data=person(**overrides))
    name, content, mimetype = mailoutbox[-1].attachments[0]
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    return entry, pdf_text(content)


def test_release_time_is_local_to_a_new_york_candidate_across_daylight_saving(
    centre_user, centre, session_factory, mailoutbox, django_capture_on_commit_callbacks
):
    # Enrolled in winter (EST, UTC-5); results released after the 8 March 2026 change to
    # summer time (EDT, UTC-4): 14:00 UTC is 10:00 in New York that day, not 09:00.
    session = session_factory(centre, "c1-advanced",
                              release=datetime(2026, 3, 9, 14, 0, tzinfo=UTC))
    entry, text = enrol_and_read_pdf(
        centre_user, session, mailoutbox, django_capture_on_commit_callbacks,
        time_zone="America/New_York", language="en",
    )
    flat = " ".join(text.split())
    assert "Confirmation of entry" in flat and "Results information" in flat
    assert "Monday 9 March 2026, 10:00 EDT (America/New_York)" in flat
    id_number, secret = id_and_secret(flat)
    assert id_number.replace("-", "") == entry.id_number
    assert "Ada LOVELACE" in flat and "C1 Advanced" in flat


def test_a_french_candidate_gets_the_document_in_french_in_paris_time(
    centre_user, centre, session_factory, mailoutbox, django_capture_on_commit_callbacks
):
    session = session_factory(centre, "adaptive-en",
                              release=datetime(2026, 10, 26, 9, 30, tzinfo=UTC))
    _, text = enrol_and_read_pdf(
        centre_user, session, mailoutbox, django_capture_on_commit_callbacks,
        time_zone="Europe/Paris", language="fr",
    )
    flat = " ".join(text.split())
    # 26 October 2026 is the day after Paris returns to winter time (UTC+1).
    assert "lundi 26 octobre 2026, 10:30 CET (Europe/Paris)" in flat
    assert "Confirmation d" in flat  # « Confirmation d’inscription »
