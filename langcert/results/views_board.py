"""Board pages of results: dashboard, review queue, one result, withdrawal, documents."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from langcert.catalog.labels import skill_label
from langcert.catalog.models import Exam
from langcert.core.audit import record_event
from langcert.core.cefr import LEVEL_ORDER
from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.results import documents, selectors, services
from langcert.results.models import Result

RESULT_ROWS = ("entry__candidate", "entry__session__exam", "entry__session__centre")


@role_required(Role.BOARD)
def dashboard(request):
    exam_id = request.GET.get("exam") or None
    if exam_id is not None and not exam_id.isdigit():
        exam_id = None
    distribution = selectors.cefr_distribution(exam_id)
    return render(request, "results/board_dashboard.html", {
        "exams": Exam.objects.order_by("name"),
        "exam_id": int(exam_id) if exam_id else None,
        "sessions": selectors.results_by_session(exam_id),
        "charts": _charts(distribution),
        "to_review": selectors.results_to_review()[:10],
        "to_review_count": selectors.results_to_review().count(),
        "scheduled": selectors.scheduled_releases()[:20],
        "statuses": [label for value, label in Result.Status.choices
                     if value != Result.Status.WITHDRAWN],
    })


CHART_HEIGHT = 100  # px of the tallest bar in the SVG (viewBox 280 x 130)


def _charts(distribution: dict[str, dict[str, int]]) -> list[dict]:
    """Bars per skill, scaled to the skill's most frequent level, for an inline SVG."""
    charts = []
    for skill, counts in distribution.items():
        peak = max(counts.values())
        bars = []
        for position, level in enumerate(LEVEL_ORDER):
            n = counts.get(level, 0)
            height = round(CHART_HEIGHT * n / peak)
            bars.append({"level": level, "short": "<A1" if level == "BELOW_A1" else level,
                         "n": n, "x": 8 + 38 * position, "y": 110 - height,
                         "height": height, "label_y": 106 - height})
        label = _("Overall") if skill == "overall" else skill_label(skill)
        charts.append({"skill": skill, "label": label, "bars": bars,
                       "total": sum(counts.values())})
    return charts


@role_required(Role.BOARD)
def reviews(request):
    if request.method == "POST":
        chosen = Result.objects.filter(public_id__in=request.POST.getlist("result"))
        approved = services.results_approve_clean(actor=request.user, results=list(chosen),
                                                  request=request)
        skipped = len(chosen) - approved
        messages.success(request, _("%(n)d results approved.") % {"n": approved})
        if skipped:
            messages.warning(request, _(
                "%(n)d results were not approved: they need a look one by one.")
                % {"n": skipped})
        return redirect("results:reviews")
    rows = [(result, selectors.review_summary(result))
            for result in selectors.results_to_review()[:200]]
    return render(request, "results/board_reviews.html", {"rows": rows})


@role_required(Role.BOARD)
def result_detail(request, public_id):
    result = get_object_or_404(Result.objects.select_related(*RESULT_ROWS), public_id=public_id)
    record_event(actor=request.user, action="results.view", target=result, request=request)
    return render(request, "results/board_result.html", {
        "result": result, "summary": selectors.review_summary(result),
        "skills": [(skill_label(s["skill"]), s) for s in result.skills],
        "oral": [(skill_label(c), level) for c, level in result.oral_criteria.items()],
        "documents": [(kind, documents.DocumentKind(kind).label)
                      for kind in documents.available_documents(result)],
        "reasons": Result.WithdrawalReason.choices,
    })


@role_required(Role.BOARD)
@require_POST
def review(request, public_id):
    result = get_object_or_404(Result, public_id=public_id)
    try:
        if request.POST.get("decision") == "approve":
            services.result_approve(actor=request.user, result=result, request=request)
            messages.success(request, _("Approved: the release is scheduled."))
        else:
            services.result_hold(actor=request.user, result=result,
                                 reason=request.POST.get("reason", ""), request=request)
            messages.success(request, _("The result is held."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("results:detail", public_id=result.public_id)


@role_required(Role.BOARD)
@require_POST
def withdraw(request, public_id):
    result = get_object_or_404(Result, public_id=public_id)
    try:
        services.result_withdraw(actor=request.user, result=result,
                                 reason=request.POST.get("reason", ""),
                                 note=request.POST.get("note", ""), request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The result is withdrawn."))
    return redirect("results:detail", public_id=result.public_id)


@role_required(Role.BOARD)
def document(request, public_id, kind):
    """The candidate's copy of a document, as the board checks it; audited."""
    result = get_object_or_404(Result.objects.select_related(*RESULT_ROWS), public_id=public_id)
    language = request.GET.get("language") or get_language()
    if language not in ("fr", "en"):
        raise Http404
    try:
        pdf = documents.render_result_document(result, kind, language=language)
    except documents.DocumentUnavailable as error:
        raise Http404 from error
    record_event(actor=request.user, action="results.download", target=result,
                 request=request, data={"kind": kind})
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = documents.document_filename(result, kind, language)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
