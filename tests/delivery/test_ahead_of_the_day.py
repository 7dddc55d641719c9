"""The technical check's verdict, the practice test and the "test available" email."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from langcert.delivery import services
from langcert.delivery.models import Attempt, TechCheck
from langcert.delivery.tasks import announce_open_tests
from langcert.delivery.techcheck import browser_ok, verdict
from langcert.delivery.views import BEEPS_KEY
from tests.delivery.fixtures import GOOD_DEVICE
from tests.helpers import sign_in_candidate


@pytest.mark.parametrize(
    ("change", "failing"),
    [
        ({}, set()),
        ({"user_agent": "Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko"},
         {"browser"}),
        ({"camera_width": 0}, {"camera"}),
        ({"microphone_peak": 0.001}, {"microphone"}),
        ({"beeps_heard": 2}, {"speakers"}),
        ({"download_ms": 9000}, {"connection"}),
        ({"round_trips_ms": [1500, 1600, 1700]}, {"connection"}),
        ({"download_ms": "fast", "round_trips_ms": ["x"]}, {"connection"}),
    ],
)
def test_the_server_decides_each_criterion(change, failing):
    results = verdict(GOOD_DEVICE | change, beeps_played=3)
    assert {name for name, ok in results.items() if not ok} == failing


def test_browser_versions():
    assert browser_ok("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
    assert browser_ok("Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                      "Version/17.4 Safari/605.1.15")
    assert not browser_ok("Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Version/12.1 "
                          "Safari/605.1.15")
    assert not browser_ok("curl/8.0")


@pytest.mark.django_db
def test_the_test_cannot_start_without_a_passed_check(ready_attempt):
    ready_attempt.tech_check_passed_at = None
    ready_attempt.save()
    with pytest.raises(services.DeliveryError) as raised:
        services.start_or_resume(attempt=ready_attempt, reloaded=False)
    assert raised.value.code == "tech_check_needed"


@pytest.mark.django_db
def test_a_flag_from_the_browser_cannot_pass_the_check(client, enrolled, synthetic_bank):
    entry, secret = enrolled
    attempt = services.sign_in(id_number=entry.id_number, secret=secret, ip=None)
    sign_in_candidate(client, attempt)
    assert client.post("/test/api/device-check/", {"passed": True},
                       content_type="application/json").status_code == 409  # no challenge
    start = client.post("/test/api/device-check/start/", {}, content_type="application/json")
    beeps = start.json()["beeps"]
    assert client.session[BEEPS_KEY] == beeps
    reply = client.post("/test/api/device-check/", {"passed": True, "results": {"camera": True}},
                        content_type="application/json",
                        HTTP_USER_AGENT=GOOD_DEVICE["user_agent"]).json()
    assert reply["passed"] is False and reply["results"]["browser"] is True
    client.post("/test/api/device-check/start/", {}, content_type="application/json")
    beeps = client.session[BEEPS_KEY]
    good = client.post("/test/api/device-check/", GOOD_DEVICE | {"beeps_heard": beeps},
                       content_type="application/json",
                       HTTP_USER_AGENT=GOOD_DEVICE["user_agent"]).json()
    assert good["passed"] is True
    attempt.refresh_from_db()
    assert attempt.tech_check_passed_at is not None
    assert TechCheck.objects.filter(attempt=attempt).count() == 2


@pytest.mark.django_db
def test_the_centre_sees_who_passed_the_check(client, centre_user, ready_attempt):
    client.force_login(centre_user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("centres:session", args=[ready_attempt.entry.session.public_id]))
    assert "Checks done" in page.content.decode()


@pytest.mark.django_db
def test_the_practice_test_has_one_unscored_item_of_each_type(client, ready_attempt):
    from django.core.management import call_command

    call_command("load_itembank")
    sign_in_candidate(client, ready_attempt)
    page = client.get(reverse("delivery:practice"))
    items = page.context["items"]
    assert {item["type"] for item in items} == {
        "gap_select", "gap_text", "word_bank", "word_order", "sentence_order",
        "multiple_choice", "listening"}
    checked = client.post("/test/api/practice/", {"item": items[0]["code"], "answer": {}},
                          content_type="application/json").json()
    assert checked["points"] == 0 and checked["max"] >= 1
    listening = next(i for i in items if i["type"] == "listening")
    assert client.get(f"/test/practice/audio/{listening['code']}/").content.startswith(b"OggS")
    assert client.post("/test/api/practice/", {"item": "EN-VOC-9999"},
                       content_type="application/json").status_code == 404
    assert not Attempt.objects.get(pk=ready_attempt.pk).sections.exists()


@pytest.mark.django_db
def test_candidates_are_told_once_when_the_window_opens(enrolled, mailoutbox, time_machine,
                                                       django_capture_on_commit_callbacks):
    entry, _ = enrolled
    session = entry.session
    session.opens_at = timezone.now() + timedelta(hours=2)
    session.save()
    mailoutbox.clear()
    assert announce_open_tests.apply().get() == 0
    time_machine.move_to(session.opens_at + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert announce_open_tests.apply().get() == 1
        assert announce_open_tests.apply().get() == 0
    [message] = mailoutbox
    assert f"/test/#{entry.id_number_display}" in message.body
    assert entry.id_number not in message.extra_headers.get("List-Unsubscribe", "")
