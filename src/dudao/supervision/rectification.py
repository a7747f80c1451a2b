"""Rectification (限期整改制度): tasks from a case's failing items, progress notes, verification, escalation.

A task is raised by a prefecture or province inspector and owned by the county. The county reports progress and
asks for verification; only the raising level (or above) verifies. A task about data (school thresholds,
differentiation coefficients, items computed from school data) closes only when the assessment, re-run on the
county's current data, shows the item passing; other tasks close on the verifier's confirmation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import IntegerField, Max, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from dudao.accounts.models import Role
from dudao.accounts.permissions import scope_of
from dudao.assessment.models import AssessmentCounty
from dudao.assessment.services import run_assessment
from dudao.audit.services import actor_of, record
from dudao.engine.assessment import SECTION_ZH
from dudao.orgunits.models import OrgUnit
from dudao.schools.models import SchoolYear
from dudao.standards.model import DATA_DIR, load_standard
from dudao.supervision.errors import FlowError, WorkflowError
from dudao.supervision.models import Case, Note, Task
from dudao.supervision.refusals import atomic, deny

INSPECTORS = (Role.PREFECTURE_INSPECTOR, Role.PROVINCE_INSPECTOR, Role.PROVINCE_ADMIN)
DATA_SOURCES = (Task.Source.SCHOOL_THRESHOLD, Task.Source.CV, Task.Source.COMPUTED_ITEM)
LEVEL_RANK = {OrgUnit.Level.COUNTY: 1, OrgUnit.Level.PREFECTURE: 2, OrgUnit.Level.PROVINCE: 3}


def _unit_code(user: Any) -> str:
    unit = getattr(user, "org_unit", None)
    return unit.code if unit is not None else ""


def _check_raiser(user: Any, county: str) -> None:
    if getattr(user, "role", "") not in INSPECTORS or not _unit_code(user):
        raise WorkflowError(FlowError.RECT_RAISE)
    if not scope_of(user).covers_region(county):
        deny("supervision.Task", "", {"action": "raise"}, actor=actor_of(user), object_unit=county)
        raise WorkflowError(FlowError.SCOPE)


def source_of(reason: dict[str, Any], recorded: set[str]) -> str:
    """Which kind of task a failing reason row of an assessment makes."""
    part, item = reason["part"], reason["item"]
    if part == "veto":
        return Task.Source.VETO
    if part == "resource":
        return Task.Source.CV if "." in item else Task.Source.SCHOOL_THRESHOLD
    if part == "prerequisite" or item in recorded:
        return Task.Source.RECORDED_ITEM
    return Task.Source.COMPUTED_ITEM


def _failing_items(entry: dict[str, Any], recorded: set[str], names: dict[str, str] | None = None) \
        -> list[dict[str, str]]:
    """One row per failing reason and per failing school section × missed indicator (named by the standard)."""
    names = names or {}
    rows = [{"source": source_of(r, recorded), "item": r["item"], "section": "", "school_code": "",
             "description": r["zh"]} for r in entry.get("reasons", []) if r.get("status") == "fail"]
    gaps = {(g["school_code"], g["section"], g["indicator"]): g for g in (entry.get("gaps") or {}).get("schools", [])}
    for sec in entry.get("sections", []):
        section = sec["section"]
        for school in sec.get("schools", []):
            for indicator, ok in (school.get("passed") or {}).items():
                if ok is not False:
                    continue
                label = f"{indicator} {names[indicator]}" if indicator in names else indicator
                text = f"{school.get('name', school['code'])}（{SECTION_ZH.get(section, section)}）{label} 未达到标准"
                gap = gaps.get((school["code"], section, indicator))
                if gap and gap.get("value") is not None and gap.get("threshold") is not None:
                    text += f"：现为 {gap['value']:.2f}，标准为 {gap['threshold']:g}"
                rows.append({"source": Task.Source.SCHOOL_THRESHOLD, "item": indicator, "section": section,
                             "school_code": school["code"], "description": text})
    return rows


@atomic
def tasks_from_case(case: Case, deadline: dt.date, actor: Any) -> list[Task]:
    """Raises one task per failing item of the case's frozen assessment; calling it again adds no duplicates."""
    case = Case.objects.select_related("round", "county", "assessment").get(pk=case.pk)
    county = case.county.code
    _check_raiser(actor, county)
    if case.assessment is None:
        raise WorkflowError(FlowError.RECT_NO_ASSESSMENT)
    row = AssessmentCounty.objects.filter(run=case.assessment, county_code=county).first()
    if row is None:
        raise WorkflowError(FlowError.RECT_NO_ASSESSMENT)
    std = load_standard(case.round.standard_id)
    recorded = {i.id for i in std.recorded_items()}
    tasks, created = [], 0
    for item in _failing_items(row.entry, recorded, {i.id: i.zh for i in std.indicators}):
        task, new = Task.objects.get_or_create(
            case=case, source=item["source"], item=item["item"], section=item["section"],
            school_code=item["school_code"],
            defaults={"county": case.county, "year": case.round.year, "standard_id": case.round.standard_id,
                      "round": case.round, "description": item["description"], "raised_by": actor.get_username(),
                      "raised_unit": _unit_code(actor), "owner_unit": county, "deadline": deadline},
        )
        tasks.append(task)
        created += new
    record("create", "supervision.Task", case.pk, {"case": case.pk, "tasks": created, "deadline": deadline},
           actor=actor_of(actor), object_unit=county)
    return tasks


