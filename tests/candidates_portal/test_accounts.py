"""Registering with the ID Number and Secret Number, confirming, logging in, adding
entries and changing the email address, through real HTTP and the real outbox."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from langcert.candidates_portal.models import ResultsAccount
from langcert.core.audit import events_for
from langcert.core.models import User
from tests.conftest import PASSWORD as PORTAL_PASSWORD
from tests.helpers import id_and_secret

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse 42 battery"
LINK = re.compile(r"https?://\S+/my/(?:confirm|account/email)/\S+/")


@pytest.fixture
def fresh_entry(entry_factory, advanced_session, mailoutbox):
    """(entry, id_number, secret) of a candidate without an account yet."""
    entry = entry_factory(advanced_session, email="ines@example.org", first_name="Inès")
    id_number, secret = id_and_secret(mailoutbox[-1].body)
    return entry, id_number, secret


def form(pair_id, pair_secret, **overrides):
    data = {"id_number": pair_id, "secret_number": pair_secret, "email": "ines@example.org",
            "email_again": "ines@example.org", "password": PASSWORD, "password_again": PASSWORD,
            "country": "FR", "first_language": "fr", "terms": "on"}
    data.update(overrides)
    return data


@pytest.fixture
def web(client):
    client.cookies["django_language"] = "en"
    return client


def register(web, fresh_entry, django_capture_on_commit_callbacks, **overrides):
    _, id_number, secret = fresh_entry
    with django_capture_on_commit_callbacks(execute=True):
        return web.post(reverse("portal:register"), form(id_number, secret) | overrides)


def field_errors(response) -> dict[str, list[str]]:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def test_register_confirm_and_log_in_with_the_id_number(web, fresh_entry, mailoutbox,
                                                       django_capture_on_commit_callbacks):
    entry, id_number, _ = fresh_entry
    response = register(web, fresh_entry, django_capture_on_commit_callbacks)
    assert response.status_code == 200 and b"check-email" in response.content
    user = User.objects.get(email="ines@example.org")
    assert user.role == "candidate" and user.candidate_records.get() == entry.candidate
    assert ResultsAccount.objects.get(user=user).country == "FR"
    assert events_for(user).filter(action="portal.register").exists()

    # Not before the email is confirmed.
    refused = web.post(reverse("login"), {"username": id_number, "password": PASSWORD})
    assert "Confirm your email address first" in refused.content.decode()

    link = LINK.search(mailoutbox[-1].body).group(0)
    assert web.get(link).status_code == 302
    logged = web.post(reverse("login"), {"username": id_number.lower(), "password": PASSWORD})
    assert logged.status_code == 302
    assert web.get(reverse("portal:home")).status_code == 200


def test_log_in_with_the_email_too(web, fresh_entry, mailoutbox,
                                   django_capture_on_commit_callbacks):
    register(web, fresh_entry, django_capture_on_commit_callbacks)
    web.get(LINK.search(mailoutbox[-1].body).group(0))
    response = web.post(reverse("login"), {"username": "INES@example.org", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"email_again": "other@example.org"}, "email_again", "differ"),
    ({"password_again": "something else 12"}, "password_again", "differ"),
    ({"password": "sh0rt1", "password_again": "sh0rt1"}, "password", "too short"),
    ({"password": "no digits at all here", "password_again": "no digits at all here"},
     "password", "2 digits"),
    ({"password": "password12", "password_again": "password12"}, "password", "too common"),
    ({"terms": ""}, "terms", "required"),
    ({"country": ""}, "country", "required"),
    ({"email": "not-an-email", "email_again": "not-an-email"}, "email", "valid email"),
])
def test_each_registration_mistake_is_shown_beside_its_field(
        web, fresh_entry, django_capture_on_commit_callbacks, overrides, field, words):
    response = register(web, fresh_entry, django_capture_on_commit_callbacks, **overrides)
    errors = field_errors(response)
    assert words in " ".join(errors[field])
    assert not User.objects.filter(email="ines@example.org").exists()


def test_the_secret_number_is_refused_as_a_password(web, fresh_entry,
                                                    django_capture_on_commit_callbacks):
    secret = fresh_entry[2]  # 8 symbols, often with 2 digits: it could pass the other rules
    response = register(web, fresh_entry, django_capture_on_commit_callbacks,
                        password=secret, password_again=secret)
    assert "not your Secret Number" in " ".join(field_errors(response)["password"])


def test_a_wrong_pair_never_says_which_half_was_wrong(web, fresh_entry,
                                                      django_capture_on_commit_callbacks):
    _, id_number, secret = fresh_entry
    wrong_secret = register(web, fresh_entry, django_capture_on_commit_callbacks,
                            secret_number="2345-6789")
    wrong_id = register(web, fresh_entry, django_capture_on_commit_callbacks,
                        id_number="2345-6789", secret_number=secret)
    first = field_errors(wrong_secret)["__all__"]
    assert first == field_errors(wrong_id)["__all__"]
    assert "do not match" in first[0]


def test_lockout_after_repeated_wrong_secret_numbers(web, fresh_entry,
                                                     django_capture_on_commit_callbacks):
    for n in range(5):
        register(web, fresh_entry, django_capture_on_commit_callbacks,
                 secret_number=f"2345-678{n + 2}")
    # Even the right secret is refused now, from any address, until the window passes.
    other = Client(REMOTE_ADDR="198.51.100.9")
    other.cookies["django_language"] = "en"
    locked = register(other, fresh_entry, django_capture_on_commit_callbacks)
    assert "Too many wrong attempts" in " ".join(field_errors(locked)["__all__"])
    assert not User.objects.filter(email="ines@example.org").exists()


def test_confirmation_link_expires_and_can_be_sent_again(web, fresh_entry, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    register(web, fresh_entry, django_capture_on_commit_callbacks)
    link = LINK.search(mailoutbox[-1].body).group(0)
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        expired = web.get(link)
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        web.post(reverse("portal:resend_confirmation"), {"email": "ines@example.org"})
    fresh = LINK.search(mailoutbox[-1].body).group(0)
    assert fresh != link and web.get(fresh).status_code == 302
    assert ResultsAccount.objects.get().is_confirmed


def test_kind_words_for_the_secret_typed_as_password_and_for_the_unregistered(
        web, fresh_entry, mailoutbox, django_capture_on_commit_callbacks):
    _, id_number, secret = fresh_entry
    unregistered = web.post(reverse("login"), {"username": id_number, "password": "whatever1"})
    assert "You have not registered yet" in unregistered.content.decode()
    assert reverse("portal:register") in unregistered.content.decode()
    register(web, fresh_entry, django_capture_on_commit_callbacks)
    web.get(LINK.search(mailoutbox[-1].body).group(0))
    mistaken = web.post(reverse("login"), {"username": id_number, "password": secret})
    assert "This is your Secret Number" in mistaken.content.decode()


def test_an_entry_cannot_be_registered_twice(web, fresh_entry, mailoutbox,
                                             django_capture_on_commit_callbacks):
    register(web, fresh_entry, django_capture_on_commit_callbacks)
    again = register(web, fresh_entry, django_capture_on_commit_callbacks,
                     email="someone@example.org", email_again="someone@example.org")
    assert "already belongs to an account" in " ".join(field_errors(again)["__all__"])


def test_further_entries_join_the_account(portal_client, portal_user, entry_factory,
                                          advanced_session, adaptive_session, mailoutbox):
    entry = entry_factory(adaptive_session)
    id_number, secret = id_and_secret(mailoutbox[-1].body)
    response = portal_client.post(reverse("portal:add_entry"),
                                  {"id_number": id_number, "secret_number": secret})
    assert response.status_code == 302
    entry.candidate.refresh_from_db()
    assert entry.candidate.account == portal_user
    page = portal_client.get(reverse("portal:home")).content.decode()
    assert entry.id_number_display in page


def test_email_change_needs_the_password_and_the_new_address_link(
        portal_client, portal_user, mailoutbox, django_capture_on_commit_callbacks):
    url = reverse("portal:account")
    wrong = portal_client.post(url, {"new_email": "new@example.org", "password": "nope"})
    assert "not your password" in " ".join(field_errors(wrong)["password"])
    with django_capture_on_commit_callbacks(execute=True):
        portal_client.post(url, {"new_email": "new@example.org", "password": PORTAL_PASSWORD})
    message = mailoutbox[-1]
    assert message.to == ["new@example.org"]
    portal_client.get(LINK.search(message.body).group(0))
    portal_user.refresh_from_db()
    assert portal_user.email == "new@example.org"
