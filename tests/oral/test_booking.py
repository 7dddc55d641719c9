"""Availability, slots across daylight saving, booking without double booking, calendar
files, reminders and scores."""

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from icalendar import Calendar

from langcert.catalog.models import Language
from langcert.centres.services import entry_enrol
from langcert.core.roles import Role
from langcert.delivery.models import Attempt
from langcert.oral import selectors, services
from langcert.oral.models import Booking
from langcert.oral.slots import Window, window_slots
from tests.conftest import person
from tests.oral.conftest import first_free


def test_weekly_slots_keep_local_time_across_daylight_saving():
    window = Window("weekly", date(2026, 3, 2), None, time(9, 0), time(10, 0), "Europe/Paris")
    slots = list(window_slots(window, date(2026, 3, 23), date(2026, 4, 5)))
    # 23 March is winter time (UTC+1), 30 March summer time (UTC+2): 09:00 local both.
    assert slots == [datetime(2026, 3, 23, 8, 0, tzinfo=UTC), datetime(2026, 3, 23, 8, 30,
                                                                        tzinfo=UTC),
                     datetime(2026, 3, 30, 7, 0, tzinfo=UTC), datetime(2026, 3, 30, 7, 30,
                                                                        tzinfo=UTC)]


def test_a_one_off_window_and_the_skipped_hour():
    once = Window("once", date(2026, 3, 29), None, time(1, 30), time(3, 30), "Europe/Paris")
    # 02:00–03:00 does not exist on 29 March 2026 in Paris.
    slots = list(window_slots(once, date(2026, 3, 1), date(2026, 3, 31)))
    assert [s.astimezone(UTC).strftime("%H:%M") for s in slots] == ["00:30", "01:00"]


