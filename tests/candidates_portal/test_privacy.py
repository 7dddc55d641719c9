"""The candidate's privacy page: photo consent given and withdrawn by the candidate, the
updates opt-in, and the access log of organisations that looked at their results."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from langcert.candidates_portal import privacy
from langcert.candidates_portal.models import ResultsAccount
from langcert.centres.services import entry_set_photo_consent
from langcert.core.models import AuditEvent
from langcert.core.roles import Role
from langcert.verification.models import AccessEvent

pytestmark = pytest.mark.django_db

PAGE = reverse("portal:privacy")


def consent_events(entry):
    return AuditEvent.objects.filter(action="entry.photo_consent", target_id=str(entry.pk))


def post_consent(client, entry, value):
    return client.post(PAGE, {"action": "consent", "entry": str(entry.public_id),
                              "consent": value})


@pytest.fixture
def entry(advanced_result):
    return advanced_result.entry


@pytest.fixture
def exempt_entry(entry_factory, session_factory, centre, portal_user):
    """A C2 Proficiency entry of the same person, exempt from the photo for religious
    reasons."""
    exempt = entry_factory(session_factory(centre, "c2-proficiency"), photo_consent=False,
                           photo_exemption="religious", id_document_number="EXEMPT1")
    exempt.candidate.account = portal_user
    exempt.candidate.save(update_fields=["account"])
    return exempt


@pytest.fixture
def other_candidate_client(client, make_user):
    client.force_login(make_user(Role.CANDIDATE, language="en"))
    client.cookies["django_language"] = "en"
    return client


# --- Photo consent ---------------------------------------------------------------------


def test_the_page_shows_the_consent_of_each_photo_entry(portal_client, entry):
    response = portal_client.get(PAGE)
    assert response.status_code == 200
    assert entry.session.exam.name in response.text
    assert "Shown to verifiers" in response.text
    assert "Stop showing my photo" in response.text


def test_the_candidate_withdraws_consent_and_gives_it_again(portal_client, portal_user, entry):
    response = post_consent(portal_client, entry, "no")
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.photo_consent is False and entry.photo_consent_changed_at is not None
    withdrawn_at = entry.photo_consent_changed_at
    page = portal_client.get(PAGE).text
    assert "no longer shown to any organisation" in page
    assert "Allow verifiers to see my test-day photo" in page and "Not shown" in page
    assert "America/New_York" in page  # the change's date, in the candidate's zone

    assert post_consent(portal_client, entry, "yes").status_code == 302
    entry.refresh_from_db()
    assert entry.photo_consent is True and entry.photo_consent_changed_at >= withdrawn_at
    events = consent_events(entry).order_by("pk")
    assert [(e.actor, e.data["consent"]) for e in events] == [
        (portal_user, False), (portal_user, True)]
    assert all(e.data["exemption"] == "" for e in events)


def test_another_candidate_cannot_change_my_consent(other_candidate_client, entry):
    before = entry.photo_consent_changed_at
    assert post_consent(other_candidate_client, entry, "no").status_code == 404
    entry.refresh_from_db()
    assert (entry.photo_consent, entry.photo_consent_changed_at) == (True, before)
    assert not consent_events(entry).exists()


def test_the_service_refuses_anyone_but_the_owner_and_the_centre(make_user, entry, portal_user):
    stranger = make_user(Role.CANDIDATE)
    with pytest.raises(PermissionDenied):
        privacy.photo_consent_set(actor=stranger, entry=entry, consent=False)
    with pytest.raises(PermissionDenied):  # the owner cannot clear or set an exemption
        entry_set_photo_consent(actor=portal_user, entry=entry, consent=False,
                                exemption="medical")
    entry.refresh_from_db()
    assert (entry.photo_consent, entry.photo_exemption) == (True, "")


def test_an_exemption_is_shown_and_cannot_be_switched(portal_client, portal_user, exempt_entry):
    page = portal_client.get(PAGE).text
    assert "Exempt from the test-day photo (Religious reasons)" in page
    assert f'name="entry" value="{exempt_entry.public_id}"' not in page
    response = post_consent(portal_client, exempt_entry, "yes")
    assert response.status_code == 400
    assert "exempt from the test-day photo" in response.text
    with pytest.raises(ValidationError):
        privacy.photo_consent_set(actor=portal_user, entry=exempt_entry, consent=True)
    exempt_entry.refresh_from_db()
    assert (exempt_entry.photo_consent, exempt_entry.photo_exemption) == (False, "religious")


def test_a_bad_consent_form_changes_nothing(portal_client, entry):
    response = portal_client.post(PAGE, {"action": "consent", "entry": "not-a-uuid"})
    assert response.status_code == 400
    assert "Choose whether your photo may be shown." in response.text
    assert not consent_events(entry).exists()


# --- Updates ---------------------------------------------------------------------------


def test_the_updates_switch(portal_client, portal_user):
    account = ResultsAccount.objects.get(user=portal_user)
    assert account.wants_updates is False
    response = portal_client.post(PAGE, {"action": "updates", "wants_updates": "on"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.wants_updates is True
    assert "checked" in portal_client.get(PAGE).text.split('name="wants_updates"')[1][:40]
    portal_client.post(PAGE, {"action": "updates"})
    account.refresh_from_db()
    assert account.wants_updates is False
    events = AuditEvent.objects.filter(action="portal.updates_set").order_by("pk")
    assert [(e.actor, e.data) for e in events] == [
        (portal_user, {"wants": True}), (portal_user, {"wants": False})]


# --- Access log ------------------------------------------------------------------------


def access(result, organisation, kind, moment):
    event = AccessEvent.objects.create(result=result, organisation=organisation, kind=kind)
    AccessEvent.objects.filter(pk=event.pk).update(occurred_at=moment)
    return event


def test_the_access_log_shows_who_looked_in_my_time_zone(portal_client, advanced_result,
                                                         university):
    # 14:00 UTC on 9 March 2026 is 10:00 in New York, a day after the clocks changed.
    access(advanced_result, university, AccessEvent.Kind.DOWNLOAD,
           datetime(2026, 3, 9, 14, 0, tzinfo=UTC))
    access(advanced_result, university, AccessEvent.Kind.VIEW,
           datetime(2026, 3, 9, 15, 30, tzinfo=UTC))
    page = portal_client.get(PAGE).text
    log = page.split('id="access-events"')[1].split("</table>")[0]
    assert "University of Testing" in log
    assert "Monday 9 March 2026, 10:00 EDT (America/New_York)" in log
    viewed, downloaded = log.index("11:30 EDT"), log.index("10:00 EDT")
    assert viewed < downloaded  # newest first
    assert "Viewed" in log and "Downloaded" in log


def test_the_access_log_shows_only_my_results(portal_client, adaptive_released_result,
                                              university):
    access(adaptive_released_result, university, AccessEvent.Kind.VIEW,
           datetime(2026, 3, 9, 14, 0, tzinfo=UTC))
    log = portal_client.get(PAGE).text.split('id="access-events"')[1]
    assert "University of Testing" not in log.split("</table>")[0]
    assert "No organisation has looked at your results." in log


def test_the_access_log_is_paginated(portal_client, advanced_result, university):
    for day in range(1, 23):
        access(advanced_result, university, AccessEvent.Kind.VIEW,
               datetime(2026, 1, day, 12, 0, tzinfo=UTC))
    first = portal_client.get(PAGE).text
    assert "Thursday 22 January 2026" in first and "Page 1 of 2" in first
    second = portal_client.get(PAGE, {"page": 2}).text
    assert "Friday 2 January 2026" in second and "Thursday 1 January 2026" in second
    assert "Thursday 22 January 2026" not in second


# --- Who may open the page -------------------------------------------------------------


def test_only_signed_in_candidates_open_the_page(client, centre_user):
    assert client.get(PAGE).status_code == 302
    client.force_login(centre_user)
    assert client.get(PAGE).status_code == 403
