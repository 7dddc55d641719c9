from django.urls import path

from langcert.candidates_portal import views_account, views_privacy, views_results, views_sharing

app_name = "portal"

urlpatterns = [
    path("my/", views_results.home, name="home"),
    path("my/register/", views_account.register, name="register"),
    path("my/confirm/resend/", views_account.resend_confirmation, name="resend_confirmation"),
    path("my/confirm/<str:token>/", views_account.confirm_email, name="confirm_email"),
    path("my/entries/add/", views_account.add_entry, name="add_entry"),
    path("my/account/", views_account.account, name="account"),
    path("my/account/email/<str:token>/", views_account.confirm_new_email,
         name="confirm_new_email"),
    path("my/results/<uuid:public_id>/<str:kind>.pdf", views_results.document,
         name="document"),
    path("my/results/<uuid:public_id>/sharing/", views_sharing.sharing, name="sharing"),
    path("my/shares/<int:share_id>/revoke/", views_sharing.revoke, name="revoke_share"),
    path("my/invite/", views_sharing.invite, name="invite"),
    path("my/privacy/", views_privacy.privacy, name="privacy"),
    path("my/privacy/removal/", views_privacy.request_removal, name="request_removal"),
    path("board/removals/", views_privacy.board_removals, name="board_removals"),
    path("board/removals/<int:request_id>/", views_privacy.board_removal,
         name="board_removal"),
]
