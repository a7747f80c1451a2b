"""Evaluations: pinned framework versions, assignment permissions, the lock after submission, disagreement
flags and reconciliation, and the roll-up arithmetic computed by hand."""

from __future__ import annotations

import math

import pytest
from django.core.exceptions import PermissionDenied

from dudao.audit.models import AuditEvent
from dudao.inspection import services as svc
from dudao.inspection.errors import InspectionError
from dudao.inspection.models import Evidence, Score
from dudao.standards.checklists import ChecklistError
from dudao.supervision.models import SampledSchool
from tests.factories import COUNTY_A
from tests.inspection.conftest import SMALL

pytestmark = pytest.mark.django_db
SCHOOL = "2121000001"  # county A


def small(u):
    return svc.upload_version(u["admin"], "quality2021", "small.yaml", SMALL)


def external(u, **kw):
    return svc.create_evaluation(u["prov"], framework_id="quality2021", level="school", kind="external", year=2024,
                                 school_code=SCHOOL, **kw)


def code(exc_info):
    return exc_info.value.error.code


def test_upload_is_versioned_with_its_hash_and_evaluations_pin_it(iworld):
    u = iworld["users"]
    v1 = small(u)
    assert (v1.number, v1.province, len(v1.sha256)) == (1, "210000", 64)
    ev = external(u)
    assert ev.framework == v1 and ev.county.code == COUNTY_A
    v2 = svc.upload_version(u["admin"], "quality2021", "small2.yaml", SMALL.replace("test.1", "test.2"))
    assert v2.number == 2 and v2.sha256 != v1.sha256
    ev.refresh_from_db()
    assert ev.framework == v1  # the evaluation keeps the version it used
    assert external(u).framework == v2
    with pytest.raises(ChecklistError) as bad:
        svc.upload_version(u["admin"], "quality2021", "bad.yaml", SMALL.replace("weight: 3", "weight: 0"))
    assert bad.value.issues[0].path == "levels[school].areas[A1].weight"
    assert svc.current_version("quality2021", COUNTY_A) == v2  # nothing stored of the bad file
    with pytest.raises(InspectionError) as who:
        svc.upload_version(u["prov"], "quality2021", "x.yaml", SMALL)
    assert code(who) == "E_INSP_UPLOAD_ROLE"


def test_who_creates_what(iworld):
    u = iworld["users"]
    small(u)
    # self-evaluations: the county bureau (county or school) and the school's clerk
    assert svc.create_evaluation(u["county"], framework_id="quality2021", level="county", kind="self", year=2024,
                                 county=COUNTY_A).lead == u["county"]
    assert svc.create_evaluation(u["clerk"], framework_id="quality2021", level="school", kind="self", year=2024,
                                 school_code=SCHOOL).county.code == COUNTY_A
    refusals = [
        (u["prov"], "self", COUNTY_A, "", "E_INSP_CREATE_ROLE"),           # inspectors do not self-evaluate
        (u["county"], "external", COUNTY_A, "", "E_INSP_CREATE_ROLE"),     # a bureau cannot evaluate itself externally
        (u["other_county"], "self", COUNTY_A, "", "E_INSP_SCOPE"),         # another county
        (u["other_pref"], "external", "", SCHOOL, "E_INSP_TARGET"),        # another prefecture's school: as if missing
        (u["clerk"], "self", "", "2121000002", "E_INSP_TARGET"),           # another school: as if missing
        (u["expert1"], "external", "", SCHOOL, "E_INSP_CREATE_ROLE"),      # 督学 score, they do not create
        (u["admin"], "external", "", SCHOOL, "E_INSP_CREATE_ROLE"),
    ]
    for user, kind, county, school, expected in refusals:
        with pytest.raises(InspectionError) as exc:
            svc.create_evaluation(user, framework_id="quality2021", level="county" if county else "school", kind=kind,
                                  year=2024, county=county, school_code=school)
        assert code(exc) == expected, (user.username, kind)
    assert AuditEvent.objects.filter(action="denied", object_type="inspection").count() == len(refusals)
    with pytest.raises(InspectionError) as exc:  # the quality framework is not a site-visit checklist
        svc.create_evaluation(u["prov"], framework_id="quality2021", level="school", kind="site_visit", year=2024,
                              school_code=SCHOOL)
    assert code(exc) == "E_INSP_KIND"
    with pytest.raises(InspectionError) as exc:  # the school has no junior section
        svc.create_evaluation(u["prov"], framework_id="quality2021", level="school", kind="external", year=2024,
                              school_code=SCHOOL, section="junior")
    assert code(exc) == "E_INSP_TARGET"
    with pytest.raises(InspectionError) as exc:  # a county level for a school target
        svc.create_evaluation(u["prov"], framework_id="quality2021", level="county", kind="external", year=2024,
                              school_code=SCHOOL)
    assert code(exc) == "E_INSP_LEVEL"


