"""Downloads of shared results: data files (xlsx, csv) built from a template, zips of PDF
statements, prepared in the background and kept in the organisation's download history.

Only results shared with the organisation (an active share) and still released can go
into a file, and a file is served again only while that holds for every result in it
(DESIGN.md, "Removal"): otherwise the download expires and its file is deleted.
"""

import csv
import io
import logging
import tempfile
import zipfile
import zoneinfo
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from uuid import UUID

import numpy
import xlsxwriter
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from langcert.core import crypto
from langcert.core.audit import record_event, record_events_on
from langcert.core.tasks_helper import enqueue
from langcert.results.documents import (
    DocumentUnavailable,
    available_documents,
    document_filename,
    render_result_document,
)
from langcert.results.models import Result
from langcert.results.selectors import released_results
from langcert.verification import result_data
from langcert.verification.lookup import Searcher
from langcert.verification.models import (
    AccessEvent,
    DataDownload,
    DownloadTemplate,
    Organisation,
    Share,
)

logger = logging.getLogger(__name__)

DEFAULT, SLATE = "default", "slate"
SLATE_NAME = "Slate"  # a product's name: the same in every language
PROGRESS_EVERY = 20
MAX_DATA_RESULTS = 100_000
MAX_PDF_RESULTS = 500  # each PDF is rendered: bigger batches go as data files
HEADER_MAX_LENGTH = 100
# A text cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    DataDownload.Format.XLSX:
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    DataDownload.Format.CSV: "text/csv; charset=utf-8",
    DataDownload.Format.PDF_ZIP: "application/zip",
}
EXTENSIONS = {DataDownload.Format.XLSX: "xlsx", DataDownload.Format.CSV: "csv",
              DataDownload.Format.PDF_ZIP: "zip"}


