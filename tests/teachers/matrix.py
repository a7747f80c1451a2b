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


# ---- roster uploads: target → schools in the file (with the county each is registered under)
UPLOADS = {"TA": [("2121000001", COUNTY_A)], "TB": [("3421000008", COUNTY_B)],
           "TAB": [("2121000001", COUNTY_A), ("3421000008", COUNTY_B)]}
COUNTY_NAMES = {COUNTY_A: "本溪满族自治县", COUNTY_B: "朝阳县"}


def _ident(code: str) -> str:
    from dudao.teachers import crypto

    return crypto.with_check(f"{COUNTY_A if code.endswith('01') else COUNTY_B}19850101{code[-3:]}")


def upload_request(req: Any) -> Any:
    def make(world: Any, target: str) -> Any:
        from dudao.schools.models import SectionYear
        from dudao.teachers.rules import load_teacher_rules
        from dudao.teachers.workbook import SHEET_TEACHERS, write_workbook

        rows = []
        for code, _county in UPLOADS[target]:
            section = SectionYear.objects.filter(school_year__school__code=code, school_year__year=YEAR).values_list(
                "section", flat=True).first()
            rows.append({"id_number": _ident(code), "name": "上传教师", "school_code": code, "section": section,
                         "subject": "math", "qualification": "bachelor", "title": "first", "key_level": "none",
                         "certified": True, "birth_year": 1985, "sex": "F", "post": "teacher"})
        path = write_workbook(world.tmp / f"teachers-{target}.xlsx", load_teacher_rules(), {SHEET_TEACHERS: rows})
        echo = {c for code, county in UPLOADS[target] for c in (code, f"测试学校{code[-4:]}", county, COUNTY_NAMES[county])}
        return req("POST", "/teachers/upload/", data={"year": str(YEAR)}, upload=path, echo=echo)

    return make


def upload(who: Any, target: str, expect: Any, denied: Any) -> Any:
    if not who.can("import"):
        return denied
    return expect((200,), granted=all(who.school_in(code, county) for code, county in UPLOADS[target]))


def check_upload(r: Any, who: Any, target: str, world: Any, exp: Any) -> None:
    from dudao.teachers import crypto
    from dudao.teachers.models import Teacher

    if exp.statuses == (200,):
        assert f'data-outcome="{"accepted" if exp.grants else "refused"}"' in r.content.decode()
    for code, _county in UPLOADS[target]:
        stored = Teacher.objects.filter(year=YEAR, id_digest=crypto.digest(_ident(code))).exists()
        assert stored == exp.grants, (code, "stored although refused" if stored else "not stored")
