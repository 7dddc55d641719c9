"""Shared Results, the organisation user's home: the greeting, "N new candidates since you
last logged in", new rows in bold until opened, filters, sorting, pagination, the Download
Options form; only the organisation's active shares of released results.

The fixtures at the top are shared with test_search.py and test_bulk_verification.py."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from langcert.core.roles import Role
from langcert.results.models import Result
from langcert.verification import selectors
from langcert.verification.models import Organisation, OrganisationMember, Share
from tests.conftest import PASSWORD
from tests.results.conftest import (  # noqa: F401 (shared fixtures)
    ADVANCED_SKILLS,
    adaptive_released_result,
    advanced_result,
    entry_factory,
)

pytestmark = pytest.mark.django_db

HOME = reverse("verification:shared_results")
SEARCH = reverse("verification:search")


# --- Shared fixtures -------------------------------------------------------------------
def make_organisation(make_user, name, first_name):
    organisation = Organisation.objects.create(
        name=name, kind=Organisation.Kind.UNIVERSITY, country="GB",
        status=Organisation.Status.APPROVED)
    user = make_user(Role.ORGANISATION, first_name=first_name, last_name="Verifier",
                     language="en")
    OrganisationMember.objects.create(organisation=organisation, user=user, is_primary=True)
    return organisation


@pytest.fixture
def organisation(make_user):
    return make_organisation(make_user, "University of Testing", "Olivia")


@pytest.fixture
def other_organisation(make_user):
    return make_organisation(make_user, "Other Institute", "Oscar")


def user_of(organisation):
    return organisation.members.get().user


@pytest.fixture
def org_client(client, organisation):
    client.force_login(user_of(organisation))
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def release(entry_factory):
    """release(session, **person fields) -> a released result (Cambridge scale)."""

    numbers = iter(range(1, 10_000))

    def make(session, score=180, cefr="C1", **person):
        person.setdefault("id_document_number", f"DOC{next(numbers):06d}")
        now = timezone.now()
        return Result.objects.create(
            entry=entry_factory(session, **person), source=Result.Source.IMPORT,
            overall_score=score, grade="C", outcome="grade_c", cefr_level=cefr,
            skills=ADVANCED_SKILLS, exam_date=now.date(), status=Result.Status.RELEASED,
            earliest_release_at=now, release_at=now, released_at=now)

    return make


@pytest.fixture
def first_session(session_factory, centre):
    """A B2 First session at the same centre (a second exam for the filters)."""
    return session_factory(centre, "b2-first")


def share(result, organisation, shared_at=None):
    created = Share.objects.create(result=result, organisation=organisation)
    if shared_at is not None:
        Share.objects.filter(pk=created.pk).update(shared_at=shared_at)
        created.refresh_from_db()
    return created


def rows(response):
    """The ids of the table's rows, in order."""
    import re

    return [int(n) for n in re.findall(r'<tr id="share-(\d+)"', response.content.decode())]


# --- The greeting and the count of new candidates -----------------------------------------
def test_greeting_and_new_count_since_the_previous_login(client, organisation, advanced_result,
                                                         release, first_session):
    user = user_of(organisation)
    before = share(advanced_result, organisation)
    client.cookies["django_language"] = "en"

    assert client.login(username=user.email, password=PASSWORD)
    page = client.get(HOME).content.decode()
    assert "Hi Olivia" in page
    # A first login: every share is new.
    assert "1 new candidate has shared their results with you since you last logged in" in page

    client.logout()
    user.refresh_from_db()
    first_login = user.last_login
    Share.objects.filter(pk=before.pk).update(shared_at=first_login - timedelta(minutes=5))
    after = [share(release(first_session), organisation, first_login + timedelta(minutes=n))
             for n in (1, 2)]
    assert client.login(username=user.email, password=PASSWORD)

    member = OrganisationMember.objects.get(user=user)
    assert member.previous_login_at == first_login
    page = client.get(HOME).content.decode()
    assert "2 new candidates have shared their results with you since you last logged in" in page
    assert set(rows(client.get(HOME))) == {before.pk, *(s.pk for s in after)}


def test_other_roles_and_organisations_not_approved_are_refused(client, make_user,
                                                                 organisation):
    client.force_login(make_user(Role.CANDIDATE))
    assert client.get(HOME).status_code == 403
    organisation.status = Organisation.Status.REJECTED
    organisation.save()
    client.force_login(user_of(organisation))
    client.cookies["django_language"] = "en"
    response = client.get(HOME)
    assert 'id="no-organisation"' in response.content.decode()
    assert 'id="shared-results"' not in response.content.decode()
    assert client.post(SEARCH, {"statement_number": "x", "date_of_birth": "2000-01-01"}
                       ).status_code == 403
    assert client.get(reverse("verification:bulk_verification")).status_code == 403


# --- New rows in bold ----------------------------------------------------------------------
def test_new_rows_are_bold_until_opened(org_client, organisation, advanced_result):
    shared = share(advanced_result, organisation)
    page = org_client.get(HOME).content.decode()
    assert f'<tr id="share-{shared.pk}" class="new"' in page
    assert f"<strong>{advanced_result.entry.candidate.last_name} " in page

    assert org_client.get(reverse("verification:result_detail",
                                  args=[advanced_result.public_id])).status_code == 200
    shared.refresh_from_db()
    assert shared.first_opened_at is not None
    page = org_client.get(HOME).content.decode()
    assert f'<tr id="share-{shared.pk}">' in page
    assert 'class="new"' not in page


