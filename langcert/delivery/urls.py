from django.urls import path

from langcert.delivery import views

app_name = "delivery"

urlpatterns = [
    path("", views.sign_in, name="sign_in"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("home/", views.home, name="home"),
    path("checks/", views.checks, name="checks"),
    path("run/", views.player, name="player"),
    path("audio/<str:token>/", views.audio, name="audio"),
    path("api/rules/", views.accept_rules, name="api_rules"),
    path("api/photo/<str:kind>/", views.photo, name="api_photo"),
    path("api/microphone/", views.microphone, name="api_microphone"),
    path("api/begin/", views.begin, name="api_begin"),
    path("api/answer/", views.answer, name="api_answer"),
    path("api/restart/", views.restart, name="api_restart"),
    path("api/play/", views.play, name="api_play"),
    path("api/event/", views.event, name="api_event"),
    path("api/submit/", views.submit, name="api_submit"),
]
