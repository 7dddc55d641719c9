from celery import shared_task

from langcert.results.models import Result
from langcert.verification import services


@shared_task
def tell_sharers_result_ended(result_id: int, why: str) -> int:
    return services.notify_result_ended(result=Result.objects.get(pk=result_id), why=why)

# Celery finds the tasks of this app through this module.
from langcert.verification.tasks_downloads import *  # noqa: E402, F403
from langcert.verification.tasks_notifications import *  # noqa: E402, F403
from langcert.verification.tasks_webhooks import *  # noqa: E402, F403
