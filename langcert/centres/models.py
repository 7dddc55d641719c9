import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from langcert.catalog.models import Exam
from langcert.core import identifiers
from langcert.core.cefr import CefrLevel
from langcert.core.models import LanguageField, TimeZoneField


class Centre(models.Model):
    """A training or exam centre that enrols candidates and runs sessions."""

    code = models.CharField(_("centre code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    time_zone = TimeZoneField(_("time zone"))
    language = LanguageField(_("language"))
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="centres", blank=True, verbose_name=_("staff")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("centre")
        verbose_name_plural = _("centres")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


def new_session_code() -> str:
    return identifiers.random_code(identifiers.SESSION_CODE_LENGTH)


class Session(models.Model):
    """One sitting of one exam at one centre, with its test window and planned release."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(
        _("session code"), max_length=16, unique=True, default=new_session_code, editable=False
    )
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, verbose_name=_("exam"))
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("centre")
    )
    opens_at = models.DateTimeField(_("test window opens"))
    closes_at = models.DateTimeField(_("test window closes"))
    results_release_at = models.DateTimeField(_("planned results release"))
    # When candidates were told the test is open (so they are told once).
    availability_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="session_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exam} – {self.code}"


class Candidate(models.Model):
    """A person enrolled by a centre. Personal data lives here, not in the entries."""

    class Gender(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        OTHER = "X", _("Other / not stated")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="candidates", verbose_name=_("centre")
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    date_of_birth = models.DateField(_("date of birth"))
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    email = models.EmailField(_("email address"))
    id_document_number = models.CharField(_("ID document number"), max_length=50)
    time_zone = TimeZoneField(_("time zone"))
    language = LanguageField(_("preferred language"))
    # Set once the person opens a Candidate Results Service account.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="candidate_records",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a removal request erased the person's data: nothing of theirs is shown,
    # verified or served any more.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        indexes = [models.Index(fields=["centre", "date_of_birth"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name.upper()}"

    @property
    def mail_address(self) -> str:
        """Mail goes to the account email once it exists, to the enrolment email before."""
        return self.account.email if self.account_id else self.email


class Entry(models.Model):
    """One candidate in one session: the unit that gets an ID Number and a result."""

    class PhotoExemption(models.TextChoices):
        NONE = "", _("No exemption")
        RELIGIOUS = "religious", _("Religious reasons")
        MEDICAL = "medical", _("Medical reasons")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    candidate = models.ForeignKey(
        Candidate, on_delete=models.PROTECT, related_name="entries", verbose_name=_("candidate")
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="entries", verbose_name=_("session")
    )
    id_number = models.CharField(_("ID Number"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=200)
    secret_issued_at = models.DateTimeField()
    target_level = models.CharField(
        _("target level"), max_length=8, choices=CefrLevel.choices, blank=True
    )
    job = models.ForeignKey(
        "catalog.JobRole", null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("job")
    )
    photo_consent = models.BooleanField(_("test-day photo may be shown to verifiers"))
    photo_exemption = models.CharField(
        _("photo exemption"), max_length=16, choices=PhotoExemption.choices, blank=True
    )
    photo_consent_changed_at = models.DateTimeField(null=True, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "session"], name="one_entry_per_candidate_and_session"
            ),
        ]

    def __str__(self) -> str:
        return self.id_number

    @property
    def id_number_display(self) -> str:
        return identifiers.display(self.id_number)
