"""The oral interview: evaluators' availability, bookings, prompts and scores."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from langcert.catalog.models import Language
from langcert.centres.models import Entry
from langcert.core.cefr import CefrLevel

SLOT_MINUTES = 30
INTERVIEW_MINUTES = 20


class EvaluatorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="evaluator_profile")
    languages = models.ManyToManyField(Language, verbose_name=_("languages evaluated"))
    meeting_link = models.URLField(_("video meeting link"), blank=True,
                                   help_text=_("Leave empty to get a room link per interview."))

    class Meta:
        verbose_name = _("evaluator")
        verbose_name_plural = _("evaluators")

    def __str__(self) -> str:
        return str(self.user)


class Availability(models.Model):
    """When an evaluator can interview, in their own time zone: once, or every week."""

    class Repeat(models.TextChoices):
        ONCE = "once", _("Once")
        WEEKLY = "weekly", _("Every week")

    evaluator = models.ForeignKey(EvaluatorProfile, on_delete=models.CASCADE,
                                  related_name="availabilities")
    language = models.ForeignKey(Language, on_delete=models.PROTECT)
    repeat = models.CharField(_("repeat"), max_length=8, choices=Repeat.choices)
    first_date = models.DateField(_("date (or first date)"))
    last_date = models.DateField(_("last date"), null=True, blank=True)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("to"))
    time_zone = models.CharField(max_length=64)

    class Meta:
        ordering = ["first_date", "start_time"]
        verbose_name_plural = _("availabilities")
        constraints = [
            models.CheckConstraint(condition=models.Q(end_time__gt=models.F("start_time")),
                                   name="availability_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} {self.first_date} {self.start_time}-{self.end_time}"


class Booking(models.Model):
    """A 30-minute slot taken for one entry's interview."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Interview held")
        NO_SHOW = "no_show", _("Candidate did not come")
        INCIDENT = "incident", _("Technical incident")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="oral_bookings")
    evaluator = models.ForeignKey(EvaluatorProfile, on_delete=models.PROTECT,
                                  related_name="bookings")
    language = models.ForeignKey(Language, on_delete=models.PROTECT)
    starts_at = models.DateTimeField(_("starts at"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    meeting_link = models.URLField()
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    ics_sequence = models.PositiveIntegerField(default=0)  # bumped on every change
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            # Two candidates can never hold the same slot, however close their clicks.
            models.UniqueConstraint(fields=["evaluator", "starts_at"],
                                    condition=models.Q(status="booked"),
                                    name="one_booking_per_evaluator_slot"),
            models.UniqueConstraint(fields=["entry"], condition=models.Q(status="booked"),
                                    name="one_active_booking_per_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.entry} at {self.starts_at:%Y-%m-%d %H:%M}"


class Prompt(models.Model):
    """A question or task for one part of the interview, by language, level and job family."""

    class Part(models.TextChoices):
        INTRODUCTION = "introduction", _("Introduction questions")
        ROLE_PLAY = "role_play", _("Role play")
        DISCUSSION = "discussion", _("Discussion")

    language = models.ForeignKey(Language, on_delete=models.PROTECT)
    part = models.CharField(max_length=16, choices=Part.choices)
    level = models.CharField(max_length=8, choices=CefrLevel.choices)
    job_family = models.CharField(_("job family"), max_length=64, blank=True,
                                  help_text=_("Empty: suits every job."))
    text = models.TextField()

    class Meta:
        ordering = ["language", "part", "level"]

    def __str__(self) -> str:
        return f"{self.get_part_display()} {self.level}: {self.text[:40]}"


class InterviewScore(models.Model):
    """The evaluator's record of the interview: ID check, five criteria, comment."""

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="score")
    id_document_checked = models.BooleanField(_("ID document shown and checked"))
    vocabulary_range = models.CharField(max_length=8, choices=CefrLevel.choices, blank=True)
    grammar_syntax = models.CharField(max_length=8, choices=CefrLevel.choices, blank=True)
    fluency = models.CharField(max_length=8, choices=CefrLevel.choices, blank=True)
    pronunciation = models.CharField(max_length=8, choices=CefrLevel.choices, blank=True)
    interaction = models.CharField(max_length=8, choices=CefrLevel.choices, blank=True)
    comment = models.TextField(blank=True)
    prompts = models.JSONField(default=list)  # the prompt ids used, in order
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    scored_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"score of {self.booking}"
