"""Value-added pages: a county's schools in bands with their intervals (chart, never ranked), a school's
value-added over the years, the county's value-added report as a PDF, and the quality-evaluation report of a
county or a school (page and PDF) combining value-added with the framework roll-up of its evaluations.

Every figure comes from stored (frozen) runs (``dudao.quality.services``); nothing is estimated here.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from dudao.accounts.permissions import EXPORT, VIEW, check, scope_of
from dudao.orgunits.models import OrgUnit
from dudao.quality import services
from dudao.quality.models import SchoolValueAdded
from dudao.schools.models import SchoolYear
from dudao.standards.valueadded import load_valueadded
from dudao.web.views import labels
from dudao.web.views.pages import NotFound, crumbs, figure, guarded

BAND_COLOURS = {"above": "#2e7d4f", "expected": "#4a7ab0", "below": "#c0392b", "refused": "#9aa5b1"}
BANDS = ("above", "expected", "below", "refused")


def band_words() -> dict[str, str]:
    return {"above": _("高于预期"), "expected": _("符合预期"), "below": _("低于预期"), "refused": _("不发布")}


def _num(v: float | None, signed: bool = True, digits: int = 1) -> str:
    if v is None:
        return "—"
    return f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"


def _year_arg(request: Any) -> int | None:
    text = request.GET.get("year", "")
    return int(text) if text.isdigit() else None


def _row(r: SchoolValueAdded, link: bool = True) -> dict[str, Any]:
    en = labels.english()
    return {
        "code": r.school_code, "name": r.school_name, "band": r.band, "band_zh": band_words()[r.band],
        "matched": r.matched, "students": r.students, "estimate": _num(r.estimate), "lower": _num(r.lower),
        "upper": _num(r.upper), "se": _num(r.se, False, 2), "shrinkage": _num(r.shrinkage, False, 2),
        "raw": _num(r.raw), "pre_mean": _num(r.pre_mean, False), "post_mean": _num(r.post_mean, False),
        "expected_post_mean": _num(r.expected_post_mean, False),
        "reason": r.reason_en if en else r.reason_zh, "note": r.note_en if en else r.note_zh,
        "url": reverse("va_school", kwargs={"code": r.school_code}) if link else "",
    }


def _chart(rows: list[SchoolValueAdded], words: dict[str, str]) -> dict[str, Any]:
    """Plotly: estimate with its interval per school, schools in school-code order (top to bottom)."""
    shown = [r for r in rows if r.estimate is not None]
    labels_y = [f"{r.school_code} {r.school_name[:16]}" for r in shown]
    data = []
    for band in ("above", "expected", "below"):
        mine = [(y, r) for y, r in zip(labels_y, shown, strict=True) if r.band == band]
        if not mine:
            continue
        data.append({
            "type": "scatter", "mode": "markers", "name": words[band], "y": [y for y, _r in mine],
            "x": [r.estimate for _y, r in mine], "marker": {"color": BAND_COLOURS[band], "size": 7},
            "error_x": {"type": "data", "symmetric": False, "array": [r.upper - r.estimate for _y, r in mine],
                        "arrayminus": [r.estimate - r.lower for _y, r in mine], "color": BAND_COLOURS[band],  # type: ignore[operator]
                        "thickness": 2, "width": 0},
            "customdata": [reverse("va_school", kwargs={"code": r.school_code}) for _y, r in mine],
            "hovertemplate": "%{y}<br>" + _("增值 %(x)s（95%% 区间见横线）") % {"x": "%{x:+.1f}"} + "<extra></extra>",
        })
    layout = {"height": 120 + 22 * len(shown), "margin": {"l": 10, "r": 10, "t": 30, "b": 50},
              "xaxis": {"title": {"text": _("增值（分）：点为估计值，横线为 95% 区间，0 为平均水平")}, "zeroline": True,
                        "zerolinecolor": "#333", "zerolinewidth": 1.5, "gridcolor": "#e4e7eb"},
              "yaxis": {"automargin": True, "categoryorder": "array", "categoryarray": labels_y[::-1], "type": "category"},
              "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"}, "hovermode": "closest"}
    return figure(data, layout, link=True)


def _county_unit(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).select_related("parent__parent").first()
    if unit is None or unit.level != OrgUnit.Level.COUNTY:
        raise NotFound(_("没有代码为“%(code)s”的县。") % {"code": code})
    return unit


def county_context(request: Any, unit: OrgUnit, year: int | None, for_pdf: bool = False) -> dict[str, Any]:
    results = services.county_results(unit.code, year)
    words = band_words()
    spec = load_valueadded()
    subjects = []
    for item in results["runs"]:
        run, rows = item["run"], item["schools"]
        counts = services.run_counts(rows)
        published = [r for r in rows if r.band != "refused"]
        entry: dict[str, Any] = {
            "run": run, "subject": run.subject or _("综合"), "label": run.label, "counts": counts,
            "rows": [_row(r) for r in rows], "refused": [_row(r) for r in rows if r.band == "refused"],
            "fig_id": f"va-fig-{run.pk}", "model": run.model, "params": run.params,
            "beta_pre": _num(run.model.get("beta", {}).get("pre"), False, 3),
            "tau": _num((run.model.get("tau2") or 0) ** 0.5, False, 1),
            "sigma": _num((run.model.get("sigma2") or 0) ** 0.5, False, 1),
            "regressors": "、".join(run.model.get("regressors", [])),
            "band_counts": [{"band": b, "word": words[b], "n": counts[b], "colour": BAND_COLOURS[b]} for b in BANDS],
        }
        if for_pdf:
            from dudao.quality.report import data_uri, interval_chart

            entry["svg"] = data_uri(interval_chart(published)) if published else ""
        else:
            entry["fig"] = _chart(rows, words) if published else None
        subjects.append(entry)
    years = services.years_with_runs(county_code=unit.code)
    return {
        "unit": unit, "year": results["year"], "year_zh": labels.year(results["year"]) if results["year"] else "",
        "years": [{"year": y, "zh": labels.year(y), "on": y == results["year"]} for y in years],
        "subjects": subjects, "words": words, "spec": spec,
        "min_students": spec.min_students.value, "crumbs": crumbs(request.user, unit, _("增值评价")),
        "bands_rule": [{"word": words[b.code], "rule": b.rule, "colour": BAND_COLOURS[b.code]} for b in spec.bands],
    }


@guarded
def county(request: Any, code: str) -> HttpResponse:
    check(request.user, VIEW, region=code)
    unit = _county_unit(code)
    ctx = county_context(request, unit, _year_arg(request))
    ctx["can_export"] = scope_of(request.user).covers_region(code) and _can(request.user, EXPORT)
    return render(request, "web/quality/county.html", ctx)


def _can(user: Any, action: str) -> bool:
    from dudao.accounts.permissions import can

    return can(user, action)


@guarded
def county_pdf(request: Any, code: str) -> HttpResponse:
    check(request.user, EXPORT, region=code)
    unit = _county_unit(code)
    ctx = county_context(request, unit, _year_arg(request), for_pdf=True)
    if not ctx["subjects"]:
        raise NotFound(_("%(name)s还没有增值评价结果。") % {"name": unit.name})
    from dudao.quality.report import render_pdf

    pdf = render_pdf(render_to_string("web/quality/county_pdf.html", ctx, request=request))
    from dudao.audit.services import record

    record("export", "quality.value_added_pdf", code, {"year": ctx["year"]}, object_unit=code)
    name = f"增值评价_{unit.code}_{ctx['year']}.pdf"
    return HttpResponse(pdf, content_type="application/pdf",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name)}"})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def _school_county(code: str) -> tuple[str, str]:
    """The school's county (latest registered year, else its latest value-added row) and its name."""
    sy = SchoolYear.objects.filter(school__code=code).select_related("county").order_by("-year").first()
    if sy is not None:
        return sy.county.code, sy.name
    row = SchoolValueAdded.objects.filter(school_code=code).order_by("-run__year", "-run__pk").first()
    if row is not None:
        return row.county_code, row.school_name
    return "", ""


