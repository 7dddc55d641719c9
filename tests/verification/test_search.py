"""Candidate Search (number + date of birth by POST, typos refused at once, misses that
say nothing and are limited) and the result page with its PDF and photo: who may open
it, what it shows with and without a share, and the access log it writes."""

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from langcert.candidates_portal import privacy
from langcert.core import crypto, identifiers, ratelimit
from langcert.core.models import AuditEvent
from langcert.results.models import TestDayPhoto as DayPhoto
from langcert.verification import lookup
from langcert.verification.models import AccessEvent
from tests.candidates_portal.conftest import portal_user  # noqa: F401 (shared fixture)
from tests.helpers import pdf_text
from tests.results.test_documents import png_photo
from tests.verification.test_shared_results import (  # noqa: F401 (shared fixtures)
    adaptive_released_result,
    advanced_result,
    entry_factory,
    org_client,
    organisation,
    other_organisation,
    share,
    user_of,
)

pytestmark = pytest.mark.django_db

SEARCH = reverse("verification:search")
BIRTH = date(1990, 12, 10)  # tests.conftest.person()


def detail_url(result, name="verification:result_detail"):
    return reverse(name, args=[result.public_id])


def search(client, number, birth=BIRTH):
    return client.post(SEARCH, {"statement_number": number,
                                "date_of_birth": birth.isoformat()})


def alert(response, element_id):
    match = re.search(rf'<div class="alert" role="alert" id="{element_id}">(.*?)</div>',
                      response.content.decode(), re.S)
    return match.group(1) if match else None


def typo_of(number):
    """The number with its first symbol changed: the check symbol no longer agrees."""
    first = identifiers.ALPHABET[(identifiers.ALPHABET.index(number[0]) + 1) % 29]
    return first + number[1:]


def misses_counted(organisation):
    return AuditEvent.objects.filter(action="verification.lookup_miss",
                                     target_id=str(organisation.pk)).count()


# --- Searching -----------------------------------------------------------------------------
def test_search_by_post_shows_the_result_and_no_personal_data_in_the_url(org_client,
                                                                         advanced_result):
    page = org_client.get(SEARCH).content.decode()
    assert f'<form method="post" action="{SEARCH}" id="search-form"' in page

    response = search(org_client, advanced_result.statement_number_display)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == SEARCH
    assert response.request.get("QUERY_STRING", "") == ""
    body = response.content.decode()
    assert advanced_result.entry.candidate.last_name in body
    assert "Pass at Grade B" in body and "196" in body
    assert 'id="search-miss"' not in body
    # The look-up is in the candidate's access log, once.
    assert AccessEvent.objects.filter(result=advanced_result,
                                      kind=AccessEvent.Kind.VIEW).count() == 1
    # Lower case and no dashes are fine too.
    again = search(org_client, advanced_result.statement_number.lower())
    assert advanced_result.entry.candidate.last_name in again.content.decode()


def test_a_typo_is_refused_at_once_and_counts_nothing(org_client, organisation,
                                                      advanced_result):
    response = search(org_client, typo_of(advanced_result.statement_number))
    assert response.status_code == 400
    assert str(lookup.TYPO_MESSAGE) in response.content.decode()
    assert misses_counted(organisation) == 0
    assert not ratelimit.is_limited("lookup-user", str(user_of(organisation).pk), 1)
    assert not AccessEvent.objects.exists()


def test_a_miss_says_the_same_for_a_wrong_number_and_a_wrong_birth_date(org_client,
                                                                        organisation,
                                                                        advanced_result):
    wrong_number = search(org_client, identifiers.new_statement_number())
    wrong_birth = search(org_client, advanced_result.statement_number, date(1991, 12, 10))
    assert wrong_number.status_code == wrong_birth.status_code == 200
    assert alert(wrong_number, "search-miss") == alert(wrong_birth, "search-miss")
    assert str(lookup.MISS_MESSAGE) in alert(wrong_birth, "search-miss")
    assert advanced_result.entry.candidate.last_name not in wrong_birth.content.decode()
    assert misses_counted(organisation) == 2


def test_too_many_misses_answer_429(org_client, advanced_result, monkeypatch):
    monkeypatch.setattr(lookup, "MISSES_PER_USER", 2)
    for _ in range(2):
        assert search(org_client, identifiers.new_statement_number()).status_code == 200
    refused = search(org_client, advanced_result.statement_number)  # even the right pair
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(lookup.MISS_WINDOW_SECONDS)
    assert str(lookup.LIMIT_MESSAGE) in refused.content.decode()
    assert advanced_result.entry.candidate.last_name not in refused.content.decode()


def test_bad_form_is_refused_without_a_lookup(org_client, organisation):
    response = org_client.post(SEARCH, {"statement_number": "", "date_of_birth": "soon"})
    assert response.status_code == 400
    assert misses_counted(organisation) == 0


# --- What the result page shows -------------------------------------------------------------
def test_without_a_share_no_email_nor_id_document(org_client, organisation, advanced_result):
    candidate = advanced_result.entry.candidate
    body = search(org_client, advanced_result.statement_number).content.decode()
    assert candidate.id_document_number not in body and candidate.email not in body
    assert 'id="not-shared-note"' in body
    # The page found by this browser's search opens, still without them.
    page = org_client.get(detail_url(advanced_result)).content.decode()
    assert candidate.last_name in page
    assert candidate.id_document_number not in page and candidate.email not in page


