"""Inspection and quality-evaluation pages: the evaluation list, creating one, its detail with assignments,
the inspector's scoring form, the reconciliation of disagreements, the roll-up tree, evidence downloads,
framework versions (list, upload, show) and the site-visit forms of a supervision case."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dudao.accounts.models import Role, User
from dudao.accounts.permissions import VIEW, can, check, scope_of
from dudao.audit.services import record
from dudao.inspection import services as svc
from dudao.inspection.errors import InspectionError
from dudao.inspection.models import (
    Assignment,
    Evaluation,
    Evidence,
    FrameworkVersion,
    Submission,
    section_label,
)
from dudao.schools.models import SchoolYear, SectionYear
from dudao.standards.checklists import ChecklistError, available_frameworks, load_framework
from dudao.supervision.models import Case
from dudao.supervision.rectification import INSPECTORS as RAISERS
from dudao.web.views.labels import english as _english

CREATOR_ROLES = {Role.COUNTY_BUREAU, Role.SCHOOL_CLERK, Role.PROVINCE_INSPECTOR, Role.PREFECTURE_INSPECTOR}


def _basis() -> dict[str, str]:
    """How a point's figure was obtained, in the page's language."""
    return {"reconciled": _("已协调"), "mean": _("两人均值"), "single": _("一人评分"), "disagreement": _("分歧待协调"),
            "not_scored": _("未评分"), "no_data": _("无数据")}



def _msg(exc: InspectionError | ChecklistError) -> str:
    return exc.message_en if _english() else exc.message_zh


def _evaluation(request: Any, pk: int) -> Evaluation:
    ev = get_object_or_404(Evaluation.objects.select_related("county", "framework", "lead", "case"), pk=pk)
    svc.check_view(request.user, ev)
    return ev


def _va_url(ev: Evaluation) -> str:
    """The school's value-added page (where a band shown on an academic point comes from), if that page exists."""
    if not ev.school_code:
        return ""
    try:
        return reverse("va_school", kwargs={"code": ev.school_code})
    except NoReverseMatch:
        return ""


def _visible(user: Any) -> Any:
    """Evaluations the user may see (none without the view capability)."""
    scope = scope_of(user)
    qs = Evaluation.objects.select_related("county", "framework", "lead")
    if not can(user, VIEW) or scope.prefix is None:
        return qs.none()
    if scope.school_code:
        return qs.filter(school_code=scope.school_code)
    return qs.filter(county__code__startswith=scope.prefix)


# ------------------------------------------------------------------ list and create


@login_required
@require_http_methods(["GET"])
def evaluation_list(request: Any) -> Any:
    """Evaluations in the user's area, filtered by region (code prefix), year and kind."""
    qs = _visible(request.user)
    region, year, kind = request.GET.get("region", "").strip(), request.GET.get("year", "").strip(), request.GET.get("kind", "")
    if region.isdigit() and len(region) == 10:
        qs = qs.filter(school_code=region)
    elif region.isdigit() and len(region) == 6:  # a province, prefecture or county code: its subtree
        prefix = region[:2] if region[2:] == "0000" else region[:4] if region[4:] == "00" else region
        qs = qs.filter(county__code__startswith=prefix)
    if year.isdigit():
        qs = qs.filter(year=int(year))
    if kind in Evaluation.Kind.values:
        qs = qs.filter(kind=kind)
    mine = set(Assignment.objects.filter(inspector=request.user).values_list("evaluation_id", flat=True))
    rows = [{"ev": ev, "mine": ev.pk in mine, "kind": ev.get_kind_display()} for ev in qs[:500]]
    return render(request, "web/inspection/list.html", {
        "rows": rows, "kinds": Evaluation.Kind.choices, "region": region, "year": year, "kind": kind,
        "may_create": request.user.role in CREATOR_ROLES})


