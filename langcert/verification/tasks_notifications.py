"""Email notifications of new shares: at once, or in daily and weekly summaries (periodic,
see the beat schedule in settings). Each email is sent once, however often these run."""

from celery import shared_task

from langcert.verification import notifications

__all__ = ["notify_new_share", "send_daily_digests", "send_weekly_digests"]


@shared_task
def notify_new_share(share_id: int) -> int:
    """After a share commits: users who want every candidate are told at once."""
    return notifications.notify_new_share(share_id=share_id)


@shared_task
def send_daily_digests() -> int:
    """Periodic: yesterday's new shares, for users who chose a daily summary."""
    return notifications.send_digests(kind=notifications.DAILY)


@shared_task
def send_weekly_digests() -> int:
    """Periodic: last week's new shares, on Mondays in each user's time zone."""
    return notifications.send_digests(kind=notifications.WEEKLY)