@atomic
def raise_task(county: str, year: int, user: Any, source: str, item: str, description: str, deadline: dt.date,
               school_code: str = "", case: Case | None = None) -> Task:
    """Raises one task by hand (e.g. a finding of the site visit)."""
    _check_raiser(user, county)
    unit = OrgUnit.objects.get(code=county, level=OrgUnit.Level.COUNTY)
    task = Task.objects.create(county=unit, year=year, round=case.round if case else None, case=case,
                               standard_id=case.round.standard_id if case else "youzhi2017", source=source,
                               item=item, school_code=school_code, description=description,
                               raised_by=user.get_username(), raised_unit=_unit_code(user), owner_unit=county,
                               deadline=deadline)
    record("create", "supervision.Task", task.pk, {"source": source, "item": item}, actor=actor_of(user),
           object_unit=county)
    return task


def _check_owner(task: Task, user: Any) -> None:
    if getattr(user, "role", "") != Role.COUNTY_BUREAU or _unit_code(user) != task.owner_unit:
        deny("supervision.Task", task.pk, {"action": "owner"}, actor=actor_of(user),
               object_unit=task.owner_unit)
        raise WorkflowError(FlowError.RECT_OWNER, unit=task.owner_unit)


def _state_error(task: Task, step: str) -> WorkflowError:
    return WorkflowError(FlowError.RECT_STATE, state=Task.State(task.state).label, step=step)


@atomic
def add_note(task: Task, user: Any, text: str, progress: int, attachments: list[str] | None = None) -> Note:
    """The owner county reports progress on a task."""
    _check_owner(task, user)
    if task.state == Task.State.CLOSED:
        raise _state_error(task, "填报进展")
    if not 0 <= int(progress) <= 100:
        raise WorkflowError(FlowError.RECT_PROGRESS)
    if not text.strip():
        raise WorkflowError(FlowError.RECT_COMMENT, step="填报进展")
    note = Note.objects.create(task=task, actor=user.get_username(), text=text, progress=int(progress),
                               attachments=list(attachments or []))
    record("update", "supervision.Task", task.pk, {"note": note.pk, "progress": note.progress},
           actor=actor_of(user), object_unit=task.owner_unit)
    return note


def _last_progress(task: Task) -> int:
    last = task.notes.order_by("-pk").first()
    return last.progress if last else 0


@atomic
def request_verification(task: Task, user: Any, text: str = "") -> Task:
    """The owner county says the task is done and asks the raising level to verify."""
    _check_owner(task, user)
    if task.state != Task.State.OPEN:
        raise _state_error(task, "申请复核")
    Note.objects.create(task=task, actor=user.get_username(), text=text or "申请整改复核", progress=100)
    task.state = Task.State.AWAITING_VERIFICATION
    task.save(update_fields=["state"])
    record("update", "supervision.Task", task.pk, {"state": task.state}, actor=actor_of(user),
           object_unit=task.owner_unit)
    return task


