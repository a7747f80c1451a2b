"""Routes of the supervision pages: rounds, a round's cases and announcement, a case, evidence files,
rectification tasks, the overdue dashboard, and the public announcements (no login)."""

from django.urls import path

from dudao.web.views import supervision, supervision_public, supervision_rect

urlpatterns = [
    path("supervision/", supervision.rounds, name="rounds"),
    path("supervision/rounds/<int:pk>/", supervision.round_detail, name="round_detail"),
    path("supervision/rounds/<int:pk>/publish/", supervision.round_publish, name="round_publish"),
    path("supervision/cases/<int:pk>/", supervision.case_detail, name="case_detail"),
    path("supervision/files/<int:pk>/", supervision.evidence_download, name="evidence_download"),
    path("supervision/tasks/", supervision_rect.tasks, name="tasks"),
    path("supervision/tasks/<int:pk>/", supervision_rect.task_detail, name="task_detail"),
    path("supervision/overdue/", supervision_rect.overdue_dashboard, name="overdue_dashboard"),
    path("public/announcements/<str:province>/", supervision_public.public_announcements,
         name="public_announcements"),
    path("public/announcement/<int:pk>/", supervision_public.public_announcement, name="public_announcement"),
]
