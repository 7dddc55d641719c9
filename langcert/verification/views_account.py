"""Applying, joining, the board's queue; the account's users, details, each user's profile,
two-factor authentication and help. Views are thin: forms in, one service call, a page out."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from langcert.core.forms import run_service
from langcert.core.permissions import role_required
from langcert.core.roles import Role
from langcert.verification import accounts
from langcert.verification import two_factor as totp
from langcert.verification.forms_account import (
    ApplyForm,
    CodeForm,
    ContactForm,
    DetailsForm,
    JoinForm,
    MemberEditForm,
    MemberForm,
    ProfileForm,
    RejectForm,
    SearchForm,
)
from langcert.verification.models import Organisation

PERSON = ("first_name", "last_name", "job_title")




def _run_or_message(request, call, success: str) -> bool:
    """For buttons without a form: the error or the success goes in the page's messages."""
    try:
        call()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    messages.success(request, success)
    return True


def _pick(data, names) -> dict:
    return {name: data[name] for name in names}


# --- Applying and joining (visitors) ---------------------------------------------------------
def apply(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = ApplyForm(request.POST or None)
    warning = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        warning = form.needs_domain_confirmation()
        if not warning and run_service(form, lambda: accounts.organisation_apply(
                **_pick(data, (*PERSON, "email", "organisation_name", "kind", "website",
                               "street", "city", "postcode", "country")),
                language=get_language() or settings.LANGUAGE_CODE, request=request)):
            return render(request, "verification/account_sent.html",
                          {"kind": "apply", "email": data["email"]})
    context = {"form": form, "warning": warning,
               "groups": [(_("Your details"), [*PERSON, "email", "email_again"]),
                          (_("Your organisation"), ["organisation_name", "kind", "website",
                                                    "street", "city", "postcode", "country"])]}
    if warning:
        context["email_domain"] = accounts.domain_of_email(form.cleaned_data["email"])
        context["website_domain"] = accounts.domain_of_website(form.cleaned_data["website"])
    context["groups"] = [(title, [form[name] for name in names])
                         for title, names in context["groups"]]
    return render(request, "verification/account_apply.html", context)


def _chosen_organisation(request) -> Organisation | None:
    """The approved organisation picked in the search (by its public id), if any."""
    value = request.POST.get("organisation") or request.GET.get("organisation") or ""
    try:
        public_id = uuid.UUID(value)
    except ValueError:
        return None
    return Organisation.objects.filter(public_id=public_id,
                                       status=Organisation.Status.APPROVED).first()


def join(request):
    if request.user.is_authenticated:
        return redirect("home")
    organisation = _chosen_organisation(request)
    if organisation is None:
        search = SearchForm(request.GET or None)
        query = search.cleaned_data["q"] if search.is_valid() else ""
        return render(request, "verification/account_join.html",
                      {"search": search, "searched": bool(query),
                       "matches": accounts.approved_organisations(query)})
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(form, lambda: accounts.join_request_create(
                organisation=organisation, **_pick(data, (*PERSON, "email")), request=request)):
            return render(request, "verification/account_sent.html",
                          {"kind": "join", "organisation": organisation})
    return render(request, "verification/account_join.html",
                  {"organisation": organisation, "form": form})


# --- The board's queue ---------------------------------------------------------------------
def _approve_api(request, organisation) -> None:
    _run_or_message(request, lambda: accounts.api_access_approve(
        actor=request.user, organisation=organisation, request=request),
        _("API access is approved for %(name)s.") % {"name": organisation.name})


@role_required(Role.BOARD)
def board_queue(request):
    if request.method == "POST":
        value = request.POST.get("organisation", "")
        if not _is_uuid(value):
            raise Http404
        _approve_api(request, get_object_or_404(Organisation, public_id=value))
        return redirect("verification:board_queue")
    applications = accounts.applications()
    decided = Paginator(applications.exclude(status=Organisation.Status.PENDING), 50)
    return render(request, "verification/account_board_queue.html", {
        "pending": applications.filter(status=Organisation.Status.PENDING),
        "page": decided.get_page(request.GET.get("page")),
        "api_requests": accounts.api_access_requests()})


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@role_required(Role.BOARD)
def board_application(request, public_id):
    organisation = get_object_or_404(Organisation, public_id=public_id)
    action = request.POST.get("action")
    reject_form = RejectForm(request.POST if action == "reject" else None)
    if request.method == "POST" and _decide(request, organisation, action, reject_form):
        return redirect("verification:board_application", public_id=public_id)
    primary = accounts.primary_member(organisation)
    return render(request, "verification/account_board_application.html", {
        "organisation": organisation, "primary": primary, "reject_form": reject_form,
        "members": accounts.members_of(organisation),
        "domain_matches": primary is not None and accounts.email_matches_website(
            primary.user.email, organisation.website)})


def _decide(request, organisation, action, reject_form) -> bool:
    """Approve, reject or approve API access; False when the page shows form errors."""
    if action == "approve":
        _run_or_message(request, lambda: accounts.application_approve(
            actor=request.user, organisation=organisation, request=request),
            _("The application is approved: the applicant has been sent a link to set a "
              "password."))
        return True
    if action == "api_approve":
        _approve_api(request, organisation)
        return True
    if action == "reject" and reject_form.is_valid() and run_service(
            reject_form, lambda: accounts.application_reject(
                actor=request.user, organisation=organisation,
                reason=reject_form.cleaned_data["reason"], request=request)):
        messages.success(request, _("The application is rejected: the applicant has been "
                                    "told why."))
        return True
    return False


# --- The account's users ---------------------------------------------------------------------
def _primary_only(member) -> None:
    if not member.is_primary:
        raise PermissionDenied


@role_required(Role.ORGANISATION)
def users(request):
    member = accounts.member_for(request.user)
    action = request.POST.get("action")
    add_form = MemberForm(request.POST if action == "add" else None)
    if request.method == "POST":
        _primary_only(member)
        if action == "add" and add_form.is_valid() and run_service(
                add_form, lambda: accounts.member_add(
                    actor=request.user, **_pick(add_form.cleaned_data, (*PERSON, "email")),
                    request=request)):
            messages.success(request, _("The user is added: they have been sent a link to set "
                                        "their password."))
            return redirect("verification:users")
        if action in {"accept", "decline"}:
            _answer_join_request(request, member, action)
            return redirect("verification:users")
    join_requests = accounts.pending_join_requests(member.organisation) if member.is_primary \
        else []
    return render(request, "verification/account_users.html", {
        "member": member, "organisation": member.organisation, "add_form": add_form,
        "members": accounts.members_of(member.organisation),
        "join_requests": [(join_request, accounts.email_matches_website(
            join_request.email, member.organisation.website)) for join_request in join_requests]})


def _answer_join_request(request, member, action: str) -> None:
    request_id = request.POST.get("join_request", "")
    join_request = accounts.join_request_of(member.organisation,
                                            int(request_id) if request_id.isdigit() else 0)
    if action == "accept":
        _run_or_message(request, lambda: accounts.join_request_accept(
            actor=request.user, join_request=join_request, request=request),
            _("The request is accepted: the new user has been sent a link to set their "
              "password."))
    else:
        _run_or_message(request, lambda: accounts.join_request_decline(
            actor=request.user, join_request=join_request, request=request),
            _("The request is declined."))


@role_required(Role.ORGANISATION)
def user_edit(request, member_id):
    viewer = accounts.member_for(request.user)
    target = accounts.colleague(viewer, member_id)  # another organisation's user: 404
    _primary_only(viewer)
    action = request.POST.get("action")
    form = MemberEditForm(request.POST if action == "save" else None, initial={
        "first_name": target.user.first_name, "last_name": target.user.last_name,
        "job_title": target.job_title})
    if request.method == "POST":
        if action == "save":
            if form.is_valid() and run_service(form, lambda: accounts.member_edit(
                    actor=request.user, member=target, **_pick(form.cleaned_data, PERSON),
                    request=request)):
                messages.success(request, _("The user's details are saved."))
                return redirect("verification:users")
        elif _other_action(request, target, action):
            return redirect("verification:users")
        else:
            return redirect("verification:user_edit", member_id=member_id)
    return render(request, "verification/account_user_edit.html", {
        "viewer": viewer, "target": target, "form": form,
        "two_factor_on": totp.is_confirmed(target)})


def _other_action(request, target, action) -> bool:
    """Remove, hand over the primary role or reset two-factor; True once done."""
    name = target.user.get_full_name() or target.user.email
    calls = {
        "remove": (accounts.member_remove, _("%(name)s is removed.")),
        "hand_over": (accounts.primary_hand_over, _("%(name)s is now the primary user.")),
        "reset_two_factor": (accounts.member_two_factor_reset,
                             _("Two-factor authentication is reset for %(name)s.")),
    }
    if action not in calls:
        return False
    service, text = calls[action]
    return _run_or_message(request, lambda: service(actor=request.user, member=target,
                                                    request=request), text % {"name": name})


@role_required(Role.ORGANISATION)
def details(request):
    member = accounts.member_for(request.user)
    organisation = member.organisation
    form = DetailsForm(request.POST or None, initial={
        "name": organisation.name, "website": organisation.website,
        "address": organisation.address, "country": organisation.country,
        "two_factor": organisation.two_factor,
        "recognised_exams": list(organisation.recognised_exams.all())})
    if request.method == "POST":
        _primary_only(member)
        if form.is_valid() and run_service(form, lambda: accounts.organisation_update(
                actor=request.user, request=request, **form.cleaned_data)):
            messages.success(request, _("Your organisation's details are saved."))
            return redirect("verification:details")
    if not member.is_primary:
        for field in form.fields.values():
            field.disabled = True
    return render(request, "verification/account_details.html",
                  {"member": member, "organisation": organisation, "form": form})


@role_required(Role.ORGANISATION)
def profile(request):
    member = accounts.member_for(request.user)
    user = request.user
    form = ProfileForm(request.POST or None, initial={
        "first_name": user.first_name, "last_name": user.last_name,
        "job_title": member.job_title, "language": user.language,
        "time_zone": user.time_zone})
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: (
            accounts.profile_update(actor=user, request=request, **form.cleaned_data))):
        language = form.cleaned_data["language"]
        response = redirect("verification:profile")
        # The language switch's cookie wins over the preference: keep them the same.
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                            max_age=settings.LANGUAGE_COOKIE_AGE,
                            secure=settings.LANGUAGE_COOKIE_SECURE,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        messages.success(request, _("Your profile is saved."))
        return response
    return render(request, "verification/account_profile.html", {
        "member": member, "form": form, "two_factor_on": totp.is_confirmed(member)})


