from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from langcert.core import ratelimit
from langcert.core.audit import client_ip
from langcert.core.mail import queue_email

LOGIN_FAILURES_ALLOWED = 10
LOGIN_WINDOW_SECONDS = 15 * 60
RESETS_ALLOWED = 5
RESET_WINDOW_SECONDS = 60 * 60


class LoginForm(AuthenticationForm):
    """Email and password, with failed attempts limited per address and per account."""

    username = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autofocus": True})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "rate_limited": _("Too many failed attempts. Wait 15 minutes and try again."),
    }

    def _limit_keys(self) -> list[tuple[str, str]]:
        email = (self.data.get("username") or "").strip().lower()
        return [("login-account", email), ("login-ip", client_ip(self.request) or "")]

    def clean(self):
        keys = self._limit_keys()
        if any(ratelimit.is_limited(s, i, LOGIN_FAILURES_ALLOWED) for s, i in keys):
            raise forms.ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        try:
            return super().clean()
        except forms.ValidationError:
            for scope, ident in keys:
                ratelimit.count_attempt(scope, ident, LOGIN_WINDOW_SECONDS)
            raise


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending its message through the outbox. Accounts created
    without a password (invited people) may set their first one this way too."""

    error_messages = {"rate_limited": _("Too many requests. Wait an hour and try again.")}

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        keys = [("reset-email", email), ("reset-ip", client_ip(self.request) or "")]
        if any(ratelimit.is_limited(scope, key, RESETS_ALLOWED) for scope, key in keys):
            raise forms.ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        for scope, key in keys:
            ratelimit.count_attempt(scope, key, RESET_WINDOW_SECONDS)
        return email

    def get_users(self, email):
        from langcert.core.models import User

        return User.objects.filter(email__iexact=email, is_active=True)

    def save(self, domain_override=None, request=None, **kwargs):
        email = self.cleaned_data["email"]
        for user in self.get_users(email):
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            token = default_token_generator.make_token(user)
            path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token})
            queue_email(
                key=f"password-reset:{user.pk}:{token}",
                to=user.email,
                template="password_reset",
                context={"reset_url": request.build_absolute_uri(path) if request else path},
                language=user.language,
                sensitive=True,
            )


def run_service(form: forms.Form, call) -> bool:
    """Run a service with a form's data; a ValidationError it raises goes beside the fields
    it names, or above the form. True when the service succeeded."""
    try:
        call()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
        return False
    return True
