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
    path("device-check/", views.device_check, name="device_check"),
    path("device-check/payload/", views.device_check_payload, name="device_check_payload"),
    path("device-check/ping/", views.device_check_ping, name="device_check_ping"),
    path("practice/", views.practice, name="practice"),
    path("practice/audio/<str:code>/", views.practice_audio, name="practice_audio"),
    path("api/device-check/start/", views.device_check_start, name="api_device_check_start"),
    path("api/device-check/", views.device_check_result, name="api_device_check"),
    path("api/practice/", views.practice_check, name="api_practice"),
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
