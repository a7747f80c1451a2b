"""The rectification pages (限期整改): the task list of the user's area (per county, per case, by state,
overdue), a task with its progress notes, evidence and the verification buttons, and the overdue dashboard
of prefectures and provinces."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Min, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext as translated  # of a label in LABELS
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods

from dudao.accounts.models import Role
from dudao.accounts.permissions import VIEW, check
from dudao.orgunits.models import OrgUnit
from dudao.supervision import evidence
from dudao.supervision.errors import WorkflowError
from dudao.supervision.models import Case, Task
from dudao.supervision.rectification import (
    can_verify,
    overdue_tasks,
    reject_verification,
    request_verification,
    verify,
    with_last_progress,
)
from dudao.web.views.supervision import _flow_message, _region_prefix

PER_PAGE = 100  # tasks on a page of the task list and of the dashboard's overdue list
STATES = dict(Task.State.choices)
SOURCES = dict(Task.Source.choices)
LABELS = frozenset({  # the labels of Task.State and Task.Source, for the catalogue
    gettext_noop("整改中"), gettext_noop("待复核"), gettext_noop("已销号"),
    gettext_noop("学校（学段）资源配置指标"), gettext_noop("差异系数"), gettext_noop("计算项目"),
    gettext_noop("记录项目"), gettext_noop("一票否决"), gettext_noop("实地核查"),
})


def _label(value: str, table: dict[str, str]) -> str:
    return translated(str(table[value])) if value in table else value


def _is_owner(task: Task, user: Any) -> bool:
    unit = getattr(user, "org_unit", None)
    return user.role == Role.COUNTY_BUREAU and unit is not None and unit.code == task.owner_unit


def _rows(tasks: list[Task], today: dt.date) -> list[dict[str, Any]]:
    """Rows of tasks annotated by `with_last_progress` (no query per task)."""
    return [{"t": t, "state": _label(t.state, STATES), "source": _label(t.source, SOURCES),
             "overdue": t.state != Task.State.CLOSED and t.deadline < today, "progress": t.last_progress}
            for t in tasks]


@login_required
@require_http_methods(["GET"])
def tasks(request: Any) -> Any:
    """Rectification tasks owned by counties in the user's area, filtered by county, case, state, overdue."""
    user = request.user
    prefix = _region_prefix(user)
    today = dt.date.today()
    qs = Task.objects.filter(owner_unit__startswith=prefix).select_related("county", "round")
    get = request.GET
    county = get.get("county", "")
    if county:
        check(user, VIEW, region=county)  # outside the area: recorded and refused
        qs = qs.filter(owner_unit=county)
    case = None
    if get.get("case", "").isdigit():
        case = get_object_or_404(Case.objects.select_related("county", "round"), pk=int(get["case"]))
        check(user, VIEW, region=case.county.code)
        qs = qs.filter(case=case)
    state = get.get("state", "")
    if state in STATES:
        qs = qs.filter(state=state)
    late = get.get("overdue") == "1"
    if late:
        qs = qs.exclude(state=Task.State.CLOSED).filter(deadline__lt=today)
    ordered = with_last_progress(qs.order_by("deadline", "owner_unit", "pk"))
    page = Paginator(ordered, PER_PAGE).get_page(get.get("page"))
    counties = OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY, code__startswith=prefix,
                                      rectification_tasks__isnull=False).distinct().order_by("code")
    ctx = {"rows": _rows(list(page.object_list), today), "page": page, "states": list(STATES.items()),
           "chosen": {"county": county, "state": state, "overdue": late}, "case": case,
           "counties": list(counties), "total": page.paginator.count,
           "show_dashboard": user.org_unit is not None and user.org_unit.level != OrgUnit.Level.COUNTY}
    return render(request, "web/supervision/tasks.html", ctx)


