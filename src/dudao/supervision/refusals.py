"""Refusals that outlive the rollback: a step refused inside a transaction still leaves its 'denied' event.

The workflow's steps run in ``atomic`` (decorated with :func:`atomic`); a refusal raises ``WorkflowError``,
which rolls the transaction back, and an audit event written inside it would vanish with it. ``deny``
keeps the event aside and :func:`atomic` writes it once the transaction has been rolled back.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.db import transaction

from dudao.audit.services import record
from dudao.supervision.errors import WorkflowError

F = TypeVar("F", bound=Callable[..., Any])
_PENDING: contextvars.ContextVar[list[tuple[tuple[Any, ...], dict[str, Any]]] | None] = \
    contextvars.ContextVar("supervision_denials", default=None)


def deny(*args: Any, **kwargs: Any) -> None:
    """``audit.record("denied", …)``, deferred until the enclosing :func:`atomic` step has rolled back."""
    pending = _PENDING.get()
    if pending is None:
        record("denied", *args, **kwargs)
    else:
        pending.append((args, kwargs))


def atomic[F: Callable[..., Any]](func: F) -> F:
    """``transaction.atomic`` whose refusals are recorded after the rollback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        outer = _PENDING.get()
        pending: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        token = _PENDING.set(pending if outer is None else outer)
        try:
            with transaction.atomic():
                return func(*args, **kwargs)
        except WorkflowError:
            if outer is None:
                for a, kw in pending:
                    record("denied", *a, **kw)
            raise
        finally:
            _PENDING.reset(token)

    return wrapper  # type: ignore[return-value]
