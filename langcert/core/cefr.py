"""CEFR levels, ordered, with "below A1" for scores under the scale."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CefrLevel(models.TextChoices):
    BELOW_A1 = "BELOW_A1", _("Below A1")
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"
    C2 = "C2", "C2"


LEVEL_ORDER: tuple[str, ...] = tuple(CefrLevel.values)


def level_rank(level: str) -> int:
    """Position of a level on the scale (below A1 = 0, C2 = 6)."""
    return LEVEL_ORDER.index(level)
