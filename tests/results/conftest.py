"""Fixtures of results: entries in a C1 Advanced (paper) session and an adaptive one, and
results built directly on them."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from langcert.centres import services as centre_services
from langcert.results.models import Result
from tests.conftest import person
from tests.oral.conftest import evaluator, tomorrow_window  # noqa: F401 (shared fixtures)

ADVANCED_SKILLS = [
    {"skill": "reading", "score": 191, "cefr": "C1"},
    {"skill": "use_of_english", "score": 196, "cefr": "C1"},
    {"skill": "writing", "score": 210, "cefr": "C2"},
    {"skill": "listening", "score": 191, "cefr": "C1"},
    {"skill": "speaking", "score": 193, "cefr": "C1"},
]
ADAPTIVE_WRITTEN = [
    {"skill": skill, "score": None, "cefr": level}
    for skill, level in (("vocabulary", "B2"), ("grammar", "B2"), ("expressions", "C1"),
                         ("reading", "B1"), ("listening", "B2"))
]
ORAL = {"vocabulary_range": "B2", "grammar_syntax": "B1", "fluency": "B2",
        "pronunciation": "C1", "interaction": "B2"}


@pytest.fixture
def entry_factory(centre_user, mailoutbox, django_capture_on_commit_callbacks):
    """enter(session, **person fields) -> Entry, enrolled by the centre."""
    counter = iter(range(1, 10_000))

    def enter(session, **overrides):
        n = next(counter)
        overrides.setdefault("email", f"candidate{n}@example.org")
        overrides.setdefault("last_name", f"Candidate{n}")
        with django_capture_on_commit_callbacks(execute=True):
            return centre_services.entry_enrol(actor=centre_user, session=session,
                                               data=person(**overrides))

    return enter


@pytest.fixture
def advanced_result(entry_factory, advanced_session):
    """A released C1 Advanced result: the guide's worked example (196, Grade B, C1)."""
    entry = entry_factory(advanced_session)
    now = timezone.now()
    return Result.objects.create(
        entry=entry, source=Result.Source.IMPORT, overall_score=196, grade="B",
        outcome="grade_b", cefr_level="C1", skills=ADVANCED_SKILLS, certificate=True,
        exam_date=date(2026, 6, 13), status=Result.Status.RELEASED,
        earliest_release_at=now - timedelta(days=1), release_at=now - timedelta(days=1),
        released_at=now - timedelta(hours=1))


@pytest.fixture
def adaptive_released_result(entry_factory, adaptive_session):
    """A released adaptive result: written B2, oral B2, final B2 against target B2."""
    entry = entry_factory(adaptive_session, target_level="B2")
    now = timezone.now()
    return Result.objects.create(
        entry=entry, source=Result.Source.ADAPTIVE, cefr_level="B2", skills=ADAPTIVE_WRITTEN,
        oral_criteria=ORAL, written_level="B2", oral_level="B2", target_level="B2",
        certificate=True, outcome="certificate", exam_date=date(2026, 10, 2),
        status=Result.Status.RELEASED, earliest_release_at=now - timedelta(days=1),
        release_at=now - timedelta(days=1), released_at=now - timedelta(hours=1))
