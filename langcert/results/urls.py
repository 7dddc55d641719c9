from django.urls import path

from langcert.results import views_board, views_imports, views_photos

app_name = "results"

urlpatterns = [
    path("board/results/", views_board.dashboard, name="dashboard"),
    path("board/results/reviews/", views_board.reviews, name="reviews"),
    path("board/results/import/", views_imports.import_results, name="import"),
    path("board/results/<uuid:public_id>/", views_board.result_detail, name="detail"),
    path("board/results/<uuid:public_id>/review/", views_board.review, name="review"),
    path("board/results/<uuid:public_id>/withdraw/", views_board.withdraw, name="withdraw"),
    path("board/results/<uuid:public_id>/documents/<str:kind>/", views_board.document,
         name="document"),
    path("centre/sessions/<uuid:public_id>/photos/", views_photos.upload_photos,
         name="centre_photos"),
]
