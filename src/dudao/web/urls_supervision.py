"""Routes of the supervision pages: rounds, a round's cases, a case."""

from django.urls import path

from dudao.web.views import supervision

urlpatterns = [
    path("supervision/", supervision.rounds, name="rounds"),
    path("supervision/rounds/<int:pk>/", supervision.round_detail, name="round_detail"),
    path("supervision/cases/<int:pk>/", supervision.case_detail, name="case_detail"),
]
