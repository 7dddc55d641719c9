from django import forms
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    id_number = forms.CharField(
        label=_("ID Number"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "characters",
                                      "spellcheck": "false"}),
    )
    secret_number = forms.CharField(
        label=_("Secret Number"), max_length=20,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password",
                                          "autocapitalize": "characters"}),
        help_text=_("Both numbers are on your confirmation of entry."),
    )
