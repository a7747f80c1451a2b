"""Routes of the JSON API, included at ``api/``: the ninja API, its bundled docs assets, JSON 404s.

``/api/openapi.json`` is the schema, ``/api/docs`` the Swagger UI (served from django-ninja's own files,
no CDN). Anything else under ``/api/`` answers a JSON 404, never an HTML page.
"""

from django.urls import path, re_path

from dudao.web.api import api, api_not_found, api_root, docs_asset, json_errors

_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    _pattern.callback = json_errors(_pattern.callback)  # 405 and stray 404 answers as JSON

urlpatterns = [
    path("", api_root, name="dudao-api-root"),
    path("docs/assets/<str:name>", docs_asset, name="dudao-api-docs-asset"),
    path("", (_patterns, _app_name, _namespace)),
    re_path(r"^.*$", api_not_found),
]
