from django import forms
from django.conf.locale import LANG_INFO
from django.contrib.auth import password_validation
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from langcert.centres.models import Entry
from langcert.centres.selectors import secret_matches
from langcert.core import identifiers
from langcert.core.forms import LoginForm
from langcert.core.roles import Role


def first_language_choices() -> list[tuple[str, str]]:
    """Languages by their own name (as people recognise their first language)."""
    names = {info["name_local"]: code for code, info in LANG_INFO.items()
             if "name_local" in info and "-" not in code and "fallback" not in info}
    return [("", "—")] + [(code, name) for name, code in sorted(names.items())]


class PairFields(forms.Form):
    id_number = forms.CharField(label=_("ID Number"), max_length=20,
                                widget=forms.TextInput(attrs={"autocomplete": "off",
                                                              "spellcheck": "false"}))
    secret_number = forms.CharField(label=_("Secret Number"), max_length=20,
                                    widget=forms.TextInput(attrs={"autocomplete": "off",
                                                                  "spellcheck": "false"}))


class RegistrationForm(PairFields):
    email = forms.EmailField(label=_("Email address"))
    email_again = forms.EmailField(label=_("Email address again"))
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, including at least 2 digits. Special characters "
                    "and long passphrases are welcome. This is not your Secret Number."))
    password_again = forms.CharField(label=_("Password again"), strip=False,
                                     widget=forms.PasswordInput(
                                         attrs={"autocomplete": "new-password"}))
    country = LazyTypedChoiceField(label=_("Country of residence"),
                                   choices=[("", "—"), *countries])
    first_language = forms.ChoiceField(label=_("First language"))
    terms = forms.BooleanField(label=_("I accept the terms of use of the Candidate Results "
                                       "Service."))
    wants_updates = forms.BooleanField(label=_("Send me news and updates (optional)."),
                                       required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_language"].choices = first_language_choices()

    def clean_email_again(self):
        email, again = self.cleaned_data.get("email"), self.cleaned_data["email_again"]
        if email and email.lower() != again.lower():
            raise forms.ValidationError(_("The two email addresses differ."))
        return again

    def clean_password(self):
        password = self.cleaned_data["password"]
        if identifiers.normalise(password) == identifiers.normalise(
                self.data.get("secret_number", "")):
            raise forms.ValidationError(_("Choose a password of your own, not your Secret "
                                          "Number."))
        password_validation.validate_password(password)
        return password

    def clean_password_again(self):
        password, again = self.cleaned_data.get("password"), self.cleaned_data["password_again"]
        if password and password != again:
            raise forms.ValidationError(_("The two passwords differ."))
        return again


class AddEntryForm(PairFields):
    pass


class ResendForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(label=_("New email address"))
    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(
                                   attrs={"autocomplete": "current-password"}))


class PortalLoginForm(LoginForm):
    """Email or any ID Number, and the password; with kind words for the usual mistakes:
    the Secret Number typed as a password, an account not registered or not confirmed."""

    username = forms.CharField(label=_("Email address or ID Number"), max_length=254,
                               widget=forms.TextInput(attrs={"autofocus": True,
                                                             "autocomplete": "username"}))

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.error_list[0].code == "invalid_login":
                hint = self._mistake_hint()
                if hint:
                    raise forms.ValidationError(hint, code="invalid_login") from error
            raise

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        account = getattr(user, "results_account", None)
        if user.role == Role.CANDIDATE and account is not None and not account.is_confirmed:
            raise forms.ValidationError(format_html(
                _("Confirm your email address first: follow the link we sent you. "
                  '<a href="{}">Send the link again</a>.'),
                reverse("portal:resend_confirmation")), code="unconfirmed")

    def _mistake_hint(self) -> str | None:
        typed = (self.data.get("username") or "").strip()
        password = self.data.get("password") or ""
        if "@" in typed:
            return None
        entry = Entry.objects.filter(id_number=identifiers.normalise(typed)).select_related(
            "candidate").first()
        if entry is None:
            return None
        if entry.candidate.account_id is None:
            return format_html(_('You have not registered yet. <a href="{}">Register</a> '
                                 "with your ID Number and Secret Number first."),
                               reverse("portal:register"))
        looks_like_secret = identifiers.is_well_formed(identifiers.normalise(password),
                                                       identifiers.SECRET_NUMBER_LENGTH)
        if looks_like_secret and secret_matches(entry, password):
            return _("This is your Secret Number, which is only for registering. Log in with "
                     "the password you chose when you registered, or reset it.")
        return None

