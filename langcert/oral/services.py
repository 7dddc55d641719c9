"""Writes for the oral interview: availability, booking, changes, reminders and scores.

Booking relies on the database: a partial unique index holds one booked interview per
evaluator and start time, so two simultaneous clicks on the same slot cannot both win.
"""

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from langcert.centres.models import Entry
from langcert.centres.selectors import can_manage_centre
from langcert.core.audit import record_event
from langcert.core.mail import Attachment, queue_email
from langcert.core.roles import Role
from langcert.core.timefmt import local_datetime_text
from langcert.oral import selectors
from langcert.oral.calendar import booking_ics
from langcert.oral.models import Availability, Booking, EvaluatorProfile, InterviewScore
from langcert.results.services import result_from_adaptive

CRITERIA = ("vocabulary_range", "grammar_syntax", "fluency", "pronunciation", "interaction")
OUTCOMES = {"scored": Booking.Status.DONE, "no_show": Booking.Status.NO_SHOW,
            "incident": Booking.Status.INCIDENT}
REMINDER_BEFORE = timedelta(hours=24)


class SlotTaken(Exception):
    """Somebody else booked the slot first."""


def availability_add(
    *, actor: Any, evaluator: EvaluatorProfile, language: Any, repeat: str,
    first_date: Any, last_date: Any, start_time: Any, end_time: Any,
    request: HttpRequest | None = None,
) -> Availability:
    if actor != evaluator.user:
        raise PermissionDenied
    if not evaluator.languages.filter(pk=language.pk).exists():
        raise ValidationError({"language": _("You do not evaluate this language.")})
    if end_time <= start_time:
        raise ValidationError({"end_time": _("The end must come after the start.")})
    if last_date and last_date < first_date:
        raise ValidationError({"last_date": _("The last date must come after the first.")})
    with transaction.atomic():
        availability = Availability.objects.create(
            evaluator=evaluator, language=language, repeat=repeat, first_date=first_date,
            last_date=last_date if repeat == Availability.Repeat.WEEKLY else None,
            start_time=start_time, end_time=end_time, time_zone=actor.time_zone)
        record_event(actor=actor, action="oral.availability_add", target=availability,
                     request=request)
    return availability


def _may_book(actor: Any, entry: Entry) -> None:
    """The candidate (signed in to their test) or the staff of the entry's centre."""
    if actor is None:  # the candidate, signed in to their test with ID and Secret Number
        return
    staff = getattr(actor, "role", None) in (Role.CENTRE, Role.BOARD)
    if not (staff and can_manage_centre(actor, entry.session.centre)):
        raise PermissionDenied


def _room_link(evaluator: EvaluatorProfile) -> str:
    return evaluator.meeting_link or f"{settings.SITE_URL}/oral/room/{secrets.token_urlsafe(12)}"


def _take_slot(entry: Entry, starts_at: datetime, actor: Any, booking: Booking | None):
    """Book (or move `booking` to) the slot with the least busy free evaluator."""
    language = entry.session.exam.language
    candidates = list(
        selectors.evaluators_free_at(language, starts_at)
        .annotate(load=Count("bookings", filter=Q(bookings__status=Booking.Status.BOOKED)))
        .order_by("load", "pk"))
    for evaluator in candidates:
        try:
            with transaction.atomic():
                if booking is None:
                    return Booking.objects.create(
                        entry=entry, evaluator=evaluator, language=language,
                        starts_at=starts_at, meeting_link=_room_link(evaluator),
                        booked_by=actor if getattr(actor, "is_authenticated", False) else None)
                booking.evaluator, booking.starts_at = evaluator, starts_at
                booking.meeting_link = _room_link(evaluator)
                booking.ics_sequence += 1
                booking.reminder_sent_at = None
                booking.save()
                return booking
        except IntegrityError:
            continue  # another candidate took this evaluator's slot a moment ago
    raise SlotTaken


def _check_slot(entry: Entry, starts_at: datetime) -> None:
    if starts_at not in selectors.free_slots(entry.session.exam.language,
                                             starts_at.date() - timedelta(days=1),
                                             starts_at.date() + timedelta(days=1)):
        raise SlotTaken


def booking_create(*, actor: Any, entry: Entry, starts_at: datetime,
                   request: HttpRequest | None = None) -> Booking:
    """Book the interview at `starts_at` (UTC), after the written test has been sent."""
    _may_book(actor, entry)
    if not selectors.written_test_sent(entry):
        raise ValidationError(_("Book the interview once the written test has been sent."))
    if selectors.active_booking(entry) is not None:
        raise ValidationError(_("An interview is already booked: change it instead."))
    _check_slot(entry, starts_at)
    with transaction.atomic():
        try:
            booking = _take_slot(entry, starts_at, actor, None)
        except IntegrityError as error:  # this entry booked twice at once
            raise SlotTaken from error
        record_event(actor=actor, action="oral.book", target=booking, request=request)
        _send_calendar_email(booking, "oral_booked")
    return booking