# --- Two-factor authentication ----------------------------------------------------------------
def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("verification:shared_results")


@role_required(Role.ORGANISATION)
def two_factor(request):
    """Set up, pass once per session, or turn off two-factor authentication."""
    member = accounts.member_for(request.user)
    confirmed, verified = totp.is_confirmed(member), totp.is_verified(request)
    mode = "setup" if not confirmed else ("manage" if verified else "verify")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if mode == "manage" and request.POST.get("action") == "disable":
            if run_service(form, lambda: totp.disable(member=member, code=code, request=request)):
                messages.success(request, _("Two-factor authentication is turned off."))
                return redirect("verification:two_factor")
        elif mode in {"setup", "verify"}:
            service = totp.setup_confirm if mode == "setup" else totp.verify
            if run_service(form, lambda: service(member=member, code=code, request=request)):
                if mode == "setup":
                    messages.success(request, _("Two-factor authentication is on."))
                return redirect(_next_url(request))
    context = {"member": member, "mode": mode, "form": form,
               "required": totp.is_required(member), "next": _next_url(request)}
    if mode == "setup":
        secret = totp.setup_secret(member=member)
        context.update(secret=secret, qr_svg=totp.qr_svg(member=member, secret=secret))
    return render(request, "verification/account_two_factor.html", context)


# --- Help --------------------------------------------------------------------------------------
@role_required(Role.ORGANISATION)
def help_page(request):
    member = accounts.member_for(request.user)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: (
            accounts.board_contact(actor=request.user, request=request, **form.cleaned_data))):
        messages.success(request, _("Your message is sent to the exam board. We answer by "
                                    "email, usually within two working days."))
        return redirect("verification:help")
    return render(request, "verification/account_help.html", {"member": member, "form": form})
