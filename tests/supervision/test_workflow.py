"""The evaluation workflow: every step, every refusal, the data lock, and no shortcut to recognition."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dudao.accounts.services import create_user
from dudao.assessment.services import run_assessment
from dudao.schools.edit import EditError, save_values
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from dudao.standards.model import load_workflow
from dudao.supervision.errors import WorkflowError
from dudao.supervision.models import Case
from dudao.supervision.services import act, allowed_actions, close_round, open_round, resubmission_diff
from tests.factories import COUNTY_A, COUNTY_B, dataset

pytestmark = pytest.mark.django_db
PW = "Secret-pass-123"
DUE = (dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 6, 1))


@pytest.fixture
def world(tmp_path, liaoning, dictionary, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    schools, sections = dataset()
    assert import_file(write_xlsx(tmp_path / "d.xlsx", dictionary, 2024, schools, sections), 2024, "setup").accepted
    users = {
        "county": create_user("county", "county_bureau", PW, COUNTY_A),
        "other_county": create_user("other", "county_bureau", PW, COUNTY_B),
        "pref": create_user("pref", "prefecture_inspector", PW, "210500"),
        "other_pref": create_user("opref", "prefecture_inspector", PW, "211300"),
        "prov": create_user("prov", "province_inspector", PW, "210000"),
        "admin": create_user("admin", "province_admin", PW, "210000"),
        "clerk": create_user("clerk", "school_clerk", PW, COUNTY_A, "2121000001"),
    }
    rnd = open_round("210000", "2024 年优质均衡省级评估", "youzhi2017", 2024, DUE, [COUNTY_A, COUNTY_B], "admin")
    case = Case.objects.get(round=rnd, county__code=COUNTY_A)
    return {"users": users, "round": rnd, "case": case, "schools": schools, "sections": sections, "tmp": tmp_path}


def state(case):
    case.refresh_from_db()
    return case.state


def test_the_whole_journey(world):
    u, case = world["users"], world["case"]
    run_assessment("youzhi2017", 2024, COUNTY_A)
    act(case, u["county"], "submit", "自评报告已上传")
    assert state(case) == "submitted" and case.assessment is not None
    act(case, u["pref"], "pass_up")
    act(case, u["prov"], "recognise", "实地核查通过")
    act(case, u["admin"], "national_check", "国家抽查通过")
    assert state(case) == "national_checked"
    steps = [(e.action, e.from_state, e.to_state, e.actor) for e in case.events.all()]
    assert steps == [("submit", "self_evaluation", "submitted", "county"),
                     ("pass_up", "submitted", "provincial_evaluation", "pref"),
                     ("recognise", "provincial_evaluation", "recognised", "prov"),
                     ("national_check", "recognised", "national_checked", "admin")]


@pytest.mark.parametrize("who,action,code", [
    ("pref", "submit", "E_FLOW_ROLE"),             # wrong role
    ("clerk", "submit", "E_FLOW_ROLE"),
    ("other_county", "submit", "E_FLOW_ROLE"),     # a county bureau, but the other county: role fine, scope not
    ("county", "pass_up", "E_FLOW_STATE"),         # wrong state (and role)
    ("county", "fly", "E_FLOW_ACTION"),
])
def test_refusals_before_submission(world, who, action, code):
    run_assessment("youzhi2017", 2024, COUNTY_A)
    user = world["users"][who]
    expected = "E_FLOW_SCOPE" if who == "other_county" else code
    with pytest.raises(WorkflowError) as info:
        act(world["case"], user, action, "x")
    assert info.value.error.code == expected
    assert state(world["case"]) == "self_evaluation"


def test_submit_needs_an_assessment_and_review_needs_a_comment(world):
    u, case = world["users"], world["case"]
    with pytest.raises(WorkflowError, match="运行评估"):
        act(case, u["county"], "submit")
    run_assessment("youzhi2017", 2024, COUNTY_A)
    act(case, u["county"], "submit")
    with pytest.raises(WorkflowError) as info:
        act(case, u["pref"], "return_to_county", "  ")
    assert info.value.error.code == "E_FLOW_COMMENT"
    with pytest.raises(WorkflowError) as info:
        act(case, u["other_pref"], "pass_up")
    assert info.value.error.code == "E_FLOW_SCOPE"
    assert allowed_actions(case, u["pref"]) == ["return_to_county", "pass_up"]
    assert allowed_actions(case, u["other_pref"]) == []


def test_submission_locks_data_and_send_back_unlocks(world, dictionary):
    u, case, tmp = world["users"], world["case"], world["tmp"]
    first = run_assessment("youzhi2017", 2024, COUNTY_A)
    act(case, u["county"], "submit")
    schools, sections = copy.deepcopy(world["schools"]), copy.deepcopy(world["sections"])
    schools[0]["sports_area"] = 1000.0
    path = write_xlsx(tmp / "change.xlsx", dictionary, 2024, schools, sections)
    report = import_file(path, 2024, "county")
    locked = [e for e in report.errors if e.code == "E_LOCKED"]
    assert not report.accepted and locked and {e.row for e in locked} == set(range(3, 10))  # county A's 7 schools
    assert locked[0].column == "C" and "锁定" in locked[0].message_zh
    with pytest.raises(EditError, match="锁定"):
        save_values("2121000001", 2024, {"": {"sports_area": 1000.0}}, "county")
    act(case, u["pref"], "return_to_county", "R5 数据有误，请核实")
    assert state(case) == "self_evaluation"
    assert import_file(path, 2024, "county").accepted
    second = run_assessment("youzhi2017", 2024, COUNTY_A)
    act(case, u["county"], "submit", "已更正")
    case.refresh_from_db()
    assert case.assessment_id == second.run.pk != first.run.pk
    diff = resubmission_diff(case)
    assert any(c.get("school") == "2121000001" and c["what"] == "R5" for c in diff)


def test_rejected_case_can_reopen_and_closed_round_refuses(world):
    u, case = world["users"], world["case"]
    run_assessment("youzhi2017", 2024, COUNTY_A)
    act(case, u["county"], "submit")
    act(case, u["pref"], "pass_up")
    act(case, u["prov"], "reject", "体育场馆面积差异系数超限")
    assert state(case) == "not_recognised"
    act(case, u["admin"], "reopen", "限期整改后重新自评")
    assert state(case) == "self_evaluation"
    close_round(world["round"], "admin")
    with pytest.raises(WorkflowError) as info:
        act(case, u["county"], "submit")
    assert info.value.error.code == "E_FLOW_CLOSED"


def test_round_counties_must_be_in_the_province(world):
    with pytest.raises(WorkflowError) as info:
        open_round("210000", "x", "youzhi2017", 2024, DUE, [COUNTY_A, "130102"], "admin")
    assert info.value.error.code == "E_FLOW_COUNTIES"


ACTIONS = [t.action for t in load_workflow().transitions]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(st.tuples(st.sampled_from(["county", "pref", "prov", "admin", "clerk", "other_pref"]),
                                st.sampled_from(ACTIONS)), min_size=1, max_size=14))
def test_no_case_reaches_recognition_without_each_prior_stage(world, steps):
    u = world["users"]
    run_assessment("youzhi2017", 2024, COUNTY_A)
    case = world["case"]
    for who, action in steps:
        with contextlib.suppress(WorkflowError):
            act(case, u[who], action, "意见")
    events = list(case.events.order_by("pk"))
    path = ["self_evaluation"]
    for e in events:
        assert e.from_state == path[-1]  # every step starts where the previous one ended
        path.append(e.to_state)
    assert path[-1] == state(case)
    for i, s in enumerate(path):
        if s in ("recognised", "national_checked"):
            assert "submitted" in path[:i] and "provincial_evaluation" in path[:i]
    case.events.all().delete()
    Case.objects.filter(pk=case.pk).update(state="self_evaluation")
