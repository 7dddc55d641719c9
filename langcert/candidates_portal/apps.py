from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CandidatesPortalConfig(AppConfig):
    name = "langcert.candidates_portal"
    label = "candidates_portal"
    verbose_name = _("Candidate Results Service")
