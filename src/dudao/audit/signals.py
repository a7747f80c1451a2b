"""Model and login signals that feed the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.forms.models import model_to_dict

from dudao.audit.services import actor_of, record

AUDITED = {
    "schools.School", "schools.SchoolYear", "schools.SectionYear", "assessment.CountyFact",
    "assessment.AssessmentRun", "accounts.User", "orgunits.OrgUnit",
}
SECRET_FIELDS = {"password", "api_token"}


def _label(sender: Any) -> str:
    return f"{sender._meta.app_label}.{sender.__name__}"


def _unit(instance: Any) -> str:
    """The region code an audited object belongs to ("" when it has none)."""
    for path in ("org_unit", "county", "school_year.county"):
        obj = instance
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is not None and hasattr(obj, "code"):
            return str(obj.code)
    if _label(type(instance)) == "orgunits.OrgUnit":
        return str(instance.code)
    if _label(type(instance)) == "accounts.User" and getattr(instance, "school_code", ""):
        return ""
    scope = getattr(instance, "scope", "")
    return scope if isinstance(scope, str) and scope.isdigit() else ""


def _state(instance: Any) -> dict[str, Any]:
    data = model_to_dict(instance)
    return {k: v for k, v in data.items() if k not in SECRET_FIELDS}


@receiver(pre_save)
def _remember_before(sender: Any, instance: Any, **kwargs: Any) -> None:
    if _label(sender) not in AUDITED or instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).first()
    instance._audit_before = _state(old) if old is not None else None


@receiver(post_save)
def _saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if _label(sender) not in AUDITED or kwargs.get("raw"):
        return
    after = _state(instance)
    before = getattr(instance, "_audit_before", None)
    if not created and before is not None:
        changed = {k: {"old": before.get(k), "new": v} for k, v in after.items() if before.get(k) != v}
        if not changed or set(changed) <= {"last_login"}:
            return
        record("update", _label(sender), instance.pk, {"changes": changed}, object_unit=_unit(instance))
    else:
        record("create", _label(sender), instance.pk, {"after": after}, object_unit=_unit(instance))


@receiver(post_delete)
def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    if _label(sender) in AUDITED:
        record("delete", _label(sender), instance.pk, {"before": _state(instance)}, object_unit=_unit(instance))


def _ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in)
def _login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record("login", "accounts.User", user.pk, actor=actor_of(user, _ip(request)))


@receiver(user_logged_out)
def _logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record("logout", "accounts.User", user.pk, actor=actor_of(user, _ip(request)))


@receiver(user_login_failed)
def _failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    from dudao.audit.services import Actor

    record("login_failed", "accounts.User", credentials.get("username", ""),
           actor=Actor(username=str(credentials.get("username", ""))[:150], ip=_ip(request)))
