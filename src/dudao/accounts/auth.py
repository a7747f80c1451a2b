"""Authentication with lock-out after repeated failures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone

from dudao.accounts.models import User

MAX_FAILURES = 5
LOCK_MINUTES = 15


class LockoutBackend(ModelBackend):
    """Django's model backend, refusing locked accounts and locking after MAX_FAILURES failures."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kw: Any) -> Any:
        user = User.objects.filter(username=username).first() if username else None
        now = timezone.now()
        if user is not None and user.locked_until and user.locked_until > now:
            return None
        result = super().authenticate(request, username=username, password=password, **kw)
        if user is None:
            return result
        if result is None:
            user.failed_logins += 1
            fields = ["failed_logins"]
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
                user.failed_logins = 0
                fields.append("locked_until")
                from dudao.audit.services import actor_of, record

                record("locked", "accounts.User", user.pk, {"minutes": LOCK_MINUTES}, actor=actor_of(user))
            User.objects.filter(pk=user.pk).update(**{f: getattr(user, f) for f in fields})
        elif user.failed_logins or user.locked_until:
            User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        return result


def is_locked(username: str) -> bool:
    user = User.objects.filter(username=username).first()
    return bool(user and user.locked_until and user.locked_until > timezone.now())
