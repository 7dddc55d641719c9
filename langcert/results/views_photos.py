"""Centre page: upload the test-day photos of a paper exam's session.

Uploads are kept in memory (never in a temporary file on disk) until they are stored
encrypted, and the page never shows or serves a photo back.
"""

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from langcert.centres import selectors as centre_selectors
from langcert.core import identifiers
from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.results import photos
from langcert.results.forms import PhotoForm, PhotoZipForm
from langcert.results.models import TestDayPhoto

STAFF = (Role.CENTRE, Role.BOARD)
MAX_UPLOAD_BYTES = photos.MAX_ZIP_TOTAL_BYTES + 10 * 1024 * 1024  # room for the zip's headers


class InMemoryUploadHandler(FileUploadHandler):
    """Keeps uploaded files in memory up to `max_bytes`: a photo never reaches a temporary
    file. A larger file is dropped and `too_big` says so."""

    def __init__(self, request, max_bytes):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.too_big = False

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer, self.overflow = io.BytesIO(), False

    def receive_data_chunk(self, raw_data, start):
        if self.overflow or start + len(raw_data) > self.max_bytes:
            self.buffer, self.overflow, self.too_big = io.BytesIO(), True, True
        else:
            self.buffer.write(raw_data)

    def file_complete(self, file_size):
        if self.overflow:
            return None
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer, field_name=self.field_name, name=self.file_name,
            content_type=self.content_type, size=file_size, charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def _photo_session(user, public_id):
    """The session, if the user runs its centre and it is a paper exam; 404 otherwise."""
    session = centre_selectors.session_for(user, public_id)
    if session.exam.is_adaptive:
        raise Http404
    return session


def _entries(session):
    received = TestDayPhoto.objects.filter(entry=OuterRef("pk")).values("uploaded_at")[:1]
    return centre_selectors.entries_of_session(session).annotate(
        photo_received_at=Subquery(received))


def _page(request, session, zip_form=None, report=None, error="", status=200):
    context = {
        "session": session, "entries": _entries(session), "zip_form": zip_form or PhotoZipForm(),
        "report": report, "error": error, "max_mb": photos.MAX_PHOTO_BYTES // (1024 * 1024),
    }
    return render(request, "results/centre_photos.html", context, status=status)


def _one_photo(request, session):
    form = PhotoForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, session, error=_("Choose a photo to upload."), status=400)
    entry = session.entries.filter(public_id=form.cleaned_data["entry"]).first()
    if entry is None:
        raise Http404
    upload = form.cleaned_data["photo"]
    try:
        photos.photo_upload(actor=request.user, entry=entry, file_name=upload.name,
                            content=upload.read(), request=request)
    except ValidationError as error:
        message = f"{identifiers.display(entry.id_number)}: {error.messages[0]}"
        return _page(request, session, error=message, status=400)
    messages.success(request, _("Photo received for %(id)s.")
                     % {"id": identifiers.display(entry.id_number)})
    return redirect("results:centre_photos", public_id=session.public_id)


def _zip(request, session):
    form = PhotoZipForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, session, zip_form=form, status=400)
    report = photos.photos_upload_zip(actor=request.user, session=session,
                                      content=form.cleaned_data["archive"].read(),
                                      request=request)
    if not report.ok:
        return _page(request, session, zip_form=form, report=report, status=400)
    messages.success(request, ngettext("%(count)d photo received.", "%(count)d photos received.",
                                       report.stored) % {"count": report.stored})
    return redirect("results:centre_photos", public_id=session.public_id)


@csrf_protect
def _post(request, session, handler):
    action = request.POST.get("action")  # reads the upload through `handler`
    if handler.too_big:
        return _page(request, session, status=400, error=_(
            "The file is too large: at most %(size)d MB.") % {"size": handler.max_bytes >> 20})
    return _zip(request, session) if action == "zip" else _one_photo(request, session)


@csrf_exempt  # checked by _post, once the upload handlers are in place
@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def upload_photos(request, public_id):
    session = _photo_session(request.user, public_id)
    if request.method == "GET":
        return _page(request, session)
    handler = InMemoryUploadHandler(request, MAX_UPLOAD_BYTES)
    request.upload_handlers = [handler]
    return _post(request, session, handler)
