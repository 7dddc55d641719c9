from celery import shared_task

from langcert.results import batches, services


@shared_task
def render_document_batch(batch_id: int) -> bool:
    """Render a DocumentBatch into its encrypted zip; True if this run did the work."""
    return batches.document_batch_render(batch_id) is not None


@shared_task
def release_due_results() -> int:
    """Periodic: release the approved results whose time has come (emails the candidates)."""
    return services.release_due_results()
