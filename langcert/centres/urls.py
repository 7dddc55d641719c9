from django.urls import path

from langcert.centres import views

app_name = "centres"

urlpatterns = [
    path("", views.home, name="home"),
    path("sessions/<uuid:public_id>/", views.session_detail, name="session"),
    path("sessions/<uuid:public_id>/enrol/", views.enrol, name="enrol"),
    path("sessions/<uuid:public_id>/import/", views.import_entries, name="import"),
    path("entries/<uuid:public_id>/", views.entry_detail, name="entry"),
    path("entries/<uuid:public_id>/new-secret/", views.reissue_secret, name="reissue_secret"),
    path("enrolment-template.csv", views.enrolment_template, name="enrolment_template"),
]
