"""URL routes of the web UI and the API. Each area keeps its routes in its own module."""

from django.contrib.auth.views import LogoutView
from django.urls import include, path

from dudao.web.views import auth, home

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("dudao.web.urls_pages")),   # region (province/prefecture/county) and school pages
    path("", include("dudao.web.urls_data")),    # data, standards, assess, reports, audit
    path("", include("dudao.web.urls_supervision")),
    path("", include("dudao.web.urls_planning")),  # targets, evaluation schedule, terms of office
    path("", include("dudao.web.urls_inspection")),  # evaluation forms, scoring, reconciliation, roll-up
    path("", include("dudao.web.urls_quality")),  # value-added bands, quality-evaluation reports
    path("", include("dudao.web.urls_aid")),  # student aid: coverage dashboards, school lists, matches, notices
    path("", include("dudao.web.urls_places")),  # school places: projection, capacity, small schools
    path("", include("dudao.web.urls_teachers")),  # teachers: staffing, rotation eligibility, rotation plans
    path("api/", include("dudao.web.urls_api")),  # JSON API (django-ninja), OpenAPI at /api/openapi.json
]
