"""Region pages (province dashboard, prefecture, county), their county map, and school pages."""

from django.urls import path

from dudao.web.views import pages

urlpatterns = [
    path("region/<str:code>/", pages.region, name="region"),
    path("region/<str:code>/map.geojson", pages.region_map, name="region_map"),
    path("school/<str:code>/", pages.school, name="school"),
]
