"""The written test through its services: sections, timing, incidents, plays, submission."""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from langcert.delivery import services
from langcert.delivery.adaptive import SECTION_ORDER
from langcert.delivery.models import Attempt, Delivery, ProctoringEvent, SectionRun, SkillScore
from langcert.delivery.services import DeliveryError

pytestmark = pytest.mark.django_db


def take_section(attempt, step, answer="right"):
    """Answer the ten questions of the current section; return the step after them."""
    skill = step.delivery.section.skill
    while step.kind == "question" and step.delivery.section.skill == skill:
        step = services.answer(attempt=attempt, delivery_id=step.delivery.public_id,
                               given=answer, answer_key=uuid4())
    return step


def test_sign_in_needs_the_right_pair_and_never_says_which_half_is_wrong(enrolled,
                                                                        synthetic_bank):
    entry, secret = enrolled
    with pytest.raises(DeliveryError) as wrong_secret:
        services.sign_in(id_number=entry.id_number, secret="ABCD-EFGH", ip="203.0.113.9")
    with pytest.raises(DeliveryError) as wrong_id:
        services.sign_in(id_number="ZZZZ-ZZZZ", secret=secret, ip="203.0.113.9")
    assert wrong_secret.value.message == wrong_id.value.message
    attempt = services.sign_in(id_number=entry.id_number.lower(), secret=secret.lower(),
                               ip="203.0.113.9")
    assert attempt.entry == entry and attempt.status == Attempt.Status.NOT_STARTED


def test_sign_in_is_locked_after_repeated_wrong_secrets(enrolled, synthetic_bank):
    entry, secret = enrolled
    for _ in range(5):
        with pytest.raises(DeliveryError):
            services.sign_in(id_number=entry.id_number, secret="WRONG-WRNG", ip="203.0.113.10")
    with pytest.raises(DeliveryError) as locked:
        services.sign_in(id_number=entry.id_number, secret=secret, ip="203.0.113.10")
    assert locked.value.code == "rate_limited"
    # Someone guessing from one address cannot lock the candidate out everywhere.
    assert services.sign_in(id_number=entry.id_number, secret=secret, ip="192.0.2.99")


def test_photos_are_stored_encrypted(ready_attempt):
    for name in (ready_attempt.face_photo, ready_attempt.id_photo):
        with default_storage.open(name, "rb") as stored:
            raw = stored.read()
        assert not raw.startswith(b"\xff\xd8") and b"JFIF" not in raw
        from langcert.core.crypto import read_encrypted

        assert read_encrypted(name).startswith(b"\xff\xd8\xff")
    with pytest.raises(Exception):
        services.store_photo(attempt=ready_attempt, kind="face", data=b"<svg>not a photo")


def test_a_silent_microphone_is_not_accepted(enrolled, synthetic_bank):
    entry, secret = enrolled
    attempt = services.sign_in(id_number=entry.id_number, secret=secret, ip=None)
    assert not services.record_microphone(attempt=attempt, peak_level=0.001, duration_ms=3000)
    attempt.refresh_from_db()
    assert attempt.microphone_checked_at is None


def test_the_test_does_not_open_before_the_checks_or_outside_the_window(enrolled,
                                                                       ready_attempt):
    entry, secret = enrolled
    fresh = services.sign_in(id_number=entry.id_number, secret=secret, ip=None)
    fresh.face_photo = ""
    fresh.save()
    with pytest.raises(DeliveryError) as raised:
        services.start_or_resume(attempt=fresh, reloaded=False)
    assert raised.value.code == "checks_needed"
    ready_attempt.refresh_from_db()
    ready_attempt.face_photo = "private/photos/face/x.bin"
    ready_attempt.save()
    too_early = entry.session.opens_at - timedelta(minutes=5)
    with pytest.raises(DeliveryError) as raised:
        services.start_or_resume(attempt=ready_attempt, reloaded=False, now=too_early)
    assert raised.value.code == "window_closed"


