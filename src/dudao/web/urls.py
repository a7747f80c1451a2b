"""URL routes (the web UI arrives with the web platform issue)."""

urlpatterns: list[object] = []
