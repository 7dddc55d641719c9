from django.db import models
from django.utils.translation import gettext_lazy as _

from langcert.catalog.models import Language
from langcert.core.cefr import CefrLevel


class Item(models.Model):
    """One question of the bank, with its content, timing and IRT parameters."""

    class Skill(models.TextChoices):
        VOCABULARY = "vocabulary", _("Vocabulary")
        GRAMMAR = "grammar", _("Grammar and syntax")
        EXPRESSIONS = "expressions", _("Expressions")
        READING = "reading", _("Reading comprehension")
        LISTENING = "listening", _("Listening comprehension")

    class Type(models.TextChoices):
        GAP_SELECT = "gap_select", _("Gap fill with a drop-down list")
        GAP_TEXT = "gap_text", _("Free-text gap fill")
        WORD_BANK = "word_bank", _("Word bank")
        WORD_ORDER = "word_order", _("Words to put in order")
        SENTENCE_ORDER = "sentence_order", _("Sentences to put in order")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        LISTENING = "listening", _("Listening")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PRETEST = "pretest", _("Pretest")
        LIVE = "live", _("Live")
        PRACTICE = "practice", _("Practice only (never in a real test)")
        RETIRED = "retired", _("Retired")

    class Model(models.TextChoices):
        TWO_PL = "2pl", "2PL"
        THREE_PL = "3pl", "3PL"
        GPCM = "gpcm", "GPCM"

    code = models.CharField(_("code"), max_length=20, unique=True)
    language = models.ForeignKey(Language, on_delete=models.PROTECT, verbose_name=_("language"))
    skill = models.CharField(_("skill"), max_length=16, choices=Skill.choices)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    level = models.CharField(_("target level"), max_length=8, choices=CefrLevel.choices)
    time_limit = models.PositiveSmallIntegerField(_("time limit (seconds)"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.DRAFT)
    irt_model = models.CharField(_("IRT model"), max_length=8, choices=Model.choices)
    a = models.FloatField(_("discrimination (a)"))
    b = models.JSONField(_("difficulty (b) or step thresholds"))
    c = models.FloatField(_("guessing (c)"), default=0.0)
    # Sympson-Hetter exposure-control parameter, computed by simulation (1 = no limit).
    exposure_k = models.FloatField(_("exposure control parameter"), default=1.0)
    enemies = models.ManyToManyField("self", blank=True, symmetrical=True,
                                     verbose_name=_("enemy items"))
    content = models.JSONField(_("content"))
    audio = models.FileField(_("audio clip"), upload_to="itembank/audio/", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["language", "skill", "code"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        indexes = [models.Index(fields=["language", "skill", "status"])]

    def __str__(self) -> str:
        return self.code

    @property
    def difficulty(self) -> float:
        return sum(self.b) / len(self.b) if isinstance(self.b, list) else float(self.b)
