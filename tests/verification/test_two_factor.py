"""Two-factor authentication (TOTP) of organisation users: setup with a code computed here
by pyotp, the middleware that asks for a code once per session, wrong codes limited,
codes never accepted twice, and organisations that require it."""

import re

import pyotp
import pytest
from django.core.cache import cache
from django.urls import reverse

from langcert.core.audit import events_for
from langcert.core.crypto import decrypt
from langcert.core.roles import Role
from langcert.verification.two_factor import TwoFactorMiddleware
from tests.conftest import PASSWORD
from tests.verification.test_accounts import create_organisation, signed_in, web_client

pytestmark = pytest.mark.django_db

MIDDLEWARE = f"{TwoFactorMiddleware.__module__}.{TwoFactorMiddleware.__name__}"
TWO_FACTOR = reverse("verification:two_factor")


@pytest.fixture
def organisation(make_user):
    return create_organisation(make_user)


@pytest.fixture
def primary(organisation):
    return organisation.members.get(is_primary=True)


@pytest.fixture
def colleague(organisation):
    return organisation.members.get(is_primary=False)


@pytest.fixture(autouse=True)
def two_factor_middleware(settings):
    """The middleware as settings.MIDDLEWARE will have it: after authentication."""
    if MIDDLEWARE not in settings.MIDDLEWARE:
        after = settings.MIDDLEWARE.index("langcert.core.middleware.UserPreferencesMiddleware")
        settings.MIDDLEWARE = [*settings.MIDDLEWARE[:after + 1], MIDDLEWARE,
                               *settings.MIDDLEWARE[after + 1:]]


def secret_on_page(client) -> str:
    page = client.get(TWO_FACTOR).content.decode()
    return re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)


def set_up(member):
    """Turn two-factor on for `member` through the page; returns (client, totp)."""
    client = signed_in(member)
    totp = pyotp.TOTP(secret_on_page(client))
    response = client.post(TWO_FACTOR, {"code": totp.now()})
    assert response.status_code == 302, response.content.decode()
    return client, totp


def log_in(member):
    """A fresh session through the real login form."""
    client = web_client()
    assert client.post(reverse("login"), {"username": member.user.email,
                                          "password": PASSWORD}).status_code == 302
    return client


def next_code(totp) -> str:
    """The code of the next 30-second step: accepted (window of one step) and never used
    by an earlier call in the same test."""
    from django.utils import timezone

    return totp.at(timezone.now(), counter_offset=1)


def test_set_up_with_a_code_from_the_app(colleague):
    client = signed_in(colleague)
    page = client.get(TWO_FACTOR).content.decode()
    assert 'data-mode="setup"' in page and "<svg" in page
    secret = secret_on_page(client)
    assert secret_on_page(client) == secret  # a reload shows the same secret
    colleague.refresh_from_db()
    assert secret not in colleague.totp_secret  # stored encrypted
    assert decrypt(colleague.totp_secret.encode()).decode() == secret

    response = client.post(TWO_FACTOR, {"code": pyotp.TOTP(secret).now(),
                                        "next": reverse("verification:users")})
    assert response["Location"] == reverse("verification:users")
    colleague.refresh_from_db()
    assert colleague.totp_confirmed_at is not None
    assert events_for(colleague).filter(action="verification.two_factor_setup").exists()
    # This session passed: pages open; the page now manages the setting.
    assert client.get(reverse("verification:users")).status_code == 200
    assert 'data-mode="manage"' in client.get(TWO_FACTOR).content.decode()


def test_every_page_waits_for_the_code_in_a_new_session(colleague):
    _, totp = set_up(colleague)
    client = log_in(colleague)
    users = reverse("verification:users")
    response = client.get(users)
    assert response.status_code == 302
    assert response["Location"] == f"{TWO_FACTOR}?next=%2Forganisation%2Fusers%2F"
    assert client.post(reverse("verification:help"), {"subject": "s", "message": "m"})[
        "Location"] == TWO_FACTOR
    assert client.get(reverse("verification:shared_results")).status_code == 302
    assert 'data-mode="verify"' in client.get(TWO_FACTOR).content.decode()
    # Open before the code: the language switch, static files, signing out.
    assert client.post(reverse("switch_language"), {"language": "en", "next": "/"})[
        "Location"] == "/"
    assert client.get("/static/css/langcert.css").status_code != 302

    response = client.post(TWO_FACTOR, {"code": next_code(totp), "next": users})
    assert response["Location"] == users
    assert client.get(users).status_code == 200
    assert events_for(colleague).filter(action="verification.two_factor_verified").exists()

    assert client.post(reverse("logout")).status_code == 302
    again = log_in(colleague)
    assert again.get(users).status_code == 302  # each session passes its own code


