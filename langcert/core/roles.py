"""The roles people have on the platform."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BOARD = "board", _("Board staff")
    CENTRE = "centre", _("Centre staff")
    EVALUATOR = "evaluator", _("Evaluator")
    ORGANISATION = "organisation", _("Organisation user")
    CANDIDATE = "candidate", _("Candidate")
