"""Signing in, role-aware home pages, password reset through the outbox, the admin, the
language switch and the production settings."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from langcert.core.models import OutboundEmail, User
from langcert.core.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("role", "area"),
    [(Role.BOARD, "board_home"), (Role.CENTRE, "centres:home"),
     (Role.EVALUATOR, "evaluator_home"), (Role.ORGANISATION, "verification:shared_results"),
     (Role.CANDIDATE, "portal:home")],
)
def test_home_sends_each_person_to_their_area(client, make_user, role, area):
    user = make_user(role)
    response = client.post(reverse("login"), {"username": user.email.upper(),
                                              "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(area)
    assert response.status_code == 200


def test_visitors_are_sent_to_sign_in(client):
    assert client.get(reverse("home"))["Location"] == reverse("login")


@pytest.mark.real_password_hashing
def test_passwords_are_hashed_with_argon2(make_user):
    assert make_user(Role.CENTRE).password.startswith("argon2")


def test_wrong_passwords_are_limited(client, make_user):
    user = make_user(Role.CENTRE)
    for _ in range(10):
        response = client.post(reverse("login"), {"username": user.email, "password": "nope"})
        assert response.status_code == 200
    # Even the right password is refused while the limit holds.
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "15" in response.content.decode()


def test_password_reset_goes_through_the_outbox(client, make_user, mailoutbox,
                                                django_capture_on_commit_callbacks):
    user = make_user(Role.EVALUATOR, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": user.email})
    assert response["Location"] == reverse("password_reset_done")
    assert OutboundEmail.objects.filter(to=user.email).count() == 1
    [message] = mailoutbox
    link = re.search(r"https?://\S+/password-reset/\S+/\S+/", message.body).group(0)
    page = client.get(link, follow=True)
    assert page.status_code == 200
    response = client.post(page.redirect_chain[-1][0],
                           {"new_password1": "n3w-Password-77", "new_password2": "n3w-Password-77"})
    assert response["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("n3w-Password-77")


def test_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response["Location"] == reverse("password_reset_done")
    assert not OutboundEmail.objects.exists()


def test_only_board_staff_reach_the_admin(client, make_user):
    for role in (Role.CENTRE, Role.EVALUATOR, Role.ORGANISATION, Role.CANDIDATE):
        client.force_login(make_user(role))
        assert client.get("/admin/").status_code == 302  # to the admin's own login
    client.force_login(make_user(Role.BOARD))
    assert client.get("/admin/").status_code == 200
    for url in ("/admin/centres/entry/", "/admin/catalog/exam/", "/admin/core/auditevent/",
                "/admin/core/user/?role__exact=centre", "/admin/verification/organisation/"):
        assert client.get(url).status_code == 200, url


def test_admin_changes_are_audited(client, make_user, centre):
    board = make_user(Role.BOARD)
    client.force_login(board)
    response = client.post(
        f"/admin/centres/centre/{centre.pk}/change/",
        {"code": centre.code, "name": "Renamed centre", "city": "", "country": "FR",
         "time_zone": "Europe/Paris", "language": "fr"},
    )
    assert response.status_code == 302
    from langcert.core.audit import events_for

    event = events_for(centre).get(action="admin.change")
    assert event.actor == board and "name" in event.data["fields"]


def test_the_language_switch_changes_pages_and_the_stored_preference(client, make_user):
    user = make_user(Role.EVALUATOR, language="fr")
    client.force_login(user)
    client.post(reverse("switch_language"), {"language": "en", "next": "/evaluator/"})
    assert "My agenda" in client.get("/evaluator/").content.decode()
    user.refresh_from_db()
    assert user.language == "en"


def test_pages_are_in_french_for_a_french_speaker(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="fr">' in response.content.decode()
    assert "Se connecter" in response.content.decode()


def test_production_settings_pass_the_deploy_check():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(DJANGO_SECRET_KEY="p" * 30 + "-production-like-secret-key-0123456789",
               DJANGO_ALLOWED_HOSTS="langcert.example.org")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_user_emails_are_unique_whatever_the_case(make_user):
    make_user(Role.CENTRE, email="Same@Example.org")
    assert User.objects.filter(email__iexact="same@example.org").count() == 1


def test_password_reset_requests_are_limited(client, make_user):
    user = make_user(Role.EVALUATOR, language="en")
    client.cookies["django_language"] = "en"
    for _ in range(5):
        assert client.post(reverse("password_reset"), {"email": user.email}).status_code == 302
    refused = client.post(reverse("password_reset"), {"email": user.email})
    assert refused.status_code == 200 and "Too many requests" in refused.content.decode()


def test_an_invited_person_without_a_password_can_set_one(client, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    from langcert.core.services import user_create

    invited = user_create(actor=None, email="invited@test.example", role=Role.EVALUATOR,
                          password=None, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": invited.email})
    assert len(mailoutbox) == 1