def test_an_outside_next_address_is_not_followed(colleague):
    _, totp = set_up(colleague)
    client = log_in(colleague)
    response = client.post(TWO_FACTOR, {"code": next_code(totp),
                                        "next": "https://evil.example/"})
    assert response["Location"] == reverse("verification:shared_results")


def test_wrong_codes_are_refused_then_limited(colleague):
    _, totp = set_up(colleague)
    client = log_in(colleague)
    good = next_code(totp)
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(5):
        response = client.post(TWO_FACTOR, {"code": wrong})
        assert response.status_code == 200
        assert "This code is not right" in response.content.decode()
    refused = client.post(TWO_FACTOR, {"code": good})
    assert "Too many wrong codes" in refused.content.decode()
    assert client.get(reverse("verification:users")).status_code == 302
    assert events_for(colleague).filter(action="verification.two_factor_failed").count() == 5


def test_a_code_is_never_accepted_twice(colleague):
    client = signed_in(colleague)
    totp = pyotp.TOTP(secret_on_page(client))
    code = next_code(totp)
    assert client.post(TWO_FACTOR, {"code": code}).status_code == 302
    cache.clear()  # kept in the database: a cache restart or eviction lets no replay through
    other = log_in(colleague)
    replay = other.post(TWO_FACTOR, {"code": code})
    assert replay.status_code == 200 and "already used" in replay.content.decode()
    # Nor an older code once a newer one was used.
    older = other.post(TWO_FACTOR, {"code": totp.now()})
    assert older.status_code == 200
    assert other.get(reverse("verification:users")).status_code == 302


def test_an_organisation_that_requires_it_makes_users_set_it_up(organisation, colleague):
    organisation.two_factor = "required"
    organisation.save()
    client = log_in(colleague)
    response = client.get(reverse("verification:profile"))
    assert response["Location"].startswith(TWO_FACTOR)
    page = client.get(TWO_FACTOR).content.decode()
    assert 'data-mode="setup"' in page and 'id="required-notice"' in page
    totp = pyotp.TOTP(secret_on_page(client))
    client.post(TWO_FACTOR, {"code": totp.now()})
    assert client.get(reverse("verification:profile")).status_code == 200
    # It cannot be turned off while required.
    refused = client.post(TWO_FACTOR, {"action": "disable", "code": next_code(totp)})
    assert refused.status_code == 200
    colleague.refresh_from_db()
    assert colleague.totp_confirmed_at is not None


def test_optional_two_factor_leaves_other_users_alone(colleague, make_user):
    assert signed_in(colleague).get(reverse("verification:users")).status_code == 200
    client = web_client()
    client.force_login(make_user(Role.BOARD))
    assert client.get(reverse("verification:board_queue")).status_code == 200


def test_turning_it_off_needs_a_current_code(colleague):
    client, totp = set_up(colleague)
    refused = client.post(TWO_FACTOR, {"action": "disable", "code": "12345x"})
    assert refused.status_code == 200
    colleague.refresh_from_db()
    assert colleague.totp_confirmed_at is not None
    client.post(TWO_FACTOR, {"action": "disable", "code": next_code(totp)})
    colleague.refresh_from_db()
    assert colleague.totp_confirmed_at is None and colleague.totp_secret == ""
    assert log_in(colleague).get(reverse("verification:users")).status_code == 200


def test_the_primary_user_resets_a_lost_phone(primary, colleague):
    set_up(colleague)
    set_up(primary)[0].post(reverse("verification:user_edit", args=[colleague.pk]),
                            {"action": "reset_two_factor"})
    colleague.refresh_from_db()
    assert colleague.totp_confirmed_at is None and colleague.totp_secret == ""
    assert events_for(colleague).filter(action="verification.two_factor_reset").exists()
    assert log_in(colleague).get(reverse("verification:users")).status_code == 200
