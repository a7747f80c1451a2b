"""TEMPORARY test URLconf with only the JSON API, used while ``dudao.web.urls_pages``/``urls_data`` are missing."""

from django.urls import include, path

urlpatterns = [path("api/", include("dudao.web.urls_api"))]
