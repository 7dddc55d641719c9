"""Reads for the written test: what the player receives, and progress for staff."""

import random
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from langcert.catalog.labels import skill_label
from langcert.centres.models import Entry
from langcert.delivery.adaptive import QUESTIONS_PER_SECTION, SECTION_ORDER
from langcert.delivery.models import Attempt, Delivery, ProctoringEvent
from langcert.itembank.models import Item
from langcert.itembank.scoring import presentation


def step_payload(step: Any, attempt: Attempt) -> dict[str, Any]:
    """The JSON the player gets after each action."""
    payload: dict[str, Any] = {"status": step.kind, "restarted": step.restarted}
    if step.kind != "question":
        return payload
    delivery: Delivery = step.delivery
    item = delivery.item
    # The section's answered questions are in its engine state; this one comes next.
    position = len(delivery.section.cat_state.get("item_ids", [])) + 1
    remaining = (delivery.deadline - timezone.now()).total_seconds()
    payload["question"] = {
        "id": str(delivery.public_id),
        "number": delivery.number,
        "section": SECTION_ORDER.index(delivery.section.skill) + 1,
        "sections": len(SECTION_ORDER),
        "skill": delivery.section.skill,
        "skill_label": skill_label(delivery.section.skill),
        "position": position,
        "per_section": QUESTIONS_PER_SECTION,
        "type": item.type,
        "presentation": delivery.presentation,
        "time_limit": item.time_limit,
        "remaining_ms": max(0, int(remaining * 1000)),
        "plays_left": max(0, item.content.get("max_plays", 2) - delivery.plays)
        if item.type == "listening" else None,
    }
    payload["started_at"] = attempt.started_at.isoformat() if attempt.started_at else None
    return payload


def test_state_label(attempt: Attempt | None) -> str:
    """Sent / Not sent / Not taken, as the candidate's list of tests says."""
    if attempt is None or attempt.status in (Attempt.Status.NOT_STARTED,
                                             Attempt.Status.CHECKS_DONE):
        return _("Not taken")
    if attempt.status == Attempt.Status.SUBMITTED:
        return _("Sent")
    return _("Not sent")


def tests_of_candidate(attempt: Attempt) -> list[tuple[Entry, str]]:
    """Every written test of this person at the centre, newest first, with its state."""
    entries = Entry.objects.filter(candidate=attempt.entry.candidate,
                                   session__exam__kind="adaptive_cefr") \
        .select_related("session__exam", "attempt").order_by("-session__opens_at")
    return [(entry, test_state_label(getattr(entry, "attempt", None))) for entry in entries]


def progress_label(attempt: Attempt | None) -> str:
    """Where a candidate stands, for the centre and the board."""
    if attempt is None or attempt.status == Attempt.Status.NOT_STARTED:
        return _("Checks done") if attempt and attempt.checks_done else _("Not started")
    if attempt.status == Attempt.Status.IN_PROGRESS:
        return _("Section %(n)d of %(total)d") % {"n": attempt.section_index + 1,
                                                  "total": len(SECTION_ORDER)}
    if attempt.status == Attempt.Status.SUBMITTED:
        from langcert.oral.selectors import oral_stage

        return oral_stage(attempt.entry) or attempt.get_status_display()
    return attempt.get_status_display()


def entries_with_progress(entries: QuerySet[Entry]) -> list[tuple[Entry, str]]:
    rows = entries.select_related("attempt")
    return [(entry, progress_label(getattr(entry, "attempt", None))) for entry in rows]


def evidence(attempt: Attempt) -> dict[str, Any]:
    """What the board reviews: events by kind, restarts, and the timeline."""
    events = list(attempt.events.all())
    counts = {kind: sum(1 for e in events if e.kind == kind) for kind in ProctoringEvent.Kind}
    return {"events": events, "counts": counts, "restarts": attempt.restarts}


def practice_presentations(language_id: int) -> list[dict[str, Any]]:
    """What the practice page shows: each practice item without its key."""
    return [{"code": item.code, "type": item.type,
             "presentation": presentation(item.type, item.content, random.Random(item.pk))}
            for item in practice_items(language_id)]


def practice_items(language_id: int) -> list[Item]:
    """The practice test: items kept for practice, which no real test ever serves, so
    checking answers here teaches nothing about the test itself."""
    return list(Item.objects.filter(language_id=language_id, status=Item.Status.PRACTICE)
                .order_by("type", "code"))