def test_assignment_permissions(iworld):
    u = iworld["users"]
    small(u)
    ev = external(u)
    svc.assign(ev, u["prov"], "P1", [u["expert1"], u["pref"]])
    assert [(a.slot, a.inspector.username) for a in ev.assignments.all()] == [(1, "expert1"), (2, "pref")]
    cases = [
        (u["expert1"], "P1", [u["expert2"]], "E_INSP_LEAD"),              # only the lead assigns
        (u["prov"], "P1", [u["expert1"], u["expert1"]], "E_INSP_SAME"),
        (u["prov"], "P1", [u["expert1"], u["expert2"], u["pref"]], "E_INSP_SLOTS"),
        (u["prov"], "P4", [u["expert1"]], "E_INSP_POINT"),                # answered by platform data
        (u["prov"], "NOPE", [u["expert1"]], "E_INSP_POINT"),
        (u["prov"], "P1", [u["expert_b"]], "E_INSP_ASSIGNEE"),            # 督学 of another county
        (u["prov"], "P1", [u["county"]], "E_INSP_ASSIGNEE"),              # the evaluated bureau
        (u["prov"], "P1", [u["clerk"]], "E_INSP_ASSIGNEE"),
    ]
    for actor, point, people, expected in cases:
        with pytest.raises(InspectionError) as exc:
            svc.assign(ev, actor, point, people)
        assert code(exc) == expected, (actor.username, point)
    assert {x.username for x in svc.assignable_users(ev)} == {"expert1", "expert2", "pref", "prov"}
    own = svc.create_evaluation(u["county"], framework_id="quality2021", level="county", kind="self", year=2024,
                                county=COUNTY_A)
    assert {x.username for x in svc.assignable_users(own)} == {"county"}  # self: the county's own users
    # a scorer may only score what is assigned to them
    with pytest.raises(InspectionError) as exc:
        svc.save_score(ev, u["expert2"], "P1", 8)
    assert code(exc) == "E_INSP_NOT_ASSIGNED"
    with pytest.raises(InspectionError) as exc:
        svc.save_score(ev, u["expert1"], "P1", 7)  # not a level of the rubric
    assert code(exc) == "E_INSP_VALUE"
    svc.save_score(ev, u["expert1"], "P1", 8)
    with pytest.raises(InspectionError) as exc:  # a scored assignment cannot be taken away
        svc.assign(ev, u["prov"], "P1", [u["expert2"], u["pref"]])
    assert code(exc) == "E_INSP_LOCKED"


