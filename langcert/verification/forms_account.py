"""Forms of the organisation accounts: applying, joining, users, details, profile,
two-factor codes and the contact form."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from langcert.catalog.models import Exam
from langcert.core.models import time_zone_choices
from langcert.verification.accounts import email_matches_website
from langcert.verification.models import Organisation


def _country_choices() -> list[tuple[str, str]]:
    # Called when the form is shown: country names in the page's language.
    return [("", "—"), *countries]


def _text(label, max_length=100, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, **kwargs)


class PersonFields(forms.Form):
    first_name = _text(_("First name"))
    last_name = _text(_("Last name"))
    job_title = _text(_("Job title"))


class TwiceTypedEmail(PersonFields):
    email = forms.EmailField(label=_("Email address"),
                             help_text=_("Use your address at the organisation, not a "
                                         "personal one."))
    email_again = forms.EmailField(label=_("Confirm email address"))

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_email_again(self):
        email, again = self.cleaned_data.get("email"), self.cleaned_data["email_again"]
        if email and email.lower() != again.strip().lower():
            raise forms.ValidationError(_("The two email addresses differ."))
        return again


class ApplyForm(TwiceTypedEmail):
    """The guide's form: your details, your organisation, the terms of use. An address
    outside the website's domain is allowed once the applicant confirms it."""

    organisation_name = _text(_("Organisation name"), max_length=200)
    kind = forms.ChoiceField(label=_("Type of organisation"),
                             choices=[("", "—"), *Organisation.Kind.choices])
    website = forms.URLField(label=_("Website"), assume_scheme="https",
                             help_text=_("For example https://www.university.example"))
    street = _text(_("Street address"), max_length=300,
                   widget=forms.Textarea(attrs={"rows": 2}))
    city = _text(_("City"))
    postcode = _text(_("Postcode"), max_length=20)
    country = forms.ChoiceField(label=_("Country"), choices=_country_choices)
    terms = forms.BooleanField(label=_("I accept the terms of use of the Results "
                                       "Verification Service."))
    domain_confirmed = forms.BooleanField(
        label=_("I confirm this email address is right."), required=False)

    def domain_mismatch(self) -> bool:
        """The email's domain differs from the website's (a warning, not an error)."""
        data = self.cleaned_data
        return not email_matches_website(data.get("email", ""), data.get("website", ""))

    def needs_domain_confirmation(self) -> bool:
        return self.domain_mismatch() and not self.cleaned_data.get("domain_confirmed")


class JoinForm(TwiceTypedEmail):
    pass


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Organisation name"), max_length=100, required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))


class MemberForm(PersonFields):
    """A new user added by the primary user."""

    email = forms.EmailField(label=_("Email address"))

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class MemberEditForm(PersonFields):
    pass


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the rejection (the applicant reads it)"),
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DetailsForm(forms.Form):
    CHOICE_FIELDS = ("recognised_exams", "two_factor")

    name = _text(_("Organisation name"), max_length=200)
    website = forms.URLField(label=_("Website"), assume_scheme="https", required=False)
    address = forms.CharField(label=_("Full address"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    country = forms.ChoiceField(label=_("Country"), choices=_country_choices, required=False)
    recognised_exams = forms.ModelMultipleChoiceField(
        label=_("Recognised exams and tests"), required=False,
        queryset=Exam.objects.filter(is_active=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple)
    two_factor = forms.ChoiceField(
        label=_("Two-factor authentication"), widget=forms.RadioSelect,
        choices=Organisation._meta.get_field("two_factor").choices)

    def text_fields(self) -> list:
        return [field for field in self if field.name not in self.CHOICE_FIELDS]


class ProfileForm(PersonFields):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"), max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True, "spellcheck": "false"}))


class ContactForm(forms.Form):
    subject = _text(_("Subject"), max_length=150)
    message = forms.CharField(label=_("Message"), max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 6}))
