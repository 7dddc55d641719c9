from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from langcert.candidates_portal.forms import PortalLoginForm
from langcert.core import views
from langcert.delivery import staff_views
from langcert.oral import views as oral_views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(form_class=PortalLoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="core/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="core/password_reset_confirm.html"
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="core/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("language/", views.switch_language, name="switch_language"),
    path("board/", views.board_home, name="board_home"),
    path("board/outbox/", views.outbox, name="outbox"),
    path("board/attempts/", staff_views.attempts, name="board_attempts"),
    path("board/attempts/<uuid:public_id>/", staff_views.evidence, name="board_evidence"),
    path("board/attempts/<uuid:public_id>/reopen/", staff_views.reopen, name="board_reopen"),
    path("board/attempts/<uuid:public_id>/photo/<str:kind>/", staff_views.photo,
         name="board_attempt_photo"),
    path("evaluator/", oral_views.agenda, name="evaluator_home"),
    path("evaluator/interviews/<uuid:public_id>/", oral_views.interview, name="oral_interview"),
    path("test/oral/", oral_views.candidate_calendar, name="oral_candidate_calendar"),
    path("centre/entries/<uuid:public_id>/oral/", oral_views.centre_calendar,
         name="oral_centre_calendar"),
    path("centre/", include("langcert.centres.urls")),
    path("test/", include("langcert.delivery.urls")),
    path("", include("langcert.results.urls")),
    path("", include("langcert.candidates_portal.urls")),
    path("", include("langcert.verification.urls")),
    path("api/v1/", include("langcert.verification.api_urls")),
    path("admin/", admin.site.urls),
]
