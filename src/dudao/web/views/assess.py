"""Running an assessment for a region in the user's subtree, the list of recent runs, and the
county report downloads (PDF or Excel) of a frozen run."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from dudao.accounts.permissions import ASSESS, EXPORT, can, check, scope_of
from dudao.assessment.errors import AssessmentError
from dudao.assessment.models import AssessmentCounty, AssessmentRun
from dudao.assessment.services import run_assessment
from dudao.audit.services import record
from dudao.orgunits.models import OrgUnit
from dudao.reports import ReportError, write_report
from dudao.schools.models import SchoolYear
from dudao.standards.model import StandardsError, available_standards, load_standard
from dudao.web.views.data import attachment
from dudao.web.views.standards import overlays

REPORT_TYPES = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
LEVEL_ZH = {"province": gettext_lazy("全省"), "prefecture": gettext_lazy("全市"), "county": ""}


def scope_units(user: Any) -> list[OrgUnit]:
    """The user's own unit, then every prefecture and county below it."""
    unit = getattr(user, "org_unit", None)
    scope = scope_of(user)
    if unit is None or scope.prefix is None or scope.school_code:
        return []
    below = OrgUnit.objects.filter(code__startswith=scope.prefix, level__in=["prefecture", "county"]).exclude(pk=unit.pk)
    return [unit, *below.order_by("code")]


def region_url(code: str) -> str | None:
    """The region page of a unit (another area's page), None while that page does not exist."""
    try:
        return reverse("region", kwargs={"code": code})
    except NoReverseMatch:
        return None


def runs_in_scope(user: Any, limit: int = 30) -> list[AssessmentRun]:
    """Recent runs covering at least one county of the user's subtree, newest first."""
    scope = scope_of(user)
    if scope.prefix is None or scope.school_code:
        return []
    qs = AssessmentRun.objects.filter(counties__county_code__startswith=scope.prefix).distinct().order_by("-pk")
    return list(qs[:limit])


def _standard_choices() -> list[tuple[str, str]]:
    out = []
    for sid in available_standards():
        try:
            out.append((sid, load_standard(sid).name_zh))
        except StandardsError:
            continue
    return out


def _context(request: Any, chosen: dict[str, Any], error: str = "") -> dict[str, Any]:
    user = request.user
    scope = scope_of(user)
    units = scope_units(user)
    years = sorted(set(SchoolYear.objects.filter(county__code__startswith=scope.prefix or "-")
                       .values_list("year", flat=True).distinct()), reverse=True)
    names = dict(OrgUnit.objects.values_list("code", "name"))
    mine = user.org_unit.code if user.org_unit else ""
    runs = []
    for run in runs_in_scope(user):
        own = list(run.counties.filter(county_code__startswith=scope.prefix or "-")
                   .order_by("county_code").values_list("county_code", flat=True))
        runs.append({"run": run, "scope_name": names.get(run.scope, _("全部") if run.scope == "all" else run.scope),
                     "counties": [(c, names.get(c, c)) for c in own],
                     "region": region_url(run.scope if scope.covers_region(run.scope) else mine) if mine else None})
    province = (user.org_unit.code[:2] if user.org_unit else "")
    known = overlays()
    return {
        "standards": _standard_choices(), "years": years, "units": units, "chosen": chosen, "error": error,
        "runs": runs, "overlay": province if province in known else "", "overlay_name": known.get(province, ""),
        "can_export": can(user, EXPORT), "level_zh": LEVEL_ZH,
    }


@login_required
@require_http_methods(["GET", "POST"])
def assess(request: Any) -> Any:
    """GET: the form and the recent runs. POST: run, then go to the region page of the scope."""
    user = request.user
    check(user, ASSESS)
    units = scope_units(user)
    own = units[0].code if units else ""
    if request.method == "GET":
        ctx = _context(request, {"standard": "youzhi2017", "scope": own,
                                 "year": None, "overlay": bool(settings.CONFIG.province_overlay)})
        ctx["chosen"]["year"] = ctx["years"][0] if ctx["years"] else None
        return render(request, "web/assess/index.html", ctx)
    sid = request.POST.get("standard", "")
    scope_code = request.POST.get("scope", own)
    use_overlay = request.POST.get("overlay") == "1"
    chosen = {"standard": sid, "scope": scope_code, "overlay": use_overlay}
    try:
        year = int(request.POST.get("year", ""))
        chosen["year"] = year
    except ValueError:
        return _refuse(request, chosen, _("请选择学年。"))
    if sid not in available_standards():
        return _refuse(request, chosen, _("请选择评估标准。"))
    if scope_code not in {u.code for u in units}:
        check(user, ASSESS, region=scope_code)  # records the refusal and raises 403 outside the subtree
        return _refuse(request, chosen, _("请选择评估范围。"))
    check(user, ASSESS, region=scope_code)
    province = scope_code[:2] if use_overlay and scope_code[:2] in overlays() else ""
    try:
        outcome = run_assessment(sid, year, scope_code, province=province, actor=user.get_username())
    except (AssessmentError, StandardsError) as exc:
        return _refuse(request, chosen, _("评估未能完成：%(error)s") % {"error": exc})
    run = outcome.run
    n = len(outcome.document["counties"])
    messages.success(request, ngettext("评估已完成并冻结保存（评估编号 #%(run)s，%(n)s 个县）。",
                                       "评估已完成并冻结保存（评估编号 #%(run)s，%(n)s 个县）。", n) % {"run": run.pk, "n": n})
    target = region_url(scope_code)
    if target is None:
        messages.info(request, _("地区结果页面尚未启用，请在下方“最近的评估”中下载报告。"))
        target = reverse("assess")
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


def _refuse(request: Any, chosen: dict[str, Any], error: str) -> Any:
    if request.htmx:  # htmx swaps only 2xx answers: the form comes back with its error
        return render(request, "web/assess/_form.html", _context(request, chosen, error))
    return render(request, "web/assess/index.html", _context(request, chosen, error), status=422)


@login_required
@require_GET
def report_download(request: Any, run: int, county: str, fmt: str) -> Any:
    """A county's report of a frozen run, as a PDF or Excel attachment with a Chinese file name."""
    if fmt not in REPORT_TYPES:
        raise Http404("未知格式 / unknown format")
    the_run = get_object_or_404(AssessmentRun, pk=run)
    check(request.user, EXPORT, region=county)
    entry = AssessmentCounty.objects.filter(run=the_run, county_code=county).first()
    if entry is None:
        raise Http404("该评估不包含这个县 / the run does not cover this county")
    doc = the_run.full_document(counties=[county])
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"report.{fmt}"
        try:
            write_report(doc, out, county=county)
        except ReportError as exc:
            raise Http404(str(exc)) from None
        content = out.read_bytes()
    name = entry.entry.get("name") or county
    std_name = (the_run.document.get("standard") or {}).get("name") or the_run.standard_id
    filename = f"{name}_{the_run.year}学年_{std_name}_评估报告_{the_run.pk}.{fmt}"
    record("export", "assessment.AssessmentRun", the_run.pk, {"county": county, "format": fmt, "file": filename})
    return attachment(content, filename, REPORT_TYPES[fmt], f"dudao-report-{county}-{the_run.year}-{the_run.pk}.{fmt}")
