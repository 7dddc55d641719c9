from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OralConfig(AppConfig):
    name = "langcert.oral"
    label = "oral"
    verbose_name = _("Oral interviews")
