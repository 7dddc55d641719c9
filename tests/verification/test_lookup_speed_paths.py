"""The lookup's fast paths behave like the plain ones: the API's narrow result query gives
every field without another query, and a hit's two log rows are written together or not
at all. (The batched limit reads and counts: tests/core/test_ratelimit.py.)"""

import pytest

from langcert.core.models import AuditEvent
from langcert.verification import lookup
from langcert.verification.lookup import Searcher
from langcert.verification.models import AccessEvent
from langcert.verification.result_data import RESULT_COLUMNS, result_fields
from tests.verification.test_api import BIRTH
from tests.verification.test_shared_results import (  # noqa: F401 (shared fixtures)
    advanced_result,
    entry_factory,
    organisation,
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