def _task_post(request: Any, task: Task) -> None:
    user, post = request.user, request.POST
    action = post.get("action", "")
    if action == "note":
        try:
            progress = int(post.get("progress", ""))
        except ValueError:
            progress = -1
        files = [evidence.read_upload(f) for f in request.FILES.getlist("files")]
        evidence.note_with_files(task, user, post.get("text", ""), progress, files)
        messages.success(request, _("已填报整改进展。"))
    elif action == "request_verification":
        request_verification(task, user, post.get("text", ""))
        messages.success(request, _("已申请整改复核，等待下达单位复核。"))
    elif action == "verify":
        closed = verify(task, user, post.get("comment", ""))
        if closed:
            messages.success(request, _("复核通过，整改任务已销号。"))
        else:
            messages.error(request, _("复核未通过：重新计算后该项仍未达标，任务退回县级继续整改。"))
    elif action == "reject":
        reject_verification(task, user, post.get("comment", ""))
        messages.success(request, _("已退回县级继续整改。"))
    else:
        messages.error(request, _("未知的操作。"))


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request: Any, pk: int) -> Any:
    """A task: what to fix, by when, its notes and evidence; the county reports, the raising level verifies."""
    task = get_object_or_404(with_last_progress(Task.objects.select_related("county", "round", "case")), pk=pk)
    user = request.user
    check(user, VIEW, region=task.owner_unit)
    if request.method == "POST":
        try:
            _task_post(request, task)
        except WorkflowError as exc:
            messages.error(request, _flow_message(exc))
        return redirect("task_detail", pk=task.pk)
    today = dt.date.today()
    notes = list(task.notes.order_by("at", "pk"))
    live = set(task.evidence.values_list("pk", flat=True))
    owner = _is_owner(task, user)
    rules = evidence.rules()
    ctx = {"task": task, "row": _rows([task], today)[0], "notes": notes, "live": live,
           "may_report": owner and task.state == Task.State.OPEN,
           "may_note": owner and task.state != Task.State.CLOSED,
           "may_verify": task.state == Task.State.AWAITING_VERIFICATION and can_verify(task, user),
           "data_item": task.source in (Task.Source.SCHOOL_THRESHOLD, Task.Source.CV, Task.Source.COMPUTED_ITEM),
           "raised": OrgUnit.objects.filter(code=task.raised_unit).first(),
           "escalated": OrgUnit.objects.filter(code=task.escalated_to).first() if task.escalated_to else None,
           "rules": rules, "accept": ",".join(f".{e}" for e in rules.types),
           "case_url": reverse("case_detail", kwargs={"pk": task.case_id}) if task.case_id else None}
    return render(request, "web/supervision/task.html", ctx)


@login_required
@require_http_methods(["GET"])
def overdue_dashboard(request: Any) -> Any:
    """Prefectures and provinces: overdue tasks in the area, those escalated to it, and the count by county."""
    user = request.user
    unit = user.org_unit
    if user.role == Role.SCHOOL_CLERK or unit is None or unit.level == OrgUnit.Level.COUNTY:
        check(user, "overdue_dashboard")  # county and school users: no role has it; recorded and refused
    prefix = _region_prefix(user)
    today = dt.date.today()
    late = overdue_tasks(today, prefix)
    open_by_county = dict(Task.objects.filter(owner_unit__startswith=prefix).exclude(state=Task.State.CLOSED)
                          .values_list("owner_unit").annotate(n=Count("pk")).order_by())
    names = dict(OrgUnit.objects.filter(code__in=list(open_by_county)).values_list("code", "name"))
    counted = late.values("owner_unit").order_by().annotate(
        overdue=Count("pk"), escalated=Count("pk", filter=~Q(escalated_to="")), oldest=Min("deadline"))
    by_county = [{"code": c["owner_unit"], "name": names.get(c["owner_unit"], ""), "overdue": c["overdue"],
                  "escalated": c["escalated"], "oldest": c["oldest"], "open": open_by_county.get(c["owner_unit"], 0)}
                 for c in counted]
    n_escalated = late.filter(Q(escalated_to__startswith=prefix) | Q(escalated_to=unit.code)).count()
    page = Paginator(with_last_progress(late), PER_PAGE).get_page(request.GET.get("page"))
    ctx = {"rows": _rows(list(page.object_list), today), "page": page, "n_overdue": page.paginator.count,
           "by_county": sorted(by_county, key=lambda r: (-r["overdue"], r["code"])),
           "n_escalated": n_escalated, "today": today, "open_total": sum(open_by_county.values()), "unit": unit}
    return render(request, "web/supervision/overdue.html", ctx)
