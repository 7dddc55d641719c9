"""The candidate's results: the release time in their own zone before, the result and its
PDFs after, and nobody else's."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from langcert.core.audit import events_for
from langcert.core.models import AuditEvent
from langcert.results.models import Result
from tests.helpers import pdf_text

pytestmark = pytest.mark.django_db


def test_before_release_the_date_is_shown_in_the_candidates_own_zone(
        portal_client, portal_user, advanced_result):
    session = advanced_result.entry.session
    session.results_release_at = datetime(2027, 3, 9, 14, 0, tzinfo=UTC)
    session.save()
    advanced_result.delete()  # no result yet: the planned date applies
    html = portal_client.get(reverse("portal:home")).content.decode()
    # portal_user lives in New York: 14:00 UTC on 9 March 2027 is 09:00 EST (DST from 14 March).
    assert "Your results will be available on Tuesday 9 March 2027, 09:00 EST" in html


def test_under_review_once_the_date_has_passed_without_approval(portal_client,
                                                                advanced_result):
    advanced_result.status = Result.Status.PENDING_REVIEW
    advanced_result.save()
    html = portal_client.get(reverse("portal:home")).content.decode()
    assert "under review" in html and "196" not in html


def test_after_release_every_score_and_the_pdf(portal_client, portal_user, advanced_result):
    html = portal_client.get(reverse("portal:home")).content.decode()
    for text in ("196", "Pass at Grade B", "191", "210", "193", "Use of English",
                 advanced_result.statement_number_display, "View results"):
        assert text in html
    assert AuditEvent.objects.filter(actor=portal_user, action="portal.view_results").exists()
    url = reverse("portal:document", args=[advanced_result.public_id, "statement"])
    response = portal_client.get(url)
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "196" in text and advanced_result.statement_number_display in text
    assert events_for(advanced_result).filter(action="portal.download").exists()


def test_a_candidate_cannot_see_another_candidates_result(client, make_user,
                                                          adaptive_released_result,
                                                          portal_user, advanced_result):
    from langcert.core.roles import Role

    intruder = make_user(Role.CANDIDATE)
    client.force_login(intruder)
    for kind in ("statement", "attestation", "certificate"):
        for result in (advanced_result, adaptive_released_result):
            url = reverse("portal:document", args=[result.public_id, kind])
            assert client.get(url).status_code == 404
    assert advanced_result.statement_number_display not in client.get(
        reverse("portal:home")).content.decode()


def test_a_withdrawn_result_is_gone_from_the_page_and_its_pdf(portal_client, advanced_result):
    advanced_result.status = Result.Status.WITHDRAWN
    advanced_result.save()
    html = portal_client.get(reverse("portal:home")).content.decode()
    assert "196" not in html and "withdrawn" in html
    url = reverse("portal:document", args=[advanced_result.public_id, "statement"])
    assert portal_client.get(url).status_code == 404
