from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "langcert.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Loading the Celery app here binds every @shared_task to it, without making
        # `import langcert` (and so the Django-free psychometric engine) pull in Celery.
        from langcert import celery  # noqa: F401
