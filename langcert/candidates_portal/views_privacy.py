"""The candidate's privacy page (photo consent, updates, access log, removal request) and
the board's removal requests. Thin: the rules live in `candidates_portal.privacy`."""

from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from langcert.candidates_portal import privacy as services
from langcert.candidates_portal.models import ResultsAccount
from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.core.timefmt import local_datetime_text

ACCESS_LOG_PAGE_SIZE = 20
DONE_REMOVALS_SHOWN = 100


class ConsentForm(forms.Form):
    entry = forms.UUIDField()
    consent = forms.TypedChoiceField(choices=[("yes", "yes"), ("no", "no")],
                                     coerce=lambda value: value == "yes")


class UpdatesForm(forms.Form):
    wants_updates = forms.BooleanField(
        required=False, label=gettext_lazy("Send me news and updates about LangCert"))


class RemovalForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you want your data removed? (optional)"), required=False,
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that my photos and personal data will be erased, "
                           "that no organisation will be able to verify my results any more, "
                           "and that this account will be closed."),
        error_messages={"required": gettext_lazy(
            "Tick the box to confirm that you understand what the removal means.")})


def _when(request, moment: datetime | None) -> str:
    """A moment in the signed-in person's own time zone and language."""
    if moment is None:
        return ""
    return local_datetime_text(moment, request.user.time_zone, get_language())


def _access_rows(request) -> tuple:
    page = Paginator(services.access_log(request.user), ACCESS_LOG_PAGE_SIZE).get_page(
        request.GET.get("page"))
    rows = [{"organisation": event.organisation.name, "kind": event.get_kind_display(),
             "exam": event.result.entry.session.exam.name,
             "when": _when(request, event.occurred_at)} for event in page]
    return page, rows


def _page(request, *, removal_form=None, error="", status=200):
    account = ResultsAccount.objects.filter(user=request.user).first()
    page, access_rows = _access_rows(request)
    pending = services.pending_removal(request.user)
    entries = [{"entry": entry, "changed": _when(request, entry.photo_consent_changed_at)}
               for entry in services.own_entries(request.user)]
    return render(request, "candidates_portal/privacy.html", {
        "entries": entries, "error": error, "account": account,
        "updates_form": UpdatesForm(initial={"wants_updates": bool(
            account and account.wants_updates)}),
        "page": page, "access_rows": access_rows,
        "pending": pending, "pending_since": _when(request, pending and pending.requested_at),
        "removal_form": removal_form or RemovalForm(),
    }, status=status)


def _set_consent(request):
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return _page(request, error=_("Choose whether your photo may be shown."), status=400)
    entry = services.own_entry(request.user, form.cleaned_data["entry"])
    consent = form.cleaned_data["consent"]
    try:
        services.photo_consent_set(actor=request.user, entry=entry, consent=consent,
                                   request=request)
    except ValidationError as error:
        return _page(request, error=error.messages[0], status=400)
    messages.success(request, _("Organisations you share a result with will see your "
                                "test-day photo.") if consent else
                     _("Your test-day photo is no longer shown to any organisation."))
    return redirect("portal:privacy")


def _set_updates(request):
    form = UpdatesForm(request.POST)
    form.is_valid()  # a missing box means "no"
    wants = bool(form.cleaned_data.get("wants_updates"))
    services.updates_set(actor=request.user, wants=wants, request=request)
    messages.success(request, _("You will get news and updates.") if wants else
                     _("You will no longer get news and updates."))
    return redirect("portal:privacy")


@role_required(Role.CANDIDATE)
@require_http_methods(["GET", "POST"])
def privacy(request):
    if request.method == "GET":
        return _page(request)
    action = request.POST.get("action")
    if action == "consent":
        return _set_consent(request)
    if action == "updates":
        return _set_updates(request)
    return _page(request, error=_("Unknown action."), status=400)


@role_required(Role.CANDIDATE)
@require_POST
def request_removal(request):
    form = RemovalForm(request.POST)
    if form.is_valid():
        try:
            services.removal_request(actor=request.user, reason=form.cleaned_data["reason"],
                                     request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your request has been sent. You will get an email "
                                        "once your data has been removed."))
            return redirect("portal:privacy")
    return _page(request, removal_form=form, status=400)


@role_required(Role.BOARD)
def board_removals(request):
    return render(request, "candidates_portal/board_removals.html", {
        "pending": services.pending_removals(),
        "done": services.done_removals()[:DONE_REMOVALS_SHOWN],
    })


@role_required(Role.BOARD)
@require_http_methods(["GET", "POST"])
def board_removal(request, request_id):
    removal = get_object_or_404(services.removals_for_board(), pk=request_id)
    if request.method == "GET":
        return render(request, "candidates_portal/board_removal.html", {
            "removal": removal, "rows": services.removal_entries(removal)})
    try:
        services.removal_process(actor=request.user, removal=removal, request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Removal request %(number)d is done: the data is erased.")
                         % {"number": removal.pk})
    return redirect("portal:board_removals")
