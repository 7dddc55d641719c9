"""Organisations that verify results, and their users.

Created here because user roles need them (an organisation user is primary or not); the
Results Verification Service builds applications, shares and searches on these models.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("University or higher education")
        EMPLOYER = "employer", _("Employer")
        GOVERNMENT = "government", _("Government or public body")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    website = models.URLField(_("website"), blank=True)
    address = models.TextField(_("full address"), blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    recognised_exams = models.ManyToManyField("catalog.Exam", blank=True,
                                              verbose_name=_("recognised exams"))
    two_factor = models.CharField(_("two-factor authentication"), max_length=10,
                                  choices=[("optional", _("Optional")),
                                           ("required", _("Required for every user"))],
                                  default="optional")
    api_access = models.CharField(max_length=10, default="none",
                                  choices=[("none", _("No API access")),
                                           ("requested", _("API access requested")),
                                           ("approved", _("API access approved"))])

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class OrganisationMember(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="members"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_membership"
    )
    is_primary = models.BooleanField(_("primary user"), default=False)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    # The login before the current one: "N new candidates since you last logged in".
    previous_login_at = models.DateTimeField(null=True, blank=True)
    # TOTP: the secret is encrypted with core.crypto; confirmed once a code was typed.
    totp_secret = models.TextField(blank=True)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last 30-second step whose code was accepted: a code is never accepted twice.
    totp_last_step = models.BigIntegerField(null=True, blank=True)
    notify = models.BooleanField(_("email notifications"), default=True)
    notify_frequency = models.CharField(
        _("how often"), max_length=8, default="each",
        choices=[("each", _("For every candidate")), ("daily", _("Daily summary")),
                 ("weekly", _("Weekly summary, on Mondays"))])

    class Meta:
        verbose_name = _("organisation user")
        verbose_name_plural = _("organisation users")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(is_primary=True),
                name="one_primary_user_per_organisation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


class Share(models.Model):
    """A candidate's result shared with one organisation, until revoked."""

    result = models.ForeignKey("results.Result", on_delete=models.CASCADE, related_name="shares")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="shares")
    shared_at = models.DateTimeField(auto_now_add=True)
    first_opened_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shared_at"]
        verbose_name = _("shared result")
        verbose_name_plural = _("shared results")
        constraints = [
            models.UniqueConstraint(
                fields=["result", "organisation"], condition=models.Q(revoked_at__isnull=True),
                name="one_active_share_per_result_and_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.result} → {self.organisation}"


class AccessEvent(models.Model):
    """An organisation looked at or downloaded a result: shown in the candidate's access
    log. (The audit log keeps the same facts for the board.)"""

    class Kind(models.TextChoices):
        VIEW = "view", _("Viewed")
        DOWNLOAD = "download", _("Downloaded")

    result = models.ForeignKey("results.Result", on_delete=models.CASCADE,
                               related_name="access_events")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="access_events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.organisation} {self.kind} {self.result}"


class JoinRequest(models.Model):
    """Someone asks to join an existing organisation account; its primary user decides."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="join_requests")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    job_title = models.CharField(_("job title"), max_length=100)
    email = models.EmailField(_("email address"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"join request {self.pk}"


class DownloadTemplate(models.Model):
    """Columns of a data file: which result fields, in which order, under which headers."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="download_templates")
    name = models.CharField(_("name"), max_length=100)
    # [{"field": code, "header": text}, ...]; empty header = the field's label.
    columns = models.JSONField()
    header_language = models.CharField(_("header language"), max_length=8, default="en")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"],
                                               name="unique_template_name_per_organisation")]

    def __str__(self) -> str:
        return self.name


class DataDownload(models.Model):
    """A file prepared for an organisation (xlsx, csv or a zip of PDFs), kept in its
    download history; prepared in the background with its progress."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel (.xlsx)"
        CSV = "csv", "CSV"
        PDF_ZIP = "pdf_zip", _("PDF statements (zip)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being prepared")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("No longer available")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="downloads")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    format = models.CharField(max_length=8, choices=Format.choices)
    template_name = models.CharField(max_length=100, blank=True)
    columns = models.JSONField(default=list)  # the template's columns, frozen at request
    header_language = models.CharField(max_length=8, default="en")
    results = models.ManyToManyField("results.Result", related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=200, blank=True)  # encrypted, in storage
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"download {self.public_id}"


class ApiCredential(models.Model):
    """An OAuth2 client of an organisation (django-oauth-toolkit Application), valid for
    12 months; the secret is shown once when created or rotated."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="api_credentials")
    application = models.OneToOneField("oauth2_provider.Application", on_delete=models.CASCADE,
                                       related_name="credential")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"API credential {self.pk}"


class Webhook(models.Model):
    """An organisation's endpoint told of events, each delivery signed with HMAC-SHA256."""

    class Event(models.TextChoices):
        RESULT_SHARED = "result.shared", _("A result is shared")
        SHARE_REVOKED = "share.revoked", _("A share is revoked")
        RESULT_WITHDRAWN = "result.withdrawn", _("A result is withdrawn")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE,
                                     related_name="webhooks")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret = models.TextField()  # encrypted with core.crypto
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"webhook {self.public_id}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook}"
