"""Chinese first: the interface is Chinese unless the user chose English with the switch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import translation


class ChineseFirstLocaleMiddleware:
    """Uses the language cookie set by the 中文/English switch; ignores the browser's Accept-Language."""

    def __init__(self, get_response: Callable[[Any], Any]):
        self.get_response = get_response
        self.known = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: Any) -> Any:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.known else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
