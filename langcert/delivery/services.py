"""The written test, step by step: sign-in, checks, adaptive sections, answers, incidents,
listening plays and submission. Timing is the server's: the browser only displays it.
"""

import random
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from langcert.centres.models import Entry
from langcert.centres.selectors import secret_matches
from langcert.core import crypto, identifiers, ratelimit
from langcert.core.audit import record_event
from langcert.delivery import adaptive, labels, techcheck
from langcert.delivery.models import (
    Attempt,
    AudioPlay,
    Delivery,
    ProctoringEvent,
    SectionRun,
    SkillScore,
    TechCheck,
)
from langcert.itembank.scoring import presentation, score_answer
from langcert.psychometrics import CatState, log_lik_grid, next_item, skill_result
from langcert.psychometrics.stopping import fixed_length_done

ANSWER_GRACE = timedelta(seconds=3)
MAX_PLAYS = 2
SUBMIT_WINDOW = timedelta(hours=24)
MAX_RESTARTS = 3
# Tight per (ID Number, address) pair; wider per ID Number (printed, so anyone could lock
# it out) and per address (a whole centre may sit behind one address).
SIGN_IN_LIMITS = {"test-sign-in-pair": 5, "test-sign-in-id": 30, "test-sign-in-ip": 100}
SIGN_IN_WINDOW_SECONDS = 30 * 60
MAX_PHOTO_BYTES = 3 * 1024 * 1024
MIN_RECORDING_MS = 1000
CLIENT_EVENT_KINDS = {
    ProctoringEvent.Kind.FOCUS_LOST, ProctoringEvent.Kind.FULLSCREEN_EXIT,
    ProctoringEvent.Kind.OFFLINE, ProctoringEvent.Kind.ONLINE,
}


class DeliveryError(Exception):
    """A step the candidate cannot take now; `code` tells the player what to show."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(message or code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Step:
    """What the player shows next: a question, a section change, the end, or a restart."""

    kind: str  # question | finished | submitted | stopped
    delivery: Delivery | None = None
    restarted: bool = False


# --- Signing in and the checks before the test ---------------------------------------------


def sign_in(*, id_number: str, secret: str, ip: str | None) -> Attempt:
    """The candidate's ID Number + Secret Number. Failures are limited per entry and per
    address and never say which half was wrong."""
    typed_id = identifiers.normalise(id_number)
    keys = [("test-sign-in-pair", f"{typed_id}|{ip}"), ("test-sign-in-id", typed_id),
            ("test-sign-in-ip", ip or "")]
    if any(ratelimit.is_limited(s, k, SIGN_IN_LIMITS[s]) for s, k in keys):
        raise DeliveryError("rate_limited", _("Too many attempts. Wait 30 minutes and try again."))
    entry = Entry.objects.select_related("session__exam").filter(id_number=typed_id).first()
    if entry is None:
        make_password(secret)  # the same work as a real check: no timing oracle
    if entry is None or not secret_matches(entry, secret):
        for scope, key in keys:
            ratelimit.count_attempt(scope, key, SIGN_IN_WINDOW_SECONDS)
        raise DeliveryError("bad_credentials",
                        _("This ID Number and Secret Number do not match. Check both."))
    if not entry.session.exam.is_adaptive:
        raise DeliveryError("not_adaptive", _("This entry has no online written test."))
    attempt, _created = Attempt.objects.get_or_create(entry=entry)
    record_event(actor=None, action="delivery.sign_in", target=attempt,
                 data={"ip_present": bool(ip)})
    return attempt


def _before_start(attempt: Attempt) -> None:
    """Checks belong before the test: evidence cannot be replaced once it has started."""
    if attempt.status != Attempt.Status.NOT_STARTED:
        raise ValidationError(_("The checks are closed: the test has started."))


def accept_rules(*, attempt: Attempt) -> Attempt:
    _before_start(attempt)
    with transaction.atomic():
        attempt.rules_accepted_at = timezone.now()
        attempt.save(update_fields=["rules_accepted_at"])
        record_event(actor=None, action="delivery.accept_rules", target=attempt)
    return attempt


def _is_image(data: bytes) -> bool:
    return data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")


def store_photo(*, attempt: Attempt, kind: str, data: bytes) -> Attempt:
    """Keep the face or ID photo, encrypted; a new photo replaces the old one."""
    _before_start(attempt)
    if kind not in ("face", "id"):
        raise ValidationError(_("Unknown photo."))
    if not _is_image(data) or len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(_("The photo could not be read. Take it again."))
    field = "face_photo" if kind == "face" else "id_photo"
    with transaction.atomic():
        old = getattr(attempt, field)
        setattr(attempt, field, crypto.store_encrypted(f"photos/{kind}", data))
        attempt.save(update_fields=[field])
        record_event(actor=None, action=f"delivery.photo_{kind}", target=attempt)
        transaction.on_commit(lambda: crypto.delete_encrypted(old))
    return attempt


def record_microphone(*, attempt: Attempt, peak_level: float, duration_ms: int) -> bool:
    """The server's verdict on the microphone test, from what the browser measured."""
    _before_start(attempt)
    heard = peak_level >= techcheck.MIN_MICROPHONE_PEAK and duration_ms >= MIN_RECORDING_MS
    with transaction.atomic():
        if heard:
            attempt.microphone_checked_at = timezone.now()
            attempt.save(update_fields=["microphone_checked_at"])
        record_event(actor=None, action="delivery.microphone", target=attempt,
                     data={"heard": heard, "peak": round(peak_level, 3)})
    return heard