def test_with_a_share_everything_the_guide_lists(org_client, organisation, advanced_result):
    share(advanced_result, organisation)
    candidate, entry = advanced_result.entry.candidate, advanced_result.entry
    page = org_client.get(detail_url(advanced_result)).content.decode()
    for text in (candidate.id_document_number, candidate.email, candidate.first_name,
                 candidate.last_name, entry.id_number_display, entry.session.code,
                 entry.session.centre.name, advanced_result.statement_number_display,
                 "Female", "10 December 1990", "Pass at Grade B", "196", "Use of English",
                 "210", "Statement of Results"):
        assert text in page, text
    assert 'id="not-shared-note"' not in page
    # A hit by search shows them too, since the result is shared.
    body = search(org_client, advanced_result.statement_number).content.decode()
    assert candidate.id_document_number in body


def test_adaptive_result_shows_levels_and_oral_criteria(org_client, organisation,
                                                       adaptive_released_result):
    share(adaptive_released_result, organisation)
    page = org_client.get(detail_url(adaptive_released_result)).content.decode()
    for text in ("Level reached", "Certificate earned", "Vocabulary range and control",
                 "Interaction", "Attestation of results"):
        assert text in page, text


def test_a_found_result_stays_with_the_browser_that_found_it(org_client, organisation,
                                                             advanced_result):
    search(org_client, advanced_result.statement_number)
    assert org_client.get(detail_url(advanced_result)).status_code == 200
    another_browser = Client()
    another_browser.force_login(user_of(organisation))
    assert another_browser.get(detail_url(advanced_result)).status_code == 404


def test_detail_is_404_for_another_organisation(org_client, other_organisation,
                                                advanced_result):
    share(advanced_result, other_organisation)
    for name in ("verification:result_detail", "verification:result_pdf",
                 "verification:result_photo"):
        assert org_client.get(detail_url(advanced_result, name)).status_code == 404


# --- Opening, downloading, the photo: audited, in the candidate's access log ---------------
def test_opening_marks_the_share_and_logs_the_view_for_the_candidate(org_client, organisation,
                                                                     advanced_result,
                                                                     portal_user):
    shared = share(advanced_result, organisation)
    response = org_client.get(detail_url(advanced_result))
    assert response["Cache-Control"] == "private, no-store"
    shared.refresh_from_db()
    assert shared.first_opened_at is not None
    event = privacy.access_log(portal_user).get()
    assert (event.organisation, event.kind) == (organisation, AccessEvent.Kind.VIEW)
    assert event.user == user_of(organisation)
    assert AuditEvent.objects.filter(action="verification.view_result",
                                     target_id=str(advanced_result.pk)).exists()
    # A second opening is logged again; the first opening time stays.
    opened = shared.first_opened_at
    org_client.get(detail_url(advanced_result))
    shared.refresh_from_db()
    assert shared.first_opened_at == opened
    assert privacy.access_log(portal_user).count() == 2


def test_pdf_is_the_organisation_copy_and_is_logged(org_client, organisation, advanced_result,
                                                    portal_user):
    share(advanced_result, organisation)
    response = org_client.get(detail_url(advanced_result, "verification:result_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "Statement of Results" in text
    assert f"Generated for {organisation.name}" in " ".join(text.split())
    event = privacy.access_log(portal_user).get()
    assert event.kind == AccessEvent.Kind.DOWNLOAD
    assert AuditEvent.objects.filter(action="verification.download_result").count() == 1


def test_pdf_of_an_adaptive_result_is_its_attestation(org_client, organisation,
                                                      adaptive_released_result):
    share(adaptive_released_result, organisation)
    response = org_client.get(detail_url(adaptive_released_result, "verification:result_pdf"))
    assert "Attestation of results" in pdf_text(response.content)


@pytest.fixture
def with_photo(advanced_result):
    DayPhoto.objects.create(entry=advanced_result.entry, content_type="image/png",
                                file=crypto.store_encrypted("photos", png_photo()))
    return advanced_result


def test_photo_only_with_consent_and_audited(org_client, organisation, with_photo):
    share(with_photo, organisation)
    photo_url = detail_url(with_photo, "verification:result_photo")
    assert photo_url in org_client.get(detail_url(with_photo)).content.decode()
    response = org_client.get(photo_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == png_photo()
    assert AuditEvent.objects.filter(action="verification.view_photo",
                                     target_id=str(with_photo.pk)).count() == 1

    entry = with_photo.entry
    entry.photo_consent = False
    entry.save(update_fields=["photo_consent"])
    assert org_client.get(photo_url).status_code == 404
    assert photo_url not in org_client.get(detail_url(with_photo)).content.decode()
    assert AuditEvent.objects.filter(action="verification.view_photo").count() == 1


def test_no_photo_link_when_there_is_no_photo(org_client, organisation, advanced_result):
    share(advanced_result, organisation)
    page = org_client.get(detail_url(advanced_result)).content.decode()
    assert 'id="test-day-photo"' not in page
    assert org_client.get(detail_url(advanced_result, "verification:result_photo")
                          ).status_code == 404