def _check_school(request: Any, code: str) -> tuple[str, str]:
    county_code, name = _school_county(code)
    if not county_code:
        if scope_of(request.user).school_code:  # a clerk is refused any other code: existence stays hidden
            check(request.user, VIEW, school=(code, ""))
        check(request.user, VIEW)
        raise NotFound(_("没有学校标识码为“%(code)s”的学校。") % {"code": code})
    check(request.user, VIEW, school=(code, county_code))
    return county_code, name


def school_context(request: Any, code: str, county_code: str, name: str) -> dict[str, Any]:
    rows = list(SchoolValueAdded.objects.filter(school_code=code).select_related("run")
                .order_by("-run__year", "run__subject", "-run__pk"))
    scope = scope_of(request.user)
    latest: dict[tuple[int, str], SchoolValueAdded] = {}
    for r in rows:  # only results from years the school spent inside the user's area (it may have moved)
        if scope.covers_school(code, r.county_code):
            latest.setdefault((r.run.year, r.run.subject), r)
    entries = []
    for (year, subject), r in sorted(latest.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        entries.append({**_row(r, link=False), "year": year, "year_zh": labels.year(year), "subject": subject or _("综合"),
                        "run": r.run, "min_students": r.run.params.get("min_students"),
                        "level": f"{100 * (r.run.params.get('confidence_level') or 0.95):.0f}%"})
    unit = OrgUnit.objects.filter(code=county_code).select_related("parent__parent").first()
    return {"code": code, "name": name, "entries": entries, "words": band_words(),
            "county": unit, "county_url": reverse("va_county", kwargs={"code": county_code})
            if unit and scope.covers_region(county_code) else "",
            "crumbs": crumbs(request.user, unit, name) if unit else [], "colours": BAND_COLOURS}


@guarded
def school(request: Any, code: str) -> HttpResponse:
    county_code, name = _check_school(request, code)
    return render(request, "web/quality/school.html", school_context(request, code, county_code, name))


# ---------------------------------------------------------------- the quality-evaluation report


def _inspection() -> Any:
    """``dudao.inspection.services`` when that app is installed (it is built alongside), else None."""
    try:
        return importlib.import_module("dudao.inspection.services")
    except ImportError:
        return None


def _evaluations(request: Any, county_code: str, school_code: str) -> tuple[bool, list[dict[str, Any]]]:
    insp = _inspection()
    if insp is None:
        return False, []
    from dudao.inspection.models import Evaluation

    qs = Evaluation.objects.filter(county__code=county_code, school_code=school_code).select_related("county", "framework")
    out = []
    for ev in qs.order_by("-year", "kind", "pk")[:6]:
        if not insp.may_view(request.user, ev):
            continue
        roll = insp.rollup(ev)
        total = roll.total
        out.append({
            "ev": ev, "kind": ev.get_kind_display(), "year_zh": labels.year(ev.year), "framework": roll.framework_label,
            "total": _num(total.value, False), "coverage": f"{100 * total.coverage:.0f}%", "flags": len(total.flags),
            "areas": [{"zh": a.zh, "value": _num(a.value, False), "coverage": f"{100 * a.coverage:.0f}%",
                       "provisional": a.provisional} for a in total.children],
            "lacking": [n.zh for n in roll.lacking_data()][:12],
            "url": _eval_url(ev.pk),
        })
    return True, out


def _eval_url(pk: int) -> str:
    try:
        return reverse("inspection_detail", kwargs={"pk": pk})
    except NoReverseMatch:
        return ""


def report_context(request: Any, code: str, for_pdf: bool = False) -> tuple[str, dict[str, Any]]:
    """The quality-evaluation report of a county (6-digit code) or a school (10-digit code)."""
    if len(code) == 10:
        county_code, name = _check_school(request, code)
        ctx = school_context(request, code, county_code, name)
        installed, evals = _evaluations(request, county_code, code)
        level = "school"
    else:
        check(request.user, VIEW, region=code)
        unit = _county_unit(code)
        ctx = county_context(request, unit, _year_arg(request), for_pdf=for_pdf)
        installed, evals = _evaluations(request, code, "")
        level, name = "county", unit.name
    ctx.update({"level": level, "title_name": name, "inspection_installed": installed, "evaluations": evals,
                "report_code": code})
    if ctx.get("crumbs"):
        ctx["crumbs"] = [*ctx["crumbs"][:-1], {"name": _("质量评价报告"), "url": ""}] if level == "county" else \
            [*ctx["crumbs"], {"name": _("质量评价报告"), "url": ""}]
    return level, ctx


@guarded
def report(request: Any, code: str) -> HttpResponse:
    _level, ctx = report_context(request, code)
    return render(request, "web/quality/report.html", ctx)


@guarded
def report_pdf(request: Any, code: str) -> HttpResponse:
    if len(code) == 10:
        county_code, _name = _check_school(request, code)
        check(request.user, EXPORT, school=(code, county_code))
    else:
        check(request.user, EXPORT, region=code)
    _level, ctx = report_context(request, code, for_pdf=True)
    from dudao.quality.report import render_pdf

    pdf = render_pdf(render_to_string("web/quality/report_pdf.html", ctx, request=request))
    from dudao.audit.services import record

    record("export", "quality.report_pdf", code, {}, object_unit=code[:6] if len(code) == 6 else "")
    name = f"质量评价报告_{code}.pdf"
    return HttpResponse(pdf, content_type="application/pdf",
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name)}"})
