from django.urls import include, path

from langcert.verification import views_account, views_downloads, views_results

app_name = "verification"

# The API (django-ninja, OAuth2) is mounted separately at /api/v1/ by langcert/urls.py.
urlpatterns = [
    # Applying, joining, the board's queue; users, profile, two-factor, help (views_account).
    path("organisations/apply/", views_account.apply, name="apply"),
    path("organisations/join/", views_account.join, name="join"),
    path("board/organisations/", views_account.board_queue, name="board_queue"),
    path("board/organisations/<uuid:public_id>/", views_account.board_application,
         name="board_application"),
    path("organisation/users/", views_account.users, name="users"),
    path("organisation/users/<int:member_id>/", views_account.user_edit, name="user_edit"),
    path("organisation/details/", views_account.details, name="details"),
    path("organisation/profile/", views_account.profile, name="profile"),
    path("organisation/two-factor/", views_account.two_factor, name="two_factor"),
    path("organisation/help/", views_account.help_page, name="help"),
    # Shared Results, Candidate Search, result detail, bulk verification (views_results).
    path("organisation/", views_results.shared_results, name="shared_results"),
    path("organisation/search/", views_results.search, name="search"),
    path("organisation/results/<uuid:public_id>/", views_results.result_detail,
         name="result_detail"),
    path("organisation/results/<uuid:public_id>/statement.pdf", views_results.result_pdf,
         name="result_pdf"),
    path("organisation/results/<uuid:public_id>/photo/", views_results.result_photo,
         name="result_photo"),
    path("organisation/bulk-verification/", views_results.bulk_verification,
         name="bulk_verification"),
    # Downloads, templates, notifications (views_downloads).
    path("organisation/downloads/", views_downloads.downloads, name="downloads"),
    path("organisation/downloads/new/", views_downloads.request_download,
         name="request_download"),
    path("organisation/downloads/<uuid:public_id>/", views_downloads.download_status,
         name="download_status"),
    path("organisation/downloads/<uuid:public_id>/file/", views_downloads.download_file,
         name="download_file"),
    path("organisation/templates/", views_downloads.templates, name="templates"),
    path("organisation/notifications/", views_downloads.notifications, name="notifications"),
    path("", include("langcert.verification.api_pages_urls")),
]
