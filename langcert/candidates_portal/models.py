"""The Candidate Results Service: a person's account over all their entries, and their
requests to have their data removed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


class ResultsAccount(models.Model):
    """What registration records beside the user: country, first language, consents."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="results_account")
    country = CountryField(_("country"))
    first_language = models.CharField(_("first language"), max_length=16)
    terms_accepted_at = models.DateTimeField()
    wants_updates = models.BooleanField(_("send me news and updates"), default=False)
    # Login is refused until the link in the confirmation email is followed.
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    # A new address asked for, until its link is followed (kept here, not in the link).
    pending_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("results account")
        verbose_name_plural = _("results accounts")

    def __str__(self) -> str:
        return f"results account {self.pk}"

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None


class RemovalRequest(models.Model):
    """A candidate's request to erase their photo and personal data, done by the board."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the board")
        DONE = "done", _("Done")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                             related_name="removal_requests")
    candidates = models.ManyToManyField("centres.Candidate", related_name="removal_requests")
    reason = models.TextField(_("reason (optional)"), blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    processed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("removal request")
        verbose_name_plural = _("removal requests")

    def __str__(self) -> str:
        return f"removal request {self.pk}"
