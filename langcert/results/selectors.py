"""Reads of results: what the board reviews, what may be shown, what the dashboard counts."""

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from langcert.catalog import reference_data
from langcert.centres.models import Entry, Session
from langcert.core import crypto
from langcert.delivery.models import Attempt, ProctoringEvent
from langcert.oral.models import Booking
from langcert.results.models import Result


def photo_may_be_shown(entry: Entry) -> bool:
    """DESIGN.md: a verifier sees the test-day photo only for exams that show photos and
    only while the candidate's consent holds (an exemption means there is no photo)."""
    return (entry.session.exam.shows_test_day_photo and entry.photo_consent
            and not entry.photo_exemption)


def test_day_photo_name(entry: Entry) -> str:
    """The encrypted file of the entry's test-day photo: uploaded by the centre for paper
    exams, the proctoring face photo for the adaptive test; '' when there is none."""
    try:
        return entry.test_day_photo.file
    except ObjectDoesNotExist:
        pass
    attempt = getattr(entry, "attempt", None)
    return attempt.face_photo if attempt is not None else ""


def photo_for_verifier(result: Result) -> bytes | None:
    """The decrypted photo to put beside a result for an organisation, or None."""
    if not photo_may_be_shown(result.entry):
        return None
    name = test_day_photo_name(result.entry)
    return crypto.read_encrypted(name) if name else None


# --- The adaptive result's inputs ------------------------------------------------------
ORAL_CRITERIA = reference_data.ORAL_CRITERIA

# Proctoring events that make a case worth a person's look before approval.
FLAGGED_EVENTS = (
    ProctoringEvent.Kind.SECTION_RESTART, ProctoringEvent.Kind.FOCUS_LOST,
    ProctoringEvent.Kind.FULLSCREEN_EXIT, ProctoringEvent.Kind.LATE_ANSWER,
    ProctoringEvent.Kind.STOPPED, ProctoringEvent.Kind.REOPENED, ProctoringEvent.Kind.OFFLINE,
)


def written_levels(entry: Entry) -> dict[str, str] | None:
    """Skill → CEFR level of the sent written test, or None if it is not sent."""
    attempt = getattr(entry, "attempt", None)
    if attempt is None or attempt.status != Attempt.Status.SUBMITTED:
        return None
    levels = {score.skill: score.level for score in attempt.skill_scores.all()}
    expected = entry.session.exam.scoring_scheme["written_skills"]
    return levels if all(skill in levels for skill in expected) else None


def written_test_date(entry: Entry) -> date:
    """The day the written test was taken, in the centre's time zone."""
    moment = entry.attempt.started_at or entry.attempt.submitted_at
    return moment.astimezone(ZoneInfo(entry.session.centre.time_zone)).date()


def scored_interview(entry: Entry) -> Booking | None:
    return (entry.oral_bookings.filter(status=Booking.Status.DONE)
            .select_related("score", "evaluator__user").order_by("-starts_at").first())


# --- The board's review ----------------------------------------------------------------
def review_summary(result: Result) -> dict[str, Any]:
    """What the reviewer weighs: photos, incidents, restarts, focus losses, the oral; and
    whether the case is clean enough to approve in bulk."""
    entry = result.entry
    if result.source == Result.Source.IMPORT:
        return {"clean": True, "attempt": None, "flags": [], "interview": None}
    attempt = entry.attempt
    counts = dict(attempt.events.values_list("kind").annotate(n=Count("id")))
    interview = scored_interview(entry)
    flags = [(ProctoringEvent.Kind(kind).label, counts[kind])
             for kind in FLAGGED_EVENTS if counts.get(kind)]
    if not (attempt.face_photo and attempt.id_photo):
        flags.append((_("Photo missing"), 1))
    if interview is None or not interview.score.id_document_checked:
        flags.append((_("ID document not checked at the oral"), 1))
    return {"clean": not flags and attempt.restarts == 0, "attempt": attempt,
            "flags": flags, "counts": counts, "interview": interview}