class DownloadUnavailable(Exception):
    """The file cannot be served; `message` says why, in the current language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ServedFile:
    chunks: Iterator[bytes]  # decrypted as it is sent: a big file never sits in memory
    filename: str
    content_type: str


# --- Selectors ---------------------------------------------------------------------------
def downloadable_results(organisation: Organisation) -> QuerySet[Result]:
    """Released results with an active share with the organisation: all a file may hold."""
    active = Share.objects.filter(result=OuterRef("pk"), organisation=organisation,
                                  revoked_at__isnull=True)
    return released_results().filter(Exists(active))


def templates_of(organisation: Organisation) -> QuerySet[DownloadTemplate]:
    return DownloadTemplate.objects.filter(organisation=organisation).order_by("name", "pk")


def template_of(organisation: Organisation, template_id: int | str) -> DownloadTemplate:
    """One of the organisation's templates; 404 for anyone else's."""
    if not str(template_id).isdigit():
        raise Http404
    return get_object_or_404(templates_of(organisation), pk=int(template_id))


def downloads_of(organisation: Organisation) -> QuerySet[DataDownload]:
    return (DataDownload.objects.filter(organisation=organisation)
            .select_related("requested_by").order_by("-created_at", "-pk"))


def download_of(organisation: Organisation, public_id: UUID | str) -> DataDownload:
    """One download of the organisation's history; 404 for anyone else's."""
    return get_object_or_404(downloads_of(organisation), public_id=public_id)


def template_choices(organisation: Organisation) -> list[tuple[str, str]]:
    """What the "Template" menu of a data file offers."""
    return [(DEFAULT, _("Default template (every detail)")),
            (SLATE, _("Slate (unique id first)")),
            *[(str(t.pk), t.name) for t in templates_of(organisation)]]


def template_label(download: DataDownload) -> str:
    if download.format == DataDownload.Format.PDF_ZIP:
        return ""
    return download.template_name or _("Default template")


def local_day_bounds(day: date, time_zone: str) -> datetime:
    """Midnight starting `day` in `time_zone` (daylight saving included), as an aware time."""
    return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(time_zone))


def selected_results(organisation: Organisation, *, result_ids: Sequence[UUID] | None = None,
                     shared_from: date | None = None, shared_to: date | None = None,
                     time_zone: str = "UTC") -> QuerySet[Result]:
    """The downloadable results picked by public id, or shared in a date range (in the
    user's time zone) when no ids are given."""
    results = downloadable_results(organisation)
    if result_ids is not None:
        return results.filter(public_id__in=list(result_ids))
    shares = Share.objects.filter(organisation=organisation, revoked_at__isnull=True)
    if shared_from:
        shares = shares.filter(shared_at__gte=local_day_bounds(shared_from, time_zone))
    if shared_to:
        end = local_day_bounds(shared_to + timedelta(days=1), time_zone)
        shares = shares.filter(shared_at__lt=end)
    return results.filter(pk__in=shares.values("result_id"))


# --- Columns and cells -------------------------------------------------------------------
def resolve_template(organisation: Organisation, choice: str,
                     language: str) -> tuple[str, list[dict[str, str]], str]:
    """(template name, columns with their headers, header language) of a template choice;
    the headers are written out so the request keeps them whatever happens to the template."""
    if choice == DEFAULT:
        name, columns = "", [{"field": code} for code in result_data.DEFAULT_COLUMNS]
    elif choice == SLATE:  # CRM imports match English headers
        name, columns = SLATE_NAME, [{"field": code} for code in result_data.SLATE_COLUMNS]
        language = "en"
    else:
        template = (templates_of(organisation).filter(pk=int(choice)).first()
                    if str(choice).isdigit() else None)
        if template is None:
            raise ValidationError(_("This template does not exist any more."), code="template")
        name, columns, language = template.name, template.columns, template.header_language
    frozen = [{"field": c["field"],
               "header": c.get("header") or result_data.field_label(c["field"], language)}
              for c in columns if c["field"] in result_data.FIELDS]
    return name, frozen, language


def neutralise(text: str) -> str:
    """A text a spreadsheet program would run as a formula, made plain text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any) -> tuple[str, Any]:
    """("text" | "number" | "date" | "blank", value): every cell's type is decided here,
    never guessed by the spreadsheet writer."""
    if value is None or value == "":
        return "blank", None
    if isinstance(value, bool):
        return "text", _("Yes") if value else _("No")
    if isinstance(value, int | float):
        return "number", value
    if isinstance(value, datetime):
        return "date", value.date()
    if isinstance(value, date):
        return "date", value
    return "text", neutralise(str(value))


def result_rows(results: Iterable[Result], fields: Sequence[str],
                language: str) -> Iterator[list[tuple[str, Any]]]:
    """Typed cells of each result, in the header language (genders, Yes/No...)."""
    for result in results:
        with translation.override(language):  # per row: a generator must not leak it
            values = result_data.result_fields(result, shared=True)
            row = [_cell(values.get(field)) for field in fields]
        yield row


def write_csv(out: BinaryIO, headers: Sequence[str],
              rows: Iterable[Sequence[tuple[str, Any]]], on_row=None) -> None:
    """UTF-8 with a byte order mark, so Excel reads accents right; dates as YYYY-MM-DD."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow([neutralise(h) for h in headers])
    for n, row in enumerate(rows, start=1):
        writer.writerow(["" if kind == "blank" else value.isoformat() if kind == "date"
                         else value for kind, value in row])
        if on_row:
            on_row(n)
    text.flush()
    text.detach()  # leave `out` open for the caller


def write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Sequence[tuple[str, Any]]],
               sheet_name: str, on_row=None) -> None:
    """Constant-memory XlsxWriter: each row is flushed to disk as it is written, so memory
    stays flat however many rows there are."""
    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
        "strings_to_numbers": False})
    sheet = workbook.add_worksheet(sheet_name[:31])
    bold = workbook.add_format({"bold": True})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.set_column(0, max(len(headers) - 1, 0), 20)
    sheet.freeze_panes(1, 0)
    for col, header in enumerate(headers):
        sheet.write_string(0, col, neutralise(header), bold)
    for n, row in enumerate(rows, start=1):
        for col, (kind, value) in enumerate(row):
            if kind == "text":
                sheet.write_string(n, col, value)
            elif kind == "number":
                sheet.write_number(n, col, value)
            elif kind == "date":
                sheet.write_datetime(n, col, datetime.combine(value, time.min), day)
        if on_row:
            on_row(n)
    workbook.close()


def write_pdf_zip(out: BinaryIO, results: Iterable[Result], organisation: Organisation,
                  language: str, on_row=None) -> int:
    """One organisation copy (photo while consent holds, stamp) of each result's natural
    document; returns how many PDFs went in."""
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for n, result in enumerate(results, start=1):
            kinds = available_documents(result)
            if kinds:
                try:
                    pdf = render_result_document(result, kinds[0], language=language,
                                                 organisation=organisation)
                except DocumentUnavailable:
                    pdf = None
                if pdf is not None:
                    archive.writestr(document_filename(result, kinds[0], language), pdf)
                    count += 1
            if on_row:
                on_row(n)
    return count


