"""The lookup's fast paths behave like the plain ones: the lookup compiled once finds what
the queryset finds, the API's narrow result query gives every field without another query,
and a hit's two log rows are written together or not at all. (The batched limit reads and
counts: tests/core/test_ratelimit.py.)"""

import threading
from datetime import date

import pytest
from django.db import IntegrityError, connection, connections
from django.utils import timezone

from langcert.centres.models import Candidate
from langcert.core import identifiers
from langcert.core.audit import event_row
from langcert.core.models import AuditEvent
from langcert.results.models import Result
from langcert.results.selectors import released_results
from langcert.verification import lookup
from langcert.verification.lookup import Searcher
from langcert.verification.models import AccessEvent
from langcert.verification.result_data import RESULT_COLUMNS, result_fields
from tests.verification.test_api import BIRTH
from tests.verification.test_shared_results import (  # noqa: F401 (shared fixtures)
    advanced_result,
    entry_factory,
    organisation,
    release,
)


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
    def audit_row_refused_by_the_database(**kwargs):
        row = event_row(**kwargs)
        row.action = None  # NOT NULL: the database refuses the row
        return row

    monkeypatch.setattr(lookup, "event_row", audit_row_refused_by_the_database)
    with pytest.raises(IntegrityError):
        verify(advanced_result, organisation, columns=RESULT_COLUMNS)
    assert not AccessEvent.objects.exists()
    monkeypatch.undo()
    assert verify(advanced_result, organisation, columns=RESULT_COLUMNS) == advanced_result
    assert AccessEvent.objects.count() == 1
    assert AuditEvent.objects.filter(action="verification.lookup").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("columns", [(), RESULT_COLUMNS])
def test_the_compiled_lookup_finds_what_the_queryset_finds(
        columns, release, advanced_session, django_assert_num_queries):  # noqa: F811
    """Released, withdrawn, erased; right and wrong dates of birth; unknown numbers: the
    lookup compiled once answers every pair as the plain queryset does, in one query,
    with the related objects loaded."""
    released = release(advanced_session, date_of_birth=BIRTH)
    other = release(advanced_session, date_of_birth=date(1985, 3, 1))
    withdrawn = release(advanced_session, date_of_birth=BIRTH)
    Result.objects.filter(pk=withdrawn.pk).update(status=Result.Status.WITHDRAWN)
    erased = release(advanced_session, date_of_birth=BIRTH)
    Candidate.objects.filter(pk=erased.entry.candidate_id).update(erased_at=timezone.now())
    numbers = [r.statement_number for r in (released, other, withdrawn, erased)]
    numbers.append(identifiers.new_statement_number())
    for number in numbers:
        for birth in (BIRTH, date(1985, 3, 1), date(2001, 1, 1)):
            expected = released_results().filter(
                statement_number=number, entry__candidate__date_of_birth=birth).first()
            with django_assert_num_queries(1):
                found = lookup._find(number, birth, columns)
                fields = result_fields(found, shared=True) if found else None
            assert found == expected
            if found is not None:
                assert fields == result_fields(expected, shared=True)
    assert lookup._find(released.statement_number, BIRTH, columns) == released
    assert lookup._find(other.statement_number, date(1985, 3, 1), columns) == other


@pytest.mark.django_db
@pytest.mark.postgres_only
def test_postgresql_plans_the_lookup_once_per_connection(advanced_result):  # noqa: F811
    lookup._find(advanced_result.statement_number, BIRTH, RESULT_COLUMNS)
    lookup._find(advanced_result.statement_number, BIRTH, RESULT_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM "
                       "pg_prepared_statements")
        prepared = dict(cursor.fetchall())
    sql = lookup._lookup_query(RESULT_COLUMNS)._local.plans[connection.alias].sql
    [runs] = [runs for statement, runs in prepared.items() if "results_result" in statement
              and "centres_centre" in statement and '"skills"' in statement
              and '"computed_at"' not in statement]
    assert runs >= 2
    assert sql.count("%s") == 3  # status, date of birth, number: nothing inlined


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_a_column_changed_by_a_migration_elsewhere_does_not_break_the_prepared_lookup(
        advanced_result):  # noqa: F811
    """Another process (manage.py migrate during a deploy) changes the type of a column the
    prepared lookup returns: PostgreSQL then refuses the prepared statement ("cached plan
    must not change result type"); the lookup prepares it again and answers."""
    assert lookup._find(advanced_result.statement_number, BIRTH, RESULT_COLUMNS)
    elsewhere = connection.get_new_connection(connection.get_connection_params())
    elsewhere.autocommit = True
    try:
        elsewhere.execute("ALTER TABLE centres_candidate ALTER COLUMN last_name TYPE text")
        found = lookup._find(advanced_result.statement_number, BIRTH, RESULT_COLUMNS)
        assert found == advanced_result
        assert found.entry.candidate.last_name == advanced_result.entry.candidate.last_name
    finally:
        elsewhere.execute("ALTER TABLE centres_candidate ALTER COLUMN last_name "
                          "TYPE varchar(100)")
        elsewhere.close()
        with connection.cursor() as cursor:  # the other tests' statements, prepared afresh
            cursor.execute("DEALLOCATE ALL")


@pytest.mark.django_db(transaction=True)
def test_each_thread_runs_the_lookup_on_its_own_connection(advanced_result):  # noqa: F811
    """Threads (runserver's, a threaded worker's) each compile the lookup for their own
    connection, and a thread's plan goes with the thread."""
    assert lookup._find(advanced_result.statement_number, BIRTH, RESULT_COLUMNS)
    seen = {}

    def look_up():
        try:
            found = lookup._find(advanced_result.statement_number, BIRTH, RESULT_COLUMNS)
            seen["found"] = found
            seen["last_name"] = found.entry.candidate.last_name
            seen["connection"] = connections["default"]
            plans = lookup._lookup_query(RESULT_COLUMNS)._local.plans.values()
            seen["plan_connections"] = [plan.compiler.connection for plan in plans]
        finally:
            connections.close_all()

    thread = threading.Thread(target=look_up)
    thread.start()
    thread.join()
    assert seen["found"] == advanced_result
    assert seen["last_name"] == advanced_result.entry.candidate.last_name
    assert seen["connection"] is not connections["default"]
    assert seen["plan_connections"] == [seen["connection"]]
    plans = lookup._lookup_query(RESULT_COLUMNS)._local.plans.values()
    assert [plan.compiler.connection for plan in plans] == [connections["default"]]