def test_five_sections_of_ten_in_the_guides_order_then_submission(ready_attempt):
    step = services.start_or_resume(attempt=ready_attempt, reloaded=False)
    skills_seen, numbers = [], []
    while step.kind == "question":
        delivery = step.delivery
        skills_seen.append(delivery.section.skill)
        numbers.append(delivery.number)
        correct = delivery.number % 3 != 0
        step = services.answer(attempt=ready_attempt, delivery_id=delivery.public_id,
                               given="right" if correct else "wrong", answer_key=uuid4())
    assert step.kind == "finished"
    assert numbers == list(range(1, 51))
    assert [skills_seen[i * 10] for i in range(5)] == list(SECTION_ORDER)
    assert all(len(set(skills_seen[i * 10:(i + 1) * 10])) == 1 for i in range(5))
    with pytest.raises(DeliveryError):
        services.submit(attempt=ready_attempt, confirmation="confirmed")
    services.submit(attempt=ready_attempt, confirmation=" confirmer ")
    ready_attempt.refresh_from_db()
    assert ready_attempt.status == Attempt.Status.SUBMITTED
    scores = {s.skill: s for s in SkillScore.objects.filter(attempt=ready_attempt)}
    assert set(scores) == set(SECTION_ORDER)
    for score in scores.values():
        assert score.level in {"A1", "A2", "B1", "B2", "C1", "C2"}
        assert abs(sum(score.band_probabilities.values()) - 1) < 1e-6
        assert 0 < score.se < 1
    # Sending again changes nothing.
    services.submit(attempt=ready_attempt, confirmation="CONFIRM")
    assert SkillScore.objects.filter(attempt=ready_attempt).count() == 5


def test_the_same_answer_sent_twice_counts_once(ready_attempt):
    step = services.start_or_resume(attempt=ready_attempt, reloaded=False)
    key = uuid4()
    first = services.answer(attempt=ready_attempt, delivery_id=step.delivery.public_id,
                            given="right", answer_key=key)
    again = services.answer(attempt=ready_attempt, delivery_id=step.delivery.public_id,
                            given="right", answer_key=key)
    assert first.delivery.pk == again.delivery.pk
    with pytest.raises(DeliveryError) as raised:
        services.answer(attempt=ready_attempt, delivery_id=step.delivery.public_id,
                        given="wrong", answer_key=uuid4())
    assert raised.value.code == "already_answered"
    run = SectionRun.objects.get(attempt=ready_attempt, status="active")
    assert run.cat_state["responses"] == [1]


def test_time_running_out_counts_as_no_answer_and_the_test_goes_on(ready_attempt):
    step = services.start_or_resume(attempt=ready_attempt, reloaded=False)
    at_deadline = step.delivery.deadline + timedelta(seconds=1)
    after = services.answer(attempt=ready_attempt, delivery_id=step.delivery.public_id,
                            given=None, answer_key=uuid4(), now=at_deadline)
    timed_out = Delivery.objects.get(pk=step.delivery.pk)
    assert (timed_out.status, timed_out.points) == (Delivery.Status.TIMED_OUT, 0)
    assert after.kind == "question" and not after.restarted


def test_a_late_answer_does_not_count_and_restarts_the_section(ready_attempt):
    step = services.start_or_resume(attempt=ready_attempt, reloaded=False)
    step = services.answer(attempt=ready_attempt, delivery_id=step.delivery.public_id,
                           given="right", answer_key=uuid4())
    late = step.delivery.deadline + timedelta(seconds=10)
    restarted = services.answer(attempt=ready_attempt, delivery_id=step.delivery.public_id,
                                given="right", answer_key=uuid4(), now=late)
    assert restarted.restarted and restarted.delivery.number == 3  # numbering goes on
    assert Delivery.objects.get(pk=step.delivery.pk).status == Delivery.Status.VOID
    kinds = list(ProctoringEvent.objects.filter(attempt=ready_attempt)
                 .values_list("kind", flat=True))
    assert kinds == ["late_answer", "section_restart"]


def test_a_reload_restarts_the_section_with_new_questions(ready_attempt):
    step = services.start_or_resume(attempt=ready_attempt, reloaded=False)
    first_items = set()
    for _ in range(4):
        first_items.add(step.delivery.item_id)
        step = services.answer(attempt=ready_attempt, delivery_id=step.delivery.public_id,
                               given="right", answer_key=uuid4())
    first_items.add(step.delivery.item_id)
    restarted = services.start_or_resume(attempt=ready_attempt, reloaded=True)
    assert restarted.restarted and restarted.delivery.number == 6
    new_items = set()
    step = restarted
    while step.kind == "question" and step.delivery.section.skill == "vocabulary":
        new_items.add(step.delivery.item_id)
        step = services.answer(attempt=ready_attempt, delivery_id=step.delivery.public_id,
                               given="right", answer_key=uuid4())
    assert len(new_items) == 10 and not new_items & first_items
    assert SectionRun.objects.filter(attempt=ready_attempt, status="abandoned").count() == 1
    # Resuming without a reload (e.g. after an answer) does not restart anything.
    again = services.start_or_resume(attempt=ready_attempt, reloaded=False)
    assert not again.restarted and again.delivery.pk == step.delivery.pk


def test_too_many_restarts_stop_the_test(ready_attempt):
    services.start_or_resume(attempt=ready_attempt, reloaded=False)
    for _ in range(services.MAX_RESTARTS):
        assert services.restart_section(attempt=ready_attempt).kind == "question"
    assert services.restart_section(attempt=ready_attempt).kind == "stopped"
    ready_attempt.refresh_from_db()
    assert ready_attempt.status == Attempt.Status.STOPPED
    with pytest.raises(DeliveryError):
        services.answer(attempt=ready_attempt, delivery_id=uuid4(), given="x", answer_key=uuid4())


