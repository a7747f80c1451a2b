"""Rectification: tasks from a case, closing only on re-verification, levels, overdue and escalation."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.core import mail

from dudao.audit.models import AuditEvent
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from dudao.supervision.errors import WorkflowError
from dudao.supervision.models import Task
from dudao.supervision.rectification import (
    add_note,
    escalate,
    overdue,
    raise_task,
    request_verification,
    tasks_from_case,
    verify,
)
from dudao.supervision.services import act
from tests.factories import COUNTY_A
from tests.supervision import test_workflow

pytestmark = pytest.mark.django_db
world = test_workflow.world
DEADLINE = dt.date(2025, 7, 1)


def rejected(world):
    """Runs county A through to 'not recognised' (its data unlocked again for the rectification)."""
    from dudao.assessment.services import run_assessment

    u, case = world["users"], world["case"]
    run_assessment("youzhi2017", 2024, COUNTY_A)
    act(case, u["county"], "submit")
    act(case, u["pref"], "pass_up")
    act(case, u["prov"], "reject", "资源配置未达标")
    return case


def code_of(exc_info):
    return exc_info.value.error.code


def test_tasks_from_case_one_per_failing_item_and_idempotent(world):
    case = rejected(world)
    first = tasks_from_case(case, DEADLINE, world["users"]["pref"])
    keys = {(t.source, t.item, t.section, t.school_code) for t in first}
    assert ("school_threshold", "school_k_of_n", "", "") in keys
    assert ("computed_item", "G03", "", "") in keys
    assert ("school_threshold", "R5", "primary", "3121000007") in keys
    assert ("school_threshold", "R2", "junior", "3121000006") in keys
    # 3121000007 primary R4–R7, 3121000006 junior R2–R7, 3121000007 junior R4–R7, and the two failing reasons
    assert len(first) == len(keys) == 4 + 6 + 4 + 2
    assert not any(t.item.startswith("Q") for t in first)  # 'missing' items make no task
    again = tasks_from_case(case, DEADLINE, world["users"]["pref"])
    assert Task.objects.count() == len(first) and {t.pk for t in again} == {t.pk for t in first}
    task = Task.objects.get(item="R5", section="primary", school_code="3121000007")
    assert task.owner_unit == COUNTY_A and task.raised_unit == "210500" and task.raised_by == "pref"
    assert task.state == "open" and task.round == world["round"] and "测试学校0007" in task.description


def test_only_inspectors_over_the_county_raise_tasks(world):
    case = rejected(world)
    u = world["users"]
    with pytest.raises(WorkflowError) as info:
        tasks_from_case(case, DEADLINE, u["county"])
    assert code_of(info) == "E_RECT_RAISE"
    with pytest.raises(WorkflowError) as info:
        tasks_from_case(case, DEADLINE, u["other_pref"])
    assert code_of(info) == "E_FLOW_SCOPE"
    assert not Task.objects.exists()


def test_data_task_closes_only_when_the_recomputed_indicator_passes(world, dictionary):
    u, case, tmp = world["users"], rejected(world), world["tmp"]
    tasks_from_case(case, DEADLINE, u["prov"])
    task = Task.objects.get(item="R5", section="primary", school_code="3121000007")
    add_note(task, u["county"], "已规划扩建操场", 30)
    request_verification(task, u["county"])
    assert not verify(task, u["prov"])  # nothing changed yet: still fails
    task.refresh_from_db()
    assert task.state == "open" and task.closed_at is None
    assert "仍未达标" in task.notes.order_by("-pk").first().text

    schools, sections = copy.deepcopy(world["schools"]), copy.deepcopy(world["sections"])
    for s in schools:
        if s["school_code"] == "3121000007":
            s["sports_area"] = 10000.0
    assert import_file(write_xlsx(tmp / "fixed.xlsx", dictionary, 2024, schools, sections), 2024, "county").accepted
    request_verification(task, u["county"], "操场已扩建")
    assert verify(task, u["prov"], "数据已核实")
    task.refresh_from_db()
    assert task.state == "closed" and task.closed_by == "prov" and task.closed_at is not None

    other = Task.objects.get(item="R4", section="primary", school_code="3121000007")  # its data were not fixed
    request_verification(other, u["county"])
    assert not verify(other, u["prov"])
    other.refresh_from_db()
    assert other.state == "open"
    assert AuditEvent.objects.filter(object_type="supervision.Task", actor="prov").exists()


def test_wrong_level_cannot_verify_and_only_the_owner_reports(world):
    u, case = world["users"], rejected(world)
    tasks_from_case(case, DEADLINE, u["prov"])
    task = Task.objects.get(item="G03")
    with pytest.raises(WorkflowError) as info:
        add_note(task, u["other_county"], "x", 10)
    assert code_of(info) == "E_RECT_OWNER"
    with pytest.raises(WorkflowError) as info:
        add_note(task, u["county"], "x", 120)
    assert code_of(info) == "E_RECT_PROGRESS"
    request_verification(task, u["county"])
    for who in ("pref", "county", "other_pref", "clerk"):  # province raised it: prefecture is below
        with pytest.raises(WorkflowError) as info:
            verify(task, u[who])
        assert code_of(info) == "E_RECT_LEVEL"
    task.refresh_from_db()
    assert task.state == "awaiting_verification"

    visit = raise_task(COUNTY_A, 2024, u["pref"], "site_visit", "SV1", "实地核查发现功能教室挪作他用", DEADLINE,
                       case=case)
    request_verification(visit, u["county"])
    with pytest.raises(WorkflowError) as info:
        verify(visit, u["other_pref"])  # the other prefecture
    assert code_of(info) == "E_RECT_LEVEL"
    with pytest.raises(WorkflowError) as info:
        verify(visit, u["prov"])  # above the raising level, but a confirmation needs a comment
    assert code_of(info) == "E_RECT_COMMENT"
    assert verify(visit, u["prov"], "复查确认已恢复")
    visit.refresh_from_db()
    assert visit.state == "closed"
    with pytest.raises(WorkflowError) as info:
        add_note(visit, u["county"], "x", 100)
    assert code_of(info) == "E_RECT_STATE"


def test_overdue_tasks_escalate_once_with_an_email(world):
    u, case = world["users"], rejected(world)
    for who, address in (("county", "county@example.cn"), ("pref", "pref@example.cn"), ("other_pref", "o@example.cn")):
        u[who].email = address
        u[who].save(update_fields=["email"])
    tasks = tasks_from_case(case, DEADLINE, u["prov"])
    done = raise_task(COUNTY_A, 2024, u["prov"], "site_visit", "SV1", "已整改事项", DEADLINE, case=case)
    request_verification(done, u["county"])
    verify(done, u["prov"], "确认")
    assert overdue(DEADLINE) == []  # due today is not overdue
    late = overdue(DEADLINE + dt.timedelta(days=1), "2105")
    assert {t.pk for t in late} == {t.pk for t in tasks}  # the closed one is not listed
    assert overdue(DEADLINE + dt.timedelta(days=1), "2113") == []

    mail.outbox.clear()
    escalated = escalate(DEADLINE + dt.timedelta(days=1))
    assert {t.pk for t in escalated} == {t.pk for t in tasks}
    assert set(Task.objects.exclude(pk=done.pk).values_list("escalated_to", flat=True)) == {"210500"}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["county@example.cn", "pref@example.cn"] and "逾期" in message.subject
    assert escalate(DEADLINE + dt.timedelta(days=2)) == [] and len(mail.outbox) == 1  # only once
    assert AuditEvent.objects.filter(action="escalate").count() == len(tasks)


def test_reverification_uses_the_standard_and_overlay_of_the_round(world):
    """The case was evaluated with a province overlay (Hebei's, on purpose a different one from the national
    standard): the re-computation that closes a data task uses that same overlay, not the national figures."""
    from dudao.assessment.models import AssessmentRun
    from dudao.assessment.services import run_assessment
    from dudao.supervision.rectification import overlay_of

    u, case = world["users"], world["case"]
    run_assessment("youzhi2017", 2024, COUNTY_A, province="13")
    act(case, u["county"], "submit")
    act(case, u["pref"], "pass_up")
    act(case, u["prov"], "reject", "资源配置未达标")
    assert case.assessment.overlay == "13"
    tasks_from_case(case, DEADLINE, u["prov"])
    task = Task.objects.get(item="R5", section="primary", school_code="3121000007")
    assert overlay_of(task) == "13"
    request_verification(task, u["county"])
    before = AssessmentRun.objects.order_by("-pk").first().pk
    verify(task, u["prov"])
    rerun = AssessmentRun.objects.get(pk__gt=before)
    assert (rerun.standard_id, rerun.overlay, rerun.year) == ("youzhi2017", "13", 2024)
    loose = raise_task(COUNTY_A, 2024, u["pref"], "site_visit", "SV9", "无案卷的任务", DEADLINE)
    assert overlay_of(loose) == ""


def test_a_verifier_sends_the_task_back_with_a_reason(world):
    from dudao.supervision.rectification import reject_verification

    u = world["users"]
    visit = raise_task(COUNTY_A, 2024, u["pref"], "site_visit", "SV1", "功能教室挪作他用", DEADLINE)
    with pytest.raises(WorkflowError) as info:
        reject_verification(visit, u["pref"], "未整改")
    assert code_of(info) == "E_RECT_STATE"
    request_verification(visit, u["county"])
    with pytest.raises(WorkflowError) as info:
        reject_verification(visit, u["county"], "x")
    assert code_of(info) == "E_RECT_LEVEL"
    assert AuditEvent.objects.filter(action="denied", actor="county", object_type="supervision.Task").exists()
    with pytest.raises(WorkflowError) as info:
        reject_verification(visit, u["pref"], " ")
    assert code_of(info) == "E_RECT_COMMENT"
    reject_verification(visit, u["pref"], "照片显示仍在堆放杂物")
    visit.refresh_from_db()
    assert visit.state == "open" and "照片显示仍在堆放杂物" in visit.notes.order_by("-pk").first().text


def test_a_passed_county_closes_a_data_task_with_next_years_data(world, dictionary):
    """The case passed: 2024 stays locked; the fix shows in the 2025 data, and verification recomputes 2025."""
    from dudao.assessment.models import AssessmentRun
    from dudao.assessment.services import run_assessment
    from dudao.supervision.services import check_unlocked

    u, case, tmp = world["users"], world["case"], world["tmp"]
    run_assessment("youzhi2017", 2024, COUNTY_A)
    act(case, u["county"], "submit")
    act(case, u["pref"], "pass_up")
    act(case, u["prov"], "recognise", "通过")
    tasks_from_case(case, DEADLINE, u["prov"])
    task = Task.objects.get(item="R5", section="primary", school_code="3121000007")
    with pytest.raises(WorkflowError):
        check_unlocked(COUNTY_A, 2024)
    schools, sections = copy.deepcopy(world["schools"]), copy.deepcopy(world["sections"])
    for s in schools:
        if s["school_code"] == "3121000007":
            s["sports_area"] = 10000.0
    assert import_file(write_xlsx(tmp / "y2025.xlsx", dictionary, 2025, schools, sections), 2025, "county").accepted
    request_verification(task, u["county"], "新学年已扩建操场")
    assert verify(task, u["prov"])
    rerun = AssessmentRun.objects.order_by("-pk").first()
    assert rerun.year == 2025 and "2025 学年" in task.notes.order_by("-pk").first().text
