"""The adaptive result from the written test and the oral, the board's review, the release
at the scheduled time and withdrawal."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from langcert.core.audit import events_for
from langcert.core.models import OutboundEmail
from langcert.core.roles import Role
from langcert.delivery.models import Attempt, ProctoringEvent, SkillScore
from langcert.oral import services as oral
from langcert.results import services
from langcert.results.models import Result
from langcert.verification.models import Organisation, OrganisationMember, Share
from tests.oral.conftest import first_free

pytestmark = pytest.mark.django_db

WRITTEN = {"vocabulary": "B2", "grammar": "B2", "expressions": "C1", "reading": "B1",
           "listening": "B2"}
ORAL = {"vocabulary_range": "B2", "grammar_syntax": "B1", "fluency": "B2",
        "pronunciation": "C1", "interaction": "B2"}


@pytest.fixture
def interviewed(ready_attempt, evaluator, tomorrow_window, django_capture_on_commit_callbacks):
    """score(written, oral, target) -> Result: a sent written test, an interview booked
    and scored by the evaluator, as the services do it."""

    def score(written=WRITTEN, oral_levels=ORAL, target="B2", clean=True):
        attempt = ready_attempt
        entry = attempt.entry
        entry.target_level = target
        entry.save()
        attempt.status, attempt.started_at = Attempt.Status.SUBMITTED, timezone.now()
        attempt.submitted_at, attempt.face_photo, attempt.id_photo = timezone.now(), "f", "i"
        attempt.save()
        for skill, level in written.items():
            SkillScore.objects.create(attempt=attempt, skill=skill, theta=0, se=0.3, level=level,
                                      band_probabilities={}, answered=10)
        if not clean:
            ProctoringEvent.objects.create(attempt=attempt, kind=ProctoringEvent.Kind.FOCUS_LOST)
        with django_capture_on_commit_callbacks(execute=True):
            booking = oral.booking_create(actor=None, entry=entry, starts_at=first_free(entry))
            oral.interview_score(actor=evaluator.user, booking=booking, outcome="scored",
                                 id_document_checked=True, levels=oral_levels)
        return Result.objects.get(entry=entry)

    return score


def test_scoring_the_oral_computes_the_result_by_the_policy(interviewed):
    result = interviewed()
    assert (result.written_level, result.oral_level, result.cefr_level) == ("B2", "B2", "B2")
    assert result.certificate and result.outcome == "certificate"
    assert [s["cefr"] for s in result.skills] == ["B2", "B2", "C1", "B1", "B2"]
    assert result.oral_criteria == ORAL
    assert result.status == Result.Status.PENDING_REVIEW
    assert events_for(result).filter(action="results.computed").exists()


def test_target_above_the_final_level_gives_the_attestation_only(interviewed):
    result = interviewed(target="C1")
    assert result.cefr_level == "B2" and not result.certificate
    assert result.outcome == "attestation"


def test_final_level_is_the_lower_of_written_and_oral(interviewed):
    result = interviewed(oral_levels=dict.fromkeys(ORAL, "B1"), target="B2")
    assert (result.written_level, result.oral_level, result.cefr_level) == ("B2", "B1", "B1")
    assert not result.certificate


def test_c2_always_earns_the_certificate(interviewed):
    result = interviewed(written=dict.fromkeys(WRITTEN, "C2"),
                         oral_levels=dict.fromkeys(ORAL, "C2"), target="")
    assert result.cefr_level == "C2" and result.certificate


def test_release_waits_for_the_latest_of_planned_date_oral_and_approval(interviewed, board_user):
    result = interviewed()
    booking = result.entry.oral_bookings.get()
    planned = result.entry.session.results_release_at
    assert result.earliest_release_at == max(planned, booking.starts_at + timedelta(hours=72))
    services.result_approve(actor=board_user, result=result)
    result.refresh_from_db()
    assert result.release_at == result.earliest_release_at


@pytest.fixture
def approved(interviewed, board_user, django_capture_on_commit_callbacks):
    result = interviewed()
    services.result_approve(actor=board_user, result=result)
    result.refresh_from_db()
    return result


def released_emails(result):
    return OutboundEmail.objects.filter(idempotency_key=f"result_released:{result.pk}")


def test_scheduled_release_with_a_frozen_clock_emails_once(approved, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    due = approved.release_at
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        assert services.release_due_results() == 0
    approved.refresh_from_db()
    assert approved.status == Result.Status.APPROVED
    with time_machine.travel(due, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert services.release_due_results() == 1
        assert services.release_due_results() == 0  # the next run finds nothing
    approved.refresh_from_db()
    assert approved.status == Result.Status.RELEASED and approved.released_at == due
    assert released_emails(approved).count() == 1
    sent = [m for m in mailoutbox if "available" in m.subject or "disponibles" in m.subject]
    assert len(sent) == 1 and sent[0].to == [approved.entry.candidate.email]


def test_approval_after_the_planned_time_releases_at_the_next_run(interviewed, board_user):
    result = interviewed()
    late = result.earliest_release_at + timedelta(days=2)
    with time_machine.travel(late, tick=False):
        assert services.release_due_results() == 0  # not approved yet: "under review"
        services.result_approve(actor=board_user, result=result)
        result.refresh_from_db()
        assert result.release_at == late
        assert services.release_due_results() == 1


def test_a_held_result_is_not_released_and_needs_a_reason(approved, board_user):
    with pytest.raises(Exception, match="why|pourquoi"):
        services.result_hold(actor=board_user, result=approved, reason="  ")
    services.result_hold(actor=board_user, result=approved, reason="Second face in the photo")
    with time_machine.travel(approved.release_at + timedelta(days=1), tick=False):
        assert services.release_due_results() == 0
    approved.refresh_from_db()
    assert approved.status == Result.Status.HELD and approved.release_at is None


def test_bulk_approval_takes_clean_cases_only(interviewed, board_user, ready_attempt):
    flagged = interviewed(clean=False)
    assert services.results_approve_clean(actor=board_user, results=[flagged]) == 0
    flagged.refresh_from_db()
    assert flagged.status == Result.Status.PENDING_REVIEW


def test_bulk_approval_approves_a_clean_case(interviewed, board_user):
    clean = interviewed()
    assert services.results_approve_clean(actor=board_user, results=[clean]) == 1
    clean.refresh_from_db()
    assert clean.status == Result.Status.APPROVED


@pytest.fixture
def shared_with_university(advanced_result, make_user):
    university = Organisation.objects.create(name="Université de Test", kind="university",
                                             status=Organisation.Status.APPROVED)
    for primary in (True, False):
        OrganisationMember.objects.create(organisation=university, is_primary=primary,
                                          user=make_user(Role.ORGANISATION))
    return Share.objects.create(result=advanced_result, organisation=university)


def test_withdrawal_tells_the_candidate_and_every_sharing_organisation(
        shared_with_university, board_user, mailoutbox, django_capture_on_commit_callbacks):
    result = shared_with_university.result
    with pytest.raises(Exception, match="reason"):
        services.result_withdraw(actor=board_user, result=result, reason="bored", note="x")
    with django_capture_on_commit_callbacks(execute=True):
        services.result_withdraw(actor=board_user, result=result, reason="malpractice",
                                 note="Impersonation found at the speaking test")
    result.refresh_from_db()
    assert result.status == Result.Status.WITHDRAWN
    shared_with_university.refresh_from_db()
    assert shared_with_university.revoked_at is not None
    members = {m.user.email for m in shared_with_university.organisation.members.all()}
    told = {m.to[0] for m in mailoutbox if result.statement_number_display in m.body}
    assert told == members
    assert any(m.to == [result.entry.candidate.email] for m in mailoutbox)
    assert events_for(result).filter(action="results.withdraw").exists()
    with pytest.raises(Exception, match="released|publié"):
        services.result_withdraw(actor=board_user, result=result, reason="error", note="again")


# --- Board pages -----------------------------------------------------------------------
def test_board_reviews_a_result_in_its_pages(client, board_user, interviewed):
    result = interviewed()
    client.force_login(board_user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("results:reviews"))
    assert result.entry.candidate.full_name in page.content.decode()
    detail = client.get(reverse("results:detail", args=[result.public_id]))
    assert detail.status_code == 200 and "ID document checked" in detail.content.decode()
    assert events_for(result).filter(action="results.view").exists()
    client.post(reverse("results:review", args=[result.public_id]), {"decision": "approve"})
    result.refresh_from_db()
    assert result.status == Result.Status.APPROVED


def test_bulk_approval_through_the_page(client, board_user, interviewed):
    result = interviewed()
    client.force_login(board_user)
    client.post(reverse("results:reviews"), {"result": [str(result.public_id)]})
    result.refresh_from_db()
    assert result.status == Result.Status.APPROVED


def test_dashboard_shows_sessions_levels_and_scheduled_releases(client, board_user, approved,
                                                                advanced_result):
    client.force_login(board_user)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("results:dashboard")).content.decode()
    assert advanced_result.entry.session.code in html
    assert approved.entry.session.code in html
    assert 'id="chart-use_of_english"' in html and 'id="chart-overall"' in html
    assert approved.statement_number_display in html  # scheduled release
    exam_id = advanced_result.entry.session.exam_id
    filtered = client.get(reverse("results:dashboard"), {"exam": exam_id})
    assert approved.entry.session.code not in filtered.content.decode()


def test_result_pages_are_for_board_staff_only(client, centre_user, advanced_result):
    client.force_login(centre_user)
    for url in (reverse("results:dashboard"), reverse("results:reviews"),
                reverse("results:detail", args=[advanced_result.public_id])):
        assert client.get(url).status_code in (403, 404)
    response = client.post(reverse("results:withdraw", args=[advanced_result.public_id]),
                           {"reason": "error", "note": "x"})
    assert response.status_code in (403, 404)
    advanced_result.refresh_from_db()
    assert advanced_result.status == Result.Status.RELEASED


def test_what_the_candidate_is_told_at_each_stage(interviewed, board_user):
    from langcert.results.selectors import candidate_result_state

    result = interviewed()
    entry = result.entry
    state = candidate_result_state(entry)
    assert state["state"] == "scheduled" and state["release_at"] == result.earliest_release_at
    after = result.earliest_release_at + timedelta(minutes=5)
    assert candidate_result_state(entry, now=after)["state"] == "under_review"
    services.result_approve(actor=board_user, result=result)
    assert candidate_result_state(entry, now=after)["state"] == "scheduled"
    with time_machine.travel(after, tick=False):
        services.release_due_results()
    state = candidate_result_state(entry)
    assert state["state"] == "released" and state["result"] == result
    services.result_withdraw(actor=board_user, result=result, reason="error", note="marks")
    assert candidate_result_state(entry) == {"state": "withdrawn", "result": None,
                                             "release_at": None}
