"""What organisations are told when a share starts or ends: one place that the sharing and
withdrawal services call, which fans out to email notifications and webhooks after the
transaction commits."""

from langcert.core.tasks_helper import enqueue
from langcert.verification.models import Share


def share_started(share: Share) -> None:
    from langcert.verification.tasks_notifications import notify_new_share
    from langcert.verification.tasks_webhooks import send_share_event

    enqueue(notify_new_share, share.pk)
    enqueue(send_share_event, share.pk, "result.shared")


def share_ended(share: Share, event: str) -> None:
    """`event`: "share.revoked" (the candidate stopped sharing) or "result.withdrawn"."""
    from langcert.verification.tasks_downloads import expire_stale_downloads
    from langcert.verification.tasks_webhooks import send_share_event

    enqueue(send_share_event, share.pk, event)
    # Downloaded files holding the result are deleted now, not at the hourly sweep.
    enqueue(expire_stale_downloads, share.organisation_id)