def new_beep_challenge() -> int:
    """How many beeps the speaker test plays; the person types how many they heard."""
    return 2 + secrets.randbelow(4)


def record_tech_check(*, attempt: Attempt, measurements: dict[str, Any],
                      beeps_played: int) -> TechCheck:
    """Keep the browser's measurements and the server's verdict on each criterion."""
    results = techcheck.verdict(measurements, beeps_played)
    passed = all(results.values())
    kept = {key: measurements.get(key) for key in techcheck.MEASUREMENT_KEYS}
    with transaction.atomic():
        check = TechCheck.objects.create(attempt=attempt, measurements=kept, results=results,
                                         passed=passed)
        if passed and attempt.tech_check_passed_at is None:
            attempt.tech_check_passed_at = check.checked_at
            attempt.save(update_fields=["tech_check_passed_at"])
        record_event(actor=None, action="delivery.tech_check", target=attempt,
                     data={"passed": passed})
    return check


# --- The adaptive sections ----------------------------------------------------------------


def _locked(attempt: Attempt) -> Attempt:
    """The attempt's row, locked for this transaction (the row alone: no joined rows are
    locked); its entry, session and exam come from what the caller already loaded."""
    locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
    locked.entry = attempt.entry
    return locked


def _active_section(attempt: Attempt) -> SectionRun | None:
    return attempt.sections.filter(status=SectionRun.Status.ACTIVE).first()


def _seen_item_ids(attempt: Attempt) -> tuple[list[int], list[int]]:
    """Items this person saw before: (in earlier attempts, in abandoned runs of this one)."""
    candidate = attempt.entry.candidate
    people = candidate.account.candidate_records.all() if candidate.account_id else [candidate]
    seen = Delivery.objects.filter(section__attempt__entry__candidate__in=people)
    earlier = seen.exclude(section__attempt=attempt).values_list("item_id", flat=True)
    abandoned = seen.filter(section__attempt=attempt,
                            section__status=SectionRun.Status.ABANDONED)
    return list(earlier), list(abandoned.values_list("item_id", flat=True))


def _section_prior(attempt: Attempt, skill_index: int) -> tuple[float, float]:
    done = []
    for run in attempt.sections.filter(status=SectionRun.Status.COMPLETE):
        index = adaptive.SECTION_ORDER.index(run.skill)
        state = run.cat_state
        done.append((index, state["theta"], state["se"], state["prior_mean"], state["prior_sd"]))
    return adaptive.correlated_prior(done, skill_index)


def _open_section(attempt: Attempt) -> SectionRun:
    skill = adaptive.SECTION_ORDER[attempt.section_index]
    mean, sd = _section_prior(attempt, attempt.section_index)
    state = CatState(prior_mean=mean, prior_sd=sd)
    # What this person saw before cannot change during the run: look it up once.
    earlier, abandoned = _seen_item_ids(attempt)
    return SectionRun.objects.create(
        attempt=attempt, skill=skill,
        cat_state=state.to_dict() | {"seen_earlier": earlier, "seen_abandoned": abandoned})