def test_submit_locks_the_form(iworld):
    u = iworld["users"]
    small(u)
    ev = external(u)
    svc.assign(ev, u["prov"], "P1", [u["expert1"]])
    svc.assign(ev, u["prov"], "P3", [u["expert1"]])
    svc.save_score(ev, u["expert1"], "P1", 8, "好", files=[("照片.jpg", "image/jpeg", b"\xff\xd8jpeg")])
    with pytest.raises(InspectionError) as exc:
        svc.submit(ev, u["expert1"])
    assert code(exc) == "E_INSP_INCOMPLETE"
    svc.save_score(ev, u["expert1"], "P3", 7.5)
    svc.save_score(ev, u["expert1"], "P1", 10, "改为优秀")  # drafts may change before submission
    svc.submit(ev, u["expert1"])
    for call in (lambda: svc.save_score(ev, u["expert1"], "P1", 6),
                 lambda: svc.save_score(ev, u["expert1"], "P3", 7.5, files=[("x.pdf", "", b"%PDF")]),
                 lambda: svc.submit(ev, u["expert1"])):
        with pytest.raises(InspectionError) as exc:
            call()
        assert code(exc) == "E_INSP_LOCKED"
    assert sorted(Score.objects.filter(assignment__evaluation=ev).values_list("value", flat=True)) == [7.5, 10]
    assert Evidence.objects.get().name == "照片.jpg"
    assert AuditEvent.objects.filter(object_type="inspection.Evaluation", detail__submitted_by="expert1").exists()
    with pytest.raises(InspectionError) as exc:
        svc.submit(ev, u["expert2"])
    assert code(exc) == "E_INSP_NOTHING"


def _score_all(ev, u):
    """expert1 and pref score P1, P2 and P5; expert1 alone scores P3."""
    for point in ("P1", "P2", "P5"):
        svc.assign(ev, u["prov"], point, [u["expert1"], u["pref"]])
    svc.assign(ev, u["prov"], "P3", [u["expert1"]])
    for point, a, b in (("P1", 10, 8), ("P2", 1, 0), ("P5", 6, 6)):
        svc.save_score(ev, u["expert1"], point, a)
        svc.save_score(ev, u["pref"], point, b)
    svc.save_score(ev, u["expert1"], "P3", 7.5)


def test_disagreement_flag_and_reconciliation(iworld):
    u = iworld["users"]
    small(u)
    ev = external(u)
    _score_all(ev, u)
    assert svc.flags(ev) == []  # drafts are not compared
    svc.submit(ev, u["expert1"])
    assert svc.flags(ev) == []  # one submitted score: nothing to compare
    svc.submit(ev, u["pref"])
    (flag,) = svc.flags(ev)  # P1: 10 vs 8 is within the gap 2; P2: yes vs no exceeds the gap 0
    assert (flag.point_id, flag.difference, flag.gap) == ("P2", 1, 0)
    assert flag.scores == (("expert1", 1), ("pref", 0))
    with pytest.raises(InspectionError) as exc:
        svc.reconcile(ev, u["expert1"], "P2", 1, "现场复核")
    assert code(exc) == "E_INSP_LEAD"
    for point, value, reason, expected in (("P1", 10, "理由", "E_INSP_NO_FLAG"), ("P2", 1, "  ", "E_INSP_REASON"),
                                           ("P2", 0.5, "理由", "E_INSP_VALUE")):
        with pytest.raises(InspectionError) as exc:
            svc.reconcile(ev, u["prov"], point, value, reason)
        assert code(exc) == expected
    rec = svc.reconcile(ev, u["prov"], "P2", 1, "查看原始台账后确认达到")
    assert (rec.value, rec.by) == (1, "prov")
    with pytest.raises(InspectionError) as exc:
        svc.reconcile(ev, u["prov"], "P2", 0, "再改")
    assert code(exc) == "E_INSP_RECONCILED"
    assert svc.flags(ev)[0].reconciliation == rec
    event = AuditEvent.objects.get(object_type="inspection.Evaluation", detail__reconcile="P2")
    assert event.detail["reason"] == "查看原始台账后确认达到" and event.object_unit == COUNTY_A


