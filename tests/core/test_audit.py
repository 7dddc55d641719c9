"""Every state-changing service writes its audit row.

The test finds the services itself: a new public function in any `services.py` without a
case below fails here until it is audited and listed.
"""

import importlib
import inspect
import json
import pkgutil
from datetime import timedelta

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


# Services that write no AuditEvent, and where their trace lives instead.
NOT_AUDITED = {
    "langcert.delivery.services.answer": "each answer is a Delivery row with its time and key",
    "langcert.delivery.services.restart_section": "a ProctoringEvent for the board's review",
    "langcert.delivery.services.log_client_event": "it writes the ProctoringEvent itself",
    "langcert.delivery.services.issue_audio_play": "an AudioPlay row per play",
    "langcert.delivery.services.use_audio_play": "the AudioPlay row records its use",
    "langcert.delivery.services.new_beep_challenge": "changes nothing",
    "langcert.oral.services.send_due_reminders": "a periodic task; each reminder is an "
                                                 "outbox row with its idempotency key",
    "langcert.oral.services.remind_unbooked": "a periodic task; the outbox rows record it",
    "langcert.candidates_portal.services.entry_by_pair": "a lookup: its failures count in the "
                                                         "rate limits, its callers audit",
}


@pytest.fixture
def cases(board_user, centre, centre_user, adaptive_session, synthetic_bank):
    from langcert.centres import services as centres
    from langcert.core import services as core
    from langcert.delivery import services as delivery
    from langcert.itembank import services as itembank
    from tests.delivery.fixtures import GOOD_DEVICE, JPEG

    people = iter(range(100))

    def enrol():
        n = next(people)
        return centres.entry_enrol(actor=centre_user, session=adaptive_session,
                                   data=person(first_name=f"P{n}", id_document_number=f"D{n}"))

    def attempt():
        from langcert.delivery.models import Attempt

        return Attempt.objects.create(entry=enrol())

    def ready():
        from django.utils import timezone

        from langcert.delivery.models import Attempt

        entry = enrol()
        entry.session.opens_at = timezone.now()
        entry.session.save()
        return Attempt.objects.create(
            entry=entry, rules_accepted_at=timezone.now(), face_photo="f", id_photo="i",
            microphone_checked_at=timezone.now(), tech_check_passed_at=timezone.now())

    def finished():
        from uuid import uuid4

        done = ready()
        step = delivery.start_or_resume(attempt=done, reloaded=False)
        while step.kind == "question":
            step = delivery.answer(attempt=done, delivery_id=step.delivery.public_id,
                                   given="right", answer_key=uuid4())
        return done

    def signed_in():
        from django.contrib.auth.hashers import make_password

        entry = enrol()
        entry.secret_hash = make_password("ABCDEFGH")
        entry.save()
        return delivery.sign_in(id_number=entry.id_number, secret="ABCD-EFGH", ip=None)

    def stopped_then_reopened():
        stopped = ready()
        delivery.start_or_resume(attempt=stopped, reloaded=False)
        for _ in range(delivery.MAX_RESTARTS + 1):
            delivery.restart_section(attempt=stopped)
        return delivery.reopen_stopped(actor=board_user, attempt=stopped, reason="outage")

    def photo():
        return delivery.store_photo(attempt=attempt(), kind="face", data=JPEG)

    def oral_booking():
        from datetime import time, timedelta

        from django.utils import timezone

        from langcert.catalog.models import Language
        from langcert.oral import selectors as oral_selectors
        from langcert.oral import services as oral
        from langcert.oral.models import EvaluatorProfile

        user = core.user_create(actor=None, email=f"ev{next(people)}@t.example",
                                role="evaluator", password=None)
        profile = EvaluatorProfile.objects.create(user=user)
        profile.languages.add(Language.objects.get(code="en"))
        day = (timezone.now() + timedelta(days=2)).date()
        oral.availability_add(actor=user, evaluator=profile, language=profile.languages.get(),
                              repeat="once", first_date=day, last_date=None,
                              start_time=time(9), end_time=time(12))
        done = finished()
        delivery.submit(attempt=done, confirmation="CONFIRM")
        slot = oral_selectors.free_slots(profile.languages.get(), day, day)[0]
        from langcert.centres.models import Entry

        entry = Entry.objects.get(pk=done.entry_id)  # as a request would load it
        return oral.booking_create(actor=None, entry=entry, starts_at=slot), user

    def oral_cases():
        from langcert.oral import services as oral

        def changed():
            booking, _ = oral_booking()
            return oral.booking_change(actor=None, booking=booking,
                                       starts_at=booking.starts_at + timedelta(minutes=30))

        def chosen_again():
            booking, _ = oral_booking()
            return oral.booking_choose(actor=None, entry=booking.entry,
                                       starts_at=booking.starts_at + timedelta(minutes=30))

        def scored():
            booking, _ = oral_booking()
            oral.interview_score(actor=booking.evaluator.user, booking=booking, outcome="no_show",
                                 id_document_checked=False, levels={})
            return booking

        return {
            "langcert.oral.services.availability_add": (
                "oral.availability_add", lambda: oral_booking()[0].evaluator.availabilities
                .get()),
            "langcert.oral.services.booking_create": ("oral.book", lambda: oral_booking()[0]),
            "langcert.oral.services.booking_change": ("oral.change", changed),
            "langcert.oral.services.booking_choose": ("oral.change", chosen_again),
            "langcert.oral.services.booking_cancel": (
                "oral.cancel", lambda: oral.booking_cancel(actor=None,
                                                           booking=oral_booking()[0])),
            "langcert.oral.services.interview_score": ("oral.score_no_show", scored),
        }

    def result(status="pending_review", source="adaptive"):
        from django.utils import timezone

        from langcert.results.models import Result

        now = timezone.now()
        return Result.objects.create(
            entry=enrol(), source=source, exam_date=now.date(), earliest_release_at=now,
            status=status, release_at=now if status == "approved" else None)

    def result_cases():
        from langcert.results import services as results
        from langcert.verification import services as verification
        from langcert.verification.models import Organisation, Share

        def computed():
            booking, _ = oral_booking()
            oral.interview_score(actor=booking.evaluator.user, booking=booking, outcome="scored",
                                 id_document_checked=True,
                                 levels=dict.fromkeys(oral.CRITERIA, "B1"))
            return booking.entry.result

        def told():
            organisation = Organisation.objects.create(name="U", kind="university")
            Share.objects.create(result=result("withdrawn"), organisation=organisation)
            verification.notify_result_ended(result=Share.objects.get().result, why="withdrawn")
            return organisation

        from langcert.oral import services as oral

        return {
            "langcert.results.services.result_from_adaptive": ("results.computed", computed),
            "langcert.results.services.result_approve": (
                "results.approve",
                lambda: results.result_approve(actor=board_user, result=result())),
            "langcert.results.services.results_approve_clean": (
                "results.approve",
                lambda: results.results_approve_clean(
                    actor=board_user, results=[r := result(source="import")]) and r),
            "langcert.results.services.result_hold": (
                "results.hold",
                lambda: results.result_hold(actor=board_user, result=result(), reason="why")),
            "langcert.results.services.release_due_results": (
                "results.release",
                lambda: (r := result("approved")) and results.release_due_results() and r),
            "langcert.results.services.result_withdraw": (
                "results.withdraw",
                lambda: results.result_withdraw(actor=board_user, result=result("released"),
                                                reason="error", note="wrong marks")),
            "langcert.verification.services.notify_result_ended": (
                "verification.told_result_withdrawn", told),
        }

    def portal_cases():
        import re

        from django.contrib.auth.hashers import make_password

        from langcert.candidates_portal import services as portal
        from langcert.core.models import OutboundEmail

        def paired_entry():
            entry = enrol()
            entry.secret_hash = make_password("ABCDEFGH")
            entry.save()
            return entry

        def registered(email=None):
            entry = paired_entry()
            return portal.account_register(
                id_number=entry.id_number, secret="ABCDEFGH",
                email=email or f"c{entry.pk}@example.org", password="pass-word-12",
                country="FR", first_language="fr", wants_updates=False, language="en")

        def token_sent_to(email):
            body = OutboundEmail.objects.filter(to=email).latest("id").body_text
            return re.search(r"/my/(?:confirm|account/email)/([^/\s]+)/", body).group(1)

        def confirmed():
            user = registered()
            return portal.account_confirm_email(token=token_sent_to(user.email))

        def resent():
            user = registered()
            portal.confirmation_resend(email=user.email)
            return user

        def change_requested():
            user = registered()
            portal.email_change_request(actor=user, new_email=f"n{user.pk}@example.org",
                                        password="pass-word-12")
            return user

        def changed():
            user = change_requested()
            return portal.email_change_confirm(token=token_sent_to(f"n{user.pk}@example.org"))

        return {
            "langcert.candidates_portal.services.account_register": ("portal.register",
                                                                     registered),
            "langcert.candidates_portal.services.account_confirm_email": (
                "portal.confirm_email", confirmed),
            "langcert.candidates_portal.services.confirmation_resend": (
                "portal.resend_confirmation", resent),
            "langcert.candidates_portal.services.account_add_entry": (
                "portal.add_entry",
                lambda: portal.account_add_entry(actor=registered(),
                                                 id_number=paired_entry().id_number,
                                                 secret="ABCD-EFGH")),
            "langcert.candidates_portal.services.email_change_request": (
                "portal.email_change_requested", change_requested),
            "langcert.candidates_portal.services.email_change_confirm": (
                "portal.email_changed", changed),
        }

    return oral_cases() | result_cases() | portal_cases() | {
        "langcert.delivery.services.sign_in": ("delivery.sign_in", signed_in),
        "langcert.delivery.services.reopen_stopped": ("delivery.reopen", stopped_then_reopened),
        "langcert.delivery.services.accept_rules": (
            "delivery.accept_rules", lambda: delivery.accept_rules(attempt=attempt())),
        "langcert.delivery.services.store_photo": ("delivery.photo_face", photo),
        "langcert.delivery.services.record_microphone": (
            "delivery.microphone",
            lambda: delivery.record_microphone(attempt=(a := attempt()), peak_level=0.5,
                                               duration_ms=2000) and a),
        "langcert.delivery.services.record_tech_check": (
            "delivery.tech_check",
            lambda: delivery.record_tech_check(attempt=(a := attempt()),
                                               measurements=GOOD_DEVICE, beeps_played=3) and a),
        "langcert.delivery.services.start_or_resume": (
            "delivery.start",
            lambda: delivery.start_or_resume(attempt=(a := ready()), reloaded=False) and a),
        "langcert.delivery.services.submit": (
            "delivery.submit",
            lambda: delivery.submit(attempt=finished(), confirmation="CONFIRM")),
        "langcert.itembank.services.bank_import": ("itembank.import", lambda: None),
        "langcert.itembank.services.bank_export": (
            "itembank.export",
            lambda: itembank.bank_export(actor=board_user, language=(
                lang := synthetic_bank.first().language)) and lang),
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
    assert discovered_services() == set(cases) | set(NOT_AUDITED)


def test_every_service_writes_its_audit_row(cases, board_user):
    from tests.itembank.samples import sample

    for name, (action, call) in cases.items():
        target = call()
        rows = events_for(target) if target is not None else AuditEvent.objects.filter(
            target_type="")
        if name.endswith("bank_import"):
            from langcert.itembank.services import bank_import

            files = {"x.json": json.dumps({"format": "langcert-itembank/1", "language": "en",
                                           "items": [sample("gap_select")]}).encode()}
            assert bank_import(actor=board_user, files=files).ok
        rows = rows.filter(action=action)
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
