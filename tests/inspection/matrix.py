"""The inspection rows of the access matrix (tests/web/test_access_matrix.py): the data they need and the
expected answer per user, written out here rather than derived from dudao.inspection.services.

Targets: evaluations EA (external, county A, lead p_insp; C1.1.1 scored by expert_a 10 and pref_a 0, both
submitted: a disagreement), ES (self, the clerk's school, lead clerk_a, S1.1.1 assigned to clerk_a, not
scored), EB (external, county B, lead p_insp), EH (self, the Hebei county, lead hebei, submitted with
evidence); evidence XA (expert_a's on EA) and XH; framework versions FQ (shipped) and FHB (a Hebei upload);
cases A, B, HBC of the supervision rows (case A has one sampled school).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dudao.inspection import services as svc
from dudao.inspection.models import Evaluation, FrameworkVersion, Reconciliation, Score
from dudao.supervision.models import Case, SampledSchool
from tests.inspection.conftest import SMALL

COUNTY_A, COUNTY_B, HEBEI = "210521", "211321", "130102"
CLERK_SCHOOL = "2121000001"
EVALS = {"EA": ("county", COUNTY_A, ""), "ES": ("school", COUNTY_A, CLERK_SCHOOL), "EB": ("county", COUNTY_B, ""),
         "EH": ("county", HEBEI, "")}
ASSIGNED = {"EA": {"expert_a", "pref_a"}, "ES": {"clerk_a"}, "EB": {"p_insp"}, "EH": {"hebei"}}
LEADS = {"EA": "p_insp", "ES": "clerk_a", "EB": "p_insp", "EH": "hebei"}
EVIDENCE = {"XA": "EA", "XH": "EH"}
CASES = {"A": COUNTY_A, "B": COUNTY_B, "HBC": HEBEI}
CREATORS = {"county_bureau", "school_clerk", "province_inspector", "prefecture_inspector"}


def build(users: dict[str, Any], rounds: dict[str, int], tmp: Path) -> dict[str, Any]:
    """Creates the targets; returns their ids (and the upload files) by key."""
    u = users
    ea = svc.create_evaluation(u["p_insp"], framework_id="quality2021", level="county", kind="external", year=2024,
                               county=COUNTY_A)
    svc.assign(ea, u["p_insp"], "C1.1.1", [u["expert_a"], u["pref_a"]])
    svc.save_score(ea, u["expert_a"], "C1.1.1", 10, "好", files=[("佐证.pdf", "application/pdf", b"%PDF-A")])
    svc.save_score(ea, u["pref_a"], "C1.1.1", 0, "无佐证")
    svc.submit(ea, u["expert_a"])
    svc.submit(ea, u["pref_a"])
    es = svc.create_evaluation(u["clerk_a"], framework_id="quality2021", level="school", kind="self", year=2024,
                               school_code=CLERK_SCHOOL)
    svc.assign(es, u["clerk_a"], "S1.1.1", [u["clerk_a"]])
    eb = svc.create_evaluation(u["p_insp"], framework_id="quality2021", level="county", kind="external", year=2024,
                               county=COUNTY_B)
    svc.assign(eb, u["p_insp"], "C1.1.1", [u["p_insp"]])
    eh = svc.create_evaluation(u["hebei"], framework_id="quality2021", level="county", kind="self", year=2024,
                               county=HEBEI)
    svc.assign(eh, u["hebei"], "C1.1.1", [u["hebei"]])
    svc.save_score(eh, u["hebei"], "C1.1.1", 10, files=[("河北.pdf", "application/pdf", b"%PDF-H")])
    svc.submit(eh, u["hebei"])
    ids: dict[str, Any] = {"EA": ea.pk, "ES": es.pk, "EB": eb.pk, "EH": eh.pk}
    ids["GUESS"] = max(ids.values()) + 1000
    for key, ev_key in EVIDENCE.items():
        ids[key] = Score.objects.get(assignment__evaluation_id=ids[ev_key], evidence__isnull=False).evidence.get().pk
    ids["XGUESS"] = max(ids["XA"], ids["XH"]) + 1000
    ids["FQ"] = svc.builtin_version("quality2021").pk
    ids["FHB"] = FrameworkVersion.objects.create(framework_id="quality2021", province="130000", number=1, label="hb",
                                                 sha256="0" * 64, text=SMALL, filename="hb.yaml",
                                                 uploaded_by="hebei-admin").pk
    ids["FGUESS"] = ids["FHB"] + 1000
    case_a = Case.objects.get(pk=rounds["A"])
    SampledSchool.objects.create(case=case_a, school_code=CLERK_SCHOOL, school_name="测试学校0001", section="primary",
                                 stratum="primary/rural", reason="random", seed=1)
    ids["last"] = Evaluation.objects.order_by("-pk").values_list("pk", flat=True).first()
    (tmp / "fw-ok.yaml").write_text(SMALL, encoding="utf-8")
    (tmp / "fw-bad.yaml").write_text(SMALL.replace("rubric: scale10", "rubric: stars"), encoding="utf-8")
    ids["files"] = {"ok": tmp / "fw-ok.yaml", "bad": tmp / "fw-bad.yaml"}
    return ids


# ---------------------------------------------------------------- the oracle


def views(who: Any, target: str) -> bool:
    """The user may see the evaluation (its county, or for a school evaluation the school)."""
    _level, county, school = EVALS[target]
    return who.school_in(school, county) if school else (who.region(county) and not who.school)


def evaluation_page(ok: Any, denied: Any, missing: Any) -> Any:
    def rule(who: Any, target: str) -> Any:
        if target == "GUESS":
            return missing
        return ok if views(who, target) else denied
    return rule


def score_page(ok: Any, denied: Any, missing: Any) -> Any:
    def rule(who: Any, target: str) -> Any:
        if target == "GUESS":
            return missing
        return ok if views(who, target) and who.key in ASSIGNED[target] else denied
    return rule


def may_create(who: Any, target: str) -> bool:
    kind, county = target.split("/")
    if kind == "self":
        return who.role == "county_bureau" and who.region(county)
    return who.role in ("province_inspector", "prefecture_inspector") and who.region(county)


def evidence(ok: Any, denied: Any, missing: Any) -> Any:
    def rule(who: Any, target: str) -> Any:
        if target == "XGUESS":
            return missing
        return ok if views(who, EVIDENCE[target]) else denied
    return rule


def framework_page(ok: Any, denied: Any, missing: Any) -> Any:
    def rule(who: Any, target: str) -> Any:
        if target == "FGUESS":
            return missing
        if target == "FHB":
            return ok if who.unit.startswith("13") else denied
        return ok
    return rule


def case_page(ok: Any, denied: Any, missing: Any) -> Any:
    def rule(who: Any, target: str) -> Any:
        if target == "CGUESS":
            return missing
        return ok if who.region(CASES[target]) and not who.school else denied
    return rule


# ---------------------------------------------------------------- effects


def created(world: Any, target: str) -> bool:
    kind, county = target.split("/")
    kind = "external" if kind == "external" else "self"
    return Evaluation.objects.filter(pk__gt=world.inspection["last"], kind=kind, county__code=county).exists()


def assigned(world: Any) -> bool:
    return Evaluation.objects.get(pk=world.inspection["EA"]).assignments.filter(
        point_id="C1.2.1", inspector=world.users["expert_a"]).exists()


def scored(world: Any) -> bool:
    return Score.objects.filter(assignment__evaluation_id=world.inspection["ES"]).exists()


def reconciled(world: Any) -> bool:
    return Reconciliation.objects.filter(evaluation_id=world.inspection["EA"]).exists()


def uploaded() -> bool:
    return FrameworkVersion.objects.filter(province="210000").exists()


def site_visits(world: Any) -> bool:
    return Evaluation.objects.filter(case_id=world.rounds["A"]).exists()


def effect(happened: bool, expected: bool) -> None:
    """The action took effect exactly when it should have."""
    assert happened == expected, "stored although refused" if happened else "not stored"


def lead_post(granted: Any, refused: Any, denied: Any) -> Any:
    """A lead-only step: the lead's takes effect; another viewer's is refused on the page (recorded)."""
    def rule(who: Any, target: str) -> Any:
        if not views(who, target):
            return denied
        return granted if who.key == LEADS[target] else refused
    return rule
