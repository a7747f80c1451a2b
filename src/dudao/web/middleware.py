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


class SessionIdleMiddleware:
    """An idle timeout without writing the session on every request.

    The session's expiry is pushed forward at most once a minute (``TOUCH_SECONDS``), so an idle session
    ends within a minute of ``SESSION_COOKIE_AGE`` while a busy page costs no session write per request.
    """

    TOUCH_SECONDS = 60

    def __init__(self, get_response: Callable[[Any], Any]):
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        import time

        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            now = int(time.time())
            if now - int(session.get("_touched", 0)) >= self.TOUCH_SECONDS:
                session["_touched"] = now  # marks the session modified: saved with a fresh expiry
        return self.get_response(request)