@pytest.mark.django_db
def test_a_candidate_books_changes_and_cancels_with_calendar_files(
    sent_entry, tomorrow_window, mailoutbox, django_capture_on_commit_callbacks
):
    slot = first_free(sent_entry)
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.booking_create(actor=None, entry=sent_entry, starts_at=slot)
    assert slot not in selectors.free_slots(booking.language, slot.date(), slot.date())
    event = parse_event(mailoutbox[-1])
    assert event.decoded("dtstart").astimezone(UTC) == slot
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=20)
    assert str(event["dtstart"].params["TZID"]) == sent_entry.candidate.time_zone
    assert str(event["attendee"]) == f"mailto:{sent_entry.candidate.email}"
    assert str(event["location"]) == "https://meet.example/ed"
    assert event["sequence"] == 0
    later = slot + timedelta(minutes=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_change(actor=None, booking=booking, starts_at=later)
    moved = parse_event(mailoutbox[-1])
    assert moved.decoded("dtstart").astimezone(UTC) == later
    assert (str(moved["uid"]), moved["sequence"]) == (str(event["uid"]), 1)
    assert slot in selectors.free_slots(booking.language, slot.date(), slot.date())
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(actor=None, booking=booking)
    cancelled = Calendar.from_ical(mailoutbox[-1].attachments[0][1])
    assert str(cancelled["method"]) == "CANCEL"
    assert str(cancelled.walk("VEVENT")[0]["status"]) == "CANCELLED"


def parse_event(message):
    name, content, mimetype = message.attachments[0]
    assert name == "interview.ics" and mimetype.startswith("text/calendar")
    calendar = Calendar.from_ical(content)
    assert calendar.walk("VTIMEZONE"), "the time zone travels with the event"
    return calendar.walk("VEVENT")[0]


@pytest.mark.django_db
def test_booking_needs_the_written_test_sent_and_a_free_slot(ready_attempt, tomorrow_window):
    entry = ready_attempt.entry
    slot = first_free(entry)
    with pytest.raises(ValidationError):
        services.booking_create(actor=None, entry=entry, starts_at=slot)
    ready_attempt.status = Attempt.Status.SUBMITTED
    ready_attempt.save()
    with pytest.raises(services.SlotTaken):
        services.booking_create(actor=None, entry=entry, starts_at=slot + timedelta(minutes=7))


@pytest.mark.django_db
def test_centre_staff_book_for_their_candidates_only(sent_entry, tomorrow_window, centre_user,
                                                     other_centre_user):
    slot = first_free(sent_entry)
    with pytest.raises(PermissionDenied):
        services.booking_create(actor=other_centre_user, entry=sent_entry, starts_at=slot)
    booking = services.booking_create(actor=centre_user, entry=sent_entry, starts_at=slot)
    assert booking.booked_by == centre_user


@pytest.mark.django_db
def test_reminder_24_hours_before_is_sent_once(sent_entry, tomorrow_window, mailoutbox,
                                               time_machine, django_capture_on_commit_callbacks):
    slot = first_free(sent_entry)
    booking = services.booking_create(actor=None, entry=sent_entry, starts_at=slot)
    mailoutbox.clear()
    time_machine.move_to(slot - timedelta(hours=25))
    assert services.send_due_reminders() == 0
    time_machine.move_to(slot - timedelta(hours=23, minutes=55))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_due_reminders() == 1
        assert services.send_due_reminders() == 0
    [reminder] = mailoutbox
    assert booking.meeting_link in reminder.body


@pytest.mark.django_db
def test_scores_come_from_the_booking_evaluator_with_every_criterion(
    sent_entry, tomorrow_window, evaluator, make_user
):
    booking = services.booking_create(actor=None, entry=sent_entry,
                                      starts_at=first_free(sent_entry))
    levels = dict.fromkeys(services.CRITERIA, "B2")
    with pytest.raises(PermissionDenied):
        services.interview_score(actor=make_user(Role.EVALUATOR), booking=booking,
                                 outcome="scored", id_document_checked=True, levels=levels)
    with pytest.raises(ValidationError):
        services.interview_score(actor=evaluator.user, booking=booking, outcome="scored",
                                 id_document_checked=True, levels=levels | {"fluency": ""})
    with pytest.raises(ValidationError):
        services.interview_score(actor=evaluator.user, booking=booking, outcome="scored",
                                 id_document_checked=False, levels=levels)
    score = services.interview_score(actor=evaluator.user, booking=booking, outcome="scored",
                                     id_document_checked=True, levels=levels, comment="Clear.")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.DONE and score.fluency == "B2"


@pytest.mark.django_db
def test_candidates_who_have_not_booked_are_reminded_every_three_days(
    sent_entry, mailoutbox, time_machine, django_capture_on_commit_callbacks
):
    sent_at = sent_entry.attempt.submitted_at
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        time_machine.move_to(sent_at + timedelta(days=1))
        assert services.remind_unbooked() == 0
        time_machine.move_to(sent_at + timedelta(days=3, hours=1))
        assert services.remind_unbooked() == 1
        assert services.remind_unbooked() == 0
        time_machine.move_to(sent_at + timedelta(days=6, hours=1))
        assert services.remind_unbooked() == 1
    assert len(mailoutbox) == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_many_simultaneous_bookings_of_one_slot_give_exactly_one(
    centre_user, open_session, evaluator, synthetic_bank
):
    if connection.vendor != "postgresql":
        pytest.fail("run on PostgreSQL: this test is about real concurrent transactions")
    entries = []
    for n in range(8):
        entry = entry_enrol(actor=centre_user, session=open_session,
                            data=person(first_name=f"C{n}", id_document_number=f"C{n}"))
        Attempt.objects.create(entry=entry, status="submitted", submitted_at=timezone.now())
        entries.append(entry)
    day = (timezone.now() + timedelta(days=1)).date()
    services.availability_add(actor=evaluator.user, evaluator=evaluator,
                              language=Language.objects.get(code="en"), repeat="once",
                              first_date=day, last_date=None, start_time=time(10, 0),
                              end_time=time(10, 30))
    slot = selectors.free_slots(entries[0].session.exam.language, day, day)[0]
    barrier = threading.Barrier(len(entries))
    outcomes = []

    def book(entry):
        try:
            barrier.wait()
            services.booking_create(actor=None, entry=entry, starts_at=slot)
            outcomes.append("booked")
        except services.SlotTaken:
            outcomes.append("taken")
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(e,)) for e in entries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["taken"] * (len(entries) - 1)
    assert Booking.objects.filter(starts_at=slot, status="booked").count() == 1