# --- Services: requesting and preparing a download --------------------------------------
def download_request(*, actor: Any, organisation: Organisation, file_format: str,
                     template: str = DEFAULT, results: QuerySet[Result], language: str,
                     request: HttpRequest | None = None) -> DataDownload:
    """Record a download of `results` (already limited to what the organisation may
    download, see `selected_results`) with its columns frozen, and prepare it in the
    background. Raises ValidationError, changing nothing, when it cannot be made."""
    if file_format not in DataDownload.Format.values:
        raise ValidationError(_("Choose a file format."), code="format")
    ids = list(results.filter(pk__in=downloadable_results(organisation)).order_by()
               .values_list("pk", flat=True).distinct())
    _check_size(file_format, len(ids))
    name, columns, header_language = ("", [], language)
    if file_format != DataDownload.Format.PDF_ZIP:
        name, columns, header_language = resolve_template(organisation, template, language)
    with transaction.atomic():
        download = DataDownload.objects.create(
            organisation=organisation, requested_by=actor, format=file_format,
            template_name=name, columns=columns, header_language=header_language,
            total=len(ids))
        through = DataDownload.results.through
        for chunk in _chunks(ids, 2000):
            through.objects.bulk_create(
                [through(datadownload_id=download.pk, result_id=pk) for pk in chunk])
        record_event(actor=actor, action="verification.download_request", target=download,
                     request=request, data={"format": file_format, "results": len(ids)})
        from langcert.verification.tasks_downloads import prepare_download

        enqueue(prepare_download, download.pk)
    return download


def _check_size(file_format: str, count: int) -> None:
    if count == 0:
        raise ValidationError(_("None of the chosen results is shared with your organisation "
                                "any more. Choose at least one shared result."), code="empty")
    if file_format == DataDownload.Format.PDF_ZIP and count > MAX_PDF_RESULTS:
        raise ValidationError(
            _("PDF statements can be downloaded for at most %(limit)d results at a time; "
              "choose fewer results, or a data file.") % {"limit": MAX_PDF_RESULTS},
            code="too_many")
    if count > MAX_DATA_RESULTS:
        raise ValidationError(_("A data file can hold at most %(limit)d results; choose "
                                "fewer results.") % {"limit": MAX_DATA_RESULTS},
                              code="too_many")


def _start(download_id: int) -> DataDownload | None:
    """Mark the download running; None when it is already done (a task delivered twice)."""
    with transaction.atomic():
        download = (DataDownload.objects.select_for_update().select_related("organisation")
                    .get(pk=download_id))
        if download.status not in (DataDownload.Status.QUEUED, DataDownload.Status.RUNNING):
            return None
        download.status, download.done = DataDownload.Status.RUNNING, 0
        download.save(update_fields=["status", "done"])
    return download


def _included(download: DataDownload) -> QuerySet[Result]:
    # A result withdrawn, erased or unshared since the request is left out.
    return (download.results.filter(pk__in=downloadable_results(download.organisation))
            .select_related("entry__candidate__account", "entry__session__exam",
                            "entry__session__centre")
            .order_by("entry__candidate__last_name", "entry__candidate__first_name", "pk"))


def _write_file(download: DataDownload, path: Path, rows: Iterable[Result], on_row) -> None:
    """Write the file at `path` row by row (spreadsheets in constant memory)."""
    if download.format == DataDownload.Format.XLSX:
        fields = [c["field"] for c in download.columns]
        with translation.override(download.header_language):
            sheet_name = _("Results")
        write_xlsx(path, [c["header"] for c in download.columns],
                   result_rows(rows, fields, download.header_language), sheet_name, on_row)
        return
    with path.open("wb") as out:
        if download.format == DataDownload.Format.CSV:
            write_csv(out, [c["header"] for c in download.columns],
                      result_rows(rows, [c["field"] for c in download.columns],
                                  download.header_language), on_row)
        else:
            write_pdf_zip(out, rows, download.organisation, download.header_language, on_row)


def _build_and_store(download: DataDownload, rows: Iterable[Result], on_row) -> str:
    """Write the file on disk, then store it encrypted; return its storage name."""
    with tempfile.TemporaryDirectory(prefix="langcert-download-") as folder:
        path = Path(folder) / "file"
        _write_file(download, path, rows, on_row)
        with path.open("rb") as plain:
            return crypto.store_encrypted_file("downloads", plain)


