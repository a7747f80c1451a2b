"""The supervision rows of the access matrix (tests/web/test_access_matrix.py): the data they need and the
expected answer per user, written out here rather than derived from dudao.supervision.

Targets: evidence files FA, FB, FH of the self-evaluations of cases A, B, HBC (uploaded by each county bureau);
rectification tasks TA (county A, raised by pref_a), TB (county B, raised by p_admin), TH (the Hebei county);
announcements NLN (the Liaoning round) and NHB (the Hebei round), published without closing the rounds.
The expectation functions take the matrix's Expect values as arguments (like tests/inspection/matrix.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dudao.supervision import evidence
from dudao.supervision.announcements import build_body
from dudao.supervision.models import Announcement, Case, Round, Task
from dudao.supervision.rectification import raise_task

COUNTY_A, COUNTY_B, HEBEI = "210521", "211321", "130102"
FILES = {"FA": COUNTY_A, "FB": COUNTY_B, "FH": HEBEI}
TASKS = {"TA": COUNTY_A, "TB": COUNTY_B, "TH": HEBEI}
ROUNDS = {"LN": "21", "HB": "13"}
OWNERS = {"TA": "county_a", "TB": "county_b", "TH": "hebei"}
PDF = b"%PDF-1.4\n%%EOF\n"


def build(users: dict[str, Any], rounds: dict[str, int], tmp: Path) -> dict[str, int]:
    """Creates the targets; returns their ids by key."""
    ids: dict[str, int] = {}
    for key, who, case_key in (("FA", "county_a", "A"), ("FB", "county_b", "B"), ("FH", "hebei", "HBC")):
        case = Case.objects.get(pk=rounds[case_key])
        ids[key] = evidence.add_evidence(case, users[who], [(f"自评{key}.pdf", PDF)])[0].pk
    ids["FGUESS"] = max(ids.values()) + 1000
    due = dt.date(2026, 7, 1)
    ids["TA"] = raise_task(COUNTY_A, 2024, users["pref_a"], "site_visit", "SV1", "功能教室挪作他用", due).pk
    ids["TB"] = raise_task(COUNTY_B, 2024, users["p_admin"], "site_visit", "SV1", "围墙破损", due).pk
    hebei = Case.objects.select_related("county").get(pk=rounds["HBC"])
    ids["TH"] = Task.objects.create(county=hebei.county, year=2024, source="site_visit", item="SV1",
                                    description="河北整改事项", raised_by="setup", raised_unit="130000",
                                    owner_unit=HEBEI, deadline=due).pk
    ids["TGUESS"] = max(ids["TA"], ids["TB"], ids["TH"]) + 1000
    for key in ROUNDS:
        rnd = Round.objects.select_related("province").get(pk=rounds[key])
        ann = Announcement.objects.create(province=rnd.province, round=rnd, title=f"{rnd.title}结果公告",
                                          published_by="setup", body=build_body(rnd))
        ids[f"N{key}"] = ann.pk
    ids["NGUESS"] = max(ids["NLN"], ids["NHB"]) + 1000
    return ids


def _in(who: Any, county: str) -> bool:
    return who.can("view") and who.region(county)


def file_page(ok: Any, denied: Any, missing: Any) -> Any:
    return lambda who, t: missing if t == "FGUESS" else (ok if _in(who, FILES[t]) else denied)


def task_page(ok: Any, denied: Any, missing: Any) -> Any:
    return lambda who, t: missing if t == "TGUESS" else (ok if _in(who, TASKS[t]) else denied)


def task_post(redirect: Any, refused: Any, denied: Any) -> Any:
    """A progress note: the owner's is stored; others in the area get the page back with the refusal."""
    def rule(who: Any, t: str) -> Any:
        if not _in(who, TASKS[t]):
            return denied
        return redirect if who.key == OWNERS[t] else refused
    return rule


def tasks_list(ok: Any, denied: Any) -> Any:
    def rule(who: Any, t: str) -> Any:
        if who.school or who.prefix is None:
            return denied
        if t.startswith("?county="):
            return ok if who.region(t.removeprefix("?county=")) else denied
        return ok
    return rule


def dashboard(ok: Any, denied: Any) -> Any:
    """Prefecture and province users only."""
    return lambda who, t: ok if who.role and not who.school and len(who.prefix or "") < 6 else denied


def publish(redirect: Any, denied: Any) -> Any:
    """Only the province administrator of the round's province."""
    return lambda who, t: redirect if who.role == "province_admin" and who.prefix == ROUNDS[t] else denied


def public_list(ok: Any, missing: Any) -> Any:
    return lambda who, t, world: ok if t in ROUNDS.values() else missing


def public_page(ok: Any, missing: Any) -> Any:
    return lambda who, t, world: missing if t == "NGUESS" else ok


def api_round(ok: Any, hidden: Any, missing: Any) -> Any:
    def rule(who: Any, t: str) -> Any:
        if t == "GUESS":
            return missing
        return ok if who.prefix is not None and not who.school and who.prefix[:2] == ROUNDS[t] else hidden
    return rule


CASES = {"A": COUNTY_A, "B": COUNTY_B, "HBC": HEBEI}


def api_case(ok: Any, hidden: Any, missing: Any) -> Any:
    return lambda who, t: missing if t == "CGUESS" else (ok if who.region(CASES[t]) else hidden)


def api_step(created: Any, refused: Any, hidden: Any) -> Any:
    """Submitting: the county bureau of the case (its data were assessed), others in the area: a role refusal."""
    def rule(who: Any, t: str) -> Any:
        if not who.region(CASES[t]):
            return hidden
        return created if who.role == "county_bureau" else refused
    return rule


def public_echo() -> set[str]:
    """Everything an announcement may show (it is public): the counties and schools of the matrix data."""
    from tests.web.test_access_matrix import COUNTY_NAMES, SCHOOL_YEARS, school_name

    return {*COUNTY_NAMES, *COUNTY_NAMES.values(), *SCHOOL_YEARS, *(school_name(c) for c in SCHOOL_YEARS)}
