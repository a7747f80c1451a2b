"""Targets and schedule pages: the share of counties recognised against the plans' targets with each county's
trend, who is due for evaluation this year and next (and why), and the terms of office (names only for users
with the ``terms`` capability)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dudao.accounts.permissions import EXPORT, TERMS, VIEW, can, check, scope_of
from dudao.audit.services import record
from dudao.orgunits.models import OrgUnit
from dudao.planning import services
from dudao.planning.charts import share_chart
from dudao.planning.models import RecordedEvaluation, Term
from dudao.planning.policy import load_planning
from dudao.planning.terms import add_term, import_terms, write_template
from dudao.reports.common import ReportError
from dudao.web.views import labels
from dudao.web.views.pages import NotFound, crumbs, guarded, verdict_words

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _unit(request: Any, code: str, action: str = VIEW) -> OrgUnit:
    check(request.user, action, region=code)
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise NotFound(_("没有代码为 %(code)s 的地区。") % {"code": code})
    return unit


def _year(request: Any) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return dt.date.today().year
    return year if 1990 <= year <= 2100 else dt.date.today().year


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


@guarded
def index(request: Any) -> HttpResponse:
    """The user's own region's targets page."""
    user = request.user
    scope = scope_of(user)
    if scope.prefix is None or scope.school_code or user.org_unit is None:
        check(user, VIEW, region="-")  # a school clerk has no region: records the refusal and raises
    return redirect("planning_targets", code=user.org_unit.code)


@guarded
def targets(request: Any, code: str) -> HttpResponse:
    unit = _unit(request, code)
    year = _year(request)
    board = services.dashboard(unit.code, year)
    english = labels.english()
    marks = [(r.target.year, r.target.share, f"{r.target.year} ≥{100 * r.target.share:g}%") for r in board.targets
             if r.scope]
    marks += [(r.target.year, r.target.share, f"{r.target.year} {_('全国')} {100 * r.target.share:g}%")
              for r in board.targets if not r.scope]
    try:
        chart = share_chart(board.shares, board.national, marks, {
            "region": unit.name, "national": _("全国（已载入的县）"), "targets": _("目标"),
            "axis": _("累计通过比例")}, board.years)
    except ReportError as exc:  # no CJK font on the server: the tables below still carry every figure
        chart = f'<p class="muted">{escape(str(exc))}</p>'
    rows = []
    for r in board.targets:
        s = r.status
        rows.append({"scope": unit.name if r.scope else _("全国"), "text": r.target.en if english else r.target.zh,
                     "share": f"{100 * r.target.share:g}%", "year": s.year, "needed": s.needed, "total": s.total,
                     "recognised": s.recognised, "actual": _pct(s.actual_share), "met": s.met, "missing": s.missing,
                     "source": r.target.source, "confidence": r.target.confidence,
                     "note": r.target.note_en if english else r.target.note_zh})
    words = verdict_words()
    context = {
        "unit": unit, "crumbs": crumbs(request.user, unit), "year": year, "board": board, "chart": mark_safe(chart),
        "rows": rows, "shares": [{"year": s.year, "n": s.recognised, "pct": _pct(s.share),
                                  "nat": n.recognised, "nat_pct": _pct(n.share)}
                                 for s, n in zip(board.shares, board.national, strict=True)],
        "counties": board.counties, "verdict_words": words, "history_years": board.history_years,
        "can_export": can(request.user, EXPORT), "perms_terms": can(request.user, TERMS),
    }
    return render(request, "web/planning/targets.html", context)


def _reason_text(reasons: list[Any]) -> list[str]:
    english = labels.english()
    return [r.en if english else r.zh for r in reasons]


@guarded
def schedule(request: Any, code: str) -> HttpResponse:
    unit = _unit(request, code)
    year = _year(request)
    sched = services.schedule(unit.code, year)
    english = labels.english()
    cyc = sched.plan.cycles
    kind = {k: (en if english else zh) for k, (zh, en) in services.KIND_WORDS.items()}
    county_lines = [{"ln": ln, "kind": kind[ln.kind], "reasons": _reason_text(ln.reasons),
                     "url": reverse("planning_schedule", kwargs={"code": ln.code}) + f"?year={year}"}
                    for ln in sched.of("county")]
    schools = sched.of("school")
    per_county: dict[str, dict[str, Any]] = {}
    for ln in schools:
        row = per_county.setdefault(ln.county, {"code": ln.county, "name": ln.county_name, "now": 0, "next": 0,
                                                "url": reverse("planning_schedule", kwargs={"code": ln.county})
                                                + f"?year={year}"})
        row["now" if ln.due_year == year else "next"] += 1
    context = {
        "unit": unit, "crumbs": crumbs(request.user, unit), "year": year, "next": year + 1, "sched": sched,
        "county_lines": county_lines, "per_county": sorted(per_county.values(), key=lambda r: r["code"]),
        "school_lines": [{"ln": ln, "reasons": _reason_text(ln.reasons)} for ln in schools]
        if unit.level == OrgUnit.Level.COUNTY else [],
        "n_schools_now": sum(1 for ln in schools if ln.due_year == year), "n_schools": len(schools),
        "notes": [en if english else zh for zh, en in sched.notes], "cycles": sched.plan.cycles,
        "term_rule": sched.plan.terms, "sup_text": cyc.supervision.en if english else cyc.supervision.zh,
        "qual_text": cyc.quality.en if english else cyc.quality.zh,
        "rule_text": sched.plan.terms.en if english else sched.plan.terms.zh, "can_export": can(request.user, EXPORT), "perms_terms": can(request.user, TERMS),
        "years": list(range(year - 2, year + 3)),
    }
    return render(request, "web/planning/schedule.html", context)


@guarded
def schedule_xlsx(request: Any, code: str) -> HttpResponse:
    unit = _unit(request, code, EXPORT)
    year = _year(request)
    sched = services.schedule(unit.code, year)
    path = Path(tempfile.mkdtemp(prefix="dudao-schedule-")) / "schedule.xlsx"
    services.export_schedule(sched, path)
    record("export", "planning.schedule", unit.code, {"year": year, "lines": len(sched.lines)}, object_unit=unit.code)
    return _download(path, f"评价安排_{unit.code}_{year}.xlsx")


def _allowed(user: Any) -> Any:
    scope = scope_of(user)
    return lambda county, school: scope.covers_region(county)


def _terms_area(user: Any) -> str:
    """The region prefix in which the user keeps terms; refuses (403, recorded) users without the capability or
    without a region."""
    check(user, TERMS)
    scope = scope_of(user)
    if scope.prefix is None or scope.school_code:
        check(user, TERMS, region="-")
    return scope.prefix or ""


@guarded
@require_http_methods(["GET", "POST"])
def terms(request: Any) -> HttpResponse:
    """The terms of office in the user's area: list, upload of the workbook, a form for one term."""
    prefix = _terms_area(request.user)
    report = None
    if request.method == "POST":
        if "file" in request.FILES:
            report = _upload(request)
        else:
            return _add(request, prefix)
    counties = services.counties_under(prefix)
    chosen = request.GET.get("county", "")
    if chosen not in counties:
        chosen = next(iter(counties)) if len(counties) == 1 else ""
    plan = load_planning(prefix[:2])
    post_names = {p.code: (p.en if labels.english() else p.zh) for p in plan.terms.posts}
    county_terms = Term.objects.filter(county__code__startswith=chosen or prefix, school_code="").select_related("county")
    school_terms = Term.objects.filter(county__code=chosen).exclude(school_code="") if chosen else Term.objects.none()
    schools = dict(services._schools(chosen)) if chosen else {}
    today = dt.date.today()
    context = {
        "counties": counties, "chosen": chosen, "chosen_name": counties.get(chosen, ""),
        "county_terms": [{"t": t, "post": post_names.get(t.post, t.post), "current": t.start <= today <= t.end}
                         for t in county_terms],
        "school_terms": [{"t": t, "school": schools.get(t.school_code, ("", ""))[0], "current": t.start <= today <= t.end}
                         for t in school_terms],
        "evaluations": RecordedEvaluation.objects.filter(county__code__startswith=chosen or prefix)
        .select_related("county"),
        "posts": [(p.code, post_names[p.code]) for p in plan.terms.posts], "report": report, "rule": plan.terms,
        "rule_text": plan.terms.en if labels.english() else plan.terms.zh, "schools": sorted(schools.items()),
    }
    return render(request, "web/planning/terms.html", context)


