"""Staff pages of the written test: the board's proctoring evidence."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from langcert.core import crypto
from langcert.core.audit import record_event
from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.delivery import selectors, services
from langcert.delivery.models import Attempt


@role_required(Role.BOARD)
def attempts(request):
    rows = Attempt.objects.select_related("entry__candidate", "entry__session__exam") \
        .order_by("-started_at")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "delivery/board_attempts.html", {"page": page})


@role_required(Role.BOARD)
def evidence(request, public_id):
    attempt = get_object_or_404(
        Attempt.objects.select_related("entry__candidate", "entry__session__exam"),
        public_id=public_id)
    return render(request, "delivery/board_evidence.html",
                  {"attempt": attempt, **selectors.evidence(attempt)})


@role_required(Role.BOARD)
@require_POST
def reopen(request, public_id):
    attempt = get_object_or_404(Attempt, public_id=public_id)
    try:
        services.reopen_stopped(actor=request.user, attempt=attempt,
                                reason=request.POST.get("reason", ""), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The test is reopened: the candidate can resume it."))
    return redirect("board_evidence", public_id=attempt.public_id)


@role_required(Role.BOARD)
def photo(request, public_id, kind):
    """A proctoring photo, decrypted for the board's review; every view is audited."""
    attempt = get_object_or_404(Attempt, public_id=public_id)
    name = {"face": attempt.face_photo, "id": attempt.id_photo}.get(kind)
    if not name:
        raise Http404
    record_event(actor=request.user, action=f"delivery.view_photo_{kind}", target=attempt,
                 request=request)
    response = HttpResponse(crypto.read_encrypted(name), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response