def can_verify(task: Task, user: Any) -> bool:
    """An inspector at the raising unit's level or above, whose area covers the raising unit."""
    unit = getattr(user, "org_unit", None)
    raised = OrgUnit.objects.filter(code=task.raised_unit).first()
    if getattr(user, "role", "") not in INSPECTORS or unit is None or raised is None:
        return False
    return LEVEL_RANK[unit.level] >= LEVEL_RANK[raised.level] and scope_of(user).covers_region(task.raised_unit)


def item_passes(task: Task, entry: dict[str, Any] | None) -> bool:
    """Whether a recomputed county entry shows the task's item passing."""
    if entry is None:
        return False
    if task.school_code:
        for sec in entry.get("sections", []):
            if sec["section"] != task.section:
                continue
            for school in sec.get("schools", []):
                if school["code"] == task.school_code:
                    return (school.get("passed") or {}).get(task.item) is True
        return False
    return not any(r["item"] == task.item for r in entry.get("reasons", []))


def _check_verifier(task: Task, user: Any, action: str, step: str) -> None:
    """The user may verify the task (else refused and recorded) and the task awaits verification."""
    if not can_verify(task, user):
        deny("supervision.Task", task.pk, {"action": action}, actor=actor_of(user), object_unit=task.owner_unit)
        raise WorkflowError(FlowError.RECT_LEVEL, unit=task.raised_unit)
    if task.state != Task.State.AWAITING_VERIFICATION:
        raise _state_error(task, step)


@atomic
def verify(task: Task, user: Any, comment: str = "") -> bool:
    """Verifies a task; returns whether it closed. Data items are re-assessed; others close on confirmation."""
    _check_verifier(task, user, "verify", "整改复核")
    who = user.get_username()
    if task.source in DATA_SOURCES:
        year = verification_year(task)
        outcome = run_assessment(task.standard_id, year, task.county.code, province=overlay_of(task), actor=who)
        entry = next((c for c in outcome.document["counties"] if c["code"] == task.county.code), None)
        passed = item_passes(task, entry)
        head = f"复核（{year} 学年评估结果 #{outcome.run.pk}）"
        text = f"{head}：{task.item} 已达标" if passed else f"{head}：{task.item} 仍未达标，继续整改"
        detail: dict[str, Any] = {"run": outcome.run.pk, "year": year}
    else:
        if not comment.strip():
            raise WorkflowError(FlowError.RECT_COMMENT, step="整改复核")
        passed, text, detail = True, "复核确认已整改", {}
    if comment.strip():
        text += f"。{comment.strip()}"
    Note.objects.create(task=task, actor=who, text=text, progress=100 if passed else _last_progress(task))
    if passed:
        task.state, task.closed_at, task.closed_by = Task.State.CLOSED, timezone.now(), who
    else:
        task.state = Task.State.OPEN
    task.save(update_fields=["state", "closed_at", "closed_by"])
    record("update", "supervision.Task", task.pk, {"action": "verify", "closed": passed, **detail},
           actor=actor_of(user), object_unit=task.owner_unit)
    return passed


def verification_year(task: Task) -> int:
    """The school year a data task is re-checked on: the county's latest year with data, not before the task's.

    A county whose case passed keeps that year's data locked; its rectification shows in the next year's data.
    """
    latest = SchoolYear.objects.filter(county=task.county, year__gte=task.year).aggregate(m=Max("year"))["m"]
    return int(latest) if latest is not None else task.year


def overlay_of(task: Task) -> str:
    """The province overlay the task's round evaluated with: that of the case's frozen assessment, else the
    round's province's overlay file when there is one; '' for the national standard."""
    case = task.case
    if case is not None and case.assessment is not None:
        return case.assessment.overlay
    if task.round is not None:
        province = task.round.province.code[:2]
        if (DATA_DIR / "overlays" / f"{province}.yaml").is_file():
            return province
    return ""


@atomic
def reject_verification(task: Task, user: Any, comment: str) -> Task:
    """The verifier finds the rectification not done: the task goes back to the county with the reason."""
    _check_verifier(task, user, "reject", "退回整改")
    if not comment.strip():
        raise WorkflowError(FlowError.RECT_COMMENT, step="退回整改")
    Note.objects.create(task=task, actor=user.get_username(), text=f"复核未通过，退回继续整改：{comment.strip()}",
                        progress=_last_progress(task))
    task.state = Task.State.OPEN
    task.save(update_fields=["state"])
    record("update", "supervision.Task", task.pk, {"action": "reject"}, actor=actor_of(user),
           object_unit=task.owner_unit)
    return task


