"""Bulk lookups (`lookup.verify_many`, behind the API's bulk call and the browser's bulk
verification) give each pair the outcome `lookup.verify` would have given it in turn, write
the same log rows and counts, and cost the same few queries however many pairs there are."""

from datetime import date

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from langcert.core import ratelimit
from langcert.core.models import AuditEvent
from langcert.verification import lookup
from langcert.verification.lookup import LookupRefused, Searcher
from langcert.verification.models import AccessEvent
from langcert.verification.result_data import RESULT_COLUMNS
from tests.verification.test_api import BIRTH, typo_of, unknown_number
from tests.verification.test_shared_results import (  # noqa: F401 (shared fixtures)
    adaptive_released_result,
    advanced_result,
    entry_factory,
    organisation,
)

pytestmark = pytest.mark.django_db



@pytest.fixture
def searcher(organisation):
    return Searcher(organisation, organisation.members.get().user, "192.0.2.9", "bulk_web")


def one_by_one(pairs, searcher):
    """`verify` on each pair, as the callers used it: once limited, the rest is refused."""
    outcomes, limited = [], None
    for number, birth in pairs:
        try:
            if limited is not None:
                raise limited
            outcomes.append(lookup.verify(statement_number=number, date_of_birth=birth,
                                          searcher=searcher))
        except LookupRefused as refused:
            limited = refused if refused.code == "rate_limited" else limited
            outcomes.append(refused)
    return outcomes


def described(outcomes):
    return [outcome.code if isinstance(outcome, LookupRefused)
            else getattr(outcome, "statement_number", None) for outcome in outcomes]


def written(searcher):
    """The rows and counts a run left, then forgotten for the next run."""
    state = {
        "access": sorted(AccessEvent.objects.values_list("result_id", "user_id", "kind")),
        "audit": sorted(AuditEvent.objects.filter(action__startswith="verification.lookup")
                        .values_list("action", "target_type", "target_id", "actor_id", "data")),
        "counts": [cache.get(ratelimit._key(scope, ident)) or 0
                   for scope, ident, _limit in lookup._limit_keys(searcher)],
    }
    AccessEvent.objects.all().delete()
    AuditEvent.objects.all().delete()
    cache.clear()
    return state


def test_outcomes_rows_and_counts_are_those_of_one_lookup_at_a_time(
        advanced_result, adaptive_released_result, searcher, monkeypatch):  # noqa: F811
    monkeypatch.setattr(lookup, "MISSES_PER_ADDRESS", 4)
    monkeypatch.setattr(lookup, "NUMBERS_PER_QUERY", 2)  # several queries: their seams too
    a, b = advanced_result.statement_number, adaptive_released_result.statement_number_display
    pairs = [(a, BIRTH), (unknown_number(), BIRTH), (typo_of(a), BIRTH), (a, date(1990, 1, 1)),
             (b, BIRTH), (unknown_number(), BIRTH), (a, BIRTH), (unknown_number(), BIRTH),
             (b, BIRTH), (typo_of(a), BIRTH), (a, BIRTH)]
    cache.clear()
    expected = one_by_one(pairs, searcher)
    expected_rows = written(searcher)
    outcomes = lookup.verify_many(pairs, searcher=searcher)
    assert described(outcomes) == described(expected)
    assert described(outcomes) == [a, None, "typo", None, adaptive_released_result
                                   .statement_number, None, a, None, "rate_limited",
                                   "rate_limited", "rate_limited"]
    assert written(searcher) == expected_rows
    assert expected_rows["counts"][1] == 4  # the address: four misses, then refused


def test_a_bulk_call_already_at_the_limit_looks_nothing_up(advanced_result, searcher,  # noqa: F811
                                                           monkeypatch):
    monkeypatch.setattr(lookup, "MISSES_PER_USER", 1)
    cache.clear()
    assert lookup.verify_many([(unknown_number(), BIRTH)], searcher=searcher) == [None]
    outcomes = lookup.verify_many([(advanced_result.statement_number, BIRTH)] * 3,
                                  searcher=searcher)
    assert described(outcomes) == ["rate_limited"] * 3
    assert outcomes[0].retry_after == lookup.MISS_WINDOW_SECONDS
    assert not AccessEvent.objects.exists()


def test_the_number_of_queries_does_not_grow_with_the_pairs(advanced_result, searcher):  # noqa: F811
    def queries_for(pairs):
        cache.clear()  # the same counter keys to create (the database cache's cost varies)
        with CaptureQueriesContext(connection) as captured:
            outcomes = lookup.verify_many(pairs, searcher=searcher, columns=RESULT_COLUMNS)
        assert outcomes[0] == advanced_result and outcomes[-1] is None
        return len(captured)

    hit, miss = (advanced_result.statement_number, BIRTH), (unknown_number(), BIRTH)
    few = queries_for([hit, miss])
    assert queries_for([hit] * 40 + [(unknown_number(), BIRTH) for _ in range(40)]) == few
    assert AccessEvent.objects.count() == 41


def test_two_calls_at_the_same_moment_share_the_room(advanced_result, searcher,  # noqa: F811
                                                     monkeypatch):
    """A second call runs while the first looks its numbers up: between them they get the
    limit's misses, not the limit each."""
    monkeypatch.setattr(lookup, "MISSES_PER_USER", 5)
    cache.clear()
    real_find_many, second = lookup._find_many, []

    def find_while_another_call_runs(numbers, columns):
        if not second:
            second.append("running")
            second.append(lookup.verify_many([(unknown_number(), BIRTH) for _ in range(5)],
                                             searcher=searcher))
        return real_find_many(numbers, columns)

    monkeypatch.setattr(lookup, "_find_many", find_while_another_call_runs)
    first = lookup.verify_many([(unknown_number(), BIRTH) for _ in range(5)],
                               searcher=searcher)
    misses = [outcome for outcome in first + second[1] if outcome is None]
    assert len(misses) == 5
    assert described(second[1]) == ["rate_limited"] * 5  # the first had taken the room
    assert cache.get(ratelimit._key("lookup-user", str(searcher.user.pk))) == 5
