"""The candidate's results: every entry, the release time in their zone, the PDFs."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from langcert.candidates_portal import selectors
from langcert.core.audit import record_event
from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.results import documents


@role_required(Role.CANDIDATE)
def home(request):
    rows = selectors.result_rows(request.user)
    released = [row["result"].pk for row in rows if row["result"] is not None]
    if released:
        record_event(actor=request.user, action="portal.view_results", request=request,
                     data={"results": released})
    return render(request, "candidates_portal/home.html", {"rows": rows})


@role_required(Role.CANDIDATE)
def document(request, public_id, kind):
    """The candidate's own copy: never with the photo, never stamped."""
    result = selectors.own_released_result(request.user, public_id)
    language = get_language() if get_language() in ("fr", "en") else request.user.language
    try:
        pdf = documents.render_result_document(result, kind, language=language)
    except documents.DocumentUnavailable as error:
        raise Http404 from error
    record_event(actor=request.user, action="portal.download", target=result, request=request,
                 data={"kind": kind})
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = documents.document_filename(result, kind, language)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
