"""Pages of the oral interview: the candidate's and the centre's booking calendar, and the
evaluator's agenda, availability and interview form."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from langcert.centres import selectors as centre_selectors
from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.core.timefmt import local_datetime_text
from langcert.delivery.views import attempt_required
from langcert.oral import selectors, services
from langcert.oral.forms import AvailabilityForm, ScoreForm
from langcert.oral.models import EvaluatorProfile, Prompt
from langcert.oral.slots import monday_of


def _week(request, language) -> date:
    """The week asked for, else the first week with a free slot (else this week)."""
    try:
        return monday_of(date.fromisoformat(request.GET.get("week", "")))
    except ValueError:
        today = timezone.localdate()
        upcoming = selectors.free_slots(language, today, today + timedelta(weeks=8))
        return monday_of(upcoming[0].date() if upcoming else today)


def _slot(request) -> datetime | None:
    try:
        moment = datetime.fromisoformat(request.POST.get("slot") or request.GET.get("slot", ""))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def _calendar_page(request, entry, actor, back_url):
    """Week of free slots; choose one, confirm; change a booking the same way."""
    booking = selectors.active_booking(entry)
    candidate = entry.candidate
    if request.method == "POST":
        slot = _slot(request)
        try:
            if slot is None:
                raise ValidationError(_("Choose a time in the calendar."))
            services.booking_choose(actor=actor, entry=entry, starts_at=slot, request=request)
        except services.SlotTaken:
            messages.error(request, _("Sorry, this time has just been taken. Choose another."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your interview is booked. A confirmation email with "
                                        "a calendar file is on its way."))
        week = monday_of(slot.date()).isoformat() if slot else ""
        return redirect(f"{request.path}?week={week}")
    monday = _week(request, entry.session.exam.language)
    chosen = _slot(request)
    return render(request, "oral/calendar.html", {
        "entry": entry, "booking": booking, "monday": monday,
        "previous_week": monday.fromordinal(monday.toordinal() - 7),
        "next_week": monday.fromordinal(monday.toordinal() + 7),
        "days": selectors.week_calendar(entry.session.exam.language, monday,
                                        candidate.time_zone),
        "chosen": chosen,
        "chosen_text": local_datetime_text(chosen, candidate.time_zone, candidate.language)
        if chosen else "",
        "booking_text": local_datetime_text(booking.starts_at, candidate.time_zone,
                                            candidate.language) if booking else "",
        "time_zone": candidate.time_zone, "back_url": back_url,
        "contact_email": settings.CONTACT_EMAIL,
    })


@attempt_required
def candidate_calendar(request):
    entry = request.attempt.entry
    if not selectors.written_test_sent(entry):
        return redirect("delivery:home")
    return _calendar_page(request, entry, None, back_url="/test/home/")


@role_required(Role.CENTRE, Role.BOARD)
def centre_calendar(request, public_id):
    entry = centre_selectors.entry_for(request.user, public_id)
    return _calendar_page(request, entry, request.user,
                          back_url=f"/centre/entries/{entry.public_id}/")


@role_required(Role.EVALUATOR)
def agenda(request):
    profile = EvaluatorProfile.objects.filter(user=request.user).first()
    if profile is None:  # board staff have not set the evaluator's languages yet
        return render(request, "oral/agenda.html", {"profile": None})
    form = AvailabilityForm(request.POST or None, evaluator=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.availability_add(actor=request.user, evaluator=profile, request=request,
                                      **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Availability added."))
            return redirect("evaluator_home")
    return render(request, "oral/agenda.html", {
        "profile": profile, "form": form, "bookings": selectors.agenda(profile),
        "availabilities": profile.availabilities.select_related("language"),
    })


@role_required(Role.EVALUATOR)
def interview(request, public_id):
    booking = selectors.booking_for_evaluator(request.user, public_id)
    form = ScoreForm(request.POST or None)
    prompts = selectors.interview_prompts(booking)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.interview_score(
                actor=request.user, booking=booking, outcome=request.POST.get("outcome", ""),
                id_document_checked=data["id_document_checked"],
                levels={c: data[c] for c in services.CRITERIA}, comment=data["comment"],
                prompts=[int(p) for p in request.POST.getlist("prompt") if p.isdigit()],
                request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The interview is recorded."))
            return redirect("evaluator_home")
    return render(request, "oral/interview.html", {
        "booking": booking, "form": form, "prompts": prompts,
        "parts": Prompt.Part, "candidate": booking.entry.candidate,
    }, status=400 if form.errors else 200)
