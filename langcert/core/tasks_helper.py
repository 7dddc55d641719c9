"""The one way services start background work: after their transaction commits."""

from celery import Task
from django.db import transaction


def enqueue(task: Task, *args, **kwargs) -> None:
    """Send `task` to the workers once the current transaction commits (at once if none).

    With no REDIS_URL, Celery runs the task in-process (CELERY_TASK_ALWAYS_EAGER). `robust`
    keeps a failing broker or in-process task from failing the request that already
    committed; the failure is logged and the periodic sweeps pick the work up again.
    """

    def send() -> None:
        task.delay(*args, **kwargs)

    send.__qualname__ = f"enqueue({task.name})"  # named in the log if it fails
    transaction.on_commit(send, robust=True)