def booking_change(*, actor: Any, booking: Booking, starts_at: datetime,
                   request: HttpRequest | None = None) -> Booking:
    _may_book(actor, booking.entry)
    if booking.status != Booking.Status.BOOKED:
        raise ValidationError(_("This interview can no longer be changed."))
    _check_slot(booking.entry, starts_at)
    with transaction.atomic():
        booking = _take_slot(booking.entry, starts_at, actor, booking)
        record_event(actor=actor, action="oral.change", target=booking, request=request)
        _send_calendar_email(booking, "oral_changed")
    return booking


def booking_choose(*, actor: Any, entry: Entry, starts_at: datetime,
                   request: HttpRequest | None = None) -> Booking:
    """The slot chosen in the calendar: a first booking, or a move of the current one."""
    current = selectors.active_booking(entry)
    if current is None:
        return booking_create(actor=actor, entry=entry, starts_at=starts_at, request=request)
    return booking_change(actor=actor, booking=current, starts_at=starts_at, request=request)


def booking_cancel(*, actor: Any, booking: Booking, request: HttpRequest | None = None) -> Booking:
    _may_book(actor, booking.entry)
    with transaction.atomic():
        booking.status = Booking.Status.CANCELLED
        booking.ics_sequence += 1
        booking.save(update_fields=["status", "ics_sequence"])
        record_event(actor=actor, action="oral.cancel", target=booking, request=request)
        _send_calendar_email(booking, "oral_cancelled", cancelled=True)
    return booking


def _booking_context(booking: Booking) -> dict[str, Any]:
    candidate = booking.entry.candidate
    return {
        "candidate_name": candidate.full_name,
        "exam": booking.entry.session.exam.name,
        "when": local_datetime_text(booking.starts_at, candidate.time_zone, candidate.language),
        "meeting_link": booking.meeting_link,
    }


def _send_calendar_email(booking: Booking, template: str, cancelled: bool = False) -> None:
    candidate = booking.entry.candidate
    context = _booking_context(booking)
    with translation.override(candidate.language):
        summary = _("Oral interview – %(exam)s") % {"exam": context["exam"]}
        description = _("Video link: %(link)s. Have your ID document with you.") % {
            "link": booking.meeting_link}
    ics = booking_ics(booking, summary=summary, description=description, cancelled=cancelled)
    queue_email(
        key=f"{template}:{booking.pk}:{booking.ics_sequence}",
        to=candidate.mail_address, template=template, context=context,
        language=candidate.language,
        attachment=Attachment("interview.ics", ics, "text/calendar; method="
                              + ("CANCEL" if cancelled else "REQUEST")),
    )


def send_due_reminders(now: datetime | None = None) -> int:
    """Email the video link to every booked candidate whose interview is within 24 hours,
    once per booking time."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = Booking.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status=Booking.Status.BOOKED, reminder_sent_at__isnull=True,
            starts_at__gt=now, starts_at__lte=now + REMINDER_BEFORE,
        ).select_related("entry__candidate__account", "entry__session__exam")
        for booking in due:
            candidate = booking.entry.candidate
            queue_email(key=f"oral-reminder:{booking.pk}:{booking.starts_at.isoformat()}",
                        to=candidate.mail_address, template="oral_reminder",
                        context=_booking_context(booking), language=candidate.language)
            booking.reminder_sent_at = now
            booking.save(update_fields=["reminder_sent_at"])
            sent += 1
    return sent


def remind_unbooked(now: datetime | None = None) -> int:
    """Candidates who sent the written test but have not booked: a reminder every 3 days,
    three at most."""
    now = now or timezone.now()
    sent = 0
    for entry, days in selectors.entries_to_remind(now):
        round_number = days // 3
        if round_number < 1 or round_number > 3:
            continue
        candidate = entry.candidate
        message = queue_email(
            key=f"oral-book-reminder:{entry.pk}:{round_number}", to=candidate.mail_address,
            template="oral_book_reminder", language=candidate.language,
            context={"candidate_name": candidate.full_name,
                     "exam": entry.session.exam.name,
                     "booking_url": f"{settings.SITE_URL}/test/oral/"})
        newly_queued = message.created_at >= now
        sent += newly_queued
    return sent


def interview_score(
    *, actor: Any, booking: Booking, outcome: str, id_document_checked: bool,
    levels: dict[str, str], comment: str = "", prompts: list[int] | None = None,
    request: HttpRequest | None = None,
) -> InterviewScore:
    """The evaluator's record: the ID check, the five criteria (or why there are none)."""
    if booking.evaluator.user_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    if hasattr(booking, "score"):
        raise ValidationError(_("This interview has already been scored."))
    if outcome == "scored":
        missing = [c for c in CRITERIA if not levels.get(c)]
        if missing:
            raise ValidationError({missing[0]: _("Rate every criterion.")})
        if not id_document_checked:
            raise ValidationError({"id_document_checked": _(
                "Check the candidate's ID document before scoring.")})
    with transaction.atomic():
        score = InterviewScore.objects.create(
            booking=booking, id_document_checked=id_document_checked, comment=comment,
            prompts=prompts or [], scored_by=actor,
            **{c: levels.get(c, "") if outcome == "scored" else "" for c in CRITERIA})
        booking.status = OUTCOMES[outcome]
        booking.save(update_fields=["status"])
        record_event(actor=actor, action=f"oral.score_{outcome}", target=booking,
                     request=request)
        if outcome == "scored":
            result_from_adaptive(entry=booking.entry, booking=booking)
    return score
