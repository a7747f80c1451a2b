"""Users belong to one org unit (or, for school clerks, one school) and have one role."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from dudao.orgunits.models import OrgUnit


class Role(models.TextChoices):
    PROVINCE_ADMIN = "province_admin", _("省级管理员")
    PROVINCE_INSPECTOR = "province_inspector", _("省级督导人员")
    PREFECTURE_INSPECTOR = "prefecture_inspector", _("市级督导人员")
    COUNTY_BUREAU = "county_bureau", _("县教育局")
    SCHOOL_CLERK = "school_clerk", _("学校填报员")
    EXPERT_INSPECTOR = "expert_inspector", _("督学")


class User(AbstractUser):
    """A dudao user: a role, an org unit, and for school clerks a school."""

    role = models.CharField("角色", max_length=32, choices=Role.choices, default=Role.COUNTY_BUREAU)
    org_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    school_code = models.CharField("学校标识码（学校填报员）", max_length=10, blank=True, default="")
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_username()}（{self.get_role_display()}）"


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """Creates a token and returns it with the raw secret (shown once)."""
        raw = "dd_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, digest=cls.hash(raw)), raw