def _create_form(request: Any) -> dict[str, Any]:
    user = request.user
    kinds = [(k, v) for k, v in Evaluation.Kind.choices if svc.may_create_role(user, k)]
    unit = user.org_unit
    return {"kinds": kinds, "year": dt.date.today().year - 1,
            "county": unit.code if unit is not None and unit.level == "county" else "",
            "school": user.school_code, "levels": [("county", "县域"), ("school", "学校"), ("student", "学生")],
            "post": request.POST}


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_create(request: Any) -> Any:
    """Creates a self-evaluation (county bureau, school) or an external evaluation (province/prefecture inspectors)."""
    user = request.user
    if user.role not in CREATOR_ROLES:
        check(user, "create_evaluation")  # no role has it: records the refusal and raises
    if request.method == "POST":
        post = request.POST
        kind = post.get("kind", "")
        try:
            year = int(post.get("year", ""))
        except ValueError:
            messages.error(request, _("请填写学年。"))
        else:
            target = post.get("target", "").strip()
            school = target if len(target) == 10 else ""
            try:
                ev = svc.create_evaluation(
                    user, framework_id="sitevisit2017" if kind == Evaluation.Kind.SITE_VISIT else "quality2021",
                    level=post.get("level", ""), kind=kind, year=year, county="" if school else target,
                    school_code=school, section=post.get("section", "").strip())
            except InspectionError as exc:
                messages.error(request, _msg(exc))
            except PermissionDenied:
                raise
            else:
                messages.success(request, _("已创建评价“%(t)s”。") % {"t": ev.title})
                return redirect("inspection_detail", pk=ev.pk)
    return render(request, "web/inspection/create.html", _create_form(request))


# ------------------------------------------------------------------ detail and assignments


def _reported(ev: Evaluation) -> dict[str, Any]:
    """The school's reported figures for the year (school level, then its section), for site-visit checks."""
    if not ev.school_code:
        return {}
    sy = SchoolYear.objects.filter(school__code=ev.school_code, year=ev.year).first()
    if sy is None:
        return {}
    out = dict(sy.values)
    sec = SectionYear.objects.filter(school_year=sy, section=ev.section).first() if ev.section else None
    if sec is not None:
        out.update(sec.values)
    return out


def _tree(ev: Evaluation) -> list[dict[str, Any]]:
    """Areas → indicators → points of the evaluation's level, with each point's assignees and submitted scores."""
    fw = svc.framework_of(ev.framework)
    assignments: dict[str, list[Assignment]] = {}
    for a in Assignment.objects.filter(evaluation=ev).select_related("inspector"):
        assignments.setdefault(a.point_id, []).append(a)
    roll = {n.id: n for n in svc.rollup(ev).nodes()}
    basis = _basis()
    areas = []
    for area in fw.level(ev.level).areas:
        inds = []
        for ind in area.indicators:
            pts = [{"p": p, "rubric": fw.rubric_of(p), "gap": fw.gap_of(p), "who": assignments.get(p.id, []),
                    "node": roll[p.id], "basis": basis.get(roll[p.id].basis, ""), "data": [fw.data_sources[d].zh for d in p.data]} for p in ind.points]
            inds.append({"i": ind, "points": pts})
        areas.append({"a": area, "indicators": inds})
    return areas


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_detail(request: Any, pk: int) -> Any:
    """An evaluation: its pinned framework, the points with assignees and submitted scores; the lead assigns."""
    ev = _evaluation(request, pk)
    user = request.user
    if request.method == "POST" and request.POST.get("action") == "raise":
        return _raise_finding(request, ev)
    if request.method == "POST":
        ids = [i for i in request.POST.getlist("inspectors") if i]
        ids = [i for i in ids if i.isdigit()] if all(i.isdigit() for i in ids) else ["-"]
        people = list(User.objects.filter(pk__in=[int(i) for i in ids if i.isdigit()]))
        people.sort(key=lambda u: ids.index(str(u.pk)))
        try:
            if len(people) != len(ids):
                raise InspectionError(svc.M.ASSIGNEE, user="?")
            if request.POST.get("point") == "*":
                n = svc.assign_all(ev, user, people)
                messages.success(request, _("已将全部 %(n)s 个考查要点分配给所选人员。") % {"n": n})
            else:
                svc.assign(ev, user, request.POST.get("point", ""), people)
                messages.success(request, _("已分配。"))
        except InspectionError as exc:
            messages.error(request, _msg(exc))
        return redirect("inspection_detail", pk=ev.pk)
    submitted = {s.inspector_id: s for s in Submission.objects.filter(evaluation=ev).select_related("inspector")}
    people = {a.inspector for a in Assignment.objects.filter(evaluation=ev).select_related("inspector")}
    forms = [{"u": u, "sub": submitted.get(u.pk)} for u in sorted(people, key=lambda u: u.username)]
    is_lead = user.pk == ev.lead_id
    return render(request, "web/inspection/detail.html", {
        "ev": ev, "fw": svc.framework_of(ev.framework), "tree": _tree(ev), "forms": forms, "is_lead": is_lead,
        "candidates": svc.assignable_users(ev) if is_lead else [], "mine": svc.my_assignments(ev, user),
        "flags": [f for f in svc.flags(ev) if f.reconciliation is None], "va_url": _va_url(ev),
        "findings": _findings(ev, user), "may_raise": user.role in RAISERS, "due": dt.date.today() + dt.timedelta(days=90)})


