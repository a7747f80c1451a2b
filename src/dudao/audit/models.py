"""Audit events. The application can add them and read them, never change or delete them."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AppendOnlyError(Exception):
    """An attempt to change or delete the audit trail."""


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("审计记录不可修改 / the audit trail cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计记录不可删除 / the audit trail cannot be deleted")


class AuditEvent(models.Model):
    """One recorded action."""

    class Action(models.TextChoices):
        CREATE = "create", _("新建")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        IMPORT = "import", _("导入")
        EXPORT = "export", _("导出")
        LOGIN = "login", pgettext_lazy("审计操作", "登录")
        LOGOUT = "logout", pgettext_lazy("审计操作", "退出")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKED = "locked", _("账户锁定")
        DENIED = "denied", _("越权拒绝")
        ASSESS = "assess", _("评估")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=150, blank=True, default="")
    role = models.CharField(max_length=32, blank=True, default="")
    org_unit = models.CharField(max_length=16, blank=True, default="")
    action = models.CharField(max_length=16, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=64, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    object_unit = models.CharField(max_length=16, blank=True, default="", db_index=True,
                                   help_text="the region code the changed object belongs to, where it has one")
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("审计记录不可修改 / the audit trail cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("审计记录不可删除 / the audit trail cannot be deleted")
