"""Routes of the teacher pages: staffing, eligibility lists, rotation plans."""

from django.urls import path

from dudao.web.views import teachers

urlpatterns = [
    path("teachers/", teachers.home, name="teachers_home"),
    path("teachers/upload/", teachers.upload, name="teachers_upload"),
    path("teachers/county/<str:code>/", teachers.county, name="teachers_county"),
    path("teachers/county/<str:code>/eligible/", teachers.eligible, name="teachers_eligible"),
    path("teachers/county/<str:code>/plans/", teachers.plans, name="teachers_plans"),
    path("teachers/plans/<int:pk>/", teachers.plan, name="teachers_plan"),
    path("teachers/plans/<int:pk>.xlsx", teachers.plan_xlsx, name="teachers_plan_xlsx"),
]
