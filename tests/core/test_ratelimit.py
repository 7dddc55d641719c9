"""Attempt counters, on the database cache (the embedded default) and on Redis: a count
lives for the window of its first attempt however many follow, and reservations taken at
the same moment never grant the same room twice."""

import os
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.test import override_settings

from langcert.core import ratelimit

pytestmark = pytest.mark.django_db  # the database cache: on both databases

HOUR = 3600
LIMITS = [("test-org", "a", 5), ("test-ip", "b", 3)]


@pytest.fixture(params=["database", "redis"])
def counters(request):
    """The cache the counters live in, emptied of this file's keys before and after."""
    if request.param == "database":
        settings_cm = override_settings()
    else:
        url = os.environ.get("LANGCERT_TEST_REDIS_URL")
        if not url:
            pytest.fail("LANGCERT_TEST_REDIS_URL is not set: run the suite with `make test`.")
        settings_cm = override_settings(CACHES={"default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
            "KEY_PREFIX": "ratelimit-test"}})
    with settings_cm:
        forget()
        yield request.param
        forget()


def forget():
    for scope, ident, _limit in LIMITS:
        ratelimit.reset(scope, ident)


def count_of(scope, ident):
    return caches["default"].get(ratelimit._key(scope, ident)) or 0


def test_counting_by_more_than_one(counters):
    assert ratelimit.count_attempts([("test-org", "a"), ("test-ip", "b")], HOUR, by=4) == [4, 4]
    assert ratelimit.count_attempt("test-org", "a", HOUR) == 5
    assert ratelimit.room_left(LIMITS) == -1 and ratelimit.any_limited(LIMITS)


def test_a_reservation_takes_only_the_room_left_and_gives_back_the_rest(counters):
    ratelimit.count_attempt("test-org", "a", HOUR)
    assert ratelimit.reserve(LIMITS, HOUR, wanted=10) == 3  # the address's 3
    assert (count_of("test-org", "a"), count_of("test-ip", "b")) == (4, 3)
    assert ratelimit.reserve(LIMITS, HOUR, wanted=10) == 0  # nothing left for anyone
    ratelimit.give_back(LIMITS, 2)
    assert (count_of("test-org", "a"), count_of("test-ip", "b")) == (2, 1)
    ratelimit.give_back(LIMITS, 50)
    assert (count_of("test-org", "a"), count_of("test-ip", "b")) == (0, 0)  # never below


def test_reservations_made_together_share_the_room(counters, monkeypatch):
    """A second caller reserves between our reading of the room and our count: we get
    only what it left."""
    real_room_left = ratelimit.room_left
    calls = []

    def room_left_then_someone_else_reserves(limits):
        room = real_room_left(limits)
        if not calls:
            calls.append("reading")
            calls.append(ratelimit.reserve(LIMITS, HOUR, wanted=2))
        return room

    monkeypatch.setattr(ratelimit, "room_left", room_left_then_someone_else_reserves)
    assert ratelimit.reserve(LIMITS, HOUR, wanted=3) == 1
    assert calls == ["reading", 2]
    assert count_of("test-ip", "b") == 3


def test_a_count_lives_for_the_window_of_its_first_attempt(counters):
    if counters == "redis":  # Redis keeps the key's TTL: read it
        ratelimit.count_attempt("test-org", "a", HOUR)
        ratelimit.count_attempts([("test-org", "a")], HOUR, by=3)
        key = caches["default"].make_key(ratelimit._key("test-org", "a"))
        assert HOUR - 5 < ratelimit._redis_client().ttl(key) <= HOUR
        return
    with time_machine.travel("2026-12-06 10:00:00Z", tick=False) as clock:
        ratelimit.count_attempt("test-org", "a", HOUR)
        clock.shift(timedelta(minutes=1))
        ratelimit.count_attempts([("test-org", "a")], HOUR, by=3)
        clock.shift(timedelta(minutes=50))  # long past the cache's default 300 s
        assert count_of("test-org", "a") == 4
        clock.shift(timedelta(minutes=10))  # the hour from the first attempt is over
        assert count_of("test-org", "a") == 0
        assert ratelimit.count_attempt("test-org", "a", HOUR) == 1


def test_giving_back_after_the_window_ended_leaves_no_count_behind(counters):
    assert ratelimit.reserve(LIMITS, HOUR, wanted=2) == 2
    forget()  # the window ends while the attempts are made
    ratelimit.give_back(LIMITS, 2)
    assert count_of("test-org", "a") == 0
    assert ratelimit.count_attempt("test-org", "a", HOUR) == 1  # a new window, a new count
    if counters == "redis":
        key = caches["default"].make_key(ratelimit._key("test-org", "a"))
        assert 0 < ratelimit._redis_client().ttl(key) <= HOUR


def test_batched_counts_agree_with_single_ones(counters):
    attempts = [("test-org", "a"), ("test-ip", "b")]
    assert ratelimit.count_attempts(attempts, HOUR) == [1, 1]
    assert ratelimit.count_attempt("test-org", "a", HOUR) == 2
    assert ratelimit.count_attempts(attempts, HOUR) == [3, 2]
    assert ratelimit.is_limited("test-org", "a", 3) and not ratelimit.is_limited("test-ip", "b", 3)
    assert ratelimit.any_limited([("test-org", "a", 3), ("test-ip", "b", 3)])
    assert not ratelimit.any_limited([("test-org", "a", 4), ("test-ip", "b", 3)])
    assert not ratelimit.any_limited([("test-c", "none", 1)])
    if counters == "redis":
        key = caches["default"].make_key(ratelimit._key("test-org", "a"))
        assert 0 < ratelimit._redis_client().ttl(key) <= HOUR  # it expires
