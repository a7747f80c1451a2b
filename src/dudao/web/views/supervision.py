"""The supervision pages: evaluation rounds of the user's province, a round's cases in the user's area,
and a case with its timeline, its steps (the workflow's buttons), the resubmission diff and the site-visit
sample."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dudao.accounts.models import Role
from dudao.accounts.permissions import VIEW, check, scope_of
from dudao.orgunits.models import OrgUnit
from dudao.standards.model import available_standards, load_workflow
from dudao.supervision.errors import WorkflowError
from dudao.supervision.models import Case, Round
from dudao.supervision.sampling import draw_sample
from dudao.supervision.services import act, allowed_actions, open_round, resubmission_diff, timeline
from dudao.web.views.assess import _standard_choices, region_url

SAMPLERS = {Role.PROVINCE_INSPECTOR, Role.PROVINCE_ADMIN}
SAMPLE_STATE = "provincial_evaluation"


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _state_names() -> dict[str, str]:
    en = _english()
    return {s.code: (s.en if en else s.zh) for s in load_workflow().states}


def _step_names() -> dict[str, str]:
    en = _english()
    return {t.action: (t.en if en else t.zh) for t in load_workflow().transitions}


def _flow_message(exc: WorkflowError) -> str:
    return exc.message_en if _english() else exc.message_zh


def _region_prefix(user: Any) -> str:
    """The user's region prefix; refuses (403, recorded) users without a region, such as school clerks."""
    scope = scope_of(user)
    if scope.prefix is None or scope.school_code:
        check(user, VIEW, region="-")  # records the refusal and raises
    check(user, VIEW)
    return scope.prefix or ""


def _round_in_province(user: Any, rnd: Round) -> str:
    prefix = _region_prefix(user)
    if not rnd.province.code.startswith(prefix[:2]):
        check(user, VIEW, region=rnd.province.code)  # outside: records the refusal and raises
    return prefix


def _open_round_form(request: Any) -> dict[str, Any]:
    user = request.user
    province = user.org_unit
    counties = OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY, code__startswith=province.code[:2]).order_by("code")
    return {"standards": _standard_choices(), "counties": list(counties)}


def _parse_open(request: Any) -> tuple[dict[str, Any], str]:
    post = request.POST
    title = post.get("title", "").strip()
    if not title:
        return {}, _("请填写轮次名称。")
    sid = post.get("standard", "")
    if sid not in available_standards():
        return {}, _("请选择评估标准。")
    try:
        year = int(post.get("year", ""))
    except ValueError:
        return {}, _("请填写学年。")
    try:
        due = tuple(dt.date.fromisoformat(post.get(k, "")) for k in ("due_self", "due_prefecture", "due_province"))
    except ValueError:
        return {}, _("请填写三个截止日期（格式 YYYY-MM-DD）。")
    counties = None
    if post.get("all_counties") != "1":
        counties = post.getlist("counties")
        if not counties:
            return {}, _("请选择全部县或至少一个县。")
    return {"title": title, "standard_id": sid, "year": year, "deadlines": due, "counties": counties}, ""


@login_required
@require_http_methods(["GET", "POST"])
def rounds(request: Any) -> Any:
    """The rounds of the user's province with the cases per state in the user's area; a province admin opens one."""
    user = request.user
    prefix = _region_prefix(user)
    is_admin = user.role == Role.PROVINCE_ADMIN and user.org_unit is not None
    if request.method == "POST":
        if not is_admin:
            check(user, "open_round")  # no role has it: records the refusal and raises
        fields, error = _parse_open(request)
        if not error:
            try:
                rnd = open_round(user.org_unit.code, actor=user.get_username(), **fields)
            except WorkflowError as exc:
                error = _flow_message(exc)
            else:
                messages.success(request, _("已开启评估轮次“%(title)s”，共 %(n)s 个县。")
                                 % {"title": rnd.title, "n": rnd.cases.count()})
                return redirect("round_detail", pk=rnd.pk)
        messages.error(request, error)
    names = _state_names()
    rows = []
    for rnd in Round.objects.filter(province__code__startswith=prefix[:2]).order_by("-opened_at", "-pk"):
        counts: dict[str, int] = {}
        for state in rnd.cases.filter(county__code__startswith=prefix).values_list("state", flat=True):
            counts[state] = counts.get(state, 0) + 1
        rows.append({"round": rnd, "counts": [(names[s], counts.get(s, 0)) for s in names],
                     "total": sum(counts.values())})
    ctx: dict[str, Any] = {"rows": rows, "states": list(names.values()), "is_admin": is_admin}
    if is_admin:
        ctx.update(_open_round_form(request))
        ctx["year"] = dt.date.today().year - 1
    return render(request, "web/supervision/rounds.html", ctx)


@login_required
@require_http_methods(["GET"])
def round_detail(request: Any, pk: int) -> Any:
    """The cases of a round in the user's area."""
    rnd = get_object_or_404(Round.objects.select_related("province"), pk=pk)
    prefix = _round_in_province(request.user, rnd)
    names = _state_names()
    steps = _step_names()
    cases = []
    for case in rnd.cases.filter(county__code__startswith=prefix).select_related("county").order_by("county__code"):
        last = case.events.order_by("-at", "-pk").first()
        cases.append({"case": case, "state": names.get(case.state, case.state),
                      "last": steps.get(last.action, last.action) if last else "", "at": last.at if last else None})
    return render(request, "web/supervision/round.html", {"round": rnd, "cases": cases})


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request: Any, pk: int) -> Any:
    """A case: its state, assessment, timeline, the steps the user may take, the diff, the site-visit sample."""
    case = get_object_or_404(Case.objects.select_related("round", "round__province", "county", "assessment"), pk=pk)
    user = request.user
    check(user, VIEW, region=case.county.code)
    may_sample = user.role in SAMPLERS and case.state == SAMPLE_STATE and not case.round.closed_at
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "draw_sample":
            if not may_sample:
                messages.error(request, _("只有省级督导人员或省级管理员可在省级评估阶段抽取实地核查学校。"))
            else:
                rows = draw_sample(case)
                messages.success(request, _("已抽取 %(n)s 所（学段）学校，随机种子 %(seed)s。")
                                 % {"n": len(rows), "seed": case.sample_seed})
        else:
            try:
                act(case, user, action, request.POST.get("comment", ""))
            except WorkflowError as exc:
                messages.error(request, _flow_message(exc))
            else:
                messages.success(request, _("已完成“%(step)s”。") % {"step": _step_names().get(action, action)})
        return redirect("case_detail", pk=case.pk)
    names, steps = _state_names(), _step_names()
    roles = dict(Role.choices)
    events = [{"e": e, "role": roles.get(e.role, e.role), "step": steps.get(e.action, e.action),
               "to": names.get(e.to_state, e.to_state)} for e in timeline(case)]
    ctx = {
        "case": case, "state": names.get(case.state, case.state), "events": events,
        "actions": [(a, steps.get(a, a)) for a in allowed_actions(case, user)],
        "diff": resubmission_diff(case), "sample": list(case.sample.all()), "may_sample": may_sample,
        "region": region_url(case.county.code), "round_url": reverse("round_detail", kwargs={"pk": case.round.pk}),
    }
    return render(request, "web/supervision/case.html", ctx)
