"""Teacher pages: the counties of the user's area (staffing, shortages, rotation indicators), a county's
staffing by school and subject, its eligibility list with the evidence, its rotation plans (make one, see
one, download it as Excel)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from dudao.accounts.permissions import ASSESS, EXPORT, IMPORT, VIEW, can, check, scope_of
from dudao.audit.services import actor_of, record
from dudao.orgunits.models import OrgUnit
from dudao.teachers import services
from dudao.teachers.errors import TeacherFailure
from dudao.teachers.models import RotationPlan, Teacher
from dudao.web.api import YEAR_MAX, YEAR_MIN
from dudao.web.views.labels import english as _en

SECTION = {"primary": "小学", "junior": "初中", "": "全校"}



def _year(request: Any, default_prefix: str = "") -> int:
    raw = request.GET.get("year", "")
    if raw.isdigit() and YEAR_MIN <= int(raw) <= YEAR_MAX:
        return int(raw)
    latest = Teacher.objects.filter(county__code__startswith=default_prefix).order_by("-year").values_list("year", flat=True).first()
    return int(latest) if latest else 2024


def _area(user: Any) -> str:
    """The user's region prefix; users without a region (school clerks) are refused and the refusal recorded."""
    scope = scope_of(user)
    if scope.prefix is None or scope.school_code:
        check(user, VIEW, region="-")
    check(user, VIEW)
    return scope.prefix or ""


def _county(user: Any, code: str) -> OrgUnit:
    check(user, VIEW, region=code)
    unit = OrgUnit.objects.filter(code=code, level=OrgUnit.Level.COUNTY).first()
    if unit is None:
        raise Http404
    return unit


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


@login_required
def home(request: Any) -> Any:
    """The counties of the user's area with a roster: staffing, shortages, rotation indicators."""
    prefix = _area(request.user)
    year = _year(request, prefix)
    counties = services.counties_with_roster(year, prefix)
    names = dict(OrgUnit.objects.filter(code__in=counties).values_list("code", "name"))
    rows: list[dict[str, Any]] = []
    groups: list[Any] = []
    if counties:
        res = services.staffing(year, counties)
        groups = [g for g in res.rules.subject_groups if g.id != "general" and f"short_{g.id}" in res.summary.columns]
        ind = services.indicators(year, counties)
        for r in res.summary.to_dict("records"):
            i = ind[r["county_code"]]
            rows.append({**r, "name": names.get(r["county_code"], ""), "shorts": [r[f"short_{g.id}"] for g in groups],
                         "ind": i, "rate": _pct(i.rate), "key_rate": _pct(i.key_rate),
                         "mh_share": _pct(r["mental_health_share"])})
    years = sorted(set(Teacher.objects.filter(county__code__startswith=prefix).values_list("year", flat=True)))
    return render(request, "web/teachers/home.html", {
        "year": year, "years": years, "rows": rows, "groups": [g.en if _en() else g.zh for g in groups],
        "can_import": can(request.user, IMPORT), **_rule_figures(services.rules_for(prefix))})


def _rule_figures(rules: Any) -> dict[str, str]:
    """The figures the pages quote from the rules (teachers.yaml and the province overlay), never typed in a template."""
    ratios = rules.staffing.ratios
    return {"target": _pct(rules.mental_health_target.value),
            "ratio_primary": f"{ratios['primary'].value:g}", "ratio_junior": f"{ratios['junior'].value:g}",
            "small_max": f"{rules.staffing.small_school.max_students.value:g}",
            "quota_rotated": f"{rules.rotation.quota_rotated.value:.0%}", "quota_key": f"{rules.rotation.quota_key.value:.0%}"}


@login_required
def county(request: Any, code: str) -> Any:
    """A county's staffing by school section and subject group, mismatches with the statistics, indicators."""
    unit = _county(request.user, code)
    year = _year(request, code)
    res = services.staffing(year, [code])
    rules = res.rules
    staff = res.staff.sort_values(["shortage", "school_code"], ascending=[False, True]).to_dict("records") \
        if not res.staff.empty else []
    short = res.subjects[(res.subjects["shortage"] > 0)] if not res.subjects.empty else res.subjects
    names = dict(zip(res.staff["school_code"], res.staff["school_name"], strict=False)) if not res.staff.empty else {}
    subject_rows = [{**r, "school_name": names.get(r["school_code"], ""), "section_name": SECTION.get(r["section"], r["section"]),
                     "group_name": rules.label("subject_groups", r["group"], "en" if _en() else "zh")}
                    for r in short.sort_values(["group", "shortage"], ascending=[True, False]).to_dict("records")] \
        if len(short) else []
    no_mh = [r for r in subject_rows if r["group"] == "mental_health"]
    summary = res.summary.to_dict("records")[0] if not res.summary.empty else None
    ind = services.indicators(year, [code])[code]
    mismatches = services.count_mismatches(year, [code])
    plans = RotationPlan.objects.filter(county=unit, year=year)[:10]
    return render(request, "web/teachers/county.html", {
        "unit": unit, "year": year, "staff": staff, "subjects": [r for r in subject_rows if r["group"] != "mental_health"],
        "no_mh": no_mh, "summary": summary, "ind": ind, "rate": _pct(ind.rate), "key_rate": _pct(ind.key_rate),
        "mismatches": mismatches, "plans": plans, "can_plan": can(request.user, ASSESS),
        "small": rules.staffing.small_school, "ratios": rules.staffing.ratios, "sections": SECTION,
        "has_roster": Teacher.objects.filter(year=year, county=unit).exists()})


