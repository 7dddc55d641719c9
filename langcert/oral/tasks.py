from celery import shared_task

from langcert.oral import services


@shared_task
def send_interview_reminders() -> int:
    """Periodic: the video link, 24 hours before each interview, once."""
    return services.send_due_reminders()


@shared_task
def remind_candidates_to_book() -> int:
    """Periodic: candidates who sent the written test but have not booked their interview."""
    return services.remind_unbooked()
