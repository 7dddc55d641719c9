"""In Chromium with a fake camera and microphone: the checks and a whole written test."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from langcert.delivery.models import Attempt, Delivery, ProctoringEvent, SkillScore
from langcert.itembank.models import Item

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def answer_somehow(page):
    """Give an answer of the right shape to whatever item is on screen."""
    item = page.locator("#item")
    for select in item.locator("select").all():
        select.select_option(index=1)
    for box in item.locator("input[type=text]").all():
        box.fill("answer")
    radios = item.locator("input[type=radio]")
    if radios.count():
        radios.first.check()
    while item.locator("button.order-part:not([disabled])").count():
        item.locator("button.order-part:not([disabled])").first.click()


def current_question(page):
    return int(re.search(r"\d+", page.locator("#q-number").inner_text()).group())


@pytest.fixture
def shipped_bank():
    call_command("load_itembank")
    return Item.objects.filter(language__code="en", status="live")


def test_a_candidate_takes_the_whole_written_test(live_server, browser, enrolled, shipped_bank):
    entry, secret = enrolled
    context = browser.new_context(locale="en-GB")
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())

    # Sign in from the enrolment link: the ID Number comes in the URL fragment.
    page.goto(f"{live_server.url}/test/#{entry.id_number_display}")
    expect(page.get_by_label("ID Number")).to_have_value(entry.id_number_display)
    page.get_by_label("Secret Number").fill(secret)
    page.get_by_role("button", name="Continue").click()

    # The technical check: the browser measures, the server decides.
    page.get_by_role("link", name="Run the technical check").click()
    with page.expect_response("**/api/device-check/start/") as started:
        page.get_by_role("button", name="Run the check").click()
    beeps = started.value.json()["beeps"]
    page.get_by_label("How many beeps did you hear?").select_option(str(beeps))
    page.get_by_role("button", name="Finish the check").click()
    expect(page.locator("#check-status")).to_have_text("Your computer is ready for the test.")
    page.get_by_role("link", name="My written test").click()
    page.get_by_role("link", name="Start the checks").click()

    page.get_by_label("I have read the rules and I accept them.").check()
    page.get_by_role("button", name="Continue").click()
    for step in ("#step-face", "#step-id"):
        section = page.locator(step)
        expect(section.locator("video")).to_be_visible()
        page.wait_for_function(f"document.querySelector('{step} video').videoWidth > 0")
        section.get_by_role("button", name="Take the photo").click()
        section.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Record (3 seconds)").click()
    expect(page.get_by_text("We heard you")).to_be_visible(timeout=10_000)
    page.get_by_role("link", name="All checks done: continue").click()
    page.get_by_role("link", name="Start the test").click()

    types_answered, timed_out, restarted, offline_sent = set(), False, False, False
    while True:
        expect(page.locator("#question, #headphones, #confirm").locator("visible=true")
               ).to_be_visible(timeout=20_000)
        if page.locator("#confirm").is_visible():
            break
        if page.locator("#headphones").is_visible():
            page.get_by_role("button", name="My headphones are on").click()
        number = current_question(page)
        question = Delivery.objects.get(section__attempt__entry=entry, number=number)
        if question.item.type == "listening" and "listening" not in types_answered:
            play = page.get_by_role("button", name="Play the recording")
            for left in ("1", "0"):
                expect(play).to_be_enabled(timeout=60_000)  # after the clip has played
                play.click()
                expect(page.locator("#plays-left")).to_contain_text(left)
            expect(play).to_be_disabled()
            refused = page.evaluate(
                """id => fetch('/test/api/play/', {method: 'POST', credentials: 'same-origin',
                       headers: {'Content-Type': 'application/json',
                                 'X-CSRFToken': document.getElementById('player').dataset.csrf},
                       body: JSON.stringify({question: id})}).then(r => r.status)""",
                str(question.public_id))
            assert refused == 409
        if number == 3 and not timed_out:  # let this one run out of time
            timed_out = True
            expect(page.locator("#pause")).to_be_visible(timeout=question.item.time_limit * 1000
                                                         + 5_000)
            expect(page.locator("#q-number")).not_to_have_text(f"Question {number}",
                                                               timeout=10_000)
            continue
        if number == 14 and not restarted:  # an incident: restart the section
            restarted = True
            page.get_by_role("button", name="Restart the section").click()
            expect(page.locator("#notice")).to_contain_text("starts again")
            continue
        answer_somehow(page)
        types_answered.add(question.item.type)
        page.get_by_role("button", name="Validate my answer").click()
        expect(page.locator("#q-number")).not_to_have_text(f"Question {number}")

    assert types_answered == {"gap_select", "gap_text", "word_bank", "word_order",
                              "sentence_order", "multiple_choice", "listening"}
    # Send while offline: the answers wait in the browser, and go when back online.
    context.set_offline(True)
    page.get_by_label("Confirmation").fill("CONFIRM")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#send-state")).to_contain_text("Not sent yet")
    attempt = Attempt.objects.get(entry=entry)
    assert attempt.status == Attempt.Status.FINISHED
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#send-state")).to_have_text("Sent")
    offline_sent = True
    attempt.refresh_from_db()
    assert attempt.status == Attempt.Status.SUBMITTED and offline_sent
    assert SkillScore.objects.filter(attempt=attempt).count() == 5
    assert Delivery.objects.filter(section__attempt=attempt, status="timed_out").exists()
    kinds = set(ProctoringEvent.objects.filter(attempt=attempt).values_list("kind", flat=True))
    assert "section_restart" in kinds
    page.screenshot(path="var/test/screenshots/written-test-sent.png")
    context.close()
