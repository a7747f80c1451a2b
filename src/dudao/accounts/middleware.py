"""Puts the request's user into the audit context for the duration of the request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dudao.audit.services import actor_of, reset_actor, set_actor


class AuditActorMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]):
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        token = set_actor(actor_of(getattr(request, "user", None), request.META.get("REMOTE_ADDR")))
        try:
            return self.get_response(request)
        finally:
            reset_actor(token)
