"""Board page: import the marks of a Cambridge exam or DELTA from a file."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.results import imports
from langcert.results.forms import ResultImportForm
from langcert.results.models import ResultImport

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _page(request, form, report=None, status=200):
    context = {
        "form": form,
        "report": report,
        "exams": imports.importable_exams(),
        "recent": ResultImport.objects.select_related("exam")[:10],
    }
    return render(request, "results/import.html", context, status=status)


def _template(code):
    exam = imports.importable_exams().filter(code=code).first()
    if exam is None:
        raise Http404
    # A byte-order mark, so spreadsheet programs read the accents of French headers.
    response = HttpResponse("\ufeff" + imports.template_csv(exam),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="marks-{exam.code}.csv"'
    return response


def _import(request):
    form = ResultImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD_BYTES:
        form.add_error("file", _("The file is larger than 5 MB."))
        return _page(request, form, status=400)
    report = imports.results_import(
        actor=request.user, exam=form.cleaned_data["exam"], file_name=upload.name,
        content=upload.read(), request=request,
    )
    return _page(request, form, report=report, status=200 if report.ok else 400)


@role_required(Role.BOARD)
@require_http_methods(["GET", "POST"])
def import_results(request):
    if request.method == "POST":
        return _import(request)
    if "template" in request.GET:
        return _template(request.GET["template"])
    return _page(request, ResultImportForm(initial={"exam": request.GET.get("exam")}))
