"""Cutting availabilities into 30-minute slots, in the evaluator's own time zone.

A weekly availability "Mondays 09:00–12:00 Europe/Paris" stays at 09:00 in Paris across
daylight-saving changes, so its UTC time moves; slots are computed day by day from local
wall-clock times, then turned into UTC instants. No database access here.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SLOT = timedelta(minutes=30)


@dataclass(frozen=True)
class Window:
    repeat: str  # once | weekly
    first_date: date
    last_date: date | None
    start_time: time
    end_time: time
    time_zone: str


def _days(window: Window, start: date, end: date) -> Iterator[date]:
    if window.repeat == "once":
        if start <= window.first_date <= end:
            yield window.first_date
        return
    day = max(start, window.first_date)
    last = min(end, window.last_date) if window.last_date else end
    # Move to the first day with the availability's weekday.
    day += timedelta(days=(window.first_date.weekday() - day.weekday()) % 7)
    while day <= last:
        yield day
        day += timedelta(days=7)


def window_slots(window: Window, start: date, end: date) -> Iterator[datetime]:
    """UTC start instants of the window's slots on days from `start` to `end` inclusive."""
    zone = ZoneInfo(window.time_zone)
    for day in _days(window, start, end):
        moment = datetime.combine(day, window.start_time)
        closing = datetime.combine(day, window.end_time)
        while moment + SLOT <= closing:
            local = moment.replace(tzinfo=zone)
            # A wall-clock time skipped by a spring-forward change does not exist.
            if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == moment:
                yield local.astimezone(UTC)
            moment += SLOT


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def merge(slot_lists: Iterable[Iterable[datetime]]) -> list[datetime]:
    return sorted({slot for slots in slot_lists for slot in slots})
