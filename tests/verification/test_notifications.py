"""Email notifications of new shares: at once for every candidate, daily and weekly
summaries computed in each user's time zone (frozen clock), each email sent exactly once
through the real outbox however often the tasks run; the notifications page."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from langcert.core.models import AuditEvent, OutboundEmail
from langcert.verification import events, notifications
from langcert.verification.models import OrganisationMember, Share
from langcert.verification.tasks import (
    notify_new_share,
    send_daily_digests,
    send_weekly_digests,
)
from tests.verification import test_downloads as fixtures

pytestmark = pytest.mark.django_db

# Fixtures shared with the downloads tests.
advanced_result = fixtures.advanced_result
entry_factory = fixtures.entry_factory
organisation = fixtures.organisation
member = fixtures.member
org_client = fixtures.org_client

PARIS, AUCKLAND, LOS_ANGELES = (ZoneInfo("Europe/Paris"), ZoneInfo("Pacific/Auckland"),
                                ZoneInfo("America/Los_Angeles"))


def set_frequency(member: OrganisationMember, frequency: str, notify: bool = True):
    member.notify, member.notify_frequency = notify, frequency
    member.save(update_fields=["notify", "notify_frequency"])
    return member


def outbox(prefix: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(idempotency_key__startswith=prefix)
                .order_by("pk"))


@pytest.fixture
def second_result(entry_factory, advanced_session):
    return fixtures.release(entry_factory, advanced_session, first_name="Grace",
                            last_name="Hopper")


# --- Every candidate ---------------------------------------------------------------------------
def test_each_share_is_emailed_once_to_users_who_want_every_candidate(
        make_user, organisation, member, advanced_result, mailoutbox,
        django_capture_on_commit_callbacks):
    daily = set_frequency(fixtures.add_member(make_user, organisation), "daily")
    off = set_frequency(fixtures.add_member(make_user, organisation), "each", notify=False)
    gone = fixtures.add_member(make_user, organisation)
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    mailoutbox.clear()  # the enrolment emails of the fixtures

    with django_capture_on_commit_callbacks(execute=True):
        share = Share.objects.create(result=advanced_result, organisation=organisation)
        events.share_started(share)  # what sharing a result does after it commits
    assert [m.to for m in mailoutbox] == [[member.user.email]]
    message = mailoutbox[0]
    candidate = advanced_result.entry.candidate
    assert message.subject == "A candidate has shared their result with University of Testing"
    assert candidate.full_name in message.body and "C1 Advanced" in message.body
    assert f"/organisation/results/{advanced_result.public_id}/" in message.body
    assert [e.idempotency_key for e in outbox("share-notify:")] == [
        f"share-notify:{share.pk}:{member.user_id}"]

    with django_capture_on_commit_callbacks(execute=True):
        assert notify_new_share.delay(share.pk).get() == 0  # the task ran twice
    assert len(mailoutbox) == 1 and len(outbox("share-notify:")) == 1
    assert not outbox(f"share-notify:{share.pk}:{daily.user_id}")
    assert not outbox(f"share-notify:{share.pk}:{off.user_id}")


def test_a_share_revoked_before_the_task_runs_is_not_announced(organisation, member,
                                                                advanced_result, mailoutbox):
    share = Share.objects.create(result=advanced_result, organisation=organisation,
                                 revoked_at=timezone.now())
    assert notifications.notify_new_share(share_id=share.pk) == 0
    assert not outbox("share-notify:")


# --- Daily summaries ---------------------------------------------------------------------------
def test_the_daily_summary_is_sent_once_for_the_previous_day(
        organisation, member, advanced_result, second_result, time_machine, mailoutbox,
        django_capture_on_commit_callbacks):
    set_frequency(member, "daily")  # the user lives in Europe/Paris
    mailoutbox.clear()
    time_machine.move_to(datetime(2027, 3, 10, 10, 0, tzinfo=PARIS))
    Share.objects.create(result=advanced_result, organisation=organisation)
    Share.objects.create(result=second_result, organisation=organisation)

    time_machine.move_to(datetime(2027, 3, 10, 23, 0, tzinfo=PARIS))
    assert send_daily_digests.delay().get() == 0  # the day is not over

    time_machine.move_to(datetime(2027, 3, 11, 0, 20, tzinfo=PARIS))
    with django_capture_on_commit_callbacks(execute=True):
        assert send_daily_digests.delay().get() == 1
        assert send_daily_digests.delay().get() == 0  # the task runs again: nothing more
    assert [e.idempotency_key for e in outbox("digest:")] == [
        f"digest:daily:{member.user_id}:2027-03-10"]
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.subject == "Daily summary: 2 new results shared with University of Testing"
    assert "2 candidates shared their results with University of Testing on 10 March 2027" in (
        message.body)
    assert advanced_result.entry.candidate.full_name in message.body
    assert "Grace HOPPER (C1 Advanced)" in message.body
    assert "/organisation/" in message.body

    time_machine.move_to(datetime(2027, 3, 11, 20, 0, tzinfo=PARIS))
    assert send_daily_digests.delay().get() == 0
    time_machine.move_to(datetime(2027, 3, 12, 0, 20, tzinfo=PARIS))
    assert send_daily_digests.delay().get() == 0  # nothing new on the 11th: no email
    assert len(outbox("digest:")) == 1


def test_daily_periods_follow_the_users_time_zone(make_user, organisation, advanced_result,
                                                  time_machine):
    """A share at 23:30 in Paris on the 10th is on the 11th for someone in Auckland."""
    paris = set_frequency(fixtures.add_member(make_user, organisation), "daily")
    auckland = set_frequency(fixtures.add_member(make_user, organisation,
                                                 time_zone="Pacific/Auckland"), "daily")
    time_machine.move_to(datetime(2027, 3, 10, 23, 30, tzinfo=PARIS))
    Share.objects.create(result=advanced_result, organisation=organisation)
    time_machine.move_to(datetime(2027, 3, 11, 0, 5, tzinfo=PARIS))  # 12:05 in Auckland
    assert notifications.send_digests(kind="daily") == 1
    assert [e.idempotency_key for e in outbox("digest:")] == [
        f"digest:daily:{paris.user_id}:2027-03-10"]
    time_machine.move_to(datetime(2027, 3, 12, 0, 5, tzinfo=AUCKLAND))
    assert notifications.send_digests(kind="daily") == 1
    assert outbox("digest:")[-1].idempotency_key == f"digest:daily:{auckland.user_id}:2027-03-11"


# --- Weekly summaries --------------------------------------------------------------------------
def test_the_weekly_summary_goes_on_monday_in_each_users_time_zone(
        make_user, organisation, advanced_result, time_machine):
    auckland = set_frequency(fixtures.add_member(make_user, organisation,
                                                 time_zone="Pacific/Auckland"), "weekly")
    los_angeles = set_frequency(fixtures.add_member(make_user, organisation,
                                                    time_zone="America/Los_Angeles"), "weekly")
    time_machine.move_to(datetime(2027, 3, 3, 12, 0, tzinfo=ZoneInfo("UTC")))  # a Wednesday
    Share.objects.create(result=advanced_result, organisation=organisation)
    assert send_weekly_digests.delay().get() == 0  # not Monday anywhere that matters

    # Monday 8 March, 09:00 in Auckland; still Sunday 7 March, 12:00 in Los Angeles.
    time_machine.move_to(datetime(2027, 3, 8, 9, 0, tzinfo=AUCKLAND))
    assert send_weekly_digests.delay().get() == 1
    assert send_weekly_digests.delay().get() == 0
    assert [e.idempotency_key for e in outbox("digest:")] == [
        f"digest:weekly:{auckland.user_id}:2027-03-01"]
    message = outbox("digest:")[0]
    assert message.subject == "Weekly summary: 1 new result shared with University of Testing"
    assert "between 1 March 2027 and 7 March 2027" in message.body_text

    # Monday 8 March, 12:00 in Los Angeles; Tuesday in Auckland.
    time_machine.move_to(datetime(2027, 3, 8, 12, 0, tzinfo=LOS_ANGELES))
    assert send_weekly_digests.delay().get() == 1
    assert send_weekly_digests.delay().get() == 0
    assert [e.idempotency_key for e in outbox("digest:")] == [
        f"digest:weekly:{auckland.user_id}:2027-03-01",
        f"digest:weekly:{los_angeles.user_id}:2027-03-01"]


def test_digest_periods_are_whole_local_days_across_daylight_saving():
    # Los Angeles moves its clocks on Sunday 14 March 2027: that week lasts 167 hours.
    start, end = notifications.digest_period(
        "weekly", datetime(2027, 3, 15, 20, 0, tzinfo=ZoneInfo("UTC")), "America/Los_Angeles")
    assert (start.isoformat(), end.isoformat()) == ("2027-03-08T00:00:00-08:00",
                                                    "2027-03-15T00:00:00-07:00")
    utc = ZoneInfo("UTC")  # (subtracting in one zone would count wall-clock hours)
    assert (end.astimezone(utc) - start.astimezone(utc)).total_seconds() == 167 * 3600
    assert notifications.digest_period(
        "weekly", datetime(2027, 3, 16, 20, 0, tzinfo=ZoneInfo("UTC")), "Europe/Paris") is None


def test_notifications_off_means_no_email(organisation, member, advanced_result, time_machine,
                                          django_capture_on_commit_callbacks, mailoutbox):
    set_frequency(member, "daily", notify=False)
    mailoutbox.clear()
    time_machine.move_to(datetime(2027, 3, 10, 10, 0, tzinfo=PARIS))
    with django_capture_on_commit_callbacks(execute=True):
        share = Share.objects.create(result=advanced_result, organisation=organisation)
        events.share_started(share)
    time_machine.move_to(datetime(2027, 3, 15, 8, 0, tzinfo=PARIS))  # a Monday, days later
    assert send_daily_digests.delay().get() == 0
    set_frequency(member, "weekly", notify=False)
    assert send_weekly_digests.delay().get() == 0
    assert not mailoutbox and not outbox("digest:") and not outbox("share-notify:")


# --- The page --------------------------------------------------------------------------------
def test_each_user_sets_their_own_notifications(org_client, member, make_user, organisation):
    url = reverse("verification:notifications")
    page = org_client.get(url).content.decode()
    assert "Weekly summary emails are sent on Mondays." in page
    assert 'name="notify_frequency" value="each"' in page

    response = org_client.post(url, {"notify_frequency": "weekly"})  # unticked: off
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.notify, member.notify_frequency) == (False, "weekly")
    response = org_client.post(url, {"notify": "on", "notify_frequency": "daily"})
    member.refresh_from_db()
    assert (member.notify, member.notify_frequency) == (True, "daily")
    assert AuditEvent.objects.filter(action="verification.notifications_update",
                                     actor=member.user).count() == 2

    response = org_client.post(url, {"notify": "on", "notify_frequency": "hourly"})
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.notify_frequency == "daily"

    colleague = fixtures.add_member(make_user, organisation)
    with pytest.raises(PermissionDenied):
        notifications.notification_settings_update(actor=member.user, member=colleague,
                                                    notify=False, frequency="each")
