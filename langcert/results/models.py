"""Results: one per entry, computed from the adaptive test and the oral or imported from
marks given elsewhere; reviewed, released at the scheduled time, possibly withdrawn."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from langcert.centres.models import Entry
from langcert.core import identifiers
from langcert.core.cefr import CefrLevel

# Attestations stay downloadable for 3 years after issue; certificates for life.
ATTESTATION_AVAILABLE_FOR = timedelta(days=3 * 365)


class Result(models.Model):
    class Status(models.TextChoices):
        PENDING_REVIEW = "pending_review", _("Waiting for review")
        HELD = "held", _("Held")
        APPROVED = "approved", _("Approved, release scheduled")
        RELEASED = "released", _("Released")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Source(models.TextChoices):
        ADAPTIVE = "adaptive", _("Adaptive test and oral")
        IMPORT = "import", _("Imported marks")

    class WithdrawalReason(models.TextChoices):
        MALPRACTICE = "malpractice", _("Malpractice")
        ERROR = "error", _("Error in the result")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="result")
    statement_number = models.CharField(
        _("Statement of Results number"), max_length=16, unique=True,
        default=identifiers.new_statement_number, editable=False)
    source = models.CharField(max_length=10, choices=Source.choices)
    # Cambridge scale and DELTA: the overall score (or mark), its grade and outcome word.
    overall_score = models.PositiveSmallIntegerField(_("overall score"), null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=4, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    # The overall CEFR level: from the scale, or the adaptive final level.
    cefr_level = models.CharField(_("CEFR level"), max_length=8, choices=CefrLevel.choices,
                                  blank=True)
    # [{"skill": code, "score": int|None, "cefr": level|None}, ...] in the exam's order.
    skills = models.JSONField(default=list)
    # Adaptive certification only: criterion -> level, and the three overall levels.
    oral_criteria = models.JSONField(default=dict, blank=True)
    written_level = models.CharField(max_length=8, choices=CefrLevel.choices, blank=True)
    oral_level = models.CharField(max_length=8, choices=CefrLevel.choices, blank=True)
    target_level = models.CharField(max_length=8, choices=CefrLevel.choices, blank=True)
    certificate = models.BooleanField(_("certificate earned"), default=False)
    # The written-test date for adaptive exams, the session's first day for imported ones.
    exam_date = models.DateField(_("exam date"))
    computed_at = models.DateTimeField(auto_now_add=True)

    status = models.CharField(max_length=16, choices=Status.choices,
                              default=Status.PENDING_REVIEW)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    hold_reason = models.TextField(blank=True)
    # The earliest release the rules allow before review (planned date, oral + 72 h).
    earliest_release_at = models.DateTimeField()
    release_at = models.DateTimeField(_("release at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(max_length=16, choices=WithdrawalReason.choices,
                                         blank=True)
    withdrawal_note = models.TextField(blank=True)
    import_batch = models.ForeignKey("ResultImport", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="results")

    class Meta:
        ordering = ["-computed_at"]
        verbose_name = _("result")
        verbose_name_plural = _("results")
        indexes = [models.Index(fields=["status", "release_at"])]

    def __str__(self) -> str:
        return self.statement_number_display

    @property
    def statement_number_display(self) -> str:
        return identifiers.display(self.statement_number)

    @property
    def is_released(self) -> bool:
        return self.status == self.Status.RELEASED


class ResultImport(models.Model):
    """One applied upload of marks: its checksum makes a repeated file a no-op."""

    exam = models.ForeignKey("catalog.Exam", on_delete=models.PROTECT)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.uploaded_at:%Y-%m-%d})"


class TestDayPhoto(models.Model):
    """The photo taken on the day of a paper exam, uploaded by the centre, encrypted."""

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, related_name="test_day_photo")
    file = models.CharField(max_length=200)  # encrypted file in storage
    content_type = models.CharField(max_length=32)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"photo of {self.entry}"


class DocumentBatch(models.Model):
    """PDFs of many results rendered by a worker into one zip."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                     related_name="+")
    organisation = models.ForeignKey("verification.Organisation", null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    results = models.ManyToManyField(Result, related_name="+")
    language = models.CharField(max_length=8)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=200, blank=True)  # encrypted zip in storage
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"batch {self.public_id}"
