"""The booking calendar, the evaluator's agenda and interview form, through HTTP."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from langcert.core.models import AuditEvent
from langcert.core.roles import Role
from langcert.oral import selectors
from langcert.oral.models import Booking, Prompt
from tests.helpers import sign_in_candidate
from tests.oral.conftest import first_free

pytestmark = pytest.mark.django_db


def as_candidate(client, entry):
    return sign_in_candidate(client, entry.attempt)


def test_the_candidate_books_from_the_week_calendar(client, sent_entry, tomorrow_window):
    as_candidate(client, sent_entry)
    slot = first_free(sent_entry)
    week = client.get(reverse("oral_candidate_calendar"), {"week": slot.date().isoformat()})
    assert week.status_code == 200
    local = slot.astimezone(timezone.get_current_timezone())
    assert "Book your oral interview" in week.content.decode()
    assert any(slot == s for _, day in week.context["days"] for s in day)
    confirm = client.get(reverse("oral_candidate_calendar"), {"slot": local.isoformat()})
    assert "Book the interview with an evaluator on" in confirm.content.decode()
    response = client.post(reverse("oral_candidate_calendar"), {"slot": slot.isoformat()})
    assert response.status_code == 302
    booking = Booking.objects.get(entry=sent_entry)
    assert booking.starts_at == slot and booking.booked_by is None
    home = client.get(reverse("delivery:home")).content.decode()
    assert "Oral booked" in home


def test_a_taken_slot_is_refused_kindly(client, sent_entry, tomorrow_window):
    as_candidate(client, sent_entry)
    response = client.post(reverse("oral_candidate_calendar"),
                           {"slot": (timezone.now() + timedelta(days=30)).isoformat()},
                           follow=True)
    assert "just been taken" in response.content.decode()
    assert not Booking.objects.exists()
    bad = client.post(reverse("oral_candidate_calendar"), {"slot": "not a date"}, follow=True)
    assert "Choose a time" in bad.content.decode()


def test_the_calendar_waits_for_the_written_test(client, ready_attempt):
    as_candidate(client, ready_attempt.entry)
    assert client.get(reverse("oral_candidate_calendar"))["Location"] == reverse("delivery:home")


def test_centre_staff_book_on_behalf_and_others_cannot(client, sent_entry, tomorrow_window,
                                                       centre_user, other_centre_user):
    url = reverse("oral_centre_calendar", args=[sent_entry.public_id])
    client.force_login(other_centre_user)
    assert client.get(url).status_code == 404
    client.force_login(centre_user)
    client.post(url, {"slot": first_free(sent_entry).isoformat()})
    assert Booking.objects.get(entry=sent_entry).booked_by == centre_user


def test_the_evaluator_adds_availability_and_scores_the_interview(client, sent_entry,
                                                                  evaluator, make_user):
    client.force_login(evaluator.user)
    client.cookies["django_language"] = "en"
    day = timezone.now().date() + timedelta(days=2)
    response = client.post(reverse("evaluator_home"), {
        "language": evaluator.languages.get().pk, "repeat": "weekly",
        "first_date": day.isoformat(), "last_date": "", "start_time": "09:00",
        "end_time": "11:00"})
    assert response.status_code == 302
    slot = selectors.free_slots(evaluator.languages.get(), day, day)[0]
    from langcert.oral import services

    booking = services.booking_create(actor=None, entry=sent_entry, starts_at=slot)
    Prompt.objects.create(language=booking.language, part="role_play", level="B2",
                          text="You call a hotel to change a booking.")
    agenda = client.get(reverse("evaluator_home")).content.decode()
    assert sent_entry.candidate.full_name in agenda
    page = client.get(reverse("oral_interview", args=[booking.public_id]))
    assert "You call a hotel" in page.content.decode()
    levels = dict.fromkeys(["vocabulary_range", "grammar_syntax", "fluency", "pronunciation",
                            "interaction"], "B2")
    incomplete = client.post(reverse("oral_interview", args=[booking.public_id]),
                             {"outcome": "scored", "id_document_checked": "on",
                              **levels, "fluency": ""})
    assert incomplete.status_code == 400 and "Rate every criterion" in incomplete.content.decode()
    done = client.post(reverse("oral_interview", args=[booking.public_id]),
                       {"outcome": "scored", "id_document_checked": "on", **levels,
                        "comment": "Fluent."})
    assert done.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "done" and booking.score.interaction == "B2"
    assert AuditEvent.objects.filter(action="oral.score_scored").exists()
    # Another evaluator cannot open this interview.
    client.force_login(make_user(Role.EVALUATOR))
    assert client.get(reverse("oral_interview", args=[booking.public_id])).status_code == 404


def test_weekly_availability_in_the_evaluators_zone(client, evaluator):
    client.force_login(evaluator.user)
    client.post(reverse("evaluator_home"), {
        "language": evaluator.languages.get().pk, "repeat": "weekly",
        "first_date": "2030-03-18", "last_date": "2030-04-30", "start_time": "09:00",
        "end_time": "09:30"})
    from datetime import date

    slots = selectors.free_slots(evaluator.languages.get(), date(2030, 3, 18), date(2030, 4, 1))
    # London: 09:00 GMT is 09:00 UTC before 31 March 2030, 08:00 UTC after.
    assert [s.strftime("%Y-%m-%d %H:%M") for s in slots] == [
        "2030-03-18 09:00", "2030-03-25 09:00", "2030-04-01 08:00"]
    assert time(9, 0) == evaluator.availabilities.get().start_time
