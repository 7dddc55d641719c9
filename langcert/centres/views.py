from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from langcert.catalog.selectors import job_target_levels
from langcert.centres import selectors, services
from langcert.centres.enrolment_files import COLUMNS
from langcert.centres.forms import EnrolmentFileForm, EnrolmentForm
from langcert.core import identifiers
from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.delivery.selectors import entries_with_progress

STAFF = (Role.CENTRE, Role.BOARD)
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@role_required(*STAFF)
def home(request):
    return render(request, "centres/home.html", {"sessions": selectors.sessions_for(request.user)})


def _session_page(request, session, form=None, file_form=None, report=None, status=200):
    context = {
        "session": session,
        "entries": entries_with_progress(selectors.entries_of_session(session)),
        "form": form or EnrolmentForm(),
        "file_form": file_form or EnrolmentFileForm(),
        "report": report,
        "job_levels": job_target_levels(),
    }
    return render(request, "centres/session.html", context, status=status)


@role_required(*STAFF)
def session_detail(request, public_id):
    return _session_page(request, selectors.session_for(request.user, public_id))


@role_required(*STAFF)
@require_POST
def enrol(request, public_id):
    session = selectors.session_for(request.user, public_id)
    form = EnrolmentForm(request.POST)
    if form.is_valid():
        try:
            entry = services.entry_enrol(
                actor=request.user, session=session, data=form.cleaned_data, request=request
            )
        except ValidationError as error:
            form.add_error(None, error)  # a dict of errors lands on its fields
        else:
            messages.success(
                request,
                _("%(name)s is enrolled with ID Number %(id)s. The confirmation of entry has "
                  "been emailed.")
                % {"name": entry.candidate.full_name, "id": identifiers.display(entry.id_number)},
            )
            return redirect("centres:session", public_id=session.public_id)
    return _session_page(request, session, form=form, status=400)


@role_required(*STAFF)
@require_POST
def import_entries(request, public_id):
    session = selectors.session_for(request.user, public_id)
    file_form = EnrolmentFileForm(request.POST, request.FILES)
    if not file_form.is_valid():
        return _session_page(request, session, file_form=file_form, status=400)
    upload = file_form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD_BYTES:
        file_form.add_error("file", _("The file is larger than 5 MB."))
        return _session_page(request, session, file_form=file_form, status=400)
    report = services.entries_import(
        actor=request.user,
        session=session,
        file_name=upload.name,
        content=upload.read(),
        request=request,
    )
    if report.ok:
        messages.success(
            request,
            _("%(count)d candidates enrolled. Their confirmations of entry have been emailed.")
            % {"count": len(report.entries)},
        )
        return redirect("centres:session", public_id=session.public_id)
    return _session_page(request, session, report=report, status=400)


@role_required(*STAFF)
def entry_detail(request, public_id):
    entry = selectors.entry_for(request.user, public_id)
    return render(request, "centres/entry.html", {"entry": entry})


@role_required(*STAFF)
@require_POST
def reissue_secret(request, public_id):
    entry = selectors.entry_for(request.user, public_id)
    services.entry_reissue_secret(actor=request.user, entry=entry, request=request)
    messages.success(
        request,
        _("A new Secret Number has been emailed with the confirmation of entry. The old one "
          "no longer works."),
    )
    return redirect("centres:entry", public_id=entry.public_id)


@role_required(*STAFF)
def enrolment_template(request):
    """An empty CSV with the expected columns, and one example row."""
    example = [
        "Camille", "Martin", "1999-04-17", "F", "camille.martin@example.org", "12AB34567",
        "Europe/Paris", "fr", "Comptable", "", "yes", "",
    ]
    body = ",".join(COLUMNS) + "\r\n" + ",".join(example) + "\r\n"
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="enrolment-template.csv"'
    return response