def _serve(attempt: Attempt, run: SectionRun, now: datetime) -> Delivery | None:
    """Choose and record the next question of the section (None when it is complete)."""
    bank = adaptive.skill_bank(attempt.entry.session.exam.language_id, run.skill)
    state = CatState.from_dict(run.cat_state)
    item_id = _choose(attempt, run, bank, state)
    run.cat_state = run.cat_state | state.to_dict()  # keeps the section's own keys
    run.save(update_fields=["cat_state"])
    if item_id is None:
        return None
    item = bank.items[item_id]
    attempt.questions_served += 1
    attempt.save(update_fields=["questions_served"])
    return Delivery.objects.create(
        section=run, item=item, number=attempt.questions_served,
        scored=item.status == item.Status.LIVE,
        presentation=presentation(item.type, item.content, random.Random(secrets.randbits(64))),
        served_at=now, deadline=now + timedelta(seconds=item.time_limit),
    )


def _choose(attempt: Attempt, run: SectionRun, bank: adaptive.Bank,
            state: CatState) -> int | None:
    """The engine's next item. Items seen before are avoided; when a small bank runs out,
    those from abandoned runs come back first, then those of earlier attempts, so that a
    section always has its ten questions."""
    rng = np.random.default_rng(secrets.randbits(64))
    cuts = adaptive.skill_cuts(attempt.entry.session.exam.scoring_scheme, run.skill)
    earlier, abandoned = ([i for i in run.cat_state.get(key, []) if i in bank.items]
                          for key in ("seen_earlier", "seen_abandoned"))
    for excluded in (earlier + abandoned, earlier, []):
        item_id = next_item(bank.pool, state, rng, bank.config, excluded_ids=excluded,
                            cuts=cuts)
        if item_id is not None or fixed_length_done(state.scored, bank.config.test_length):
            return item_id
    return None


def _finish_section(attempt: Attempt, run: SectionRun, now: datetime) -> None:
    bank = adaptive.skill_bank(attempt.entry.session.exam.language_id, run.skill)
    state = CatState.from_dict(run.cat_state)
    result = _skill_result(bank, state, attempt, run.skill)
    run.cat_state = run.cat_state | state.to_dict() | {"theta": result.theta, "se": result.se}
    run.status, run.ended_at = SectionRun.Status.COMPLETE, now
    run.save(update_fields=["cat_state", "status", "ended_at"])
    attempt.section_index += 1
    attempt.save(update_fields=["section_index"])


def _skill_result(bank: adaptive.Bank, state: CatState, attempt: Attempt, skill: str):
    scored = [i for i, s in zip(state.item_ids, state.scored, strict=True) if s]
    points = [r for r, s in zip(state.responses, state.scored, strict=True) if s]
    log_lik = log_lik_grid(bank.pool, bank.pool.index_of(scored), points) if scored else \
        log_lik_grid(bank.pool, [], [])
    cuts = adaptive.skill_cuts(attempt.entry.session.exam.scoring_scheme, skill)
    return skill_result(log_lik, cuts, prior_mean=state.prior_mean, prior_sd=state.prior_sd)


def _advance(attempt: Attempt, now: datetime, run: SectionRun | None = None) -> Step:
    """Serve the next question, opening sections as earlier ones complete. `run` is the
    active section when the caller already holds it (with unsaved answers in its state)."""
    while attempt.section_index < len(adaptive.SECTION_ORDER):
        run = run or _active_section(attempt) or _open_section(attempt)
        delivery = _serve(attempt, run, now)
        if delivery is not None:
            return Step("question", delivery)
        _finish_section(attempt, run, now)
        run = None
    attempt.status, attempt.finished_at = Attempt.Status.FINISHED, now
    attempt.save(update_fields=["status", "finished_at"])
    record_event(actor=None, action="delivery.finish", target=attempt)
    return Step("finished")


def _restart_section(attempt: Attempt, reason: str, now: datetime) -> Step:
    """An incident: abandon the current run; the section starts again with new questions."""
    run = _active_section(attempt)
    if run is not None:
        run.deliveries.filter(status=Delivery.Status.PENDING).update(status=Delivery.Status.VOID)
        run.status, run.ended_at = SectionRun.Status.ABANDONED, now
        run.save(update_fields=["status", "ended_at"])
    attempt.restarts += 1
    ProctoringEvent.objects.create(attempt=attempt, kind=ProctoringEvent.Kind.SECTION_RESTART,
                                   data={"reason": reason, "section": attempt.section_index})
    if attempt.restarts > MAX_RESTARTS:
        attempt.status = Attempt.Status.STOPPED
        attempt.save(update_fields=["restarts", "status"])
        ProctoringEvent.objects.create(attempt=attempt, kind=ProctoringEvent.Kind.STOPPED)
        record_event(actor=None, action="delivery.stopped", target=attempt)
        return Step("stopped")
    attempt.save(update_fields=["restarts"])
    step = _advance(attempt, now)
    return Step(step.kind, step.delivery, restarted=True)


