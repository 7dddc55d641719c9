"""Calendar files (.ics) for interview bookings, that calendar apps accept.

One UID per booking; every change raises SEQUENCE, and a cancellation is METHOD:CANCEL with
STATUS:CANCELLED, so calendars update the event they already hold instead of adding one.
"""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText

from langcert.oral.models import INTERVIEW_MINUTES, Booking

PRODID = "-//LangCert//Oral interviews//EN"


def booking_ics(booking: Booking, *, summary: str, description: str,
                cancelled: bool = False) -> bytes:
    candidate = booking.entry.candidate
    zone = ZoneInfo(candidate.time_zone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"{booking.public_id}@langcert")
    event.add("sequence", booking.ics_sequence)
    event.add("dtstamp", booking.created_at)
    start = booking.starts_at.astimezone(zone)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=INTERVIEW_MINUTES))
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", booking.meeting_link)
    event.add("url", booking.meeting_link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL.split('<')[-1].strip('>')}")
    organizer.params["cn"] = vText("LangCert")
    event["organizer"] = organizer
    attendee = vCalAddress(f"mailto:{candidate.mail_address}")
    attendee.params["cn"] = vText(candidate.full_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