def _upload(request: Any) -> Any:
    upload = request.FILES["file"]
    folder = Path(tempfile.mkdtemp(prefix="dudao-terms-"))
    path = folder / Path(upload.name).name
    with path.open("wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    report = import_terms(path, request.user.get_username(), _allowed(request.user))
    record("import" if report.accepted else "import_refused", "planning.terms", path.name,
           {"errors": len(report.errors), **report.counts})
    return report


def _add(request: Any, prefix: str) -> HttpResponse:
    post = request.POST
    county, school = post.get("county", "").strip(), post.get("school", "").strip()
    target = reverse("planning_terms") + (f"?county={county}" if county else "")
    check(request.user, TERMS, region=county or "-")  # outside the area: records the refusal and raises
    kind = post.get("post", "")
    try:
        start, end = dt.date.fromisoformat(post.get("start", "")), dt.date.fromisoformat(post.get("end", ""))
    except ValueError:
        messages.error(request, _("请填写任期开始和结束日期（格式 YYYY-MM-DD）。"))
        return redirect(target)
    plan = load_planning(prefix[:2])
    valid_posts = {p.code: p.level for p in plan.terms.posts}
    if kind not in valid_posts or (valid_posts[kind] == "school") != bool(school):
        messages.error(request, _("请选择职务；校长须选择学校。"))
        return redirect(target)
    if school and services._schools(county).get(school) is None:
        messages.error(request, _("该学校不在所选县。"))
        return redirect(target)
    problems = add_term(county, school, kind, post.get("person", ""), start, end, request.user.get_username())
    if problems:
        for p in problems:
            messages.error(request, p)
    else:
        record("create", "planning.term", school or county, {"post": kind}, object_unit=county)
        messages.success(request, _("任期已记录。"))
    return redirect(target)


@guarded
def terms_template(request: Any) -> HttpResponse:
    prefix = _terms_area(request.user)
    path = Path(tempfile.mkdtemp(prefix="dudao-terms-")) / "terms.xlsx"
    write_template(path, list(services.counties_under(prefix)))
    record("export", "planning.terms_template", "xlsx", {})
    return _download(path, "任期填报表.xlsx")


def _download(path: Path, filename: str) -> HttpResponse:
    """A small workbook as an attachment (read whole: a few hundred kilobytes at most)."""
    response = HttpResponse(path.read_bytes(), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    path.unlink(missing_ok=True)
    return response


