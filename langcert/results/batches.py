"""Many results' PDFs in one zip, rendered by a worker: the request, then the work.

The zip holds personal data (and, for an organisation, photos): it is built in memory and
stored encrypted, like every sensitive file.
"""

import io
import zipfile
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from langcert.core import crypto
from langcert.core.audit import record_event
from langcert.core.tasks_helper import enqueue
from langcert.results import documents
from langcert.results.models import DocumentBatch, Result

# The progress bar reads `done`; one write per 10 documents keeps it moving cheaply.
PROGRESS_EVERY = 10


def document_batch_create(*, actor: Any, results: Iterable[Result], language: str,
                          organisation: Any = None) -> DocumentBatch:
    """Record the request and queue the rendering once the transaction commits."""
    from langcert.results.tasks import render_document_batch  # tasks import this module

    results = list(results)
    with transaction.atomic():
        batch = DocumentBatch.objects.create(requested_by=actor, organisation=organisation,
                                             language=language, total=len(results))
        batch.results.set(results)
        record_event(actor=actor, action="results.batch_requested", target=batch,
                     data={"count": len(results)})
        enqueue(render_document_batch, batch.pk)
    return batch


def document_batch_render(batch_id: int) -> DocumentBatch | None:
    """Render every result's natural document into the batch's zip (the worker's side).

    A result that has no document any more (withdrawn since the request) is left out.
    A batch already finished is left alone, so a redelivered task does nothing.
    """
    batch = DocumentBatch.objects.select_related("organisation").get(pk=batch_id)
    if batch.status in (DocumentBatch.Status.READY, DocumentBatch.Status.FAILED):
        return None
    _set(batch, status=DocumentBatch.Status.RUNNING, done=0)
    try:
        data, rendered = _zip_documents(batch)
        name = crypto.store_encrypted("batches", data)
    except Exception:
        _set(batch, status=DocumentBatch.Status.FAILED, finished_at=timezone.now())
        raise
    _set(batch, status=DocumentBatch.Status.READY, done=batch.total, file=name,
         finished_at=timezone.now())
    record_event(actor=None, action="results.batch_ready", target=batch,
                 data={"rendered": rendered, "skipped": batch.total - rendered})
    return batch


def _zip_documents(batch: DocumentBatch) -> tuple[bytes, int]:
    now, rendered = timezone.now(), 0
    buffer = io.BytesIO()
    # PDFs and photos are compressed already: storing them is as small and much faster.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for position, result in enumerate(_batch_results(batch), start=1):
            kinds = documents.available_documents(result, now=now)
            if kinds:
                pdf = documents.render_result_document(
                    result, kinds[0], language=batch.language,
                    organisation=batch.organisation, now=now)
                archive.writestr(documents.document_filename(result, kinds[0], batch.language),
                                 pdf)
                rendered += 1
            if position % PROGRESS_EVERY == 0:
                _set(batch, done=position)
    return buffer.getvalue(), rendered


def _batch_results(batch: DocumentBatch):
    return (batch.results.order_by("statement_number")
            .select_related("entry__candidate", "entry__session__exam",
                            "entry__session__centre", "entry__test_day_photo",
                            "entry__attempt")
            .iterator(chunk_size=200))


def _set(batch: DocumentBatch, **fields: Any) -> None:
    """Write only these fields (no read-modify-write of the whole row)."""
    DocumentBatch.objects.filter(pk=batch.pk).update(**fields)
    for field, value in fields.items():
        setattr(batch, field, value)