# --- Filters, sorting, pagination ----------------------------------------------------------
@pytest.fixture
def three_shares(organisation, release, advanced_session, first_session):
    now = timezone.now()
    return {
        "ada": share(release(advanced_session, first_name="Ada", last_name="Zeta"),
                     organisation, now - timedelta(days=10)),
        "bob": share(release(first_session, first_name="Bob", last_name="Young"),
                     organisation, now - timedelta(days=5)),
        "cyd": share(release(advanced_session, first_name="Cyd", last_name="Xavier"),
                     organisation, now - timedelta(days=1)),
    }


def test_filters_by_name_exam_and_date_range(org_client, three_shares):
    ada, bob, cyd = three_shares["ada"], three_shares["bob"], three_shares["cyd"]
    assert rows(org_client.get(HOME, {"name": "zeta"})) == [ada.pk]
    assert rows(org_client.get(HOME, {"name": "Cyd Xav"})) == [cyd.pk]
    assert rows(org_client.get(HOME, {"exam": "b2-first"})) == [bob.pk]
    assert sorted(rows(org_client.get(HOME, {"exam": "c1-advanced"}))) == sorted([ada.pk, cyd.pk])
    today = timezone.localdate()
    span = {"shared_from": (today - timedelta(days=7)).isoformat(),
            "shared_to": (today - timedelta(days=2)).isoformat()}
    assert rows(org_client.get(HOME, span)) == [bob.pk]
    # A start after the end is refused with a message, nothing filtered.
    response = org_client.get(HOME, {"shared_from": span["shared_to"],
                                     "shared_to": span["shared_from"]})
    assert "The start date comes after the end date." in response.content.decode()
    assert len(rows(response)) == 3


def test_sorting_by_name_exam_and_date(org_client, three_shares):
    ada, bob, cyd = three_shares["ada"], three_shares["bob"], three_shares["cyd"]
    assert rows(org_client.get(HOME)) == [cyd.pk, bob.pk, ada.pk]  # newest first
    assert rows(org_client.get(HOME, {"sort": "name"})) == [cyd.pk, bob.pk, ada.pk]
    assert rows(org_client.get(HOME, {"sort": "-name"})) == [ada.pk, bob.pk, cyd.pk]
    assert rows(org_client.get(HOME, {"sort": "date"})) == [ada.pk, bob.pk, cyd.pk]
    assert rows(org_client.get(HOME, {"sort": "exam"}))[0] == bob.pk  # B2 First < C1 Advanced
    # The column sorted ascending links to the descending order, filters kept.
    page = org_client.get(HOME, {"sort": "name", "name": "a"}).content.decode()
    assert 'href="?sort=-name&amp;name=a"' in page or 'href="?name=a&amp;sort=-name"' in page


def test_pagination_keeps_filters(org_client, three_shares, monkeypatch):
    assert selectors.PAGE_SIZE == 50
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    first = org_client.get(HOME, {"exam": "c1-advanced", "sort": "date"})
    assert rows(first) == [three_shares["ada"].pk, three_shares["cyd"].pk]
    assert "Page 1 of 1" not in first.content.decode()
    everything = org_client.get(HOME, {"sort": "date"})
    assert "Page 1 of 2" in everything.content.decode()
    assert "sort=date&amp;page=2" in everything.content.decode()
    assert rows(org_client.get(HOME, {"sort": "date", "page": 2})) == [three_shares["cyd"].pk]


def test_download_options_post_the_selected_results(org_client, organisation, advanced_result):
    share(advanced_result, organisation)
    page = org_client.get(HOME).content.decode()
    action = reverse("verification:request_download")
    assert f'<form method="post" action="{action}" id="download-form">' in page
    assert f'name="result" value="{advanced_result.public_id}"' in page
    for value in ("xlsx", "csv", "pdf_zip"):
        assert f'<option value="{value}">' in page
    assert 'name="template"' in page and '<option value="default">' in page
    # What the form sends is what the Downloads tab takes.
    response = org_client.post(action, {"result": [str(advanced_result.public_id)],
                                        "scope": "selected", "format": "csv",
                                        "template": "default"})
    assert response.status_code == 302
    assert "/organisation/downloads/" in response["Location"]


# --- Only this organisation's active shares of released results ---------------------------
def test_another_organisations_shares_are_invisible(org_client, organisation,
                                                   other_organisation, advanced_result,
                                                   release, advanced_session):
    mine = share(release(advanced_session), organisation)
    share(advanced_result, other_organisation)
    response = org_client.get(HOME)
    assert rows(response) == [mine.pk]
    assert advanced_result.entry.candidate.last_name not in response.content.decode()
    detail = reverse("verification:result_detail", args=[advanced_result.public_id])
    assert org_client.get(detail).status_code == 404
    for name in ("verification:result_pdf", "verification:result_photo"):
        assert org_client.get(reverse(name, args=[advanced_result.public_id])).status_code == 404


def test_withdrawn_result_and_revoked_share_disappear(org_client, organisation,
                                                      advanced_result, release,
                                                      advanced_session):
    withdrawn = share(advanced_result, organisation)
    revoked = share(release(advanced_session), organisation)
    assert sorted(rows(org_client.get(HOME))) == sorted([withdrawn.pk, revoked.pk])

    Result.objects.filter(pk=advanced_result.pk).update(status=Result.Status.WITHDRAWN)
    Share.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    response = org_client.get(HOME)
    assert rows(response) == []
    assert "0 new candidates" in response.content.decode()
    detail = reverse("verification:result_detail", args=[advanced_result.public_id])
    assert org_client.get(detail).status_code == 404


def test_previous_login_is_kept_only_for_organisation_users(client, make_user):
    user = make_user(Role.CANDIDATE)
    assert client.login(username=user.email, password=PASSWORD)  # no membership: no error
    assert not OrganisationMember.objects.filter(user=user).exists()
