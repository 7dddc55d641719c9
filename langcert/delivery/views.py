"""The candidate's written test: pages, and the small JSON API the player talks to.

Candidates sign in here with ID Number + Secret Number; the attempt is then held in the
session. Every API call acts on that attempt only, so no one can reach another's questions,
photos or clips.
"""

import json
import secrets
import zoneinfo
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from langcert.core.audit import client_ip
from langcert.delivery import labels, selectors, services, techcheck
from langcert.delivery.forms import SignInForm
from langcert.delivery.models import Attempt
from langcert.delivery.services import DeliveryError
from langcert.itembank.scoring import max_points, score_answer
from langcert.oral import selectors as oral_selectors

SESSION_KEY = "written_test_attempt"
SECRET_ISSUED_KEY = "written_test_secret_issued"
TEST_SESSION_SECONDS = 12 * 60 * 60
MAX_JSON_BYTES = 64 * 1024


def attempt_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        attempt = Attempt.objects.select_related("entry__session__exam", "entry__candidate") \
            .filter(pk=request.session.get(SESSION_KEY)).first()
        # A new Secret Number ends every session opened with the old one.
        if attempt is not None and request.session.get(SECRET_ISSUED_KEY) != \
                attempt.entry.secret_issued_at.isoformat():
            attempt = None
        if attempt is None:
            if request.path.startswith("/test/api/"):
                return JsonResponse({"error": "signed_out"}, status=401)
            # Back where the link pointed (e.g. the booking page from a reminder email).
            return redirect(f"{reverse('delivery:sign_in')}?{urlencode({'next': request.path})}")
        request.attempt = attempt
        candidate = attempt.entry.candidate
        timezone.activate(zoneinfo.ZoneInfo(candidate.time_zone))
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            translation.activate(candidate.language)
        return view(request, *args, **kwargs)

    return never_cache(wrapped)


def _json_body(request) -> dict[str, Any]:
    unreadable = _("The request could not be read. Reload the page.")
    if len(request.body) > MAX_JSON_BYTES:
        raise ValidationError(unreadable)
    try:
        data = json.loads(request.body or b"{}")
    except json.JSONDecodeError as error:
        raise ValidationError(unreadable) from error
    if not isinstance(data, dict):
        raise ValidationError(unreadable)
    return data


def api(view):
    """JSON in, JSON out, with the delivery's refusals as 409 and bad input as 400."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, _json_body(request), *args, **kwargs)
        except DeliveryError as error:
            return JsonResponse({"error": error.code, "message": error.message}, status=409)
        except ValidationError as error:
            return JsonResponse({"error": "invalid", "message": " ".join(error.messages)},
                                status=400)

    return attempt_required(require_POST(wrapped))


def _next_test_page(request) -> str:
    """Where to go after signing in: a page of the candidate's own area, else its home."""
    target = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    return target if safe and target.startswith("/test/") else reverse("delivery:home")


@never_cache
def sign_in(request):
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            attempt = services.sign_in(id_number=form.cleaned_data["id_number"],
                                       secret=form.cleaned_data["secret_number"],
                                       ip=client_ip(request))
        except DeliveryError as error:
            form.add_error(None, error.message)
        else:
            request.session.cycle_key()
            request.session[SESSION_KEY] = attempt.pk
            request.session[SECRET_ISSUED_KEY] = attempt.entry.secret_issued_at.isoformat()
            request.session.set_expiry(TEST_SESSION_SECONDS)
            return redirect(_next_test_page(request))
    return render(request, "delivery/sign_in.html", {"form": form},
                  status=400 if form.errors else 200)


@require_POST
def sign_out(request):
    request.session.pop(SESSION_KEY, None)
    return redirect("delivery:sign_in")


@attempt_required
def home(request):
    attempt = request.attempt
    return render(request, "delivery/home.html", {
        "attempt": attempt, "entry": attempt.entry,
        "state_label": selectors.test_state_label(attempt),
        "tests": selectors.tests_of_candidate(attempt),
        "oral_stage": oral_selectors.oral_stage(attempt.entry),
        "booking": oral_selectors.active_booking(attempt.entry),
    })


@attempt_required
def checks(request):
    return render(request, "delivery/checks.html",
                  {"attempt": request.attempt, "labels": labels.check_labels()})


@attempt_required
def player(request):
    if not request.attempt.checks_done:
        return redirect("delivery:checks")
    player_labels = labels.player_labels()
    return render(request, "delivery/player.html", {
        "attempt": request.attempt, "labels": player_labels,
        "confirm_word": player_labels["confirm_word"],
    })


@api
def accept_rules(request, data):
    services.accept_rules(attempt=request.attempt)
    return JsonResponse({"ok": True})


