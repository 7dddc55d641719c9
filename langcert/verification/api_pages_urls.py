"""The API page of Your Organisation. Included by langcert/verification/urls.py, so the
names are in the "verification" namespace (verification:api, ...)."""

from django.urls import path

from langcert.verification import views_api

urlpatterns = [
    path("organisation/api/", views_api.api_page, name="api"),
    path("organisation/api/request/", views_api.api_request_access, name="api_request"),
    path("organisation/api/credentials/", views_api.api_credential_create,
         name="api_credential_create"),
    path("organisation/api/credentials/<int:credential_id>/rotate/",
         views_api.api_credential_rotate, name="api_credential_rotate"),
    path("organisation/api/credentials/<int:credential_id>/revoke/",
         views_api.api_credential_revoke, name="api_credential_revoke"),
    path("organisation/api/webhooks/<uuid:public_id>/delete/", views_api.api_webhook_delete,
         name="api_webhook_delete"),
]
