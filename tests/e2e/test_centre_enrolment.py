"""In Chromium: centre staff sign in, enrol a candidate, and see the entry."""

import pytest
from playwright.sync_api import expect

from langcert.centres.models import Entry
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_centre_staff_enrol_a_candidate_in_the_browser(live_server, page, centre_user,
                                                      adaptive_session):
    centre_user.language = "en"
    centre_user.save()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill(centre_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
    page.get_by_role("link", name=adaptive_session.code).click()

    form = page.locator("#enrol-form")
    form.get_by_label("First name").fill("Katherine")
    form.get_by_label("Last name").fill("Johnson")
    form.get_by_label("Date of birth").fill("1993-08-26")
    form.get_by_label("Gender").select_option("F")
    form.get_by_label("Email address").fill("katherine@example.org")
    form.get_by_label("ID document number").fill("KJ 1918")
    form.get_by_label("Time zone").select_option("America/New_York")
    form.get_by_label("Job", exact=True).select_option(label="Accountant")
    expect(page.locator("#target-suggestion")).to_contain_text("B1")
    form.get_by_role("button", name="Enrol").click()

    expect(page.locator(".message.success")).to_contain_text("Katherine JOHNSON")
    entry = Entry.objects.get()
    row = page.locator("#entries tbody tr", has_text="Katherine JOHNSON")
    expect(row).to_contain_text(entry.id_number_display)
    expect(row).to_contain_text("B1")
    assert entry.candidate.time_zone == "America/New_York"
    page.screenshot(path=str(live_server_artifact("centre-enrolment.png")), full_page=True)


def live_server_artifact(name):
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