def _findings(ev: Evaluation, user: Any) -> list[dict[str, Any]]:
    """The evaluation's findings with the rectification task already raised for each (if any)."""
    from dudao.supervision.models import Task

    raised = {t.item: t for t in Task.objects.filter(county=ev.county, year=ev.year, source=Task.Source.SITE_VISIT,
                                                     school_code=ev.school_code, case=ev.case)}
    return [{"n": n, "task": raised.get(n.id)} for n in svc.findings(ev)]


def _raise_finding(request: Any, ev: Evaluation) -> Any:
    from dudao.supervision.errors import WorkflowError

    try:
        deadline = dt.date.fromisoformat(request.POST.get("deadline", ""))
    except ValueError:
        messages.error(request, _msg(InspectionError(svc.M.DEADLINE)))
        return redirect("inspection_detail", pk=ev.pk)
    try:
        task = svc.raise_finding(ev, request.user, request.POST.get("point", ""), deadline)
    except InspectionError as exc:
        messages.error(request, _msg(exc))
    except WorkflowError as exc:
        messages.error(request, exc.message_en if _english() else exc.message_zh)
    else:
        messages.success(request, _("已下达整改任务（期限 %(d)s）。") % {"d": task.deadline})
    return redirect("inspection_detail", pk=ev.pk)


# ------------------------------------------------------------------ scoring form


def _parse_value(raw: str) -> float | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        return float("nan")


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_score(request: Any, pk: int) -> Any:
    """The assigned inspector's form: a score, a comment and evidence per point; save, or submit and lock."""
    ev = _evaluation(request, pk)
    user = request.user
    mine = svc.my_assignments(ev, user)
    if not mine:
        record("denied", "inspection", ev.county.code, {"code": "E_INSP_NOTHING", "evaluation": ev.pk})
        raise PermissionDenied("无权访问 / not allowed")
    locked = Submission.objects.filter(evaluation=ev, inspector=user).exists()
    fw = svc.framework_of(ev.framework)
    if request.method == "POST":
        errors = 0
        if not locked:
            for a in mine:
                value = _parse_value(request.POST.get(f"value_{a.point_id}", ""))
                files = [(f.name, f.content_type or "", f.read()) for f in request.FILES.getlist(f"files_{a.point_id}")]
                comment = request.POST.get(f"comment_{a.point_id}", "")
                if value is None:
                    continue
                try:
                    svc.save_score(ev, user, a.point_id, value, comment, files)
                except InspectionError as exc:
                    errors += 1
                    messages.error(request, _msg(exc))
        if request.POST.get("action") == "submit" and not errors:
            try:
                svc.submit(ev, user)
            except InspectionError as exc:
                messages.error(request, _msg(exc))
            else:
                messages.success(request, _("评分表已提交并锁定。"))
        elif not errors and not locked:
            messages.success(request, _("已保存。"))
        elif locked:
            messages.error(request, _msg(InspectionError(svc.M.LOCKED)))
        return redirect("inspection_score", pk=ev.pk)
    reported = _reported(ev)
    rows = []
    for a in mine:
        p = fw.point(a.point_id)
        score = getattr(a, "score", None)
        rows.append({"a": a, "p": p, "rubric": fw.rubric_of(p), "score": score,
                     "evidence": list(score.evidence.all()) if score else [],
                     "reported": reported.get(p.element) if p.element else None})
    return render(request, "web/inspection/score.html", {"ev": ev, "rows": rows, "locked": locked,
                                                         "done": sum(1 for r in rows if r["score"])})


