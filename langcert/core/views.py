from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from langcert.core.audit import record_event
from langcert.core.forms import LoginForm, OutboxPasswordResetForm
from langcert.core.models import OutboundEmail
from langcert.core.permissions import role_required
from langcert.core.roles import Role

ROLE_HOMES = {
    Role.BOARD: "board_home",
    Role.CENTRE: "centres:home",
    Role.EVALUATOR: "evaluator_home",
    Role.ORGANISATION: "verification:shared_results",
    Role.CANDIDATE: "portal:home",
}


def home(request):
    """Send each person to their own area; visitors to the sign-in page."""
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect(ROLE_HOMES.get(request.user.role, "login"))


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "core/login.html"
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = OutboxPasswordResetForm
    template_name = "core/password_reset_form.html"
    success_url = reverse_lazy("password_reset_done")

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"request": self.request}


@require_POST
def switch_language(request):
    """The French/English switch: remembered in a cookie, and as the account's preference."""
    response = set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in {"fr", "en"}:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@role_required(Role.BOARD)
def board_home(request):
    return render(request, "core/board_home.html")


@role_required(Role.BOARD)
def outbox(request):
    """Every email the platform sent or will send, so the demo works without SMTP."""
    page = Paginator(OutboundEmail.objects.defer("attachment"), 50).get_page(
        request.GET.get("page")
    )
    record_event(actor=request.user, action="outbox.view", request=request)
    return render(request, "core/outbox.html",
                  {"page": page, "show_sensitive": settings.DEBUG})