def test_rollup_by_hand(iworld):
    u = iworld["users"]
    small(u)
    ev = external(u)
    _score_all(ev, u)
    svc.submit(ev, u["expert1"])
    svc.submit(ev, u["pref"])
    roll = svc.rollup(ev)
    n = {x.id: x for x in roll.nodes()}
    # points: P1 mean (10 + 8)/2 = 9 → 90; P2 flagged → no value; P3 7.5/10 → 75; P4 no data; P5 6 → 60
    assert (n["P1"].basis, n["P1"].value) == ("mean", 90)
    assert (n["P2"].basis, n["P2"].value, n["P2"].flags) == ("disagreement", None, ["P2"])
    assert (n["P3"].basis, n["P3"].value) == ("single", 75)
    assert (n["P4"].basis, n["P4"].value, n["P4"].data_needed) == ("no_data", None, ["academic_scores"])
    assert n["P5"].value == 60
    # I1: only P1 (share 1/4) has a value → 90, coverage 0.25; A1 = (0.5·90 + 0.5·75) = 82.5, coverage 0.625
    assert (n["I1"].value, n["I1"].coverage) == (90, 0.25)
    assert n["A1"].value == pytest.approx(82.5) and n["A1"].coverage == pytest.approx(0.625)
    assert n["A2"].value == 60 and n["A2"].coverage == 0.5
    # total: A1 share 3/4, A2 share 1/4 → 0.75·82.5 + 0.25·60 = 76.875; coverage 0.75·0.625 + 0.25·0.5 = 0.59375
    assert roll.total.value == pytest.approx(76.875) and roll.total.coverage == pytest.approx(0.59375)
    assert roll.total.flags == ["P2"] and [x.id for x in roll.lacking_data()] == ["P4"]
    svc.reconcile(ev, u["prov"], "P2", 1, "复核确认")
    roll = svc.rollup(ev)
    n = {x.id: x for x in roll.nodes()}
    # I1 = 0.25·90 + 0.75·100 = 97.5; A1 = 0.5·97.5 + 0.5·75 = 86.25; total = 0.75·86.25 + 0.25·60 = 79.6875
    assert (n["P2"].basis, n["P2"].value, n["P2"].reconciliation) == ("reconciled", 100, "复核确认")
    assert n["I1"].value == pytest.approx(97.5) and n["A1"].value == pytest.approx(86.25)
    assert roll.total.value == pytest.approx(79.6875) and roll.total.coverage == pytest.approx(0.875)
    assert roll.total.flags == [] and roll.sha256 == ev.framework.sha256
    assert [s.inspector for s in n["P1"].scores] == ["expert1", "pref"]


def test_site_visits_for_a_case(iworld):
    u, case = iworld["users"], iworld["case"]
    with pytest.raises(InspectionError) as exc:
        svc.create_site_visits(u["prov"], case, [u["expert1"], u["expert2"]])
    assert code(exc) == "E_INSP_CASE"
    for code_, section in ((SCHOOL, "primary"), ("3121000007", "junior")):
        SampledSchool.objects.create(case=case, school_code=code_, school_name=f"学校{code_[-2:]}", section=section,
                                     stratum=f"{section}/rural", reason="random", seed=1)
    made = svc.create_site_visits(u["prov"], case, [u["expert1"], u["expert2"]])
    assert [(e.school_code, e.section, e.kind, e.framework.framework_id) for e in made] == [
        ("3121000007", "junior", "site_visit", "sitevisit2017"), (SCHOOL, "primary", "site_visit", "sitevisit2017")]
    points = svc.scored_points(svc.framework_of(made[0].framework), "school")
    assert made[0].assignments.count() == 2 * len(points) == 54
    assert svc.create_site_visits(u["prov"], case, [u["expert1"], u["expert2"]]) == []  # not twice
    with pytest.raises(PermissionDenied):
        svc.create_site_visits(u["other_pref"], case, [u["expert1"], u["expert2"]])
    with pytest.raises(InspectionError) as exc:
        svc.create_site_visits(u["prov"], case, [u["expert1"], u["expert1"]])
    assert code(exc) == "E_INSP_SAME"
    assert not math.isnan(svc.rollup(made[0]).total.coverage)


