"""In Chromium: a candidate books then changes an interview; the evaluator scores it."""

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from langcert.catalog.models import Language
from langcert.core.roles import Role
from langcert.delivery.models import Attempt
from langcert.oral import services
from langcert.oral.models import Booking, EvaluatorProfile
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_book_change_and_score_an_interview(live_server, browser, enrolled, synthetic_bank,
                                            make_user):
    entry, secret = enrolled
    Attempt.objects.create(entry=entry, status="submitted", submitted_at=timezone.now())
    evaluator = make_user(Role.EVALUATOR, first_name="Eva", language="en")
    profile = EvaluatorProfile.objects.create(user=evaluator, meeting_link="https://meet.example/e")
    profile.languages.add(Language.objects.get(code="en"))
    day = (timezone.now() + timedelta(days=2)).date()
    services.availability_add(actor=evaluator, evaluator=profile, language=profile.languages.get(),
                              repeat="once", first_date=day, last_date=None,
                              start_time=time(9, 0), end_time=time(11, 0))

    context = browser.new_context(locale="en-GB")
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/test/")
    page.get_by_label("ID Number").fill(entry.id_number)
    page.get_by_label("Secret Number").fill(secret)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Book my oral interview").click()
    page.get_by_role("link", name="Next week").click()
    page.get_by_role("link", name="Previous week").click()
    if not page.locator("a.slot").count():
        page.get_by_role("link", name="Next week").click()
    page.locator("a.slot").first.click()
    page.get_by_role("button", name="Book").click()
    expect(page.locator("#current-booking")).to_contain_text("Interview booked")
    first = Booking.objects.get(entry=entry).starts_at
    # Change: pick another time; the booking moves.
    page.locator("a.slot").nth(1).click()
    page.get_by_role("button", name="Move my interview").click()
    expect(page.locator(".message.success")).to_be_visible()
    booking = Booking.objects.get(entry=entry, status="booked")
    assert booking.starts_at != first
    page.get_by_role("link", name="Confirm and quit").click()
    expect(page.get_by_text("Oral booked")).to_be_visible()
    context.close()

    staff = browser.new_context(locale="en-GB")
    page = staff.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill(evaluator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#agenda a").first.click()
    page.get_by_label("The candidate showed an ID document that matches them").check()
    for label in ("Vocabulary range and control", "Grammar and syntax", "Fluency",
                  "Pronunciation and intonation", "Interaction"):
        page.get_by_label(label).select_option("B2")
    page.get_by_label("Comment").fill("Confident and clear.")
    page.get_by_role("button", name="Save the scores").click()
    expect(page.get_by_text("The interview is recorded.")).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == "done" and booking.score.fluency == "B2"
    staff.close()
