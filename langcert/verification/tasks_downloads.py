"""Downloads prepared in the background, and the sweep that expires files holding a result
that may no longer be served (withdrawn, erased at the candidate's request, unshared)."""

from celery import shared_task

from langcert.verification import downloads
from langcert.verification.models import Organisation

__all__ = ["prepare_download", "expire_stale_downloads"]


@shared_task
def prepare_download(download_id: int) -> str:
    return downloads.download_prepare(download_id=download_id)


@shared_task
def expire_stale_downloads(organisation_id: int | None = None) -> int:
    """Delete files the history may no longer serve, without waiting for someone to ask
    for them: periodically for every organisation, and for one when a share ends."""
    organisation = (Organisation.objects.get(pk=organisation_id)
                    if organisation_id is not None else None)
    return downloads.expire_stale_downloads(organisation=organisation)
