"""Recording audit events; the current request's user is kept in a context variable."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from dudao.audit.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    username: str = ""
    role: str = ""
    org_unit: str = ""
    ip: str | None = None


_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("dudao_actor", default=Actor())  # noqa: B039 - frozen


def set_actor(actor: Actor) -> contextvars.Token[Actor]:
    return _current.set(actor)


def reset_actor(token: contextvars.Token[Actor]) -> None:
    _current.reset(token)


def current_actor() -> Actor:
    return _current.get()


def actor_of(user: Any, ip: str | None = None) -> Actor:
    """The audit identity of a Django user (anonymous: empty)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(ip=ip)
    unit = getattr(user, "org_unit", None)
    return Actor(user.get_username(), getattr(user, "role", ""), unit.code if unit else "", ip)


def record(action: str, object_type: str = "", object_id: object = "", detail: dict[str, Any] | None = None,
           actor: Actor | None = None, object_unit: str = "") -> AuditEvent:
    """Appends one event; the actor defaults to the current request's user."""
    who = actor or current_actor()
    return AuditEvent.objects.create(
        actor=who.username, role=who.role, org_unit=who.org_unit, ip=who.ip, action=action,
        object_type=object_type, object_id=str(object_id)[:64], object_unit=object_unit[:16],
        detail=_jsonable(detail or {}),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