def test_board_staff_reopen_a_stopped_test(ready_attempt, board_user, centre_user):
    services.start_or_resume(attempt=ready_attempt, reloaded=False)
    for _ in range(services.MAX_RESTARTS + 1):
        services.restart_section(attempt=ready_attempt)
    with pytest.raises(PermissionDenied):
        services.reopen_stopped(actor=centre_user, attempt=ready_attempt, reason="network")
    with pytest.raises(ValidationError):
        services.reopen_stopped(actor=board_user, attempt=ready_attempt, reason=" ")
    services.reopen_stopped(actor=board_user, attempt=ready_attempt, reason="Centre outage")
    step = services.start_or_resume(attempt=ready_attempt, reloaded=True)
    assert step.kind == "question" and step.delivery.section.skill == "vocabulary"


def test_a_listening_clip_plays_at_most_twice_each_through_a_single_use_link(ready_attempt):
    step = services.start_or_resume(attempt=ready_attempt, reloaded=False)
    for _ in range(4):
        step = take_section(ready_attempt, step)
    assert step.delivery.section.skill == "listening"
    tokens = [services.issue_audio_play(attempt=ready_attempt, delivery_id=step.delivery.public_id)
              for _ in range(2)]
    with pytest.raises(DeliveryError) as third:
        services.issue_audio_play(attempt=ready_attempt, delivery_id=step.delivery.public_id)
    assert third.value.code == "no_more_plays"
    assert services.use_audio_play(attempt=ready_attempt, token=tokens[0]).startswith(b"OggS")
    with pytest.raises(PermissionDenied):
        services.use_audio_play(attempt=ready_attempt, token=tokens[0])


def test_submission_is_refused_after_24_hours(ready_attempt):
    step = services.start_or_resume(attempt=ready_attempt, reloaded=False)
    while step.kind == "question":
        step = services.answer(attempt=ready_attempt, delivery_id=step.delivery.public_id,
                               given="right", answer_key=uuid4())
    ready_attempt.refresh_from_db()
    late = ready_attempt.finished_at + timedelta(hours=24, minutes=1)
    with pytest.raises(DeliveryError) as raised:
        services.submit(attempt=ready_attempt, confirmation="CONFIRM", now=late)
    assert raised.value.code == "too_late"
    services.submit(attempt=ready_attempt, confirmation="CONFIRM",
                    now=ready_attempt.finished_at + timedelta(hours=23))


def test_a_strong_candidate_scores_higher_than_a_weak_one(ready_attempt, centre_user,
                                                          open_session, synthetic_bank):
    from langcert.centres.services import entry_enrol
    from tests.conftest import person

    step = services.start_or_resume(attempt=ready_attempt, reloaded=False)
    step = take_section(ready_attempt, step, answer="right")
    strong = SectionRun.objects.get(attempt=ready_attempt, status="complete").cat_state
    other = entry_enrol(actor=centre_user, session=open_session,
                        data=person(first_name="Weak", id_document_number="W1"))
    weak_attempt = Attempt.objects.create(
        entry=other, rules_accepted_at=timezone.now(), face_photo="x", id_photo="y",
        microphone_checked_at=timezone.now(), tech_check_passed_at=timezone.now())
    step = services.start_or_resume(attempt=weak_attempt, reloaded=False)
    take_section(weak_attempt, step, answer="wrong")
    weak = SectionRun.objects.get(attempt=weak_attempt, status="complete").cat_state
    assert strong["theta"] > 1.0 > -1.0 > weak["theta"]


def test_a_section_keeps_its_ten_questions_when_a_small_bank_runs_out(ready_attempt):
    from langcert.itembank.models import Item

    # Leave 12 vocabulary items: after a restart following 4 answers, only 8 are unseen.
    vocabulary = Item.objects.filter(skill="vocabulary").order_by("code")
    Item.objects.filter(pk__in=[i.pk for i in vocabulary[12:]]).update(status="retired")
    step = services.start_or_resume(attempt=ready_attempt, reloaded=False)
    for _ in range(4):
        step = services.answer(attempt=ready_attempt, delivery_id=step.delivery.public_id,
                               given="right", answer_key=uuid4())
    step = services.restart_section(attempt=ready_attempt)
    step = take_section(ready_attempt, step)
    run = SectionRun.objects.get(attempt=ready_attempt, skill="vocabulary", status="complete")
    assert sum(run.cat_state["scored"]) == 10
    assert step.delivery.section.skill == "grammar"
