"""Routes of the targets and schedule pages (dudao.planning)."""

from django.urls import path

from dudao.web.views import planning

urlpatterns = [
    path("planning/", planning.index, name="planning"),
    path("planning/targets/<str:code>/", planning.targets, name="planning_targets"),
    path("planning/schedule/<str:code>/", planning.schedule, name="planning_schedule"),
    path("planning/schedule/<str:code>.xlsx", planning.schedule_xlsx, name="planning_schedule_xlsx"),
    path("planning/terms/", planning.terms, name="planning_terms"),
    path("planning/terms/template.xlsx", planning.terms_template, name="planning_terms_template"),
]