def results_to_review() -> QuerySet[Result]:
    return (Result.objects.filter(status__in=[Result.Status.PENDING_REVIEW,
                                              Result.Status.HELD])
            .select_related("entry__candidate", "entry__session__exam",
                            "entry__session__centre", "entry__attempt")
            .order_by("status", "earliest_release_at"))


def scheduled_releases() -> QuerySet[Result]:
    return (Result.objects.filter(status=Result.Status.APPROVED)
            .select_related("entry__session__exam", "entry__session__centre")
            .order_by("release_at"))


# --- The board's dashboard -------------------------------------------------------------
def results_by_session(exam_id: int | None = None) -> list[dict[str, Any]]:
    """One row per session: its exam, centre, and how many results are in each status."""
    rows = Result.objects.exclude(status=Result.Status.WITHDRAWN)
    if exam_id:
        rows = rows.filter(entry__session__exam_id=exam_id)
    counts = (rows.values("entry__session_id", "status").annotate(n=Count("id"))
              .order_by())
    by_session: dict[int, dict[str, int]] = {}
    for row in counts:
        by_session.setdefault(row["entry__session_id"], {})[row["status"]] = row["n"]
    sessions = Session.objects.filter(pk__in=by_session).select_related("exam", "centre")
    shown = [status for status in Result.Status.values if status != Result.Status.WITHDRAWN]
    return [{"session": session, "cells": [by_session[session.pk].get(s, 0) for s in shown],
             "total": sum(by_session[session.pk].values())}
            for session in sessions.order_by("-opens_at")]


def cefr_distribution(exam_id: int | None = None) -> dict[str, dict[str, int]]:
    """Skill → CEFR level → number of results (not withdrawn), the overall level included."""
    rows = Result.objects.exclude(status=Result.Status.WITHDRAWN)
    if exam_id:
        rows = rows.filter(entry__session__exam_id=exam_id)
    distribution: dict[str, dict[str, int]] = {}
    for skills, overall in rows.values_list("skills", "cefr_level").iterator():
        for skill in skills:
            if skill.get("cefr"):
                bucket = distribution.setdefault(skill["skill"], {})
                bucket[skill["cefr"]] = bucket.get(skill["cefr"], 0) + 1
        if overall:
            bucket = distribution.setdefault("overall", {})
            bucket[overall] = bucket.get(overall, 0) + 1
    return distribution


# --- What others may see ---------------------------------------------------------------
def released_results() -> QuerySet[Result]:
    """The only results anyone outside the board may see: withdrawn ones are gone, and so
    are those of people whose data was erased at their request."""
    return Result.objects.filter(status=Result.Status.RELEASED,
                                 entry__candidate__erased_at__isnull=True)


def candidate_result_state(entry: Entry, *, now=None) -> dict[str, Any]:
    """What the candidate is told about one entry's result.

    "released": the result (and its documents); "scheduled": results come at `release_at`
    (the planned date, or later once the oral and review set it); "under_review": the
    release time has passed but the review has not approved it (DESIGN.md, "Release");
    "withdrawn": nothing of the result is shown any more.
    """
    now = now or timezone.now()
    result = Result.objects.filter(entry=entry).first()
    if result is not None and result.status == Result.Status.WITHDRAWN:
        return {"state": "withdrawn", "result": None, "release_at": None}
    if result is not None and result.status == Result.Status.RELEASED:
        return {"state": "released", "result": result, "release_at": result.released_at}
    if result is not None and result.status == Result.Status.APPROVED:
        return {"state": "scheduled", "result": None, "release_at": result.release_at}
    planned = result.earliest_release_at if result else entry.session.results_release_at
    if now < planned:
        return {"state": "scheduled", "result": None, "release_at": planned}
    return {"state": "under_review", "result": None, "release_at": None}
