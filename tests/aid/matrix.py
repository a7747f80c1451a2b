"""The student aid rows of the access matrix (tests/web/test_access_matrix.py): the data they need and the
expected answer per user, written out here rather than derived from dudao.aid or dudao.accounts.permissions.

Data: one stored check (2024 spring) for county A with the clerk's school and another school of county A, one for
county B with its school; each county has pending proposed matches (PA, PB). Rules: every aid page needs the
login and the view capability in the subtree; unmasked data, exports and the proposals page need the
personal-data capability (county bureaus, school clerks); deciding a proposal needs it and change-data in the
county; setting a notice period needs change-data at the school.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dudao.aid.models import AidPerson, AidProposal
from dudao.aid.services import check_county
from dudao.synth.students import generate_students, write_students

COUNTY_A, COUNTY_B = "210521", "211321"
CLERK_SCHOOL, OTHER_A, SCHOOL_B, UNKNOWN = "2121000001", "3121000007", "3421000008", "2121009999"
SCHOOL_COUNTY = {CLERK_SCHOOL: COUNTY_A, OTHER_A: COUNTY_A, SCHOOL_B: COUNTY_B}
TERM = "2024-spring"
SCHOOLS = (CLERK_SCHOOL, OTHER_A, SCHOOL_B, UNKNOWN)
EXPORTS = (CLERK_SCHOOL, SCHOOL_B, COUNTY_A, COUNTY_B, "210000")
PROPOSALS = ("PA", "PB", "PGUESS")
PROPOSAL_COUNTY = {"PA": COUNTY_A, "PB": COUNTY_B}


def build(tmp: Path) -> dict[str, int]:
    """Stores the two checks; returns a pending proposal per county (and a guessed id)."""
    out: dict[str, int] = {}
    for key, county, schools in (("PA", COUNTY_A, [CLERK_SCHOOL, OTHER_A]), ("PB", COUNTY_B, [SCHOOL_B])):
        data = generate_students(county, TERM, students=200, seed=5, school_codes=schools,
                                 plants={"proposals": 2, "unpaid": 1, "not_eligible": 1, "twice_school": 0,
                                         "twice_group": 0, "amount": 0, "moved": 0, "two_categories": 0})
        for name in ("学校名称",):  # the pages name schools by code here: the matrix's names are its own markers
            data.roster[name] = ""
        paths = write_students(data, tmp / f"aid-{county}", "csv")
        check_county(county, TERM, [paths["roster"]], [paths[f"list_{k}"] for k in ("civil", "rural", "disability")],
                     [paths["payments"]], actor="setup")
        out[key] = AidProposal.objects.filter(run__county__code=county).order_by("pk").first().pk
    assert AidPerson.objects.filter(school_code=CLERK_SCHOOL).exists() and AidPerson.objects.filter(school_code=SCHOOL_B).exists()
    out["PGUESS"] = max(out.values()) + 1000
    return out


# expectations take the matrix's Who and its Expect values (passed in, so that this module needs nothing of it)


def home(who: Any, redirect: Any) -> Any:
    return redirect(f"/aid/school/{who.school}/") if who.school else redirect(f"/aid/region/{who.unit}/")


def school_page(who: Any, code: str, ok: Any, denied: Any, outside: Any, missing: Any) -> Any:
    if who.school and who.school != code:
        return denied  # a clerk of another school: refused (and recorded) before any look-up
    county = SCHOOL_COUNTY.get(code)
    if county is None:
        return missing
    return ok if who.school_in(code, county) else outside


def notice_post(who: Any, code: str, found: Any, denied: Any, outside: Any, missing: Any) -> Any:
    exp = school_page(who, code, "ok", denied, outside, missing)
    if exp != "ok":
        return exp
    return found if who.can("change_data") else denied


def export(who: Any, code: str, ok: Any, denied: Any, missing: Any) -> Any:
    if len(code) == 10:
        if who.school and who.school != code:
            return denied
        county = SCHOOL_COUNTY.get(code)
        if county is None:
            return missing
        return ok if who.can("personal_data") and who.school_in(code, county) else denied
    if not (who.can("personal_data") and who.region(code)):
        return denied
    return ok if code in (COUNTY_A, COUNTY_B) else missing


def proposals_page(who: Any, code: str, ok: Any, denied: Any, missing: Any) -> Any:
    if not (who.can("personal_data") and who.region(code)):
        return denied
    return ok if code in (COUNTY_A, COUNTY_B) else missing


def decide(who: Any, target: str, redirect: Any, denied: Any, missing: Any) -> Any:
    if target == "PGUESS":
        return missing
    county = PROPOSAL_COUNTY[target]
    if who.can("personal_data") and who.can("change_data") and who.region(county):
        return redirect(f"/aid/region/{county}/proposals/?term={TERM}")
    return denied


def check_decide(r: Any, who: Any, target: str, world: Any, exp: Any) -> None:
    if target == "PGUESS":
        return
    status = AidProposal.objects.get(pk=world.aid[target]).status
    assert status == ("confirmed" if exp.grants else "pending"), status