@attempt_required
@require_POST
def photo(request, kind):
    try:
        services.store_photo(attempt=request.attempt, kind=kind, data=request.body)
    except ValidationError as error:
        return JsonResponse({"ok": False, "message": " ".join(error.messages)}, status=400)
    return JsonResponse({"ok": True})


@api
def microphone(request, data):
    try:
        peak = min(max(float(data.get("peak_level") or 0), 0.0), 1.0)
        duration = int(min(max(float(data.get("duration_ms") or 0), 0.0), 600_000))
    except (TypeError, ValueError) as error:
        raise ValidationError(_("The measurement could not be read.")) from error
    heard = services.record_microphone(attempt=request.attempt, peak_level=peak,
                                       duration_ms=duration)
    message = "" if heard else _("We could not hear you. Check the microphone and try again.")
    return JsonResponse({"ok": heard, "message": message})


@api
def begin(request, data):
    step = services.start_or_resume(attempt=request.attempt, reloaded=bool(data.get("reloaded")))
    return JsonResponse(selectors.step_payload(step, request.attempt))


@api
def answer(request, data):
    step = services.answer(attempt=request.attempt, delivery_id=data.get("question"),
                           given=data.get("answer"), answer_key=data.get("key"))
    return JsonResponse(selectors.step_payload(step, request.attempt))


@api
def restart(request, data):
    step = services.restart_section(attempt=request.attempt)
    return JsonResponse(selectors.step_payload(step, request.attempt))


@api
def play(request, data):
    token = services.issue_audio_play(attempt=request.attempt, delivery_id=data.get("question"))
    return JsonResponse({"url": f"/test/audio/{token}/"})


@attempt_required
def audio(request, token):
    try:
        clip = services.use_audio_play(attempt=request.attempt, token=token)
    except PermissionDenied:
        return HttpResponse(status=410)
    return HttpResponse(clip, content_type="audio/ogg")


@api
def event(request, data):
    services.log_client_event(attempt=request.attempt, kind=str(data.get("kind")),
                              data=data.get("data") or {})
    return JsonResponse({"ok": True})


@api
def submit(request, data):
    attempt = services.submit(attempt=request.attempt, confirmation=str(data.get("confirmation")))
    return JsonResponse({"status": attempt.status})


# --- Ahead of the day: the technical check and the practice test --------------------------

BEEPS_KEY = "tech_check_beeps"


@attempt_required
def device_check(request):
    return render(request, "delivery/device_check.html", {
        "attempt": request.attempt, "labels": labels.device_labels(),
        "last": request.attempt.tech_checks.first(),
    })


@api
def device_check_start(request, data):
    beeps = services.new_beep_challenge()
    request.session[BEEPS_KEY] = beeps
    return JsonResponse({"beeps": beeps, "payload_url": "/test/device-check/payload/"})


@attempt_required
def device_check_payload(request):
    """Bytes to time the download with; random so no proxy can compress them."""
    return HttpResponse(secrets.token_bytes(techcheck.PAYLOAD_BYTES),
                        content_type="application/octet-stream")


@attempt_required
def device_check_ping(request):
    return HttpResponse(status=204)


@api
def device_check_result(request, data):
    beeps = request.session.pop(BEEPS_KEY, None)
    if beeps is None:
        return JsonResponse({"error": "start_first",
                             "message": _("Press “Run the check” to start.")}, status=409)
    data["user_agent"] = request.META.get("HTTP_USER_AGENT", "")
    check = services.record_tech_check(attempt=request.attempt, measurements=data,
                                       beeps_played=beeps)
    return JsonResponse({"passed": check.passed, "results": check.results})


@attempt_required
def practice(request):
    shown = selectors.practice_presentations(request.attempt.entry.session.exam.language_id)
    return render(request, "delivery/practice.html",
                  {"items": shown, "labels": labels.player_labels()})


@api
def practice_check(request, data):
    items = selectors.practice_items(request.attempt.entry.session.exam.language_id)
    item = next((i for i in items if i.code == data.get("item")), None)
    if item is None:
        return JsonResponse({"error": "unknown_item"}, status=404)
    return JsonResponse({"points": score_answer(item.type, item.content, data.get("answer")),
                         "max": max_points(item.type, item.content)})


@attempt_required
def practice_audio(request, code):
    items = selectors.practice_items(request.attempt.entry.session.exam.language_id)
    item = next((i for i in items if i.code == code and i.type == "listening"), None)
    if item is None:
        return HttpResponse(status=404)
    with item.audio.open("rb") as clip:
        return HttpResponse(clip.read(), content_type="audio/ogg")
