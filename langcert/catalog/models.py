from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from langcert.core.cefr import CefrLevel


class TranslatedNameMixin:
    """Rows named in both languages; `name` follows the active language."""

    @property
    def name(self) -> str:
        return self.name_fr if (get_language() or "fr").startswith("fr") else self.name_en


class Language(TranslatedNameMixin, models.Model):
    code = models.CharField(_("code"), max_length=8, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=64)
    name_fr = models.CharField(_("name (French)"), max_length=64)

    class Meta:
        ordering = ["code"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self) -> str:
        return self.name


class Exam(models.Model):
    class Kind(models.TextChoices):
        CAMBRIDGE_SCALE = "cambridge_scale", _("Cambridge English Scale")
        DELTA = "delta", _("Pass / Merit / Distinction")
        ADAPTIVE_CEFR = "adaptive_cefr", _("Adaptive certification (CEFR profile)")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128)
    language = models.ForeignKey(Language, on_delete=models.PROTECT, verbose_name=_("language"))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    scoring_scheme = models.JSONField(_("scoring scheme"))
    shows_test_day_photo = models.BooleanField(_("shows the test-day photo to verifiers"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("exam")
        verbose_name_plural = _("exams")

    def __str__(self) -> str:
        return self.name

    @property
    def is_adaptive(self) -> bool:
        return self.kind == self.Kind.ADAPTIVE_CEFR

    @property
    def skills(self) -> list[str]:
        scheme = self.scoring_scheme
        return scheme.get("skills") or scheme.get("written_skills", [])


class JobLevelBand(models.Model):
    """A row of the job grid: a target level, what it means at work, and example jobs."""

    level = models.CharField(_("target level"), max_length=8, choices=CefrLevel.choices)
    user_en = models.CharField(_("user type (English)"), max_length=64)
    user_fr = models.CharField(_("user type (French)"), max_length=64)
    objective_en = models.CharField(_("objective (English)"), max_length=200)
    objective_fr = models.CharField(_("objective (French)"), max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = _("job grid row")
        verbose_name_plural = _("job grid")

    def __str__(self) -> str:
        return f"{self.level} – {self.objective_en}"


class JobRole(TranslatedNameMixin, models.Model):
    band = models.ForeignKey(JobLevelBand, on_delete=models.CASCADE, related_name="jobs")
    name_en = models.CharField(_("job (English)"), max_length=128)
    name_fr = models.CharField(_("job (French)"), max_length=128)

    class Meta:
        ordering = ["band__position", "name_en"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return self.name
