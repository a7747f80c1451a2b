"""Org-unit services: loading the national division list, lookups and subtree queries."""

from __future__ import annotations

from django.db import transaction

from dudao.orgunits.codes import check_region_code
from dudao.orgunits.divisions import Division, national_divisions
from dudao.orgunits.errors import CodeError, OrgError
from dudao.orgunits.models import OrgUnit


def _parent_code(div: Division, known: set[str]) -> str | None:
    if div.level == "province":
        return None
    prefecture = div.code[:4] + "00"
    if div.level == "county" and prefecture in known:
        return prefecture
    return div.code[:2] + "0000"


@transaction.atomic
def load_divisions(prefix: str = "") -> int:
    """Creates or updates the org units of the nation (or of the provinces whose code starts with prefix)."""
    divisions = [d for d in national_divisions() if d.code.startswith(prefix)]
    known = {d.code for d in divisions}
    existing = {u.code: u for u in OrgUnit.objects.all()}
    count = 0
    for level in ("province", "prefecture", "county"):
        for div in (d for d in divisions if d.level == level):
            parent_code = _parent_code(div, known)
            parent = existing.get(parent_code) if parent_code else None
            unit = existing.get(div.code)
            if unit is None:
                unit = OrgUnit.objects.create(
                    code=div.code, name=div.name, level=level, parent=parent,
                    longitude=div.longitude, latitude=div.latitude,
                )
                existing[div.code] = unit
                count += 1
            elif (unit.name, unit.parent_id) != (div.name, parent.pk if parent else None):
                unit.name, unit.parent = div.name, parent
                unit.save(update_fields=["name", "parent"])
    return count


def get_county(code: object) -> OrgUnit:
    """Returns the county with this code, or raises CodeError."""
    checked = check_region_code(code)
    unit = OrgUnit.objects.filter(code=checked).first()
    if unit is None:
        raise CodeError(OrgError.REGION_CODE_UNKNOWN, code=checked)
    if unit.level != OrgUnit.Level.COUNTY:
        raise CodeError(OrgError.NOT_A_COUNTY, code=checked, name=unit.name)
    return unit


def counties_by_code() -> dict[str, OrgUnit]:
    """All county-level units, keyed by code."""
    return {u.code: u for u in OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY)}


def province_codes() -> frozenset[str]:
    """The two-digit province parts of all known provinces."""
    return frozenset(c[:2] for c in OrgUnit.objects.filter(level=OrgUnit.Level.PROVINCE).values_list("code", flat=True))


def subtree_codes(unit: OrgUnit) -> list[str]:
    """Codes of the unit and every unit below it (a prefix match on the code)."""
    prefix = {"province": unit.code[:2], "prefecture": unit.code[:4], "county": unit.code}[unit.level]
    return list(OrgUnit.objects.filter(code__startswith=prefix).values_list("code", flat=True))
