"""The lookup's fast paths behave like the plain ones: the API's narrow result query gives
every field without another query, a hit's two log rows are written together or not at
all, and the batched limit reads and counts (one cache round trip) agree with the single
ones, on the database cache and on Redis."""

import os
from datetime import date

import pytest
from django.core.cache import caches
from django.test import override_settings

from langcert.core import ratelimit
from langcert.core.models import AuditEvent
from langcert.verification import lookup
from langcert.verification.lookup import Searcher
from langcert.verification.models import AccessEvent
from langcert.verification.result_data import RESULT_COLUMNS, result_fields
from tests.verification.test_shared_results import (  # noqa: F401 (shared fixtures)
    advanced_result,
    entry_factory,
    organisation,
)

BIRTH = date(1990, 12, 10)  # tests.conftest.person()
WINDOW = 3600


def api_searcher(organisation):
    return Searcher(organisation, None, "192.0.2.7", "api")


def verify(result, organisation, **kwargs):
    return lookup.verify(statement_number=result.statement_number, date_of_birth=BIRTH,
                         searcher=api_searcher(organisation), **kwargs)


@pytest.mark.django_db
def test_the_narrow_lookup_gives_every_field_without_another_query(
        advanced_result, organisation, django_assert_num_queries):  # noqa: F811
    wide = verify(advanced_result, organisation)
    narrow = verify(advanced_result, organisation, columns=RESULT_COLUMNS)
    with django_assert_num_queries(0):
        fields = result_fields(narrow, shared=False)
    assert fields == result_fields(wide, shared=False)
    assert fields["exam"] and fields["centre"] and fields["last_name"]
    assert AccessEvent.objects.filter(result=advanced_result).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_hit_writes_its_access_log_and_audit_rows_together(advanced_result, organisation,  # noqa: F811
                                                            monkeypatch):
    def audit_fails(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(lookup, "record_event", audit_fails)
    with pytest.raises(RuntimeError):
        verify(advanced_result, organisation, columns=RESULT_COLUMNS)
    assert not AccessEvent.objects.exists()
    monkeypatch.undo()
    assert verify(advanced_result, organisation, columns=RESULT_COLUMNS) == advanced_result
    assert AccessEvent.objects.count() == 1
    assert AuditEvent.objects.filter(action="verification.lookup").count() == 1


def _counting_agrees():
    attempts = [("test-a", "one"), ("test-b", "two")]
    for scope, ident in attempts:
        ratelimit.reset(scope, ident)
    assert ratelimit.count_attempts(attempts, WINDOW) == [1, 1]
    assert ratelimit.count_attempt("test-a", "one", WINDOW) == 2
    assert ratelimit.count_attempts(attempts, WINDOW) == [3, 2]
    assert ratelimit.is_limited("test-a", "one", 3) and not ratelimit.is_limited("test-b", "two", 3)
    assert ratelimit.any_limited([("test-a", "one", 3), ("test-b", "two", 3)])
    assert not ratelimit.any_limited([("test-a", "one", 4), ("test-b", "two", 3)])
    assert not ratelimit.any_limited([("test-c", "none", 1)])


@pytest.mark.django_db
def test_batched_counts_agree_with_single_ones_on_the_database_cache():
    _counting_agrees()


def test_batched_counts_agree_with_single_ones_on_redis():
    url = os.environ.get("LANGCERT_TEST_REDIS_URL")
    if not url:
        pytest.fail("LANGCERT_TEST_REDIS_URL is not set: run the suite with `make test`.")
    redis_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": url, "KEY_PREFIX": "lookup-speed-test"}}
    with override_settings(CACHES=redis_cache):
        try:
            _counting_agrees()
            key = caches["default"].make_key(ratelimit._key("test-a", "one"))
            assert 0 < ratelimit._redis_client().ttl(key) <= WINDOW  # it expires
        finally:
            for scope, ident in (("test-a", "one"), ("test-b", "two")):
                ratelimit.reset(scope, ident)
