"""The written test as delivered: an attempt per entry, its sections, the questions served,
the proctoring evidence and the per-skill results."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from langcert.centres.models import Entry
from langcert.core.cefr import CefrLevel
from langcert.itembank.models import Item


class Attempt(models.Model):
    """One candidate's written test for one entry."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        CHECKS_DONE = "checks_done", _("Checks done")
        IN_PROGRESS = "in_progress", _("In progress")
        FINISHED = "finished", _("Answers complete, not sent")
        SUBMITTED = "submitted", _("Sent")
        STOPPED = "stopped", _("Stopped: too many restarts")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="attempt")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    rules_accepted_at = models.DateTimeField(null=True, blank=True)
    face_photo = models.CharField(max_length=200, blank=True)  # encrypted file in storage
    id_photo = models.CharField(max_length=200, blank=True)
    microphone_checked_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    section_index = models.PositiveSmallIntegerField(default=0)
    questions_served = models.PositiveSmallIntegerField(default=0)
    restarts = models.PositiveSmallIntegerField(default=0)
    tech_check_passed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("written test attempt")
        verbose_name_plural = _("written test attempts")

    def __str__(self) -> str:
        return f"{self.entry} ({self.status})"

    @property
    def checks_done(self) -> bool:
        return bool(self.rules_accepted_at and self.face_photo and self.id_photo
                    and self.microphone_checked_at)


class SectionRun(models.Model):
    """One run of a section of 10 questions; a restart abandons it and starts a new one."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ABANDONED = "abandoned", _("Abandoned after an incident")
        COMPLETE = "complete", _("Complete")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="sections")
    skill = models.CharField(max_length=16, choices=Item.Skill.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    cat_state = models.JSONField(default=dict)  # the engine's CatState, between requests
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["attempt"], condition=models.Q(status="active"),
                                    name="one_active_section_per_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.skill} ({self.status})"


class Delivery(models.Model):
    """One question shown to the candidate, with its deadline and the answer received."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ANSWERED = "answered", _("Answered")
        TIMED_OUT = "timed_out", _("Time ran out")
        VOID = "void", _("Void: section restarted")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    section = models.ForeignKey(SectionRun, on_delete=models.CASCADE, related_name="deliveries")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="deliveries")
    number = models.PositiveSmallIntegerField()  # shown to the candidate; never resets
    scored = models.BooleanField(default=True)  # False for seeded pretest items
    presentation = models.JSONField()
    served_at = models.DateTimeField()
    deadline = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    answer = models.JSONField(null=True, blank=True)
    answer_key = models.UUIDField(null=True, blank=True)  # the browser's idempotency key
    answered_at = models.DateTimeField(null=True, blank=True)
    points = models.PositiveSmallIntegerField(null=True, blank=True)
    plays = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["number", "id"]
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"#{self.number} {self.item}"


class AudioPlay(models.Model):
    """A single-use link to play a listening clip once."""

    token = models.CharField(max_length=64, unique=True)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="audio_plays")
    issued_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"play of {self.delivery}"


class ProctoringEvent(models.Model):
    """What the board reviews: incidents, restarts, focus losses, fullscreen exits."""

    class Kind(models.TextChoices):
        SECTION_RESTART = "section_restart", _("Section restarted")
        RELOAD = "reload", _("Page reloaded")
        LATE_ANSWER = "late_answer", _("Answer arrived too late")
        FOCUS_LOST = "focus_lost", _("Left the test window")
        FULLSCREEN_EXIT = "fullscreen_exit", _("Left full screen")
        OFFLINE = "offline", _("Connection lost")
        ONLINE = "online", _("Connection back")
        STOPPED = "stopped", _("Stopped: too many restarts")
        REOPENED = "reopened", _("Reopened by the board")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField(auto_now_add=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.occurred_at:%H:%M:%S}"


class SkillScore(models.Model):
    """The written result of one skill, stored when the test is sent."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="skill_scores")
    skill = models.CharField(max_length=16, choices=Item.Skill.choices)
    theta = models.FloatField()
    se = models.FloatField()
    level = models.CharField(max_length=8, choices=CefrLevel.choices)
    band_probabilities = models.JSONField()
    answered = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "skill"], name="one_score_per_skill"),
        ]

    def __str__(self) -> str:
        return f"{self.skill}: {self.level}"


class TechCheck(models.Model):
    """One run of the technical check: what the browser measured, and the server's verdict."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="tech_checks")
    checked_at = models.DateTimeField(auto_now_add=True)
    measurements = models.JSONField()
    results = models.JSONField()  # criterion -> passed
    passed = models.BooleanField()

    class Meta:
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"{'passed' if self.passed else 'failed'} at {self.checked_at:%Y-%m-%d %H:%M}"
