from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ItembankConfig(AppConfig):
    name = "langcert.itembank"
    label = "itembank"
    verbose_name = _("Item bank")

    def ready(self) -> None:
        from langcert.itembank import signals  # noqa: F401
