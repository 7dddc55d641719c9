"""Reads for the oral interview: free slots, evaluators, bookings and reminders."""

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from langcert.centres.models import Entry
from langcert.oral.models import Availability, Booking, EvaluatorProfile, Prompt
from langcert.oral.slots import Window, merge, window_slots

MIN_NOTICE = timedelta(hours=2)


def _window(availability: Availability) -> Window:
    return Window(availability.repeat, availability.first_date, availability.last_date,
                  availability.start_time, availability.end_time, availability.time_zone)


def _booked(language: Any, start: datetime, end: datetime) -> set[tuple[int, datetime]]:
    return set(Booking.objects.filter(
        language=language, status=Booking.Status.BOOKED, starts_at__gte=start,
        starts_at__lt=end).values_list("evaluator_id", "starts_at"))


def slots_by_evaluator(language: Any, first: date, last: date) -> dict[int, list[datetime]]:
    """Every free slot start (UTC) per evaluator, from `first` to `last` (dates, inclusive)."""
    now = timezone.now()
    availabilities = Availability.objects.filter(language=language).filter(
        first_date__lte=last).exclude(last_date__lt=first)
    free: dict[int, list[datetime]] = {}
    found = [(a.evaluator_id, list(window_slots(_window(a), first - timedelta(days=1),
                                                last + timedelta(days=1))))
             for a in availabilities]
    if not found:
        return free
    span_start = min((s for _, slots in found for s in slots), default=now)
    span_end = max((s for _, slots in found for s in slots), default=now) + timedelta(minutes=1)
    booked = _booked(language, span_start, span_end)
    for evaluator_id, slots in found:
        for slot in slots:
            if slot >= now + MIN_NOTICE and (evaluator_id, slot) not in booked:
                free.setdefault(evaluator_id, []).append(slot)
    return free


def free_slots(language: Any, first: date, last: date) -> list[datetime]:
    """Slot starts (UTC) at which at least one evaluator of the language is free."""
    return merge(slots_by_evaluator(language, first, last).values())


def evaluators_free_at(language: Any, starts_at: datetime) -> QuerySet[EvaluatorProfile]:
    day = starts_at.date()
    free = slots_by_evaluator(language, day - timedelta(days=1), day + timedelta(days=1))
    return EvaluatorProfile.objects.filter(
        pk__in=[pk for pk, slots in free.items() if starts_at in slots])


def written_test_sent(entry: Entry) -> bool:
    attempt = getattr(entry, "attempt", None)
    return attempt is not None and attempt.status == "submitted"


def active_booking(entry: Entry) -> Booking | None:
    return entry.oral_bookings.filter(status=Booking.Status.BOOKED).first()


def agenda(evaluator: EvaluatorProfile) -> QuerySet[Booking]:
    return evaluator.bookings.filter(
        status=Booking.Status.BOOKED, starts_at__gte=timezone.now() - timedelta(hours=1)
    ).select_related("entry__candidate", "entry__session__exam")


def booking_for_evaluator(user: Any, public_id: Any) -> Booking:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Booking.objects.select_related("entry__candidate", "entry__session__exam", "entry__job"),
        public_id=public_id, evaluator__user=user)


def entries_to_remind(now: datetime) -> list[tuple[Entry, int]]:
    """Entries whose written test was sent but with no interview booked, and how many
    days ago the test was sent."""
    entries = Entry.objects.filter(attempt__status="submitted").exclude(
        oral_bookings__status__in=[Booking.Status.BOOKED, Booking.Status.DONE]
    ).select_related("attempt", "candidate__account", "session__exam")
    return [(entry, (now - entry.attempt.submitted_at).days) for entry in entries]


def interview_prompts(booking: Booking) -> dict[str, list[Prompt]]:
    """Prompts for each part, drawn for the candidate's language, target level and job."""
    entry = booking.entry
    level = entry.target_level or "B1"
    family = entry.job.name_en if entry.job_id else ""
    chosen: dict[str, list[Prompt]] = {}
    for part in Prompt.Part.values:
        pool = Prompt.objects.filter(language=booking.language, part=part)
        exact = pool.filter(level=level, job_family__in=[family, ""])
        chosen[part] = list((exact if exact.exists() else pool).order_by("?")[:3])
    return chosen


def week_calendar(language: Any, monday: date, time_zone: str) -> list[tuple[date, list[datetime]]]:
    """The free slots of a week, day by day in the viewer's time zone."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(time_zone)
    days = {monday + timedelta(days=n): [] for n in range(7)}
    for slot in free_slots(language, monday - timedelta(days=1), monday + timedelta(days=7)):
        local = slot.astimezone(zone)
        if local.date() in days:
            days[local.date()].append(local)
    return list(days.items())


def oral_stage(entry: Entry) -> str:
    """Where the candidate stands after the written test, for candidate and centre pages."""
    from django.utils.translation import gettext as _

    if not written_test_sent(entry):
        return ""
    done = entry.oral_bookings.filter(status=Booking.Status.DONE).first()
    if done is not None:
        return _("Oral done: certification complete")
    booking = active_booking(entry)
    if booking is not None:
        return _("Oral booked")
    return _("Oral to book")
