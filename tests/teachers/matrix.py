"""The teacher rows of the access matrix (tests/web/test_access_matrix.py): data and expectations.

County B and the Hebei county get a few teachers (with service periods that make them eligible) and a
stored plan naming their schools; county A has no roster, so a plan asked for there is refused with
E_ROT_EMPTY (a redirect with a message on the page, 422 from the API) after the permission checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

COUNTY_A, COUNTY_B, HEBEI = "210521", "211321", "130102"
SCHOOLS = {COUNTY_B: "3421000008", HEBEI: "2113000010", COUNTY_A: "2121000001"}
COUNTIES = (COUNTY_A, COUNTY_B, HEBEI, "219999")
PLANS = ("PA", "PB", "PH", "PGUESS")
YEAR = 2024


def build() -> dict[str, int]:
    from dudao.orgunits.models import OrgUnit
    from dudao.schools.models import School
    from dudao.teachers import crypto
    from dudao.teachers.models import RotationPlan, ServicePeriod, Teacher

    for n, county in enumerate((COUNTY_B, HEBEI)):
        school = School.objects.get(code=SCHOOLS[county])
        for k in range(3):
            ident = crypto.with_check(f"{county}1980010{n}{k:03d}"[:17])
            t = Teacher.objects.create(
                year=YEAR, id_digest=crypto.digest(ident), id_encrypted=crypto.encrypt(ident), id_masked=crypto.mask(ident),
                name=f"矩阵教师{county}{k}", school=school, county=OrgUnit.objects.get(code=county), section="primary",
                subject="math", qualification="bachelor", title="first", key_level="county", certified=True,
                birth_year=1980, sex="F", post="teacher")
            ServicePeriod.objects.create(teacher=t, school_code=school.code, school_name=school.name,
                                         start=dt.date(2010, 9, 1))
    plans: dict[str, int] = {}
    for key, county in (("PA", COUNTY_A), ("PB", COUNTY_B), ("PH", HEBEI)):
        school = School.objects.get(code=SCHOOLS[county])
        move = {"teacher": "1", "name": "某", "id_masked": "2105**********0000", "subject": "math", "section": "primary",
                "key_level": "county", "title": "first", "from_code": school.code, "from_name": school.name,
                "to_code": school.code, "to_name": school.name, "to_rural_weak": True, "km": 1.0,
                "reasons_zh": ["测试"], "reasons_en": ["test"]}
        metrics = {"moves": 1, "key_moves": 1, "eligible": 3, "needed_moves": 1, "needed_key": 1, "quota_met": True,
                   "key_quota_met": True, "rural_weak_moves": 1, "meet_all_before": 0, "meet_all_after": 1,
                   "cv_before": {f"{county}|primary|R1": 0.3}, "cv_after": {f"{county}|primary|R1": 0.2},
                   "shortage_before": {"pe": 1}, "shortage_after": {"pe": 0}}
        plans[key] = RotationPlan.objects.create(
            county=OrgUnit.objects.get(code=county), year=YEAR, actor="setup",
            result={"status": "Optimal", "gap": 0.0, "seconds": 0.1, "variables": 3, "metrics": metrics, "moves": [move],
                    "units": [], "schools_without_coordinates": [], "violations": []}).pk
    plans["PGUESS"] = max(plans.values()) + 1000
    return plans


def county_page(who: Any, code: str, ok: Any, denied: Any, missing: Any) -> Any:
    if not who.region(code):
        return denied  # through permissions.check (a school clerk has no region)
    return ok if code != "219999" else missing


def plan_post(who: Any, code: str, expect: Any, denied: Any) -> Any:
    if not (who.region(code) and who.can("assess")):
        return denied
    if code == COUNTY_A:  # no roster: back to the plans page with the message
        return expect((302,), location=f"/teachers/county/{code}/plans/?year={YEAR}")
    return expect((302,))


def plan_page(who: Any, target: str, ok: Any, denied: Any, missing: Any, action: str = "view") -> Any:
    if target == "PGUESS":
        return missing
    county = {"PA": COUNTY_A, "PB": COUNTY_B, "PH": HEBEI}[target]
    return ok if who.region(county) and who.can(action) else denied


def api_plan_post(who: Any, code: str, expect: Any, denied: Any, created: Any) -> Any:
    if not (who.can("assess") and who.region(code)):
        return denied
    return expect((422,)) if code == COUNTY_A else created


def api_plan(who: Any, target: str, ok: Any, hidden: Any, missing: Any) -> Any:
    if target == "PGUESS":
        return missing
    county = {"PA": COUNTY_A, "PB": COUNTY_B, "PH": HEBEI}[target]
    return ok if who.region(county) else hidden


def check_xlsx(r: Any, who: Any, target: str, world: Any, exp: Any) -> None:
    if exp.grants:
        assert r["Content-Disposition"].startswith("attachment;")
