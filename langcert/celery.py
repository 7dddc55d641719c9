"""The Celery application. Without REDIS_URL, tasks run in-process (always eager)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "langcert.settings")

app = Celery("langcert")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