def _as_uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise ValidationError(_("The answer has no valid key.")) from error


def _current(attempt: Attempt) -> Delivery | None:
    return Delivery.objects.filter(section__attempt=attempt, section__status="active",
                                   status=Delivery.Status.PENDING).select_related("item").first()


def start_or_resume(*, attempt: Attempt, reloaded: bool, now: datetime | None = None) -> Step:
    """The player opened. A reload in the middle of a section restarts that section."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = _locked(attempt)
        status = attempt.status
        if status == Attempt.Status.STOPPED:
            return Step("stopped")
        if status in (Attempt.Status.FINISHED, Attempt.Status.SUBMITTED):
            return Step(status)
        if not attempt.tech_check_passed_at:
            raise DeliveryError("tech_check_needed", _("Run the technical check first."))
        if not attempt.checks_done:
            raise DeliveryError("checks_needed", _("Finish the checks before the test."))
        session = attempt.entry.session
        if not session.opens_at <= now <= session.closes_at and status != "in_progress":
            raise DeliveryError("window_closed", _("The test is not open now."))
        if status != Attempt.Status.IN_PROGRESS:
            attempt.status, attempt.started_at = Attempt.Status.IN_PROGRESS, now
            attempt.save(update_fields=["status", "started_at"])
            record_event(actor=None, action="delivery.start", target=attempt)
            return _advance(attempt, now)
        run = _active_section(attempt)
        if reloaded and run is not None and run.deliveries.exists():
            ProctoringEvent.objects.create(attempt=attempt, kind=ProctoringEvent.Kind.RELOAD)
            return _restart_section(attempt, "reload", now)
        current = _current(attempt)
        return Step("question", current) if current else _advance(attempt, now)


def restart_section(*, attempt: Attempt, now: datetime | None = None) -> Step:
    """The candidate pressed the refresh button after a technical incident."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = _locked(attempt)
        if attempt.status != Attempt.Status.IN_PROGRESS:
            raise DeliveryError("not_in_progress", _("The test is not in progress."))
        return _restart_section(attempt, "refresh_button", now)


def answer(
    *, attempt: Attempt, delivery_id: Any, given: Any, answer_key: Any,
    now: datetime | None = None,
) -> Step:
    """Record the answer to the current question (None: time ran out) and serve the next.

    Sending the same answer twice (same key) is harmless. An answer that reaches the
    server after the question's deadline plus a short grace does not count: the section
    starts again, as after any incident.
    """
    now = now or timezone.now()
    with transaction.atomic():
        attempt = _locked(attempt)
        delivery = Delivery.objects.select_related("item", "section").filter(
            section__attempt=attempt, public_id=delivery_id).first()
        if delivery is None:
            raise DeliveryError("unknown_question")
        if delivery.status != Delivery.Status.PENDING:
            if delivery.answer_key is not None and delivery.answer_key == _as_uuid(answer_key):
                current = _current(attempt)
                status = attempt.status
                return Step("question", current) if current else Step(
                    status if status in ("finished", "submitted", "stopped") else "finished")
            raise DeliveryError("already_answered")
        if attempt.status != Attempt.Status.IN_PROGRESS:
            raise DeliveryError("not_in_progress")
        if now > delivery.deadline + ANSWER_GRACE:
            ProctoringEvent.objects.create(attempt=attempt, kind=ProctoringEvent.Kind.LATE_ANSWER,
                                           data={"question": delivery.number})
            return _restart_section(attempt, "late_answer", now)
        item = delivery.item
        delivery.answer = given
        delivery.answer_key = _as_uuid(answer_key)
        delivery.answered_at = now
        delivery.points = score_answer(item.type, item.content, given)
        delivery.status = Delivery.Status.ANSWERED if given is not None else \
            Delivery.Status.TIMED_OUT
        delivery.save(update_fields=["answer", "answer_key", "answered_at", "points", "status"])
        run = delivery.section
        state = CatState.from_dict(run.cat_state)
        state.record(item.pk, delivery.points, scored=delivery.scored)
        run.cat_state = run.cat_state | state.to_dict()  # saved once, after the next choice
        return _advance(attempt, now, run)


