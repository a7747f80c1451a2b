"""Routes of the school-places pages: the user's own area, a region's or county's projection, the report."""

from django.urls import path

from dudao.web.views import places

urlpatterns = [
    path("places/", places.places_home, name="places_home"),
    path("places/import/", places.places_import, name="places_import"),
    path("places/<str:code>/", places.places_region, name="places_region"),
    path("places/<str:code>/report.<str:fmt>", places.places_report, name="places_report"),
]
