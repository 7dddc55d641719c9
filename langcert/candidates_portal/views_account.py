"""Registration, email confirmation, further entries and the account page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from langcert.candidates_portal import forms, services
from langcert.core.forms import run_service
from langcert.core.permissions import role_required
from langcert.core.roles import Role


def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = forms.RegistrationForm(request.POST or None,
                                  initial={"id_number": request.GET.get("id", "")[:20]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: services.account_register(
                id_number=data["id_number"], secret=data["secret_number"], email=data["email"],
                password=data["password"], country=data["country"],
                first_language=data["first_language"], wants_updates=data["wants_updates"],
                language=get_language() or "fr", request=request)):
            return render(request, "candidates_portal/check_email.html",
                          {"email": data["email"]})
    return render(request, "candidates_portal/register.html", {"form": form})


def confirm_email(request, token):
    try:
        services.account_confirm_email(token=token, request=request)
    except ValidationError as error:
        return render(request, "candidates_portal/link_problem.html",
                      {"message": error.messages[0], "resend": True}, status=400)
    messages.success(request, _("Your email address is confirmed: you can log in."))
    return redirect("login")


def resend_confirmation(request):
    form = forms.ResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and run_service(
            form, lambda: services.confirmation_resend(email=form.cleaned_data["email"],
                                                       request=request)):
        return render(request, "candidates_portal/check_email.html",
                      {"email": form.cleaned_data["email"]})
    return render(request, "candidates_portal/resend.html", {"form": form})


@role_required(Role.CANDIDATE)
def add_entry(request):
    form = forms.AddEntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: services.account_add_entry(
                actor=request.user, id_number=data["id_number"], secret=data["secret_number"],
                request=request)):
            messages.success(request, _("The entry is added to your account."))
            return redirect("portal:home")
    return render(request, "candidates_portal/add_entry.html", {"form": form})


@role_required(Role.CANDIDATE)
def account(request):
    form = forms.EmailChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: services.email_change_request(
                actor=request.user, new_email=data["new_email"], password=data["password"],
                request=request)):
            messages.success(request, _("We sent a link to your new address: follow it to "
                                        "finish the change."))
            return redirect("portal:account")
    return render(request, "candidates_portal/account.html", {"form": form})


def confirm_new_email(request, token):
    try:
        services.email_change_confirm(token=token, request=request)
    except ValidationError as error:
        return render(request, "candidates_portal/link_problem.html",
                      {"message": error.messages[0]}, status=400)
    messages.success(request, _("Your email address is changed."))
    return redirect("portal:account" if request.user.is_authenticated else "login")