def reopen_stopped(*, actor: Any, attempt: Attempt, reason: str,
                   request: Any = None) -> Attempt:
    """Board staff let a test stopped after too many restarts go on (e.g. a proven network
    failure); the candidate resumes with the stopped section, from its start."""
    if getattr(actor, "role", None) != "board":
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for reopening the test.")})
    with transaction.atomic():
        attempt = _locked(attempt)
        if attempt.status != Attempt.Status.STOPPED:
            raise ValidationError(_("Only a stopped test can be reopened."))
        attempt.status, attempt.restarts = Attempt.Status.IN_PROGRESS, 0
        attempt.save(update_fields=["status", "restarts"])
        ProctoringEvent.objects.create(attempt=attempt, kind=ProctoringEvent.Kind.REOPENED,
                                       data={"by": actor.pk})
        record_event(actor=actor, action="delivery.reopen", target=attempt, request=request,
                     data={"reason": reason[:500]})
    return attempt


def issue_audio_play(*, attempt: Attempt, delivery_id: Any) -> str:
    """A single-use token for one more play of the current listening clip."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("item").filter(
            section__attempt=attempt, public_id=delivery_id,
            status=Delivery.Status.PENDING).first()
        if delivery is None or delivery.item.type != "listening":
            raise DeliveryError("unknown_question")
        if delivery.plays >= min(delivery.item.content.get("max_plays", MAX_PLAYS), MAX_PLAYS):
            raise DeliveryError("no_more_plays", _("You have already listened twice."))
        delivery.plays += 1
        delivery.save(update_fields=["plays"])
        return AudioPlay.objects.create(delivery=delivery,
                                        token=secrets.token_urlsafe(32)).token


def use_audio_play(*, attempt: Attempt, token: str) -> bytes:
    """The clip, once per token."""
    with transaction.atomic():
        play = AudioPlay.objects.select_for_update().select_related("delivery__item").filter(
            token=token, delivery__section__attempt=attempt, used_at__isnull=True,
            delivery__status=Delivery.Status.PENDING).first()
        if play is None:
            raise PermissionDenied
        play.used_at = timezone.now()
        play.save(update_fields=["used_at"])
    with play.delivery.item.audio.open("rb") as clip:
        return clip.read()


def log_client_event(*, attempt: Attempt, kind: str, data: dict[str, Any]) -> None:
    if kind not in CLIENT_EVENT_KINDS:
        raise ValidationError(_("Unknown event."))
    data = data if isinstance(data, dict) else {}
    clean = {key: data[key] for key in ("question", "seconds") if isinstance(
        data.get(key), int | float)}
    ProctoringEvent.objects.create(attempt=attempt, kind=kind, data=clean)


def submit(*, attempt: Attempt, confirmation: str, now: datetime | None = None) -> Attempt:
    """The typed confirmation sends the test; the per-skill results are stored then."""
    now = now or timezone.now()
    with transaction.atomic():
        attempt = _locked(attempt)
        if attempt.status == Attempt.Status.SUBMITTED:
            return attempt
        if attempt.status != Attempt.Status.FINISHED:
            raise DeliveryError("not_finished", _("Answer every question before sending."))
        if (confirmation or "").strip().upper() not in labels.confirm_words():
            raise DeliveryError("confirmation", _("Type the word exactly as shown."))
        if now > attempt.finished_at + SUBMIT_WINDOW:
            raise DeliveryError("too_late", _("More than 24 hours have passed since the end."))
        _store_scores(attempt)
        attempt.status, attempt.submitted_at = Attempt.Status.SUBMITTED, now
        attempt.save(update_fields=["status", "submitted_at"])
        record_event(actor=None, action="delivery.submit", target=attempt)
    return attempt


def _store_scores(attempt: Attempt) -> None:
    language_id = attempt.entry.session.exam.language_id
    for run in attempt.sections.filter(status=SectionRun.Status.COMPLETE):
        bank = adaptive.skill_bank(language_id, run.skill)
        state = CatState.from_dict(run.cat_state)
        result = _skill_result(bank, state, attempt, run.skill)
        SkillScore.objects.update_or_create(
            attempt=attempt, skill=run.skill,
            defaults={"theta": result.theta, "se": result.se, "level": result.level,
                      "band_probabilities": result.band_probabilities,
                      "answered": run.deliveries.filter(status=Delivery.Status.ANSWERED,
                                                        scored=True).count()},
        )
