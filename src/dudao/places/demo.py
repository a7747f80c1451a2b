"""Synthetic births, enrolment by grade, classrooms, sites, zones and applications for the loaded schools."""

from __future__ import annotations

from typing import Any

from dudao.orgunits.models import OrgUnit
from dudao.places.services import store
from dudao.schools.models import SectionYear
from dudao.synth.births import province_histories


def demo_records(seed: int = 1, prefix: str = "") -> dict[str, list[dict[str, Any]]]:
    """Records (the import's internal form) fitted to every school section in the database."""
    qs = SectionYear.objects.filter(school_year__county__code__startswith=prefix).values_list(
        "school_year__school__code", "school_year__year", "school_year__county__code", "school_year__kind",
        "school_year__location", "section", "values")
    sections = [{"school_code": code, "year": year, "county_code": county, "kind": kind, "location": loc, "section": sec,
                 "students": int((v or {}).get("students") or 0), "classes": int((v or {}).get("classes") or 0)}
                for code, year, county, kind, loc, sec, v in qs]
    if not sections:
        return {}
    counties = {s["county_code"] for s in sections}
    centres = {u.code: (u.longitude, u.latitude) for u in OrgUnit.objects.filter(code__in=counties)
               if u.longitude is not None and u.latitude is not None}
    return province_histories(seed, sections, centres)


def load_demo(seed: int = 1, prefix: str = "") -> dict[str, int]:
    """Generates and stores the places data of every loaded school (``make demo``'s places step)."""
    return store(demo_records(seed, prefix))
