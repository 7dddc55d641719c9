"""The Downloads tab (history, progress, files, custom templates) and each user's email
notifications. Thin views: the rules live in `downloads` and `notifications`; every object
is looked up within the user's own organisation (404 otherwise)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.verification import downloads as service
from langcert.verification import notifications as notification_service
from langcert.verification import selectors
from langcert.verification.forms_downloads import (
    SCOPE_ALL,
    DownloadRequestForm,
    NotificationForm,
    TemplateForm,
)
from langcert.verification.models import DataDownload

organisation_user = role_required(Role.ORGANISATION)
HISTORY_PAGE_SIZE = 20


def _organisation(request):
    return selectors.membership_of(request.user).organisation


@organisation_user
@require_GET
def downloads(request):
    """The download history; a file that may no longer be served expires first."""
    organisation = _organisation(request)
    service.expire_stale_downloads(organisation=organisation)
    page = Paginator(service.downloads_of(organisation), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page"))
    rows = [{"download": d, "template": service.template_label(d)} for d in page]
    form = DownloadRequestForm(organisation=organisation, initial={"scope": SCOPE_ALL})
    return render(request, "verification/downloads_history.html",
                  {"page": page, "rows": rows, "form": form, "tab": "downloads"})


def _refused(request, reasons: list[str]):
    return render(request, "verification/downloads_refused.html",
                  {"reasons": reasons, "tab": "downloads"}, status=400)


@organisation_user
@require_POST
def request_download(request):
    """"Download Options" of Shared Results (or "every shared result" of the history):
    results not shared with the organisation are left out, and the user is told."""
    organisation = _organisation(request)
    form = DownloadRequestForm(request.POST, organisation=organisation)
    if not form.is_valid():
        return _refused(request, [e for errors in form.errors.values() for e in errors])
    data = form.cleaned_data
    ids = data["result"] if data["scope"] != SCOPE_ALL else None
    results = service.selected_results(
        organisation, result_ids=ids, shared_from=data.get("shared_from"),
        shared_to=data.get("shared_to"), time_zone=request.user.time_zone)
    try:
        download = service.download_request(
            actor=request.user, organisation=organisation, file_format=data["format"],
            template=data["template"], results=results,
            language=translation.get_language() or request.user.language, request=request)
    except ValidationError as error:
        return _refused(request, error.messages)
    left_out = len(ids) - download.total if ids is not None else 0
    if left_out > 0:
        messages.warning(request, ngettext(
            "%(n)d chosen result is not shared with your organisation and was left out.",
            "%(n)d chosen results are not shared with your organisation and were left out.",
            left_out) % {"n": left_out})
    return redirect("verification:download_status", public_id=download.public_id)


@organisation_user
@require_GET
def download_status(request, public_id):
    """Progress of one download; `?format=json` answers {status, done, total} for the
    page's progress bar."""
    organisation = _organisation(request)
    download = service.download_of(organisation, public_id)
    if request.GET.get("format") == "json":
        response = JsonResponse({"status": download.status, "done": download.done,
                                 "total": download.total})
        response["Cache-Control"] = "private, no-store"
        return response
    if download.status == DataDownload.Status.READY:
        service.expire_stale_downloads(download_ids=[download.pk])
        download.refresh_from_db()
    return _status_page(request, download)


def _status_page(request, download, status=200):
    context = {"download": download, "template": service.template_label(download),
               "reason": service.unavailable_reason(download), "tab": "downloads",
               "preparing": download.status in (DataDownload.Status.QUEUED,
                                                DataDownload.Status.RUNNING)}
    return render(request, "verification/downloads_status.html", context, status=status)


@organisation_user
@require_GET
def download_file(request, public_id):
    """The file again, from the history: audited, never cached by shared caches."""
    organisation = _organisation(request)
    download = service.download_of(organisation, public_id)
    try:
        served = service.download_fetch(actor=request.user, organisation=organisation,
                                        download=download, request=request)
    except service.DownloadUnavailable:
        download.refresh_from_db()
        gone = download.status == DataDownload.Status.EXPIRED
        return _status_page(request, download, status=410 if gone else 409)
    response = StreamingHttpResponse(served.chunks, content_type=served.content_type)
    response["Content-Disposition"] = f'attachment; filename="{served.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@organisation_user
@require_http_methods(["GET", "POST"])
def templates(request):
    """Custom templates: the list; `?new` or `?edit=<id>` opens the form; POST saves or
    (action=delete) deletes."""
    organisation = _organisation(request)
    chosen = request.POST.get("template") or request.GET.get("edit")
    template = service.template_of(organisation, chosen) if chosen else None
    form, status = None, 200
    if request.method == "POST" and request.POST.get("action") == "delete":
        if template is None:
            return _refused(request, [_("Choose a template to delete.")])
        service.template_delete(actor=request.user, organisation=organisation,
                                template=template, request=request)
        messages.success(request, _("The template “%(name)s” was deleted.")
                         % {"name": template.name})
        return redirect("verification:templates")
    if request.method == "POST":
        form = TemplateForm(request.POST)
        if form.is_valid():
            try:
                saved = service.template_save(
                    actor=request.user, organisation=organisation, template=template,
                    name=form.cleaned_data["name"], columns=form.cleaned_data["columns"],
                    header_language=form.cleaned_data["header_language"], request=request)
            except ValidationError as error:
                form.add_error("name" if error.code == "duplicate" else None, error)
            else:
                messages.success(request, _("The template “%(name)s” was saved.")
                                 % {"name": saved.name})
                return redirect("verification:templates")
        status = 400
    elif template is not None:
        form = TemplateForm(template=template)
    elif "new" in request.GET:
        form = TemplateForm(initial={"header_language": translation.get_language()})
    context = {"templates": service.templates_of(organisation), "form": form,
               "editing": template, "tab": "downloads"}
    return render(request, "verification/downloads_templates.html", context, status=status)


@organisation_user
@require_http_methods(["GET", "POST"])
def notifications(request):
    """Each user's own email notifications: on/off, and how often."""
    member = selectors.membership_of(request.user)
    form = NotificationForm.for_member(member, request.POST or None)
    if request.method == "POST" and form.is_valid():
        notification_service.notification_settings_update(
            actor=request.user, member=member, notify=form.cleaned_data["notify"],
            frequency=form.cleaned_data["notify_frequency"], request=request)
        messages.success(request, _("Your notification preferences were saved."))
        return redirect("verification:notifications")
    return render(request, "verification/downloads_notifications.html",
                  {"form": form, "member": member, "tab": "notifications"},
                  status=400 if request.method == "POST" else 200)
