"""The one permission check, used by views, the API and exports alike.

A user sees and changes only the subtree of its org unit: a province user its province, a prefecture
user its prefecture's counties, a county user its county, a school clerk its school. What each role may
do is the table ``CAPABILITIES``; where it may do it is the ``Scope``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied

from dudao.accounts.models import Role

VIEW, CHANGE_DATA, IMPORT, ASSESS, EXPORT, AUDIT, FACTS = "view", "change_data", "import", "assess", "export", "audit", "facts"

CAPABILITIES: dict[str, set[str]] = {
    Role.PROVINCE_ADMIN: {VIEW, CHANGE_DATA, IMPORT, ASSESS, EXPORT, AUDIT, FACTS},
    Role.PROVINCE_INSPECTOR: {VIEW, ASSESS, EXPORT},
    Role.PREFECTURE_INSPECTOR: {VIEW, ASSESS, EXPORT},
    Role.COUNTY_BUREAU: {VIEW, CHANGE_DATA, IMPORT, ASSESS, EXPORT, FACTS},
    Role.SCHOOL_CLERK: {VIEW, CHANGE_DATA, IMPORT},
    Role.EXPERT_INSPECTOR: {VIEW, EXPORT},
}
TERMS = "terms"  # keep the terms of office and see the office holders' names (dudao.planning)
CAPABILITIES[Role.PROVINCE_ADMIN].add(TERMS)
CAPABILITIES[Role.COUNTY_BUREAU].add(TERMS)
PERSONAL = "personal_data"  # see students' names and ID numbers unmasked, export them (dudao.aid; every look audited)
CAPABILITIES[Role.COUNTY_BUREAU].add(PERSONAL)
CAPABILITIES[Role.SCHOOL_CLERK].add(PERSONAL)


@dataclass(frozen=True)
class Scope:
    """Where a user may act: a region-code prefix, or a single school."""

    prefix: str | None  # "" = everything; None = nothing
    school_code: str = ""

    def covers_region(self, code: str) -> bool:
        """A county/prefecture/province code inside the scope (a school clerk covers no region)."""
        if self.prefix is None or self.school_code:
            return False
        return code.startswith(self.prefix)

    def covers_school(self, school_code: str, county_code: str) -> bool:
        if self.prefix is None:
            return False
        if self.school_code:
            return school_code == self.school_code
        return county_code.startswith(self.prefix)

    def covers_county_view(self, county_code: str) -> bool:
        """Whether the user may see county-level pages (clerks may see their own county's public figures: no)."""
        return self.covers_region(county_code)


NOTHING = Scope(None)


def scope_of(user: Any) -> Scope:
    """The region (or school) a user may act in."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.role == Role.SCHOOL_CLERK:
        return Scope("", user.school_code) if user.school_code else NOTHING
    unit = user.org_unit
    if unit is None:
        return NOTHING
    prefix = {"province": unit.code[:2], "prefecture": unit.code[:4], "county": unit.code}[unit.level]
    return Scope(prefix)


def can(user: Any, action: str) -> bool:
    """Whether the user's role allows an action at all (where is the scope's business)."""
    return bool(getattr(user, "is_authenticated", False)) and action in CAPABILITIES.get(getattr(user, "role", ""), set())


def check(user: Any, action: str, *, region: str | None = None, school: tuple[str, str] | None = None) -> None:
    """Raises PermissionDenied (and records the refusal) unless the user may do ``action`` there."""
    scope = scope_of(user)
    allowed = can(user, action)
    if allowed and region is not None:
        allowed = scope.covers_region(region)
    if allowed and school is not None:
        allowed = scope.covers_school(*school)
    if not allowed:
        from dudao.audit.services import record

        record("denied", "permission", region or (school[0] if school else ""), {"action": action})
        raise PermissionDenied("无权访问 / not allowed")


def county_filter(user: Any, field: str = "code") -> dict[str, str] | None:
    """A queryset filter limiting county codes to the user's scope (None: nothing visible)."""
    scope = scope_of(user)
    if scope.prefix is None or scope.school_code:
        return None
    return {f"{field}__startswith": scope.prefix}
