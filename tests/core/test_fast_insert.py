"""insert_rows: new rows written as `save` would write them, in one statement on
PostgreSQL, all or none."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Value
from django.db.models.functions import Upper
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from langcert.core.audit import event_row
from langcert.core.fast_insert import insert_rows
from langcert.core.models import AuditEvent
from langcert.core.roles import Role


@pytest.mark.django_db
def test_rows_are_written_with_their_defaults_and_auto_dates(make_user, rf):
    actor = make_user(Role.BOARD)
    request = rf.get("/", REMOTE_ADDR="2001:db8::7")
    before = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        insert_rows(event_row(actor=actor, action="test.first", target=actor, request=request,
                              data={"n": 1, "words": ["é", "ß"]}),
                    AuditEvent(action="test.second"))
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    first = AuditEvent.objects.get(action="test.first")
    second = AuditEvent.objects.get(action="test.second")
    assert first.actor == actor and first.target_id == str(actor.pk)
    assert first.target_type == "core.user" and first.ip_address == "2001:db8::7"
    assert first.data == {"n": 1, "words": ["é", "ß"]}
    assert second.actor is None and second.data == {} and second.ip_address is None
    for row in (first, second):
        assert before <= row.occurred_at <= timezone.now() + timedelta(seconds=1)


@pytest.mark.django_db(transaction=True)
def test_a_row_the_database_refuses_takes_the_others_with_it():
    refused = AuditEvent(action="test.refused")
    refused.action = None  # NOT NULL
    with pytest.raises(IntegrityError):
        insert_rows(AuditEvent(action="test.fine"), refused)
    assert not AuditEvent.objects.exists()
    insert_rows(AuditEvent(action="test.fine"))
    assert AuditEvent.objects.filter(action="test.fine").count() == 1


@pytest.mark.django_db
def test_a_refused_row_marks_the_enclosing_transaction_for_rollback():
    refused = AuditEvent(action="test.refused")
    refused.action = None
    with transaction.atomic():
        with pytest.raises(IntegrityError):
            insert_rows(refused)
        assert transaction.get_rollback()  # as after a failed save(): rolled back on exit
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_expressions_and_database_defaults_are_refused():
    with pytest.raises(ValueError, match="plain values"):
        insert_rows(AuditEvent(action="test.ok"), AuditEvent(action=Upper(Value("x"))))
    assert not AuditEvent.objects.exists()
