"""Small hand-made school data for tests: every value chosen to pass every rule."""

from __future__ import annotations

import copy
from typing import Any

COUNTY_A, COUNTY_B = "210521", "211321"  # 本溪满族自治县, 朝阳县


def school(code: str, county: str, kind: str = "primary_school", **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "school_code": code, "school_name": f"测试学校{code[-4:]}", "county_code": county, "kind": kind,
        "location": "rural", "ownership": "public", "affiliation": "county", "boarding": False,
        "rural_school": True, "weak_school": False, "status": "operating", "merged_into": None,
        "floor_area_teaching": 2500.0, "sports_area": 4000.0, "equipment_value": 900000.0,
        "multimedia_classrooms": 12, "computers": 60, "books": 12000, "music_rooms": 1, "art_rooms": 1,
        "public_funds": 300000.0,
    }
    rec.update(extra)
    return rec


def section(code: str, section: str = "primary", students: int = 400, **extra: Any) -> dict[str, Any]:
    teachers = max(students // 16, 1)
    rec: dict[str, Any] = {
        "school_code": code, "school_name": f"测试学校{code[-4:]}", "section": section, "students": students,
        "entrants": students // 6, "graduates": students // 6, "boarders": 0, "migrant_students": 5,
        "classes": max(students // 40, 1), "classes_46_50": 0, "classes_51_55": 0, "classes_56_65": 0,
        "classes_66_plus": 0, "max_class_size": 42, "staff_total": teachers + 3, "teachers_fulltime": teachers,
        "teachers_above_degree": teachers - 1, "teachers_mid_title": teachers // 2, "teachers_key": 5,
        "teachers_pe": 2, "teachers_music": 1, "teachers_art": 1, "teachers_pe_art_visiting": 0,
        "teachers_mental_health": 1, "teachers_certified": teachers,
    }
    rec.update(extra)
    return rec


def dataset() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Seven schools in county A (incl. a nine-year school), two in county B (incl. a complete secondary)."""
    schools = [school(f"21210000{i:02d}", COUNTY_A) for i in range(1, 6)]
    sections = [section(f"21210000{i:02d}", students=300 + 20 * i) for i in range(1, 6)]
    schools.append(school("3121000006", COUNTY_A, "junior_school", location="town", rural_school=False))
    sections.append(section("3121000006", "junior", 600))
    schools.append(school("3121000007", COUNTY_A, "nine_year"))
    sections += [section("3121000007", "primary", 350), section("3121000007", "junior", 280)]
    schools.append(school("3421000008", COUNTY_B, "complete_secondary", location="urban", rural_school=False))
    sections += [section("3421000008", "junior", 900), section("3421000008", "senior", 1100)]
    schools.append(school("2121000009", COUNTY_B))
    sections.append(section("2121000009", "primary", 500))
    return schools, sections


def flat_rows(schools: list[dict[str, Any]], sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_code = {s["school_code"]: s for s in schools}
    return [{**copy.deepcopy(by_code[s["school_code"]]), **s} for s in sections]
