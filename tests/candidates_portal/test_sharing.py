"""Sharing a result with organisations, revoking, and inviting an organisation: pages
through the test client, on the real database, with emails read from the outbox."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from langcert.candidates_portal import sharing
from langcert.candidates_portal.models import ResultsAccount
from langcert.core.models import AuditEvent
from langcert.core.roles import Role
from langcert.results.models import Result
from langcert.verification.models import Organisation, Share

pytestmark = pytest.mark.django_db


def org(name, status=Organisation.Status.APPROVED, country="GB"):
    return Organisation.objects.create(name=name, kind=Organisation.Kind.EMPLOYER,
                                       country=country, status=status)


def sharing_url(result):
    return reverse("portal:sharing", kwargs={"public_id": result.public_id})


def revoke_url(share):
    return reverse("portal:revoke_share", kwargs={"share_id": share.pk})


def share_post(client, result, *organisations):
    return client.post(sharing_url(result),
                       {"organisations": [str(o.public_id) for o in organisations]})


@pytest.fixture
def employer():
    return org("Acme Testing Ltd", country="FR")


@pytest.fixture
def other_user(make_user, entry_factory, advanced_result):
    """A second registered candidate, with a released result of their own."""
    entry = entry_factory(advanced_result.entry.session, first_name="Grace",
                          id_document_number="GH987654")
    Result.objects.create(
        entry=entry, source=Result.Source.IMPORT, overall_score=180, grade="C",
        cefr_level="C1", skills=[], exam_date=advanced_result.exam_date,
        status=Result.Status.RELEASED, earliest_release_at=advanced_result.earliest_release_at,
        released_at=advanced_result.released_at)
    user = make_user(Role.CANDIDATE, email=entry.candidate.email, first_name="Grace",
                     language="en")
    ResultsAccount.objects.create(user=user, country="GB", first_language="en",
                                  terms_accepted_at=timezone.now(),
                                  email_confirmed_at=timezone.now())
    entry.candidate.account = user
    entry.candidate.save(update_fields=["account"])
    return user


@pytest.fixture
def other_client(other_user):
    client = Client()
    client.force_login(other_user)
    client.cookies["django_language"] = "en"
    return client


# --- The directory ------------------------------------------------------------------------
def test_search_lists_approved_organisations_only(portal_client, advanced_result, university):
    org("University of Testing Applicants", status=Organisation.Status.PENDING)
    org("University of Testing Rejects", status=Organisation.Status.REJECTED)
    response = portal_client.get(sharing_url(advanced_result), {"q": "testing"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "University of Testing" in page
    assert "Applicants" not in page and "Rejects" not in page
    assert [o.name for o, _country in response.context["organisations"]] == [university.name]
    assert advanced_result.statement_number_display in page
    assert advanced_result.entry.session.exam.name in page
    assert reverse("portal:invite") in page


def test_search_by_country_and_limit(db):
    org("Alpha", country="FR")
    org("Beta", country="GB")
    org("Gamma", country="FR", status=Organisation.Status.PENDING)
    assert [o.name for o in sharing.directory("", "fr")] == ["Alpha"]
    assert [o.name for o in sharing.directory("ET", "")] == ["Beta"]
    for n in range(sharing.DIRECTORY_LIMIT + 5):
        org(f"Org {n:03}")
    assert len(sharing.directory("org")) == sharing.DIRECTORY_LIMIT


def test_page_without_search_lists_no_organisation(portal_client, advanced_result, university):
    response = portal_client.get(sharing_url(advanced_result))
    assert response.status_code == 200
    assert response.context["organisations"] == []
    assert "You have not shared this result yet." in response.content.decode()


# --- Sharing ------------------------------------------------------------------------------
def test_share_with_two_organisations_at_once(portal_client, portal_user, advanced_result,
                                              university, employer):
    response = portal_client.post(sharing_url(advanced_result), {
        "organisations": [str(university.public_id), str(employer.public_id)], "q": "t"})
    assert response.status_code == 302
    assert response.url == sharing_url(advanced_result) + "?q=t"
    shares = Share.objects.filter(result=advanced_result)
    assert {s.organisation for s in shares} == {university, employer}
    events = AuditEvent.objects.filter(action="portal.share", actor=portal_user)
    assert sorted(e.data["organisation"] for e in events) == sorted([university.pk,
                                                                     employer.pk])
    assert all(e.target_id == str(advanced_result.pk) for e in events)
    page = portal_client.get(response.url).content.decode()
    assert "Your result is now shared with 2 organisations." in page
    assert page.count("Not opened yet") == 2


def test_sharing_again_is_a_no_op(portal_client, advanced_result, university):
    share_post(portal_client, advanced_result, university)
    response = share_post(portal_client, advanced_result, university)
    assert response.status_code == 302
    assert Share.objects.filter(result=advanced_result).count() == 1
    assert AuditEvent.objects.filter(action="portal.share").count() == 1
    page = portal_client.get(response.url).content.decode()
    assert "already shared" in page


def test_share_without_choosing_shows_an_error(portal_client, advanced_result, university):
    response = portal_client.post(sharing_url(advanced_result), {"q": "testing"})
    assert response.status_code == 400
    assert "Choose at least one organisation." in response.content.decode()
    assert [o for o, _country in response.context["organisations"]] == [university]
    assert not Share.objects.exists()


def test_pending_organisation_cannot_be_chosen(portal_client, advanced_result):
    pending = org("Not Yet Ltd", status=Organisation.Status.PENDING)
    response = share_post(portal_client, advanced_result, pending)
    assert response.status_code == 400
    assert not Share.objects.exists()
    with pytest.raises(ValidationError):
        sharing.share_result(actor=advanced_result.entry.candidate.account,
                             result=advanced_result, organisations=[pending])
    assert not Share.objects.exists()


def test_opened_share_shows_its_date(portal_client, advanced_result, university):
    share_post(portal_client, advanced_result, university)
    share = Share.objects.get()
    sharing.share_opened(share=share)
    first = Share.objects.get().first_opened_at
    sharing.share_opened(share=share)
    assert first is not None and Share.objects.get().first_opened_at == first
    page = portal_client.get(sharing_url(advanced_result)).content.decode()
    assert "Opened on" in page and "Not opened yet" not in page


# --- Revoking -----------------------------------------------------------------------------
def test_revoke_then_share_again(portal_client, portal_user, advanced_result, university):
    share_post(portal_client, advanced_result, university)
    share = Share.objects.get()
    response = portal_client.post(revoke_url(share))
    assert response.status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None
    event = AuditEvent.objects.get(action="portal.share_revoke")
    assert event.actor == portal_user and event.data["organisation"] == university.pk
    page = portal_client.get(response.url).content.decode()
    assert "Revoked on" in page
    assert "can no longer see your result" in page

    share_post(portal_client, advanced_result, university)
    assert Share.objects.filter(result=advanced_result).count() == 2
    assert Share.objects.filter(result=advanced_result, revoked_at__isnull=True).count() == 1


def test_revoke_needs_post(portal_client, advanced_result, university):
    share_post(portal_client, advanced_result, university)
    share = Share.objects.get()
    assert portal_client.get(revoke_url(share)).status_code == 405
    assert Share.objects.get().revoked_at is None


# --- Who may see what ---------------------------------------------------------------------
def test_another_candidate_gets_404(other_client, portal_client, advanced_result, university):
    share_post(portal_client, advanced_result, university)
    share = Share.objects.get()
    assert other_client.get(sharing_url(advanced_result)).status_code == 404
    assert share_post(other_client, advanced_result, university).status_code == 404
    assert other_client.post(revoke_url(share)).status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is None
    assert Share.objects.count() == 1


def test_services_refuse_someone_elses_result(other_user, advanced_result, university):
    share = Share.objects.create(result=advanced_result, organisation=university)
    with pytest.raises(PermissionDenied):
        sharing.share_result(actor=other_user, result=advanced_result,
                             organisations=[university])
    with pytest.raises(PermissionDenied):
        sharing.share_revoke(actor=other_user, share=share)
    assert Share.objects.get().revoked_at is None


@pytest.mark.parametrize("status", [Result.Status.APPROVED, Result.Status.WITHDRAWN,
                                    Result.Status.HELD])
def test_result_not_released_gets_404(portal_client, advanced_result, university, status):
    share = Share.objects.create(result=advanced_result, organisation=university)
    advanced_result.status = status
    advanced_result.save(update_fields=["status"])
    assert portal_client.get(sharing_url(advanced_result)).status_code == 404
    assert share_post(portal_client, advanced_result, university).status_code == 404
    assert portal_client.post(revoke_url(share)).status_code == 404


def test_erased_candidate_result_gets_404(portal_client, advanced_result):
    candidate = advanced_result.entry.candidate
    candidate.erased_at = timezone.now()
    candidate.save(update_fields=["erased_at"])
    assert portal_client.get(sharing_url(advanced_result)).status_code == 404


def test_pages_need_login(client, advanced_result, university):
    share = Share.objects.create(result=advanced_result, organisation=university)
    for response in (client.get(sharing_url(advanced_result)),
                     client.get(reverse("portal:invite")),
                     client.post(revoke_url(share))):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert Share.objects.get().revoked_at is None


def test_other_roles_are_refused(client, university, advanced_result):
    client.force_login(university.members.get().user)
    assert client.get(sharing_url(advanced_result)).status_code == 403
    assert client.get(reverse("portal:invite")).status_code == 403


def test_posts_without_csrf_token_fail(portal_user, advanced_result, university):
    share = Share.objects.create(result=advanced_result, organisation=university)
    client = Client(enforce_csrf_checks=True)
    client.force_login(portal_user)
    assert share_post(client, advanced_result, university).status_code == 403
    assert client.post(revoke_url(share)).status_code == 403
    response = client.post(reverse("portal:invite"),
                           {"organisation_name": "X", "email": "x@example.org"})
    assert response.status_code == 403
    assert Share.objects.get().revoked_at is None


# --- Inviting an organisation ---------------------------------------------------------------
def invitations(mailoutbox):
    return [mail for mail in mailoutbox if mail.to[0].endswith("@faraway.example")]


def invite(client, n=1, **overrides):
    data = {"organisation_name": f"Faraway University {n}",
            "email": f"admissions{n}@faraway.example", "message": "Please join, thanks!"}
    data.update(overrides)
    return client.post(reverse("portal:invite"), data)


def test_invite_emails_how_to_apply(portal_client, portal_user, mailoutbox,
                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(portal_client)
    assert response.status_code == 302
    [mail] = invitations(mailoutbox)
    assert mail.to == ["admissions1@faraway.example"]
    assert settings.SITE_URL + "/organisations/apply/" in mail.body
    assert portal_user.first_name in mail.body and portal_user.first_name in mail.subject
    assert "Faraway University 1" in mail.body
    assert "Please join, thanks!" in mail.body  # plain text: not HTML-escaped
    assert "/organisations/apply/" in mail.alternatives[0][0]
    event = AuditEvent.objects.get(action="portal.invite")
    assert event.actor == portal_user
    assert "faraway" not in str(event.data)
    page = portal_client.get(response.url).content.decode()
    assert "Your invitation has been sent" in page


def test_invite_form_errors_beside_fields(portal_client, mailoutbox):
    response = invite(portal_client, email="not an email", organisation_name="")
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"email", "organisation_name"}
    assert 'id="id_email-error"' in response.content.decode()
    assert not invitations(mailoutbox)


def test_invites_are_limited_to_five_a_day(portal_client, mailoutbox,
                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(1, 6):
            assert invite(portal_client, n).status_code == 302
        response = invite(portal_client, 6)
    assert response.status_code == 400
    assert "You have sent 5 invitations today" in response.content.decode()
    assert len(invitations(mailoutbox)) == 5
    assert AuditEvent.objects.filter(action="portal.invite").count() == 5



def test_same_invitation_twice_a_day_is_mailed_once(portal_client, mailoutbox,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invite(portal_client)
        invite(portal_client, email="ADMISSIONS1@faraway.example")
    assert len(invitations(mailoutbox)) == 1
