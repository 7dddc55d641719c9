"""Every state-changing service writes its audit row.

The test finds the services itself: a new public function in any `services.py` without a
case below fails here until it is audited and listed.
"""

import importlib
import inspect
import pkgutil

import pytest

import langcert
from langcert.core.audit import events_for
from langcert.core.models import AuditEvent
from tests.conftest import person

pytestmark = pytest.mark.django_db


def discovered_services() -> set[str]:
    names = set()
    for module_info in pkgutil.walk_packages(langcert.__path__, "langcert."):
        if not module_info.name.endswith(".services"):
            continue
        module = importlib.import_module(module_info.name)
        for name, member in inspect.getmembers(module, inspect.isfunction):
            if member.__module__ == module.__name__ and not name.startswith("_"):
                names.add(f"{module.__name__}.{name}")
    return names


@pytest.fixture
def cases(board_user, centre, centre_user, adaptive_session):
    from langcert.centres import services as centres
    from langcert.core import services as core

    people = iter(range(100))

    def enrol():
        n = next(people)
        return centres.entry_enrol(actor=centre_user, session=adaptive_session,
                                   data=person(first_name=f"P{n}", id_document_number=f"D{n}"))

    return {
        "langcert.core.services.user_create": (
            "user.create",
            lambda: core.user_create(actor=board_user, email="new@test.example",
                                     role="evaluator", password=None),
        ),
        "langcert.centres.services.session_create": (
            "session.create", lambda: adaptive_session,  # made by the fixture, audited then
        ),
        "langcert.centres.services.entry_enrol": ("entry.enrol", enrol),
        "langcert.centres.services.entries_import": (
            "entry.enrol",
            lambda: centres.entries_import(
                actor=centre_user, session=adaptive_session, file_name="e.csv",
                content=b"first_name,last_name,date_of_birth,gender,email,id_document_number,"
                        b"target_level\nJo,Doe,1990-01-01,F,jo@example.org,J1,B1\n",
            ).entries[0],
        ),
        "langcert.centres.services.entry_reissue_secret": (
            "entry.reissue_secret",
            lambda: centres.entry_reissue_secret(actor=centre_user, entry=enrol()),
        ),
        "langcert.centres.services.entry_set_photo_consent": (
            "entry.photo_consent",
            lambda: centres.entry_set_photo_consent(actor=centre_user, entry=enrol(),
                                                    consent=False),
        ),
    }


def test_every_service_is_covered_here(cases):
    assert discovered_services() == set(cases)


def test_every_service_writes_its_audit_row(cases):
    for name, (action, call) in cases.items():
        target = call()
        rows = events_for(target).filter(action=action)
        assert rows.exists(), name
        assert rows.first().data.get("email") is None  # no personal data in audit data


def test_audit_rows_record_the_actor_and_address(client, centre_user, adaptive_session):
    from django.urls import reverse

    client.force_login(centre_user)
    client.post(
        reverse("centres:enrol", args=[adaptive_session.public_id]),
        {"first_name": "Al", "last_name": "Bo", "date_of_birth": "1990-01-01", "gender": "M",
         "email": "al@example.org", "id_document_number": "A1", "target_level": "B1"},
        REMOTE_ADDR="203.0.113.7",
    )
    event = AuditEvent.objects.get(action="entry.enrol")
    assert (event.actor, event.ip_address, event.data["source"]) == (
        centre_user, "203.0.113.7", "form")