def with_last_progress(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Annotates each task with `last_progress`, the progress of its latest note (0 without notes), in the same
    query as the tasks (a subquery), so a list of any length costs one query, not one per task."""
    latest = Note.objects.filter(task=OuterRef("pk")).order_by("-pk").values("progress")[:1]
    return tasks.annotate(last_progress=Coalesce(Subquery(latest, output_field=IntegerField()), Value(0)))


def overdue_tasks(today: dt.date, scope_prefix: str = "") -> QuerySet[Task]:
    """Tasks not closed whose deadline has passed, for owner units under a code prefix (a query)."""
    return (Task.objects.exclude(state=Task.State.CLOSED)
            .filter(deadline__lt=today, owner_unit__startswith=scope_prefix)
            .select_related("county").order_by("deadline", "pk"))


def overdue(today: dt.date, scope_prefix: str = "") -> list[Task]:
    """Tasks not closed whose deadline has passed, for owner units under a code prefix."""
    return list(overdue_tasks(today, scope_prefix))


def _parent_code(county: OrgUnit) -> str:
    return county.parent.code if county.parent_id else county.code[:4] + "00"


def _emails(unit: str) -> list[str]:
    users = get_user_model().objects.filter(org_unit__code=unit, is_active=True).exclude(email="")
    return sorted(users.values_list("email", flat=True))


def escalate(today: dt.date) -> list[Task]:
    """Escalates each overdue task once to the owner's parent unit; e-mails both levels one reminder per county."""
    done: dict[str, list[Task]] = {}
    for task in overdue(today):
        if task.escalated_to:
            continue
        parent = _parent_code(task.county)
        with transaction.atomic():
            if Task.objects.filter(pk=task.pk, escalated_to="").update(escalated_to=parent,
                                                                        escalated_at=timezone.now()) == 0:
                continue
            task.escalated_to = parent
            Note.objects.create(task=task, actor="system", text=f"逾期未完成整改（期限 {task.deadline}），已报上级 {parent}",
                                progress=_last_progress(task))
            record("escalate", "supervision.Task", task.pk, {"to": parent, "deadline": task.deadline},
                   object_unit=task.owner_unit)
        done.setdefault(task.owner_unit, []).append(task)
    for owner, tasks in done.items():
        parent, county = tasks[0].escalated_to, tasks[0].county
        recipients = sorted(set(_emails(owner) + _emails(parent)))
        if not recipients:
            continue
        lines = "\n".join(f"- {t.description}（期限 {t.deadline}）" for t in tasks)
        send_mail(f"【整改逾期提醒】{county.name} {len(tasks)} 项整改任务逾期",
                  f"{county.name}（{owner}）以下整改任务已逾期，已报上级单位（{parent}）督办：\n{lines}\n",
                  None, recipients)
    return [t for tasks in done.values() for t in tasks]


def remind_due(today: dt.date, days: int) -> list[Task]:
    """E-mails each owner county one reminder listing its open tasks due within ``days`` (not yet overdue)."""
    due = list(Task.objects.exclude(state=Task.State.CLOSED)
               .filter(deadline__gte=today, deadline__lte=today + dt.timedelta(days=days))
               .select_related("county").order_by("owner_unit", "deadline", "pk"))
    by_owner: dict[str, list[Task]] = {}
    for task in due:
        by_owner.setdefault(task.owner_unit, []).append(task)
    for owner, tasks in by_owner.items():
        recipients = _emails(owner)
        if not recipients:
            continue
        county = tasks[0].county
        lines = "\n".join(f"- {t.description}（期限 {t.deadline}）" for t in tasks)
        send_mail(f"【整改到期提醒】{county.name} {len(tasks)} 项整改任务将在 {days} 天内到期",
                  f"{county.name}（{owner}）以下整改任务即将到期，请按期完成并申请复核：\n{lines}\n", None, recipients)
    record("remind", "supervision.Task", "", {"due_within": days, "tasks": len(due), "counties": len(by_owner)})
    return due