# ------------------------------------------------------------------ reconciliation, roll-up, evidence


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_reconcile(request: Any, pk: int) -> Any:
    """The flagged points (two scores further apart than the gap); the lead records an agreed score and why."""
    ev = _evaluation(request, pk)
    fw = svc.framework_of(ev.framework)
    if request.method == "POST":
        value = _parse_value(request.POST.get("value", ""))
        try:
            svc.reconcile(ev, request.user, request.POST.get("point", ""), value if value is not None else float("nan"),
                          request.POST.get("reason", ""))
        except InspectionError as exc:
            messages.error(request, _msg(exc))
        else:
            messages.success(request, _("已记录协调结果。"))
        return redirect("inspection_reconcile", pk=ev.pk)
    rows = [{"f": f, "rubric": fw.rubric_of(fw.point(f.point_id)),
             "labels": [(who, fw.rubric_of(fw.point(f.point_id)).label(v)) for who, v in f.scores]}
            for f in svc.flags(ev)]
    return render(request, "web/inspection/reconcile.html", {"ev": ev, "rows": rows,
                                                             "is_lead": request.user.pk == ev.lead_id})


@login_required
@require_http_methods(["GET"])
def evaluation_rollup(request: Any, pk: int) -> Any:
    """The roll-up tree: every figure with its weight, share, coverage and a link to what it came from."""
    ev = _evaluation(request, pk)
    roll = svc.rollup(ev)
    if request.GET.get("format") == "xlsx":
        from dudao.inspection.export import rollup_xlsx

        resp = HttpResponse(rollup_xlsx(ev, roll),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(f'评价汇总-{ev.pk}.xlsx')}"
        record("export", "inspection.Evaluation", ev.pk, {"format": "xlsx"}, object_unit=ev.county.code)
        return resp
    sources = svc.framework_of(ev.framework).data_sources
    rows = []
    basis = _basis()

    def data_zh(node: svc.Node) -> str:
        return "、".join(f"{sources[d].zh}（{d}）" if d in sources else d for d in node.data_needed)

    def walk(node: svc.Node, depth: int, parent: str) -> None:
        rows.append({"n": node, "depth": depth, "indent": 0.5 + 1.4 * depth, "parent": parent,
                     "basis": basis.get(node.basis, ""), "data": data_zh(node)})
        for c in node.children:
            walk(c, depth + 1, node.id)

    walk(roll.total, 0, "")
    others = [{"ev": o, "total": svc.rollup(o).total} for o in _visible(request.user).filter(
        county=ev.county, school_code=ev.school_code, year=ev.year, level=ev.level).exclude(pk=ev.pk)[:20]]
    return render(request, "web/inspection/rollup.html", {"ev": ev, "roll": roll, "rows": rows, "others": others,
                                                          "lacking": [{"n": n, "data": data_zh(n)} for n in roll.lacking_data()],
                                                          "va_url": _va_url(ev)})


@login_required
@require_http_methods(["GET"])
def evidence_download(request: Any, pk: int) -> Any:
    ev_file = get_object_or_404(Evidence.objects.select_related("score__assignment__evaluation__county"), pk=pk)
    ev = ev_file.score.assignment.evaluation
    svc.check_view(request.user, ev)
    if not Submission.objects.filter(evaluation=ev, inspector=ev_file.score.assignment.inspector).exists() \
            and ev_file.score.assignment.inspector_id != request.user.pk:
        record("denied", "inspection", ev.county.code, {"evidence": pk, "why": "not submitted"})
        raise PermissionDenied("无权访问 / not allowed")  # a draft's evidence is its inspector's alone
    resp = HttpResponse(bytes(ev_file.data), content_type=ev_file.content_type or "application/octet-stream")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(ev_file.name)}"
    return resp


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


# ------------------------------------------------------------------ frameworks


