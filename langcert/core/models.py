import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from langcert.core.roles import Role

DEFAULT_TIME_ZONE = "Europe/Paris"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class TimeZoneField(models.CharField):
    """An IANA time zone name, validated against the system's zone database."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("default", DEFAULT_TIME_ZONE)
        kwargs.setdefault("validators", [validate_time_zone])
        super().__init__(*args, **kwargs)


class LanguageField(models.CharField):
    """A preferred interface and mail language, one of settings.LANGUAGES."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 8)
        kwargs.setdefault("choices", settings.LANGUAGES)
        kwargs.setdefault("default", "fr")
        super().__init__(*args, **kwargs)


class LangCertUserManager(UserManager):
    """Users sign in with their email address; there is no separate user name."""

    def _create_user(self, username, email, password, **extra_fields):
        email = self.normalize_email(email or username)
        user = self.model(email=email, username=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, email, password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        extra_fields.setdefault("role", Role.BOARD)
        return self._create_user(email, email, password, **extra_fields)


class User(AbstractUser):
    """Anyone who signs in: board and centre staff, evaluators, organisation users and
    candidates with a Candidate Results Service account."""

    username = models.CharField(_("user name"), max_length=254, unique=True, editable=False)
    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    time_zone = TimeZoneField(_("time zone"))
    language = LanguageField(_("preferred language"))
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = LangCertUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def save(self, *args, **kwargs):
        self.username = self.email
        # Only board staff reach the admin.
        self.is_staff = self.is_superuser or self.role == Role.BOARD
        super().save(*args, **kwargs)


class AuditEvent(models.Model):
    """Who did what to which object, when and from where. Rows are never updated."""

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        target = f"{self.target_type}#{self.target_id}"
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {target}"


class OutboundEmail(models.Model):
    """One message of the outbox. The idempotency key makes a second request for the same
    message return the existing row, and delivery locks the row so it is sent once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    idempotency_key = models.CharField(max_length=200, unique=True)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment = models.BinaryField(null=True, blank=True)
    # Messages carrying a secret (e.g. a Secret Number) lose their content once sent.
    sensitive = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
