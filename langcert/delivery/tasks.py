from celery import shared_task

from langcert.delivery import notifications


@shared_task
def announce_open_tests() -> int:
    """Periodic: tell the candidates of sessions whose test window has just opened."""
    return notifications.announce_open_tests()