@login_required
@require_http_methods(["GET", "POST"])
def frameworks(request: Any) -> Any:
    """The shipped frameworks and the province's versions; a province administrator uploads an edited file."""
    user = request.user
    check(user, VIEW)
    issues: list[Any] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        fid = request.POST.get("framework", "")
        if upload is None:
            messages.error(request, _("请选择要上传的 YAML 文件。"))
        else:
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                text = "\0"
            try:
                fv = svc.upload_version(user, fid, upload.name, text)
            except ChecklistError as exc:
                issues = exc.issues
                messages.error(request, _("文件未通过检查，未保存（共 %(n)s 处错误）。") % {"n": len(issues)})
            except InspectionError as exc:
                messages.error(request, _msg(exc))
            else:
                messages.success(request, _("已保存为第 %(n)s 版（SHA-256 %(h)s）。") % {"n": fv.number, "h": fv.sha256[:12]})
                return redirect("inspection_frameworks")
    for fid in available_frameworks():
        svc.builtin_version(fid)
    province = user.org_unit.code[:2] + "0000" if user.org_unit is not None else ""
    versions = FrameworkVersion.objects.filter(province__in=["", province])
    rows = [{"v": v, "fw": load_framework(v.framework_id).framework if not v.province else svc.framework_of(v),
             "used": v.evaluations.count()} for v in versions.order_by("framework_id", "province", "-number")]
    return render(request, "web/inspection/frameworks.html", {
        "rows": rows, "issues": issues, "may_upload": user.role == Role.PROVINCE_ADMIN and user.org_unit is not None,
        "ids": available_frameworks()})


@login_required
@require_http_methods(["GET"])
def framework_detail(request: Any, pk: int) -> Any:
    """One stored framework version as a tree with weights, rubrics, sources, confidence and provisional names."""
    check(request.user, VIEW)
    v = get_object_or_404(FrameworkVersion, pk=pk)
    if v.province:
        mine = (request.user.org_unit.code[:2] if request.user.org_unit else "")
        if v.province[:2] != mine:
            check(request.user, VIEW, region=v.province)  # another province's version: recorded refusal
    if request.GET.get("download"):
        resp = HttpResponse(v.text.encode("utf-8"), content_type="application/yaml; charset=utf-8")
        name = f"{v.framework_id}-v{v.number}{'-' + v.province if v.province else ''}.yaml"
        resp["Content-Disposition"] = f"attachment; filename={name}"
        return resp
    fw = svc.framework_of(v)
    return render(request, "web/inspection/framework.html", {"v": v, "fw": fw})


# ------------------------------------------------------------------ a supervision case's site visits


@login_required
@require_http_methods(["GET", "POST"])
def case_site_visits(request: Any, pk: int) -> Any:
    """The site-visit forms of a case, one per sampled school; province/prefecture inspectors create them."""
    case = get_object_or_404(Case.objects.select_related("round", "county"), pk=pk)
    user = request.user
    check(user, VIEW, region=case.county.code)
    may_create = svc.may_create_role(user, Evaluation.Kind.SITE_VISIT)
    if request.method == "POST":
        if not may_create:
            check(user, "create_evaluation")  # records the refusal and raises
        ids = [request.POST.get("first", ""), request.POST.get("second", "")]
        people = [User.objects.filter(pk=i).first() if i.isdigit() else None for i in ids]
        try:
            if any(p is None for p in people):
                raise InspectionError(svc.M.SAME)
            made = svc.create_site_visits(user, case, people)
        except InspectionError as exc:
            messages.error(request, _msg(exc))
        else:
            messages.success(request, _("已为 %(n)s 所抽查学校创建实地核查表。") % {"n": len(made)})
        return redirect("inspection_case", pk=case.pk)
    evs = {(e.school_code, e.section): e for e in Evaluation.objects.filter(case=case).select_related("lead")}
    rows = []
    for s in case.sample.all():
        ev = evs.get((s.school_code, s.section))
        roll = svc.rollup(ev) if ev else None
        rows.append({"s": s, "ev": ev, "total": roll.total if roll else None, "section": section_label(s.section),
                     "flags": len(roll.total.flags) if roll else 0,
                     "subs": ev.submissions.count() if ev else 0})
    probe = Evaluation(kind=Evaluation.Kind.SITE_VISIT, county=case.county)
    candidates = svc.assignable_users(probe) if may_create else []
    return render(request, "web/inspection/case.html", {"case": case, "rows": rows, "may_create": may_create,
                                                        "candidates": candidates})