def test_value_added_band_is_shown_not_scored(iworld, monkeypatch):
    import dudao.quality.services as quality

    u = iworld["users"]
    small(u)
    ev = external(u)
    calls = []

    def bands(code, year=None, english=False):
        calls.append((code, year))
        return [{"subject": "数学", "band": "above", "band_zh": "高于预期", "estimate": 2.5, "lower": 0.4,
                 "upper": 4.6, "run": 3},
                {"subject": "语文", "band": "refused", "band_zh": "不发布", "reason": "匹配学生少于 30 人"}]

    monkeypatch.setattr(quality, "school_bands", bands)
    n = {x.id: x for x in svc.rollup(ev).nodes()}
    assert calls == [(SCHOOL, 2024)]
    assert n["P4"].band == "数学 高于预期（+2.50，95% 区间 +0.40～+4.60，运行 #3）；语文 不发布（匹配学生少于 30 人）"
    assert (n["P4"].basis, n["P4"].value, n["P4"].coverage) == ("no_data", None, 0.0)  # shown, never turned into a score
    monkeypatch.setattr(quality, "school_bands", lambda code, year=None, english=False: [])
    assert {x.id: x for x in svc.rollup(ev).nodes()}["P4"].band == ""


def test_a_submitted_score_cannot_change_even_around_the_services(iworld):
    from dudao.inspection.models import FormLocked

    u = iworld["users"]
    small(u)
    ev = external(u)
    svc.assign(ev, u["prov"], "P3", [u["expert1"]])
    score = svc.save_score(ev, u["expert1"], "P3", 5)
    with pytest.raises(InspectionError) as exc:
        svc.save_score(ev, u["expert1"], "P3", float("nan"))
    assert code(exc) == "E_INSP_VALUE"
    svc.submit(ev, u["expert1"])
    score.value = 10
    with pytest.raises(FormLocked):
        score.save()
    with pytest.raises(FormLocked):
        Evidence.objects.create(score=score, name="x", size=1, sha256="0" * 64, data=b"x", uploaded_by="expert1")
    score.refresh_from_db()
    assert score.value == 5


def test_a_site_visit_finding_becomes_a_rectification_task(iworld):
    import datetime as dt

    from dudao.supervision.errors import WorkflowError
    from dudao.supervision.models import Task

    u, case = iworld["users"], iworld["case"]
    SampledSchool.objects.create(case=case, school_code=SCHOOL, school_name="测试学校0001", section="primary",
                                 stratum="primary/rural", reason="failing", seed=1)
    (ev,) = svc.create_site_visits(u["prov"], case, [u["expert1"], u["expert2"]])
    fw = svc.framework_of(ev.framework)
    assert fw.findings is not None and fw.findings.below == 60
    for p in svc.scored_points(fw, "school"):
        rubric = fw.rubric_of(p)
        best = rubric.high
        for who in ("expert1", "expert2"):  # all met, except V2.1.2 (music and art rooms) judged "no" by both
            svc.save_score(ev, u[who], p.id, 0 if p.id == "V2.1.2" else best)
    assert svc.findings(ev) == []  # drafts count for nothing
    svc.submit(ev, u["expert1"])
    svc.submit(ev, u["expert2"])
    assert [n.id for n in svc.findings(ev)] == ["V2.1.2"]
    due = dt.date(2025, 9, 1)
    with pytest.raises(InspectionError) as exc:
        svc.raise_finding(ev, u["prov"], "V2.1.1", due)
    assert code(exc) == "E_INSP_NOT_FINDING"
    with pytest.raises(WorkflowError):
        svc.raise_finding(ev, u["expert1"], "V2.1.2", due)  # 督学 do not raise tasks (supervision's rule)
    task = svc.raise_finding(ev, u["prov"], "V2.1.2", due)
    assert (task.source, task.item, task.school_code, task.case, task.owner_unit, task.deadline) == (
        Task.Source.SITE_VISIT, "V2.1.2", SCHOOL, case, COUNTY_A, due)
    assert "音乐、美术专用教室" in task.description
    with pytest.raises(InspectionError) as exc:
        svc.raise_finding(ev, u["prov"], "V2.1.2", due)
    assert code(exc) == "E_INSP_RAISED"
