"""Pages of an organisation user: Shared Results (the home page), Candidate Search, the
result page with its PDF and photo, and bulk verification in the browser.

A number and a date of birth travel only in POST bodies, never in a URL; a result opened
from a search is remembered in the browser session, so its page, PDF and photo stay
reachable without a share (and without personal data in the URL).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from langcert.candidates_portal.sharing import share_opened
from langcert.core.audit import client_ip
from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.results import documents
from langcert.results.photos import image_type
from langcert.verification import downloads, lookup, searching, selectors
from langcert.verification.forms_results import (
    DOWNLOAD_FORMATS,
    BulkVerificationForm,
    SearchForm,
    SharedResultsFilterForm,
)
from langcert.verification.models import OrganisationMember

FOUND_KEY = "verification_found_results"
FOUND_KEPT = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _member(request) -> OrganisationMember:
    return selectors.membership_of(request.user)


def _searcher(request, member: OrganisationMember, channel: str = "web") -> lookup.Searcher:
    return lookup.Searcher(organisation=member.organisation, user=request.user,
                           ip=client_ip(request), channel=channel)


def _found(request) -> list[str]:
    return request.session.get(FOUND_KEY, [])


def _remember_found(request, result) -> None:
    """Keep the public ids of results this browser found by search (the newest last)."""
    public_id = str(result.public_id)
    kept = [item for item in _found(request) if item != public_id] + [public_id]
    request.session[FOUND_KEY] = kept[-FOUND_KEPT:]


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    return response


# --- Shared Results --------------------------------------------------------------------
def _sort_of(request) -> str:
    sort = request.GET.get("sort", "")
    return sort if sort.lstrip("-") in selectors.SORTS else selectors.DEFAULT_SORT


def _sort_links(request, sort: str) -> dict[str, dict[str, str]]:
    """Each column's link (same filters, that column's order, the other way round if it is
    the current one) and its aria-sort value."""
    links = {}
    for key in selectors.SORTS:
        query = request.GET.copy()
        query.pop("page", None)
        query["sort"] = f"-{key}" if sort == key else key
        state = ("ascending" if sort == key else "descending" if sort == f"-{key}"
                 else "none")
        links[key] = {"query": query.urlencode(), "aria": state}
    return links


@role_required(Role.ORGANISATION)
@require_GET
def shared_results(request):
    try:
        member = _member(request)
    except PermissionDenied:
        # The home page explains instead of a bare refusal; other pages just refuse.
        return render(request, "verification/results_no_organisation.html")
    organisation = member.organisation
    form = SharedResultsFilterForm(request.GET or None,
                                   exams=selectors.exams_shared_with(organisation))
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    sort = _sort_of(request)
    shares = selectors.filter_shares(
        selectors.shared_results(organisation), name=filters.get("name") or "",
        exam=filters.get("exam"), shared_from=filters.get("shared_from"),
        shared_to=filters.get("shared_to"), sort=sort)
    page = Paginator(shares, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    page_query = request.GET.copy()
    page_query.pop("page", None)
    return render(request, "verification/results_shared.html", {
        "member": member, "new_count": selectors.new_shares_count(member), "form": form,
        "page": page, "sort": sort, "filters": filters, "sort_links": _sort_links(request, sort),
        "page_query": page_query.urlencode(), "formats": DOWNLOAD_FORMATS,
        "template_choices": downloads.template_choices(organisation)})


# --- Candidate Search ------------------------------------------------------------------
def _search_page(request, form, status=200, **context):
    return render(request, "verification/results_search.html",
                  {"form": form, **context}, status=status)


@role_required(Role.ORGANISATION)
@require_http_methods(["GET", "POST"])
def search(request):
    member = _member(request)
    if request.method == "GET":
        return _search_page(request, SearchForm())
    form = SearchForm(request.POST)
    if not form.is_valid():
        return _search_page(request, form, status=400)
    try:
        result = lookup.verify(statement_number=form.cleaned_data["statement_number"],
                               date_of_birth=form.cleaned_data["date_of_birth"],
                               searcher=_searcher(request, member))
    except lookup.LookupRefused as refusal:
        if refusal.code == "typo":
            form.add_error("statement_number", refusal.message)
            return _search_page(request, form, status=400)
        response = _search_page(request, form, status=429, refused=refusal.message)
        response["Retry-After"] = str(refusal.retry_after)
        return response
    if result is None:
        return _search_page(request, form, miss=lookup.MISS_MESSAGE)
    # `verify` has logged this view; the page is shown here, so nothing is logged twice.
    _remember_found(request, result)
    share = selectors.active_share(member.organisation, result)
    if share is not None:
        share_opened(share=share)
    return _private(_search_page(request, SearchForm(),
                                 detail=selectors.result_detail(result,
                                                                shared=share is not None)))


# --- One result ------------------------------------------------------------------------
@role_required(Role.ORGANISATION)
@require_GET
def result_detail(request, public_id):
    member = _member(request)
    result, share = selectors.viewable_result(member.organisation, public_id, _found(request))
    searching.result_opened(result=result, share=share, searcher=_searcher(request, member))
    detail = selectors.result_detail(result, shared=share is not None)
    return _private(render(request, "verification/results_detail.html",
                           {"detail": detail, "nav": "shared" if share else "search"}))


@role_required(Role.ORGANISATION)
@require_GET
def result_pdf(request, public_id):
    member = _member(request)
    result, _share = selectors.viewable_result(member.organisation, public_id, _found(request))
    language = get_language() if get_language() in ("fr", "en") else request.user.language
    try:
        pdf, filename = searching.result_document(result=result, language=language,
                                                  searcher=_searcher(request, member))
    except documents.DocumentUnavailable as error:
        raise Http404 from error
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return _private(response)


@role_required(Role.ORGANISATION)
@require_GET
def result_photo(request, public_id):
    member = _member(request)
    result, _share = selectors.viewable_result(member.organisation, public_id, _found(request))
    photo = searching.result_photo(result=result, searcher=_searcher(request, member),
                                   request=request)
    if photo is None:
        raise Http404
    response = HttpResponse(photo, content_type=image_type(photo) or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return _private(response)


# --- Bulk verification -----------------------------------------------------------------
def _bulk_page(request, form, status=200, errors=()):
    return render(request, "verification/results_bulk.html",
                  {"form": form, "errors": errors, "max_rows": searching.MAX_ROWS}, status=status)


@role_required(Role.ORGANISATION)
@require_http_methods(["GET", "POST"])
def bulk_verification(request):
    member = _member(request)
    if request.method == "GET":
        return _bulk_page(request, BulkVerificationForm())
    form = BulkVerificationForm(request.POST, request.FILES)
    if not form.is_valid():
        return _bulk_page(request, form, status=400)
    try:
        report, _counts = searching.bulk_verification_report(
            content=form.cleaned_data["file"].read(),
            searcher=_searcher(request, member, channel="bulk_web"))
    except ValidationError as error:
        return _bulk_page(request, form, status=400, errors=error.messages)
    response = HttpResponse(report, content_type=XLSX)
    name = f"verification-report-{timezone.now():%Y%m%d-%H%M%S}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _private(response)
