"""In Chromium: a candidate registers with the ID Number and Secret Number, confirms from
the email, logs in, sees when the results come in their own time zone, then the result,
downloads the PDF, shares it with an organisation and revokes the share."""

import re
from datetime import UTC, date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from langcert.core.timefmt import local_datetime_text
from langcert.results import services
from langcert.results.models import Result
from tests.candidates_portal.conftest import university  # noqa: F401 (fixture)
from tests.e2e.test_centre_enrolment import live_server_artifact
from tests.helpers import id_and_secret, pdf_text
from tests.results.conftest import ADVANCED_SKILLS, entry_factory  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Northern lights 2026"
LINK = re.compile(r"https?://[^/\s]+(/my/confirm/\S+/)")  # the path, served by live_server


def test_register_confirm_see_download_share_and_revoke(live_server, browser, entry_factory,
                                                        advanced_session, university,
                                                        mailoutbox):
    release = (timezone.now() + timedelta(days=3)).replace(hour=14, minute=0, second=0,
                                                           microsecond=0, tzinfo=UTC)
    advanced_session.results_release_at = release
    advanced_session.save()
    entry = entry_factory(advanced_session, email="noor@example.org", first_name="Noor",
                          time_zone="Asia/Tokyo")
    id_number, secret = id_and_secret(mailoutbox[-1].body)
    context = browser.new_context(locale="en-GB")
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)

    page.goto(f"{live_server.url}/my/register/")
    page.get_by_label("ID Number").fill(id_number)
    page.get_by_label("Secret Number").fill(secret)
    page.locator("#id_email").fill("noor@example.org")
    page.get_by_label("Email address again").fill("noor@example.org")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Country of residence").select_option("JP")
    page.get_by_label("First language").select_option("ja")
    page.get_by_label("I accept the terms").check()
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#check-email")).to_be_visible()

    page.goto(live_server.url + LINK.search(mailoutbox[-1].body).group(1))
    expect(page.locator(".message.success")).to_contain_text("confirmed")
    page.get_by_label("Email address or ID Number").fill(id_number)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    when = local_datetime_text(release, "Asia/Tokyo", "en")
    expect(page.locator(f"#release-{entry.id_number}")).to_contain_text(when)

    # The marks arrive, the board's release runs: the result is there.
    now = timezone.now()
    Result.objects.create(
        entry=entry, source=Result.Source.IMPORT, overall_score=196, grade="B",
        outcome="grade_b", cefr_level="C1", skills=ADVANCED_SKILLS, certificate=True,
        exam_date=date(2026, 6, 13), status=Result.Status.APPROVED,
        earliest_release_at=now, release_at=now)
    services.release_due_results()
    page.reload()
    card = page.locator(f"#entry-{entry.id_number}")
    expect(card).to_contain_text("196")
    expect(card).to_contain_text("Pass at Grade B")
    view = card.get_by_role("link", name=re.compile("View results"))
    pdf = page.request.get(live_server.url + view.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    assert "196" in pdf_text(pdf.body())
    page.screenshot(path=str(live_server_artifact("candidate-results.png")), full_page=True)

    card.get_by_role("link", name="Share with an organisation").click()
    page.get_by_label("Organisation name").fill("Testing")
    page.get_by_role("button", name="Search").click()
    page.get_by_label("University of Testing").check()
    page.get_by_role("button", name="Share", exact=True).click()
    row = page.locator("#shares tbody tr", has_text="University of Testing")
    expect(row).to_contain_text("Not opened yet")
    row.get_by_role("button", name="Stop sharing with University of Testing").click()
    expect(page.locator("#shares tbody tr", has_text="University of Testing")).to_contain_text(
        "Revoked on")
    context.close()