def download_prepare(*, download_id: int) -> str:
    """Build the file, store it encrypted, record each result as downloaded in the
    candidate's access log, and mark the download ready; FAILED if anything goes wrong."""
    download = _start(download_id)
    if download is None:
        return "skipped"
    results = _included(download)
    total = results.count()
    DataDownload.objects.filter(pk=download.pk).update(total=total)
    written = array("q")  # exactly the results that went into the file; 8 bytes each
    # About a hundred progress writes at most, however big the file.
    progress_every = max(PROGRESS_EVERY, total // 100)

    def rows() -> Iterator[Result]:
        for result in results.iterator(chunk_size=1000):
            written.append(result.pk)
            yield result

    def progress(n: int) -> None:
        if n % progress_every == 0:
            DataDownload.objects.filter(pk=download.pk).update(done=n)

    try:
        name = _build_and_store(download, rows(), progress)
    except Exception:
        logger.exception("download %s could not be prepared", download.pk)
        _fail(download)
        return DataDownload.Status.FAILED
    try:
        _finish(download, name, written)
    except Exception:
        logger.exception("download %s could not be recorded", download.pk)
        crypto.delete_encrypted(name)
        _fail(download)
        return DataDownload.Status.FAILED
    return DataDownload.Status.READY


def _finish(download: DataDownload, name: str, result_ids: array) -> None:
    searcher = Searcher(organisation=download.organisation, user=download.requested_by,
                        ip=None, channel="download")
    with transaction.atomic():
        locked = DataDownload.objects.select_for_update().get(pk=download.pk)
        if locked.status != DataDownload.Status.RUNNING:  # another run finished first
            transaction.on_commit(lambda: crypto.delete_encrypted(name))
            return
        _record_downloaded(searcher, result_ids)
        # The download lists exactly the results in its file: the history's removal check
        # relies on it. (Those left out since the request are dropped.)
        listed = DataDownload.results.through.objects.filter(datadownload_id=locked.pk)
        dropped = numpy.setdiff1d(  # in compact arrays: memory stays flat with the size
            numpy.fromiter(listed.values_list("result_id", flat=True).iterator(), numpy.int64),
            numpy.frombuffer(result_ids, numpy.int64)).tolist()
        for chunk in _chunks(dropped):
            listed.filter(result_id__in=chunk).delete()
        locked.file, locked.status = name, DataDownload.Status.READY
        locked.done = locked.total = len(result_ids)
        locked.finished_at = timezone.now()
        locked.save(update_fields=["file", "status", "done", "total", "finished_at"])
        record_event(actor=None, action="verification.download_ready", target=locked,
                     data={"results": len(result_ids)})


def _record_downloaded(searcher: Searcher, result_ids: Sequence[int]) -> None:
    """Each result in the file goes into its candidate's access log and the audit log, as
    `lookup.record_access` would write it, in batches."""
    data = {"organisation": searcher.organisation.pk, "channel": searcher.channel}
    for chunk in _chunks(result_ids, 2000):  # bulk_create lists what it is given
        AccessEvent.objects.bulk_create(
            [AccessEvent(result_id=pk, organisation=searcher.organisation, user=searcher.user,
                         kind=AccessEvent.Kind.DOWNLOAD) for pk in chunk])
    record_events_on(actor=searcher.user, action="verification.download_result",
                     model=Result, target_ids=result_ids, data=data)


def _chunks(ids: Sequence[int], size: int = 500) -> Iterator[Sequence[int]]:
    # Bounded IN lists: SQLite limits the parameters of one query.
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _fail(download: DataDownload) -> None:
    DataDownload.objects.filter(pk=download.pk).update(
        status=DataDownload.Status.FAILED, finished_at=timezone.now())
    record_event(actor=None, action="verification.download_failed", target=download)


# --- Services: serving again, expiring ---------------------------------------------------
def stale_download_ids(*, organisation: Organisation | None = None,
                       download_ids: Sequence[int] | None = None) -> list[int]:
    """Ready downloads holding a result that is no longer released (withdrawn, erased at
    the candidate's request) or no longer shared with the download's organisation."""
    through = DataDownload.results.through
    active = Share.objects.filter(result=OuterRef("result_id"), revoked_at__isnull=True,
                                  organisation=OuterRef("datadownload__organisation_id"))
    rows = through.objects.filter(datadownload__status=DataDownload.Status.READY)
    if organisation is not None:
        rows = rows.filter(datadownload__organisation=organisation)
    if download_ids is not None:
        rows = rows.filter(datadownload_id__in=list(download_ids))
    rows = rows.filter(~Exists(active) | ~Q(result_id__in=released_results().values("pk")))
    return sorted(set(rows.values_list("datadownload_id", flat=True)))


def expire_stale_downloads(*, organisation: Organisation | None = None,
                           download_ids: Sequence[int] | None = None) -> int:
    """Expire every stale download (see `stale_download_ids`): its file is deleted once
    the change commits. Returns how many expired."""
    expired = 0
    for pk in stale_download_ids(organisation=organisation, download_ids=download_ids):
        with transaction.atomic():
            download = DataDownload.objects.select_for_update().get(pk=pk)
            if download.status != DataDownload.Status.READY:
                continue
            name = download.file
            download.status, download.file = DataDownload.Status.EXPIRED, ""
            download.save(update_fields=["status", "file"])
            record_event(actor=None, action="verification.download_expired", target=download,
                         data={"results": download.total})
            transaction.on_commit(lambda name=name: crypto.delete_encrypted(name))
            expired += 1
    return expired


EXPIRED_MESSAGE = gettext_lazy(
    "This file is no longer available: a result it contained has been withdrawn, removed "
    "at the candidate's request or is no longer shared with your organisation, so the file "
    "was deleted. Download the results again from Shared Results.")


def unavailable_reason(download: DataDownload) -> str:
    """Why a download cannot be fetched, or '' when it can."""
    return {
        DataDownload.Status.QUEUED: _("This file is still being prepared."),
        DataDownload.Status.RUNNING: _("This file is still being prepared."),
        DataDownload.Status.FAILED: _("This file could not be prepared. Please request "
                                      "the download again."),
        DataDownload.Status.EXPIRED: str(EXPIRED_MESSAGE),
    }.get(download.status, "")


def download_fetch(*, actor: Any, organisation: Organisation, download: DataDownload,
                   request: HttpRequest | None = None) -> ServedFile:
    """The file of a ready download of the organisation, audited; raises
    DownloadUnavailable (with why) when it is not ready or has just expired."""
    if download.organisation_id != organisation.pk:
        raise PermissionDenied
    if download.status == DataDownload.Status.READY:
        expire_stale_downloads(download_ids=[download.pk])
        download.refresh_from_db()
    if download.status != DataDownload.Status.READY:
        raise DownloadUnavailable(unavailable_reason(download))
    chunks = crypto.read_encrypted_chunks(download.file)
    record_event(actor=actor, action="verification.download_file", target=download,
                 request=request, data={"format": download.format, "results": download.total})
    return ServedFile(chunks, download_filename(download), CONTENT_TYPES[download.format])


def download_filename(download: DataDownload) -> str:
    # No names in it: the file name travels through mail and download folders.
    stem = ("langcert-statements" if download.format == DataDownload.Format.PDF_ZIP
            else "langcert-results")
    return f"{stem}-{download.created_at:%Y%m%d-%H%M%S}.{EXTENSIONS[download.format]}"


# --- Services: custom templates ------------------------------------------------------------
def _clean_columns(columns: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    cleaned, seen = [], set()
    for column in columns:
        field, header = column.get("field"), (column.get("header") or "").strip()
        if field not in result_data.FIELDS or field in seen:
            raise ValidationError(_("Unknown or repeated field."), code="field")
        if len(header) > HEADER_MAX_LENGTH:
            raise ValidationError(_("A column header can be at most %(n)d characters long.")
                                  % {"n": HEADER_MAX_LENGTH}, code="header")
        seen.add(field)
        cleaned.append({"field": field, "header": header})
    if not cleaned:
        raise ValidationError(_("Choose at least one field."), code="empty")
    return cleaned


def template_save(*, actor: Any, organisation: Organisation, name: str,
                  columns: Sequence[dict[str, str]], header_language: str,
                  template: DownloadTemplate | None = None,
                  request: HttpRequest | None = None) -> DownloadTemplate:
    """Create or change a custom template: `columns` in order, each {"field", "header"}
    (an empty header means the field's own label in the header language)."""
    if template is not None and template.organisation_id != organisation.pk:
        raise PermissionDenied
    if header_language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Choose a header language."), code="language")
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the template a name."), code="name")
    template = template or DownloadTemplate(organisation=organisation)
    template.name, template.header_language = name, header_language
    template.columns = _clean_columns(columns)
    try:
        with transaction.atomic():
            created = template.pk is None
            template.save()
            record_event(actor=actor, action="verification.template_save", target=template,
                         request=request,
                         data={"created": created, "columns": len(template.columns)})
    except IntegrityError:
        raise ValidationError(_("Your organisation already has a template with this name."),
                              code="duplicate") from None
    return template


def template_delete(*, actor: Any, organisation: Organisation, template: DownloadTemplate,
                    request: HttpRequest | None = None) -> None:
    """Past downloads keep their own copy of the columns, so they are not affected."""
    if template.organisation_id != organisation.pk:
        raise PermissionDenied
    with transaction.atomic():
        record_event(actor=actor, action="verification.template_delete", target=template,
                     request=request)
        template.delete()