@login_required
def eligible(request: Any, code: str) -> Any:
    """Every teacher of the county: must rotate or not, and why; the senior-title and principal-priority
    conditions with the service periods that count."""
    unit = _county(request.user, code)
    year = _year(request, code)
    rows = services.eligibility(year, [code])
    show = request.GET.get("show", "must")
    rules = services.rules_for(code)
    out = []
    for teacher, v in sorted(rows, key=lambda tv: (not tv[1].must_rotate, tv[0].school.code, tv[0].name)):
        if show == "must" and not v.must_rotate:
            continue
        out.append({"t": teacher, "v": v, "subject": rules.label("subjects", teacher.subject, "en" if _en() else "zh"),
                    "reasons": v.reasons_en if _en() else v.reasons_zh})
    ind = services.indicators(year, [code])[code]
    return render(request, "web/teachers/eligible.html", {
        "unit": unit, "year": year, "rows": out, "show": show, "ind": ind, "rate": _pct(ind.rate),
        "key_rate": _pct(ind.key_rate), "total": len(rows), "rules": rules.rotation})


@login_required
@require_http_methods(["GET", "POST"])
def plans(request: Any, code: str) -> Any:
    """The county's plans; POST makes a new one (the ``assess`` capability: it proposes, it changes nothing)."""
    unit = _county(request.user, code)
    year = _year(request, code)
    if request.method == "POST":
        check(request.user, ASSESS, region=code)
        post = request.POST
        year = int(post["year"]) if post.get("year", "").isdigit() else year

        def ids(name: str) -> set[str]:
            return {x.strip() for x in post.get(name, "").replace("，", ",").split(",") if x.strip()}

        to = dict(x.split("=", 1) for x in ids("to") if "=" in x)
        try:
            limit = min(55.0, float(post.get("time_limit") or 0)) or None
            km = float(post.get("max_km") or 0) or None
        except ValueError:
            limit = km = None
        req = services.PlanRequest(code, year, ids("move"), ids("stay"), to, ids("closed"), limit, km)
        try:
            saved = services.make_plan(req, actor_of(request.user).username)
        except TeacherFailure as exc:
            messages.error(request, exc.message_en if _en() else exc.message_zh)
            return redirect(f"{reverse('teachers_plans', args=[code])}?year={year}")
        return redirect("teachers_plan", pk=saved.pk)
    return render(request, "web/teachers/plans.html", {
        "unit": unit, "year": year, "plans": RotationPlan.objects.filter(county=unit).order_by("-created_at", "-pk")[:50],
        "can_plan": can(request.user, ASSESS), "defaults": services.rules_for(code).planner,
        **_rule_figures(services.rules_for(code))})


def _plan(request: Any, pk: int) -> RotationPlan:
    plan = get_object_or_404(RotationPlan.objects.select_related("county"), pk=pk)
    check(request.user, VIEW, region=plan.county.code)
    return plan


@login_required
def plan(request: Any, pk: int) -> Any:
    """One plan: status and proven gap, quotas, before/after (indicators, CVs, shortages), each move explained."""
    p = _plan(request, pk)
    res = p.result or {}
    m = res.get("metrics", {})
    rules = services.rules_for(p.county.code)
    cvs = [{"key": k.split("|"), "before": v, "after": m.get("cv_after", {}).get(k)}
           for k, v in sorted(m.get("cv_before", {}).items())]
    shortages = [{"group": rules.label("subject_groups", g, "en" if _en() else "zh"), "before": n,
                  "after": m.get("shortage_after", {}).get(g, 0)} for g, n in sorted(m.get("shortage_before", {}).items())]
    moves = [{**mv, "subject_name": rules.label("subjects", mv["subject"], "en" if _en() else "zh"),
              "reasons": mv["reasons_en"] if _en() else mv["reasons_zh"]} for mv in res.get("moves", [])]
    return render(request, "web/teachers/plan.html", {
        "plan": p, "res": res, "m": m, "cvs": cvs, "shortages": shortages, "moves": moves,
        "gap": "—" if res.get("gap") is None else f"{res['gap']:.2%}", "sections": SECTION,
        "can_export": can(request.user, EXPORT)})


@login_required
def plan_xlsx(request: Any, pk: int) -> Any:
    p = _plan(request, pk)
    check(request.user, EXPORT, region=p.county.code)
    out = Path(tempfile.mkdtemp()) / f"rotation_plan_{p.pk}.xlsx"
    services.plan_workbook(p, out)
    record("export", "rotation_plan", p.pk, {"format": "xlsx"}, object_unit=p.county.code)
    response = HttpResponse(out.read_bytes(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, f"交流轮岗方案_{p.county.name}_{p.year}_{p.pk}.xlsx")
    return response


MAX_UPLOAD_BYTES = 30 * 1024 * 1024


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: Any) -> Any:
    """Uploads a teacher roster (the workbook of ``dudao teachers template`` or a CSV of its teachers sheet):
    checked cell by cell, refused whole on any error, every school in the user's area (E_T_SCOPE)."""
    user = request.user
    check(user, IMPORT)
    report, problem = None, ""
    year = _year(request)
    if request.method == "POST":
        raw = request.POST.get("year", "")
        year = int(raw) if raw.isdigit() and YEAR_MIN <= int(raw) <= YEAR_MAX else year
        f = request.FILES.get("file")
        if f is None:
            problem = "请选择要上传的文件（.xlsx 或 .csv）。"
        elif f.size > MAX_UPLOAD_BYTES:
            problem = f"文件太大（{f.size / 1048576:.1f} MB），上限 {MAX_UPLOAD_BYTES // 1048576} MB。"
        else:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / Path(f.name).name.replace("/", "_")
                with path.open("wb") as fh:
                    for chunk in f.chunks():
                        fh.write(chunk)
                report = services.import_file(path, year, actor_of(user).username, user=user)
    return render(request, "web/teachers/upload.html", {"report": report, "problem": problem, "year": year,
                                                         "en": _en()})
