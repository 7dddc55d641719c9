"""Organisation accounts through real HTTP, the real database and the real outbox: applying,
the board's decision and the set-password link, joining, the account's users, details,
profile and the contact form to the board."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from langcert.catalog.models import Exam
from langcert.core.audit import events_for
from langcert.core.models import AuditEvent, User
from langcert.core.roles import Role
from langcert.verification import two_factor as totp
from langcert.verification.models import JoinRequest, Organisation, OrganisationMember

pytestmark = pytest.mark.django_db

SET_PASSWORD_LINK = re.compile(r"https?://\S+/password-reset/\S+/\S+/")
NEW_PASSWORD = "n3w-Password-77"


# --- Fixtures (shared with test_two_factor) ------------------------------------------------
def web_client() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def web():
    return web_client()


def create_organisation(make_user) -> Organisation:
    """An approved organisation with a primary user (Pia) and a normal user (Noah)."""
    organisation = Organisation.objects.create(
        name="University of Testing", kind=Organisation.Kind.UNIVERSITY, country="GB",
        website="https://www.testing.example", status=Organisation.Status.APPROVED)
    for first_name, primary in (("Pia", True), ("Noah", False)):
        user = make_user(Role.ORGANISATION, language="en", first_name=first_name,
                         last_name="Member", email=f"{first_name.lower()}@testing.example")
        OrganisationMember.objects.create(organisation=organisation, user=user,
                                          is_primary=primary, job_title="Admissions")
    return organisation


@pytest.fixture
def organisation(make_user):
    return create_organisation(make_user)


@pytest.fixture
def primary(organisation):
    return organisation.members.get(is_primary=True)


@pytest.fixture
def colleague(organisation):
    return organisation.members.get(is_primary=False)


@pytest.fixture
def other_organisation(make_user):
    organisation = Organisation.objects.create(
        name="Other College", kind=Organisation.Kind.UNIVERSITY, country="FR",
        website="https://other.example", status=Organisation.Status.APPROVED)
    OrganisationMember.objects.create(
        organisation=organisation, is_primary=True, job_title="Registrar",
        user=make_user(Role.ORGANISATION, language="en", email="olga@other.example"))
    return organisation


def signed_in(member) -> Client:
    client = web_client()
    client.force_login(member.user)
    return client


def application(**overrides) -> dict:
    data = {"first_name": "Ada", "last_name": "Applicant", "job_title": "Head of admissions",
            "email": "ada@admissions.uni.example", "email_again": "ada@admissions.uni.example",
            "organisation_name": "Uni of Examples", "kind": "university",
            "website": "https://www.uni.example", "street": "1 Quay Street", "city": "Bristol",
            "postcode": "BS1 4AA", "country": "GB", "terms": "on"}
    data.update(overrides)
    return data


def apply(web, capture, **overrides):
    with capture(execute=True):
        return web.post(reverse("verification:apply"), application(**overrides))


def link_in(message) -> str:
    return SET_PASSWORD_LINK.search(message.body).group(0)


def set_password_and_log_in(link: str, email: str) -> Client:
    """Follow an emailed link, choose a password, then log in with it."""
    client = web_client()
    page = client.get(link, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    done = client.post(page.redirect_chain[-1][0],
                       {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("password_reset_complete")
    response = client.post(reverse("login"), {"username": email, "password": NEW_PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return client


# --- Applying --------------------------------------------------------------------------------
def test_apply_creates_a_pending_account_and_acknowledges_at_once(
        web, mailoutbox, django_capture_on_commit_callbacks):
    response = apply(web, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and b'id="sent"' in response.content
    organisation = Organisation.objects.get(name="Uni of Examples")
    assert organisation.status == Organisation.Status.PENDING
    assert organisation.terms_accepted_at is not None
    assert organisation.address == "1 Quay Street\nBS1 4AA Bristol"
    assert (organisation.country, organisation.kind) == ("GB", "university")
    member = organisation.members.get()
    user = member.user
    assert member.is_primary and member.job_title == "Head of admissions"
    assert user.role == Role.ORGANISATION and user.email == "ada@admissions.uni.example"
    assert not user.is_active and not user.has_usable_password()
    [message] = mailoutbox
    assert message.to == ["ada@admissions.uni.example"]
    assert "We received the application of Uni of Examples" in message.subject
    assert "five working days" in message.body
    event = events_for(organisation).get(action="verification.apply")
    assert event.data == {"user": user.pk, "domain_matches": True}


def test_a_pending_applicant_can_neither_log_in_nor_reset_a_password(
        web, mailoutbox, django_capture_on_commit_callbacks):
    apply(web, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("password_reset"), {"email": "ada@admissions.uni.example"})
    assert mailoutbox == []


def test_an_address_outside_the_website_domain_warns_then_goes_through_once_confirmed(
        web, mailoutbox, django_capture_on_commit_callbacks):
    gmail = {"email": "ada.applicant@gmail.example", "email_again": "ada.applicant@gmail.example"}
    warned = apply(web, django_capture_on_commit_callbacks, **gmail)
    page = warned.content.decode()
    assert warned.status_code == 200 and 'id="domain-warning"' in page
    assert "@gmail.example" in page and "uni.example" in page
    assert "I confirm this email address is right." in page
    assert not warned.context["form"].errors  # a warning, not an error
    assert not Organisation.objects.exists() and mailoutbox == []

    response = apply(web, django_capture_on_commit_callbacks, domain_confirmed="on", **gmail)
    assert b'id="sent"' in response.content
    organisation = Organisation.objects.get()
    assert events_for(organisation).get(action="verification.apply").data["domain_matches"] \
        is False
    assert len(mailoutbox) == 1


def test_bad_applications_change_nothing(web, make_user, django_capture_on_commit_callbacks):
    make_user(Role.CENTRE, email="taken@uni.example")
    cases = [({"email_again": "other@uni.example"}, "email_again"),
             ({"terms": ""}, "terms"), ({"kind": "pirate"}, "kind"), ({"country": "ZZ"}, "country"),
             ({"website": "not a site"}, "website"),
             ({"email": "taken@uni.example", "email_again": "taken@uni.example"}, "email")]
    for overrides, field in cases:
        response = apply(web, django_capture_on_commit_callbacks, **overrides)
        assert response.status_code == 200
        assert field in response.context["form"].errors, (field, response.context["form"].errors)
    assert not Organisation.objects.exists()
    assert not User.objects.filter(role=Role.ORGANISATION).exists()


def test_the_apply_page_offers_joining_and_points_students_elsewhere(web):
    page = web.get(reverse("verification:apply")).content.decode()
    assert reverse("verification:join") in page
    assert f'href="{reverse("portal:register")}" id="student-link"' in page


def test_applications_are_limited_per_address(web, django_capture_on_commit_callbacks):
    for n in range(5):
        address = f"person{n}@uni.example"
        apply(web, django_capture_on_commit_callbacks, email=address, email_again=address)
    refused = apply(web, django_capture_on_commit_callbacks, email="six@uni.example",
                    email_again="six@uni.example")
    assert "Too many requests" in refused.content.decode()
    assert Organisation.objects.count() == 5


# --- The board's decision --------------------------------------------------------------------
@pytest.fixture
def pending(web, mailoutbox, django_capture_on_commit_callbacks):
    apply(web, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    return Organisation.objects.get(name="Uni of Examples")


def board_client(board_user) -> Client:
    client = web_client()
    client.force_login(board_user)
    return client


def test_board_approval_sends_a_link_that_sets_the_password(
        pending, board_user, mailoutbox, django_capture_on_commit_callbacks):
    board = board_client(board_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = board.post(reverse("verification:board_application", args=[pending.public_id]),
                              {"action": "approve"}, follow=True)
    assert "is approved" in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Organisation.Status.APPROVED
    assert pending.decided_by == board_user and pending.decided_at is not None
    user = pending.members.get().user
    assert user.is_active
    [message] = mailoutbox
    assert message.to == [user.email] and "is approved" in message.subject
    assert "within 24 hours" in message.body
    assert events_for(pending).filter(action="verification.approve", actor=board_user).exists()

    client = set_password_and_log_in(link_in(message), user.email)
    assert client.get(reverse("home"))["Location"] == reverse("verification:shared_results")
    # The link works once.
    assert not web_client().get(link_in(message), follow=True).context["validlink"]


def test_the_set_password_link_expires(pending, board_user, mailoutbox,
                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        board_client(board_user).post(
            reverse("verification:board_application", args=[pending.public_id]),
            {"action": "approve"})
    # Past settings.PASSWORD_RESET_TIMEOUT (24 h), with a margin for the naive local clock
    # the token generator reads.
    with time_machine.travel(timezone.now() + timedelta(hours=27)):
        page = web_client().get(link_in(mailoutbox[0]), follow=True)
    assert not page.context["validlink"]
    assert "expired" in page.content.decode()


def test_rejection_needs_a_reason_and_emails_it(pending, board_user, mailoutbox,
                                                django_capture_on_commit_callbacks):
    board = board_client(board_user)
    url = reverse("verification:board_application", args=[pending.public_id])
    refused = board.post(url, {"action": "reject", "reason": "  "})
    assert refused.status_code == 200 and "reason" in refused.context["reject_form"].errors
    pending.refresh_from_db()
    assert pending.status == Organisation.Status.PENDING and mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        board.post(url, {"action": "reject", "reason": "We could not find this organisation."})
    pending.refresh_from_db()
    assert pending.status == Organisation.Status.REJECTED
    assert pending.rejection_reason == "We could not find this organisation."
    [message] = mailoutbox
    assert "We could not find this organisation." in message.body
    assert not pending.members.get().user.is_active
    assert events_for(pending).filter(action="verification.reject").exists()
    # A decided application cannot be decided again.
    again = board.post(url, {"action": "approve"}, follow=True)
    assert "already decided" in again.content.decode()
    pending.refresh_from_db()
    assert pending.status == Organisation.Status.REJECTED


def test_the_queue_is_for_the_board_and_lists_pending_applications_first(
        pending, organisation, board_user, primary, make_user):
    url = reverse("verification:board_queue")
    assert web_client().get(url).status_code == 302
    assert signed_in(primary).get(url).status_code == 403
    client = web_client()
    client.force_login(make_user(Role.CENTRE))
    assert client.get(url).status_code == 403
    assert client.get(reverse("verification:board_application",
                              args=[pending.public_id])).status_code == 403
    page = board_client(board_user).get(url).content.decode()
    pending_table, decided_table = page.index('id="pending"'), page.index('id="decided"')
    assert pending_table < page.index("Uni of Examples") < decided_table
    assert page.index("University of Testing") > decided_table


def test_the_board_approves_api_access_requests(organisation, board_user, mailoutbox,
                                                django_capture_on_commit_callbacks):
    organisation.api_access = "requested"
    organisation.save()
    board = board_client(board_user)
    page = board.get(reverse("verification:board_queue")).content.decode()
    assert 'id="api-requests"' in page and str(organisation.public_id) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = board.post(reverse("verification:board_queue"),
                              {"organisation": str(organisation.public_id)}, follow=True)
    [message] = mailoutbox  # the primary user is told, in their language, where to go next
    assert message.to == [organisation.members.get(is_primary=True).user.email]
    assert message.subject == "API access approved for University of Testing"
    assert reverse("verification:api") in message.body and "/api/v1/docs" in message.body
    assert "API access is approved" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.api_access == "approved"
    assert events_for(organisation).filter(action="verification.api_access_approve",
                                           actor=board_user).exists()
    again = board.post(reverse("verification:board_queue"),
                       {"organisation": str(organisation.public_id)}, follow=True)
    assert "no API access request waiting" in again.content.decode()
    assert len(mailoutbox) == 1


# --- Joining an existing account -------------------------------------------------------------
def join_data(organisation, **overrides) -> dict:
    data = {"organisation": str(organisation.public_id), "first_name": "Jo",
            "last_name": "Joiner", "job_title": "Registrar", "email": "jo@testing.example",
            "email_again": "jo@testing.example"}
    data.update(overrides)
    return data


def test_joining_sends_a_request_the_primary_user_accepts(
        web, organisation, primary, mailoutbox, django_capture_on_commit_callbacks):
    Organisation.objects.create(name="Testing Pending", kind="other",
                                status=Organisation.Status.PENDING)
    found = web.get(reverse("verification:join"), {"q": "testing"}).content.decode()
    assert "University of Testing" in found and "Testing Pending" not in found
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("verification:join"), join_data(organisation))
    assert b'id="sent"' in response.content
    join_request = JoinRequest.objects.get()
    assert join_request.status == JoinRequest.Status.PENDING
    [message] = mailoutbox
    assert message.to == [primary.user.email]
    assert "Jo Joiner asks to join" in message.subject
    assert reverse("verification:users") in message.body

    client = signed_in(primary)
    page = client.get(reverse("verification:users")).content.decode()
    assert f'id="join-request-{join_request.pk}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("verification:users"),
                    {"action": "accept", "join_request": join_request.pk})
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.ACCEPTED
    member = organisation.members.get(user__email="jo@testing.example")
    assert not member.is_primary and member.job_title == "Registrar"
    welcome = mailoutbox[-1]
    assert welcome.to == ["jo@testing.example"]
    set_password_and_log_in(link_in(welcome), "jo@testing.example")


def test_the_primary_user_declines_a_request(web, organisation, primary, mailoutbox,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("verification:join"), join_data(organisation))
    join_request = JoinRequest.objects.get()
    signed_in(primary).post(reverse("verification:users"),
                            {"action": "decline", "join_request": join_request.pk})
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.DECLINED
    assert not User.objects.filter(email="jo@testing.example").exists()
    assert len(mailoutbox) == 1  # only the request itself


def test_joining_a_pending_organisation_is_not_possible(web, pending):
    response = web.post(reverse("verification:join"), join_data(pending))
    assert b'id="organisation-search"' in response.content
    assert not JoinRequest.objects.exists()


# --- The account's users ---------------------------------------------------------------------
def test_the_primary_user_adds_edits_and_removes_a_user(
        primary, organisation, mailoutbox, django_capture_on_commit_callbacks):
    client = signed_in(primary)
    users = reverse("verification:users")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(users, {"action": "add", "first_name": "Val", "last_name": "New",
                                       "job_title": "Officer", "email": "Val@Testing.example"})
    assert response.status_code == 302
    member = organisation.members.get(user__email="val@testing.example")
    assert member.user.is_active and not member.user.has_usable_password()
    [welcome] = mailoutbox
    assert welcome.to == ["val@testing.example"] and "University of Testing" in welcome.subject
    assert events_for(member).filter(action="verification.user_add").exists()

    edit = reverse("verification:user_edit", args=[member.pk])
    client.post(edit, {"action": "save", "first_name": "Valérie", "last_name": "Neuve",
                       "job_title": "Head officer"})
    member.refresh_from_db()
    assert (member.user.first_name, member.user.last_name, member.job_title) == (
        "Valérie", "Neuve", "Head officer")

    client.post(edit, {"action": "remove"})
    assert not OrganisationMember.objects.filter(pk=member.pk).exists()
    user = User.objects.get(email="val@testing.example")
    assert not user.is_active
    assert AuditEvent.objects.filter(action="verification.user_remove", actor=primary.user,
                                     data__user=user.pk).exists()
    # The same person can be added back later.
    client.post(users, {"action": "add", "first_name": "Val", "last_name": "New",
                        "job_title": "Officer", "email": "val@testing.example"})
    assert organisation.members.filter(user=user).exists()


def test_adding_an_address_already_in_use_changes_nothing(primary, colleague, mailoutbox):
    response = signed_in(primary).post(reverse("verification:users"), {
        "action": "add", "first_name": "X", "last_name": "Y", "job_title": "Z",
        "email": colleague.user.email})
    assert response.status_code == 200 and "email" in response.context["add_form"].errors
    assert mailoutbox == [] and primary.organisation.members.count() == 2


def test_the_primary_user_removes_neither_themselves_nor_goes_without_a_primary(primary):
    client = signed_in(primary)
    response = client.post(reverse("verification:user_edit", args=[primary.pk]),
                           {"action": "remove"}, follow=True)
    assert "cannot remove yourself" in response.content.decode()
    primary.refresh_from_db()
    assert primary.user.is_active


def test_a_normal_user_sees_the_users_but_changes_nothing(colleague, primary, organisation):
    client = signed_in(colleague)
    page = client.get(reverse("verification:users"))
    assert page.status_code == 200 and primary.user.email in page.content.decode()
    assert b'id="add-user"' not in page.content
    assert client.post(reverse("verification:users"), {
        "action": "add", "first_name": "X", "last_name": "Y", "job_title": "Z",
        "email": "x@testing.example"}).status_code == 403
    assert client.get(reverse("verification:user_edit", args=[primary.pk])).status_code == 403
    assert client.post(reverse("verification:user_edit", args=[primary.pk]),
                       {"action": "remove"}).status_code == 403
    assert client.post(reverse("verification:details"), {
        "name": "Hacked", "two_factor": "optional"}).status_code == 403
    organisation.refresh_from_db()
    assert organisation.name == "University of Testing"
    assert organisation.members.count() == 2 and primary.user.is_active


def test_the_primary_role_is_handed_over(primary, colleague):
    client = signed_in(primary)
    client.post(reverse("verification:user_edit", args=[colleague.pk]), {"action": "hand_over"})
    primary.refresh_from_db()
    colleague.refresh_from_db()
    assert colleague.is_primary and not primary.is_primary
    assert events_for(colleague).filter(action="verification.primary_hand_over").exists()
    # The old primary user is now a normal user.
    assert client.get(reverse("verification:user_edit", args=[colleague.pk])).status_code == 403
    new_primary = signed_in(colleague)
    assert new_primary.get(reverse("verification:user_edit",
                                   args=[primary.pk])).status_code == 200


def test_another_organisations_users_and_requests_are_not_found(
        primary, other_organisation, web, django_capture_on_commit_callbacks):
    stranger = other_organisation.members.get()
    client = signed_in(primary)
    for action in ({"action": "save", "first_name": "A", "last_name": "B", "job_title": "C"},
                   {"action": "remove"}, {"action": "hand_over"}):
        assert client.post(reverse("verification:user_edit", args=[stranger.pk]),
                           action).status_code == 404
    assert client.get(reverse("verification:user_edit", args=[stranger.pk])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("verification:join"), join_data(other_organisation))
    join_request = JoinRequest.objects.get()
    assert client.post(reverse("verification:users"), {
        "action": "accept", "join_request": join_request.pk}).status_code == 404
    stranger.refresh_from_db()
    assert stranger.user.is_active and stranger.is_primary
    assert JoinRequest.objects.get().status == JoinRequest.Status.PENDING
    page = client.get(reverse("verification:users")).content.decode()
    assert stranger.user.email not in page


def test_organisation_pages_are_for_organisation_users_only(make_user, primary):
    pages = ["users", "details", "profile", "two_factor", "help"]
    for name in pages:
        assert web_client().get(reverse(f"verification:{name}")).status_code == 302
    for role in (Role.CANDIDATE, Role.CENTRE, Role.BOARD):
        client = web_client()
        client.force_login(make_user(role))
        for name in pages:
            assert client.get(reverse(f"verification:{name}")).status_code == 403, (role, name)


# --- Details and profile ---------------------------------------------------------------------
def test_the_primary_user_edits_the_details_and_recognised_exams(primary, organisation):
    client = signed_in(primary)
    exams = list(Exam.objects.filter(code__in=["c1-advanced", "b2-first"]))
    response = client.post(reverse("verification:details"), {
        "name": "University of Testing (renamed)", "website": "https://testing.example",
        "address": "2 Main Street\nLeeds", "country": "GB", "two_factor": "required",
        "recognised_exams": [exam.pk for exam in exams]})
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == "University of Testing (renamed)"
    assert organisation.two_factor == "required" and organisation.address == "2 Main Street\nLeeds"
    assert set(organisation.recognised_exams.all()) == set(exams)
    event = events_for(organisation).get(action="verification.details_edit")
    assert {"name", "two_factor", "recognised_exams"} <= set(event.data["fields"])
    # Now that the organisation requires two-factor, the unenrolled user is sent to set it up.
    response = client.get(reverse("verification:details"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("verification:two_factor"))
    session = client.session
    session[totp.SESSION_KEY] = primary.user.pk
    session.save()
    page = client.get(reverse("verification:details")).content.decode()
    assert "checked" in page and "C1 Advanced" in page


def test_each_user_edits_their_own_profile(colleague):
    client = signed_in(colleague)
    page = client.get(reverse("verification:profile")).content.decode()
    for name in ("password_reset", "verification:notifications", "verification:two_factor"):
        assert reverse(name) in page
    response = client.post(reverse("verification:profile"), {
        "first_name": "Noé", "last_name": "Membre", "job_title": "Dean", "language": "fr",
        "time_zone": "America/Toronto"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "fr"
    colleague.refresh_from_db()
    user = colleague.user
    assert (user.first_name, user.last_name, user.language, user.time_zone) == (
        "Noé", "Membre", "fr", "America/Toronto")
    assert colleague.job_title == "Dean"
    refused = client.post(reverse("verification:profile"), {
        "first_name": "N", "last_name": "M", "job_title": "D", "language": "xx",
        "time_zone": "Mars/Base"})
    assert {"language", "time_zone"} <= set(refused.context["form"].errors)


# --- Help ------------------------------------------------------------------------------------
def test_the_contact_form_writes_to_the_board_without_auditing_the_text(
        colleague, board_user, make_user, mailoutbox, django_capture_on_commit_callbacks):
    second_board = make_user(Role.BOARD, language="en")
    client = signed_in(colleague)
    page = client.get(reverse("verification:help")).content.decode()
    assert 'id="faq"' in page and "Statement of Results number" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("verification:help"), {
            "subject": "Bulk question", "message": "How many rows can a CSV hold?"})
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == sorted([board_user.email, second_board.email])
    assert all("Bulk question" in m.subject and "How many rows" in m.body for m in mailoutbox)
    assert all(colleague.user.email in m.body for m in mailoutbox)
    event = AuditEvent.objects.get(action="verification.help_contact")
    assert event.actor == colleague.user and "How many" not in str(event.data)


def test_the_contact_form_uses_the_board_address_and_is_limited(
        colleague, board_user, settings, mailoutbox, django_capture_on_commit_callbacks):
    settings.BOARD_CONTACT_EMAIL = "board@langcert.example"
    client = signed_in(colleague)
    for n in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("verification:help"), {"subject": f"Q{n}", "message": "?"})
    assert [m.to for m in mailoutbox] == [["board@langcert.example"]] * 5
    refused = client.post(reverse("verification:help"), {"subject": "Q6", "message": "?"})
    assert "Too many requests" in refused.content.decode() and len(mailoutbox) == 5
