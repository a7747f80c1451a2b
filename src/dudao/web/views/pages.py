"""Region pages (province dashboard, prefecture, county) and school pages.

Every page reads frozen results only (``dudao.assessment.services``); nothing is computed here but
sums and formatting. Labels, thresholds and limits come from the standard the result names, through
``dudao.reports.common.Context`` (the same wording as the PDF and Excel reports).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from dudao.accounts.permissions import ASSESS, EXPORT, VIEW, can, check, scope_of
from dudao.assessment.models import AssessmentCounty, AssessmentRun
from dudao.assessment.services import county_history, latest_county_result
from dudao.orgunits.models import OrgUnit
from dudao.reports.common import Context, fmt_num, item_title, unit_word
from dudao.schools.models import School, SchoolYear
from dudao.standards.model import StandardsError, load_dictionary, load_overlay
from dudao.web import maps
from dudao.web.views import labels

STANDARD = "youzhi2017"
VERDICTS = ("pass", "fail", "incomplete", "none")
COLOURS = {"pass": "#2e7d4f", "fail": "#c0392b", "incomplete": "#e0a020", "none": "#c3cad4"}
LIMIT_COLOUR = "#1f2933"


def verdict_words() -> dict[str, str]:
    return {"pass": _("达标"), "fail": _("未达标"), "incomplete": _("数据不全"), "none": _("未评估")}


class NotFound(Exception):
    """An unknown region or school code: rendered as a plain 404 page naming the code."""


def guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; a refusal renders the 403 page, an unknown code the 404 page (both in Chinese)."""

    @wraps(view)
    def wrapper(request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied:
            return render(request, "web/pages/denied.html", {"code": kwargs.get("code", "")}, status=403)
        except NotFound as exc:
            return render(request, "web/pages/not_found.html", {"message": str(exc)}, status=404)

    return login_required(wrapper)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- shared helpers


def cv3(v: float | None) -> str:
    return "—" if v is None or not math.isfinite(v) else f"{v:.3f}"


def limit2(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def crumbs(user: Any, unit: OrgUnit | None, last: str = "") -> list[dict[str, str]]:
    """Province › prefecture › county, each linked where the user may see it."""
    chain: list[OrgUnit] = []
    while unit is not None:
        chain.insert(0, unit)
        unit = unit.parent
    scope = scope_of(user)
    out = [{"name": u.name, "url": reverse("region", kwargs={"code": u.code}) if scope.covers_region(u.code) else ""}
           for u in chain]
    if last:
        out.append({"name": last, "url": ""})
    return out


def latest_rows(prefix: str) -> dict[str, AssessmentCounty]:
    """County code → its newest frozen result (same order as ``latest_verdicts``), entries loaded once."""
    pick: dict[str, int] = {}
    for pk, code in AssessmentCounty.objects.filter(county_code__startswith=prefix, run__standard_id=STANDARD) \
            .order_by("-run__year", "-run__pk").values_list("pk", "county_code"):
        pick.setdefault(code, pk)
    rows = AssessmentCounty.objects.filter(pk__in=list(pick.values())).select_related("run")
    return {r.county_code: r for r in rows}


class Contexts:
    """One report ``Context`` per frozen run (labels, thresholds and limits of the standard it used)."""

    def __init__(self) -> None:
        self._by_run: dict[int, Context] = {}

    def of(self, run: AssessmentRun, entry: Mapping[str, Any] | None = None) -> Context:
        if run.pk not in self._by_run:
            self._by_run[run.pk] = Context({**run.document, "counties": [entry] if entry else []})
        return self._by_run[run.pk]


def summarise(row: AssessmentCounty, contexts: Contexts) -> dict[str, Any]:
    """What the province and prefecture pages show of one county's result."""
    entry = row.entry
    ctx = contexts.of(row.run, entry)
    sections = []
    for view in ctx.sections(entry):
        known = {k: v for k, v in view.cv.items() if v is not None}
        worst = max(known, key=lambda k: known[k]) if known else None
        limit = view.limits.get(worst) if worst else None
        sections.append({"code": view.code, "zh": labels.label(view.zh), "max_cv": cv3(known[worst]) if worst else "—",
                         "indicator": worst or "", "limit": limit2(limit),
                         "indicator_zh": ctx.std.indicator(worst).zh if worst else "",
                         "over": bool(worst and limit is not None and known[worst] > limit)})
    counts = ctx.counts(entry)
    cost = float((entry.get("gaps") or {}).get("total_cost") or 0.0)
    return {"code": row.county_code, "name": entry.get("name", row.county_code), "verdict": row.verdict,
            "year": row.run.year, "year_zh": labels.year(row.run.year), "run": row.run.pk, "sections": sections, "fails": counts["fail"],
            "missing": counts["missing"], "failing": ctx.failing_sections(entry) or 0, "cost": cost,
            "cost_zh": labels.money(cost) if cost else "—"}


def figure(data: list[dict[str, Any]], layout: dict[str, Any], **extra: Any) -> dict[str, Any]:
    base = {"font": {"family": "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif", "size": 12},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)"}
    return {"data": data, "layout": {**base, **layout}, **extra}


# ---------------------------------------------------------------- views


@guarded
def region(request: Any, code: str) -> HttpResponse:
    check(request.user, VIEW, region=code)
    unit = OrgUnit.objects.filter(code=code).select_related("parent__parent").first()
    if unit is None:
        raise NotFound(_("没有代码为“%(code)s”的地区。") % {"code": code})
    if unit.level == OrgUnit.Level.PROVINCE:
        return province_page(request, unit)
    if unit.level == OrgUnit.Level.PREFECTURE:
        return prefecture_page(request, unit)
    return county_page(request, unit)


@guarded
def region_map(request: Any, code: str) -> HttpResponse:
    """The county boundaries under a province or prefecture, as GeoJSON (cached file; ETag; 1 day)."""
    check(request.user, VIEW, region=code)
    if not OrgUnit.objects.filter(code=code).exclude(level=OrgUnit.Level.COUNTY).exists():
        raise NotFound(_("没有代码为“%(code)s”的省或地市。") % {"code": code})
    try:
        tag = f'"{maps.etag_for(code)}"'
    except maps.MapError as exc:
        raise NotFound(str(exc)) from None
    headers = {"ETag": tag, "Cache-Control": "private, max-age=86400"}
    if tag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponseNotModified(headers=headers)
    return HttpResponse(maps.region_geojson(code), content_type="application/geo+json", headers=headers)


def _verdict_counts(codes: Iterable[str], summaries: Mapping[str, dict[str, Any]]) -> dict[str, int]:
    c = Counter(summaries[code]["verdict"] if code in summaries else "none" for code in codes)
    return {v: c.get(v, 0) for v in VERDICTS}


def _map_figure(unit: OrgUnit, counties: list[OrgUnit], summaries: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    words = verdict_words()
    index = {v: i for i, v in enumerate(VERDICTS)}
    locations, z, text, links = [], [], [], []
    for c in counties:
        s = summaries.get(c.code)
        verdict = s["verdict"] if s else "none"
        lines = [f"<b>{c.name}</b>", _("结论：%(verdict)s") % {"verdict": words[verdict]}]
        if s:
            for sec in s["sections"]:
                flag = " ▲" if sec["over"] else ""
                lines.append(_("%(section)s最大差异系数 %(cv)s（限值 %(limit)s）")
                             % {"section": sec["zh"], "cv": sec["max_cv"], "limit": sec["limit"]} + flag)
        locations.append(c.code)
        z.append(index[verdict])
        text.append("<br>".join(lines))
        links.append(reverse("region", kwargs={"code": c.code}))
    n = len(VERDICTS) - 1
    scale: list[tuple[float, str]] = []
    for i, v in enumerate(VERDICTS):  # discrete colours: z = i takes band i of n + 1 equal bands
        scale += [(i / (n + 1), COLOURS[v]), ((i + 1) / (n + 1) if i < n else 1.0, COLOURS[v])]
    trace = {"type": "choropleth", "geojson": reverse("region_map", kwargs={"code": unit.code}),
             "featureidkey": "properties.code", "locations": locations, "z": z, "zmin": 0, "zmax": n,
             "colorscale": scale, "showscale": False, "text": text, "customdata": links,
             "hovertemplate": "%{text}<extra></extra>", "marker": {"line": {"color": "#ffffff", "width": 0.7}}}
    layout = {"geo": {"fitbounds": "locations", "visible": False, "projection": {"type": "mercator"}},
              "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 460, "dragmode": False,
              "hoverlabel": {"align": "left"}}
    return figure([trace], layout, link=True)


def _targets(province: str, passed: int, total: int) -> list[dict[str, Any]]:
    try:
        targets = load_overlay(province).get("targets") or []
    except StandardsError:
        return []
    today = date.today()
    out = []
    for t in targets:
        share = float(t.get("share", 0))
        need = math.ceil(share * total - 1e-9)
        zh = t.get("en") if labels.english() and t.get("en") else t.get("zh", "")
        out.append({"year": t.get("year"), "share": share, "share_pct": f"{share * 100:.0f}%", "need": need,
                    "left": max(0, need - passed), "met": passed >= need, "zh": zh, "source": t.get("source", ""),
                    "years_left": int(t.get("year", today.year)) - today.year,
                    "pos": f"{min(100.0, share * 100):.1f}", "end": share >= 0.9})
    return out


def _bar_figure(groups: list[dict[str, Any]]) -> dict[str, Any]:
    words = verdict_words()
    names = [g["name"] for g in reversed(groups)]
    links = [g["url"] for g in reversed(groups)]
    data = [{"type": "bar", "orientation": "h", "name": words[v], "y": names,
             "x": [g["counts"][v] for g in reversed(groups)], "marker": {"color": COLOURS[v]}, "customdata": links,
             "hovertemplate": "%{y} " + _("%(label)s：%(value)s") % {"label": words[v], "value": "%{x}"}
             + "<extra></extra>"}
            for v in VERDICTS if any(g["counts"][v] for g in groups)]
    layout = {"barmode": "stack", "height": 90 + 28 * len(groups), "margin": {"l": 90, "r": 10, "t": 36, "b": 40},
              "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "traceorder": "normal"},
              "xaxis": {"title": {"text": _("县数")}, "dtick": 1 if max((g["total"] for g in groups), default=0) <= 8 else 2,
                        "gridcolor": "#e4e7eb"}, "yaxis": {"automargin": True}}
    return figure(data, layout, link=True)


def province_page(request: Any, unit: OrgUnit) -> HttpResponse:
    prefix = unit.code[:2]
    counties = list(OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY, code__startswith=prefix).select_related("parent"))
    contexts = Contexts()
    summaries = {code: summarise(row, contexts) for code, row in latest_rows(prefix).items()}
    counts = _verdict_counts([c.code for c in counties], summaries)
    total = len(counties)
    by_parent: dict[str, list[OrgUnit]] = defaultdict(list)
    for c in counties:
        by_parent[c.parent.code if c.parent and c.parent.level == OrgUnit.Level.PREFECTURE else unit.code].append(c)
    groups = []
    for pref in OrgUnit.objects.filter(level=OrgUnit.Level.PREFECTURE, code__startswith=prefix):
        groups.append(_group(pref.name, reverse("region", kwargs={"code": pref.code}), by_parent.get(pref.code, []),
                             summaries))
    if by_parent.get(unit.code):
        groups.append(_group(_("省直辖县级行政区"), "", by_parent[unit.code], summaries))
    years = sorted({s["year"] for s in summaries.values()})
    context = {
        "unit": unit, "crumbs": crumbs(request.user, unit), "counts": counts, "total": total,
        "words": verdict_words(), "colours": COLOURS, "years": [labels.year(y) for y in years],
        "pass_pct": pct(counts["pass"], total), "pass_pos": f"{100 * counts['pass'] / total:.1f}" if total else "0",
        "total_failing": sum(s["failing"] for s in summaries.values()),
        "total_cost": labels.money(sum(s["cost"] for s in summaries.values())) if summaries else "—",
        "targets": _targets(prefix, counts["pass"], total), "groups": groups,
        "map_fig": _map_figure(unit, counties, summaries), "bar_fig": _bar_figure(groups) if groups else None,
        "can_assess": can(request.user, ASSESS), "assessed": bool(summaries),
        "legend": [{"v": v, "word": verdict_words()[v], "colour": COLOURS[v], "n": counts[v]} for v in VERDICTS],
    }
    return render(request, "web/pages/province.html", context)


def _group(name: str, url: str, counties: list[OrgUnit], summaries: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    mine = [summaries[c.code] for c in counties if c.code in summaries]
    counts = _verdict_counts([c.code for c in counties], summaries)
    cost = sum(s["cost"] for s in mine)
    return {"name": name, "url": url, "counts": counts, "total": len(counties),
            "pass_pct": pct(counts["pass"], len(counties)), "failing": sum(s["failing"] for s in mine),
            "cost_zh": labels.money(cost) if cost else "—"}


def prefecture_page(request: Any, unit: OrgUnit) -> HttpResponse:
    counties = list(OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY, parent=unit).select_related("parent"))
    contexts = Contexts()
    rows = latest_rows(unit.code[:4])
    summaries = {c.code: summarise(rows[c.code], contexts) for c in counties if c.code in rows}
    counts = _verdict_counts([c.code for c in counties], summaries)
    table = []
    for c in counties:
        s = summaries.get(c.code)
        table.append({"code": c.code, "name": c.name, "url": reverse("region", kwargs={"code": c.code}), "s": s})
    cost = sum(s["cost"] for s in summaries.values())
    years = sorted({s["year"] for s in summaries.values()})
    sections: list[dict[str, str]] = []
    for s in summaries.values():
        for sec in s["sections"]:
            if sec["code"] not in [x["code"] for x in sections]:
                sections.append({"code": sec["code"], "zh": sec["zh"]})
    for row in table:
        by = {sec["code"]: sec for sec in (row["s"] or {}).get("sections", [])}
        row["cells"] = [by.get(sec["code"]) for sec in sections]
    context = {
        "unit": unit, "crumbs": crumbs(request.user, unit), "counts": counts, "total": len(counties),
        "words": verdict_words(), "rows": table, "sections": sections, "years": [labels.year(y) for y in years],
        "pass_pct": pct(counts["pass"], len(counties)), "cost_zh": labels.money(cost) if cost else "—",
        "failing": sum(s["failing"] for s in summaries.values()),
        "map_fig": _map_figure(unit, counties, summaries), "can_assess": can(request.user, ASSESS),
        "legend": [{"v": v, "word": verdict_words()[v], "colour": COLOURS[v], "n": counts[v]} for v in VERDICTS],
    }
    return render(request, "web/pages/prefecture.html", context)


# ---------------------------------------------------------------- county


def county_page(request: Any, unit: OrgUnit) -> HttpResponse:
    """The county page. Its body depends only on frozen results, so it is rendered once per result and
    language (and the two role switches) and kept in the cache; a new result for the county changes the key."""
    row = latest_county_result(unit.code, STANDARD)
    base = {"unit": unit, "crumbs": crumbs(request.user, unit), "words": verdict_words(),
            "can_assess": can(request.user, ASSESS)}
    if row is None:
        return render(request, "web/pages/county_empty.html", base)
    newest = AssessmentCounty.objects.filter(county_code=unit.code).aggregate(m=Max("pk"))["m"]
    key = (f"dudao:county:{unit.code}:{newest}:{translation.get_language()}:"
           f"{int(can(request.user, EXPORT))}:{int(base['can_assess'])}")
    body = cache.get(key)
    if body is None:
        body = render_to_string("web/pages/_county_body.html", _county_context(request, unit, row, base), request=request)
        cache.set(key, body, 60 * 60)
    return render(request, "web/pages/county.html", {**base, "body": mark_safe(body)})


def _county_context(request: Any, unit: OrgUnit, row: AssessmentCounty, base: dict[str, Any]) -> dict[str, Any]:
    entry = row.entry
    ctx = Context({**row.run.document, "counties": [entry]})
    views = ctx.sections(entry)
    decimals = ctx.indicator_decimals(views)
    names = ctx.school_names(entry)
    en = labels.english()
    reasons = []
    for part, rs in ctx.reasons_by_part(entry):
        reasons.append({"part": labels.label(ctx.part_label(rs[0]) if part == "resource" else ctx.part_label({"part": part})),
                        "items": [{"status": r.get("status"), "title": item_title(ctx, r),
                                   "text": r.get("en") if en and r.get("en") else ctx.with_names(r.get("zh", ""), names)}
                                  for r in rs]})
    counts = ctx.counts(entry)
    gaps = entry.get("gaps") or {}
    total_cost = float(gaps.get("total_cost") or 0.0)
    context = {
        **base, "row": row, "run": row.run, "entry": entry, "verdict": row.verdict, "year": labels.year(row.run.year),
        "standard": ctx.title_standard, "split": labels.label(ctx.split_zh()), "reasons": reasons, "counts": counts,
        "failing": ctx.failing_sections(entry) or 0, "total_cost": labels.money(total_cost) if total_cost else "—",
        "cv_table": _cv_table(ctx, views),
        "cv_figs": [{"id": f"cv-fig-{v.code}", "fig": _cv_figure(ctx, v)} for v in views],
        "school_tables": [_school_table(ctx, v, decimals) for v in views],
        "excluded": [{"code": s["code"], "name": s["name"], "section": labels.label(v.zh),
                      "reason": exclusion_text(ctx, s["reason"])}
                     for v in views for s in v.excluded],
        "gap_groups": _gap_groups(ctx, entry), "gap_rows": _gap_rows(ctx, entry, decimals),
        "lifts": _lifts(ctx, entry, decimals), "history": _history(unit.code),
        "can_export": can(request.user, EXPORT), "inputs_hash": (row.run.inputs_hash or "")[:12],
        "school_count": sum(len(v.schools) for v in views),
    }
    context["history_figs"] = [{"id": f"hist-fig-{k}", "fig": f} for k, f in enumerate(_history_figures(context["history"]))]
    return context


def _cv_table(ctx: Context, views: list[Any]) -> dict[str, Any]:
    rows = []
    for ind in ctx.indicators:
        cells = []
        for v in views:
            value, limit = v.cv.get(ind.id), v.limits.get(ind.id)
            state = "" if value is None or limit is None else ("no" if value > limit else "ok")
            cells.append({"cv": cv3(value), "limit": limit2(limit), "state": state})
        rows.append({"id": ind.id, "zh": ctx.indicator_header(ind), "cells": cells})
    return {"sections": [{"code": v.code, "zh": labels.label(v.zh), "n": len(v.schools)} for v in views], "rows": rows}


def _cv_figure(ctx: Context, view: Any) -> dict[str, Any]:
    inds = ctx.indicators
    xs = [i.id for i in inds]
    ys = [view.cv.get(i.id) for i in inds]
    limits = [view.limits.get(i.id) for i in inds]
    colours = [COLOURS["fail"] if (y is not None and lim is not None and y > lim) else "#4a7ab0"
               for y, lim in zip(ys, limits, strict=True)]
    bars = {"type": "bar", "x": xs, "y": ys, "marker": {"color": colours}, "name": _("差异系数"),
            "text": [cv3(y) for y in ys], "textposition": "outside", "cliponaxis": False,
            "customdata": [i.zh for i in inds], "hovertemplate": "%{customdata}<br>" + _("差异系数") + " %{y:.3f}<extra></extra>"}
    limit_line = {"type": "scatter", "mode": "lines", "x": xs, "y": limits, "name": _("限值"),
                  "line": {"color": LIMIT_COLOUR, "dash": "dash", "width": 1.5, "shape": "hvh"},
                  "hovertemplate": _("限值") + " %{y:.2f}<extra></extra>"}
    top = max([*(y for y in ys if y is not None), *(lim for lim in limits if lim is not None), 0.1])
    known_limits = [lim for lim in limits if lim is not None]
    annotations = [{"x": 1, "xref": "paper", "xanchor": "right", "y": max(known_limits), "yanchor": "bottom",
                    "text": f"{_('限值')} {limit2(max(known_limits))}", "showarrow": False,
                    "font": {"size": 11, "color": LIMIT_COLOUR}}] if known_limits and len(set(known_limits)) == 1 else []
    layout = {"height": 300, "margin": {"l": 45, "r": 10, "t": 34, "b": 30}, "showlegend": False, "bargap": 0.35,
              "title": {"text": f"{labels.label(view.zh)} · {_('各项指标校际差异系数')}", "font": {"size": 14}, "x": 0.02},
              "yaxis": {"range": [0, top * 1.25], "gridcolor": "#e4e7eb", "tickformat": ".2f"},
              "xaxis": {"tickfont": {"size": 12}}, "annotations": annotations}
    return figure([bars, limit_line], layout)


def _school_table(ctx: Context, view: Any, decimals: Mapping[str, int]) -> dict[str, Any]:
    inds = ctx.indicators
    heads = [{"id": i.id, "zh": i.zh, "short": short_name(i.zh), "unit": labels.unit(i.unit),
              "threshold": fmt_num(i.thresholds.get(view.code), _thr_dec(i.thresholds.get(view.code)))} for i in inds]
    rows = []
    for s in view.schools:
        cells = []
        met = 0
        for i in inds:
            v, ok = s["values"].get(i.id), (s.get("passed") or {}).get(i.id)
            met += ok is True
            cells.append({"v": fmt_num(v, decimals.get(i.id, 2)), "state": "ok" if ok is True else "no" if ok is False else ""})
        verdict = {True: "pass", False: "fail"}.get(s.get("school_pass"), "incomplete")
        rows.append({"code": s["code"], "name": s["name"], "kind": labels.enum_label(ctx.dictionary, "kind", s.get("kind", "")),
                     "students": f"{s['students']:,}" if s.get("students") is not None else "—",
                     "share_pct": f"{100 * s['share']:.0f}%" if s.get("share") is not None and s["share"] < 0.999 else "",
                     "cells": cells, "met": met, "verdict": verdict})
    rows.sort(key=lambda r: ({"fail": 0, "incomplete": 1, "pass": 2}[r["verdict"]], r["code"]))
    return {"code": view.code, "zh": labels.label(view.zh), "heads": heads, "rows": rows,
            "has_thresholds": ctx.has_thresholds, "failing": sum(r["verdict"] == "fail" for r in rows), "n": len(rows),
            "rule": rule_text(ctx.school_rule)}


def short_name(zh: str) -> str:
    """"每百名学生拥有县级及以上骨干教师数" → "县级及以上骨干教师（每百名学生）": for narrow table headers."""
    head = "每百名学生拥有"
    if zh.startswith(head):
        rest = zh[len(head):]
        return _("%(name)s（每百名学生）") % {"name": rest[:-1] if rest.endswith("数") else rest}
    return zh


def rule_text(rule: Any) -> str:
    """A rule of the standard file in the page's language (its ``en`` text in English)."""
    if rule is None:
        return ""
    if labels.english() and rule.en:
        return str(rule.en[:1].upper() + rule.en[1:])  # it follows a sentence on the page
    return str(rule.zh)


def exclusion_text(ctx: Context, reason: str) -> str:
    """Why a school was left out: as ``Context.exclusion_zh`` says it, or the standard's English text."""
    exc = next((e for e in ctx.std.scope.exclusions if e.id == reason), None)
    if exc is not None:
        return str(exc.en if labels.english() and exc.en else exc.zh)
    if reason == "not_included":
        return _("不属于纳入范围：%(rule)s") % {"rule": ctx.std.scope.include_zh}
    return reason


def trim(v: float | None, decimals: int = 3) -> str:
    """A number with thousands separators and at most ``decimals`` decimals, trailing zeros dropped."""
    if v is None or not math.isfinite(v):
        return "—"
    text = f"{v:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _thr_dec(t: float | None) -> int:
    return 0 if t is None else len(f"{t:g}".partition(".")[2])


def _gap_groups(ctx: Context, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for g in ctx.gap_groups(entry):
        out.append({"indicator": g["indicator"].zh, "id": g["indicator"].id, "sections": g["sections"],
                    "schools": g["schools"], "element": g["element_zh"],
                    "addition": labels.qty(g["addition"], g["unit"], g["integer"]), "cost": labels.money(g["cost"])})
    return out


def _gap_rows(ctx: Context, entry: Mapping[str, Any], decimals: Mapping[str, int]) -> list[dict[str, Any]]:
    rows = []
    for g in (entry.get("gaps") or {}).get("schools", []):
        ind = next((i for i in ctx.indicators if i.id == g.get("indicator")), None)
        if ind is None:
            continue
        el_zh, el_unit = ctx.element_zh(g.get("element") or (ind.gap.element if ind.gap else ""))
        counted = float(g.get("counted_cost", g.get("cost")) or 0.0)
        dec = decimals.get(ind.id, 2)
        rows.append({
            "school_code": g.get("school_code", ""), "school": g.get("school_name") or g.get("school_code", ""),
            "section": labels.label(ctx.section_zh.get(g.get("section", ""), g.get("section", ""))), "indicator": ind.zh,
            "id": ind.id, "value": fmt_num(g.get("value"), dec), "threshold": fmt_num(g.get("threshold"), _thr_dec(g.get("threshold"))),
            "unit": labels.unit(ind.unit), "element": el_zh,
            "addition": labels.qty(g.get("addition"), el_unit, bool(ind.gap.integer) if ind.gap else False),
            "unit_cost": labels.money(g.get("unit_cost")) + labels.per_unit(el_unit),
            "cost": labels.money(g.get("cost")), "shared_once": bool(g.get("shared")) and counted == 0 and (g.get("cost") or 0) > 0,
        })
    return rows


def _lifts(ctx: Context, entry: Mapping[str, Any], decimals: Mapping[str, int]) -> list[dict[str, Any]]:
    out = []
    for g in ctx.lift_groups(entry):
        ind = g["indicator"]
        dec = decimals.get(ind.id, 2)
        rows = [{"school_code": r.get("school_code", ""), "school": r.get("school_name") or r.get("school_code", ""),
                 "value": fmt_num(r.get("value"), dec), "lift": fmt_num(r.get("lift"), dec),
                 "addition": labels.qty(r.get("addition"), g["unit"], g["integer"]), "cost": labels.money(r.get("cost")),
                 "share": f"{100 * (r.get('variance_share') or 0):.1f}%"}
                for r in sorted(g["rows"], key=lambda r: -(r.get("lift") or 0)) if (r.get("lift") or 0) > 0]
        drivers = sorted(g["rows"], key=lambda r: -(r.get("variance_share") or 0))[:3]
        out.append({"section": labels.label(g["section_zh"]), "indicator": ind.zh, "unit": labels.unit(unit_word(ind.unit)),
                    "cv": cv3(g["cv"]),
                    "limit": limit2(g["cv_limit"]), "level": fmt_num(g["level"], dec), "lifted": g["lifted"],
                    "element": g["element_zh"], "addition": labels.qty(g["addition"], g["unit"], g["integer"]),
                    "cost": labels.money(g["cost"]), "rows": rows,
                    "drivers": [{"school": d.get("school_name") or d.get("school_code", ""), "code": d.get("school_code", ""),
                                 "value": fmt_num(d.get("value"), dec),
                                 "share": f"{100 * (d.get('variance_share') or 0):.1f}%"} for d in drivers],
                    "few": len(rows) <= 8})
    return out


def _history(county_code: str) -> dict[str, Any]:
    rows = county_history(county_code, STANDARD)
    if not rows:
        return {"rows": [], "sections": [], "indicators": []}
    contexts = Contexts()
    latest_ctx = contexts.of(rows[-1].run, rows[-1].entry)
    inds = [i.id for i in latest_ctx.indicators]
    section_codes: list[str] = []
    out = []
    for r in rows:
        ctx = contexts.of(r.run, r.entry)
        secs = {}
        for v in ctx.sections(r.entry):
            if v.code not in section_codes:
                section_codes.append(v.code)
            secs[v.code] = [{"cv": cv3(v.cv.get(i)), "raw": v.cv.get(i),
                             "state": "" if v.cv.get(i) is None or v.limits.get(i) is None
                             else ("no" if v.cv[i] > v.limits[i] else "ok"), "limit": v.limits.get(i)} for i in inds]  # type: ignore[operator]
        counts = ctx.counts(r.entry)
        out.append({"year": r.run.year, "year_zh": labels.year(r.run.year), "verdict": r.verdict, "run": r.run.pk,
                    "secs": secs, "fails": counts["fail"], "missing": counts["missing"],
                    "failing": ctx.failing_sections(r.entry) or 0})
    sections = [{"code": c, "zh": labels.label(latest_ctx.section_zh.get(c, c))} for c in section_codes]
    for row in out:
        row["cells"] = [c for s in sections for c in (row["secs"].get(s["code"]) or [{"cv": "—", "state": ""}] * len(inds))]
    return {"rows": out, "sections": sections, "indicators": inds,
            "names": {i.id: i.zh for i in latest_ctx.indicators}}


def _history_figures(history: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = history["rows"]
    if len(rows) < 2:
        return []
    figs = []
    palette = ["#1d4e89", "#2e7d4f", "#b7791f", "#8e44ad", "#17becf", "#e377c2", "#7f8c8d"]
    years = [f"{r['year']}–{r['year'] + 1}" for r in rows]
    for sec in history["sections"]:
        data = []
        limit = None
        for k, ind in enumerate(history["indicators"]):
            ys = [(r["secs"].get(sec["code"]) or [{}] * len(history["indicators"]))[k].get("raw") for r in rows]
            limit = limit or next(((r["secs"].get(sec["code"]) or [{}] * 7)[k].get("limit") for r in rows
                                   if r["secs"].get(sec["code"])), None)
            data.append({"type": "scatter", "mode": "lines+markers", "x": years, "y": ys, "name": ind,
                         "line": {"color": palette[k % len(palette)]},
                         "hovertemplate": history["names"].get(ind, ind) + " %{y:.3f}<extra>%{x}</extra>"})
        if limit is not None:
            data.append({"type": "scatter", "mode": "lines", "x": [years[0], years[-1]], "y": [limit, limit],
                         "name": _("限值"), "line": {"color": LIMIT_COLOUR, "dash": "dash", "width": 1.5},
                         "hoverinfo": "skip"})
        figs.append(figure(data, {"height": 280, "margin": {"l": 45, "r": 10, "t": 30, "b": 40},
                                  "title": {"text": sec["zh"], "font": {"size": 14}, "x": 0.02},
                                  "yaxis": {"rangemode": "tozero", "gridcolor": "#e4e7eb", "tickformat": ".2f"},
                                  "xaxis": {"type": "category"}, "legend": {"orientation": "h", "y": -0.2}}))
    return figs


# ---------------------------------------------------------------- school


@guarded
def school(request: Any, code: str) -> HttpResponse:
    sch = School.objects.filter(code=code).first()
    years = list(SchoolYear.objects.filter(school__code=code).select_related("county__parent__parent")
                 .prefetch_related("sections").order_by("year")) if sch else []
    if sch is None or not years:
        # a school clerk is refused any other code, so the page does not reveal which codes exist
        if scope_of(request.user).school_code:
            check(request.user, VIEW, school=(code, ""))
        check(request.user, VIEW)
        raise NotFound(_("没有学校标识码为“%(code)s”的学校。") % {"code": code})
    latest = years[-1]
    check(request.user, VIEW, school=(code, latest.county.code))
    scope = scope_of(request.user)
    # only the years the school spent inside the user's subtree (a school may have moved in from elsewhere)
    years = [y for y in years if scope.covers_school(code, y.county.code)]
    d = load_dictionary()
    en = labels.english()

    def label(el: Any) -> str:
        return str(el.en if en else el.zh)

    def enum_label(enum: str, value: str) -> str:
        opt = next((o for o in d.enums.get(enum, []) if o.code == value), None)
        return (opt.en if en else opt.zh) if opt else value

    def show(el: Any, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if el.type == "bool":
            return str(_("是") if value else _("否"))
        if el.type == "enum" and el.enum:
            return enum_label(el.enum, str(value))
        if el.type == "decimal" and isinstance(value, int | float):
            return f"{value:,.{el.decimals}f}"
        if el.type == "int" and isinstance(value, int | float):
            return f"{int(value):,}"
        return str(value)

    attr_rows = []
    for el in d.elements:
        if el.storage != "attribute" or el.level != "school" or el.code == "school_code":
            continue
        texts = []
        for y in years:
            text = show(el, y.attribute(el.code))
            if el.code == "county_code":
                text = _("%(name)s（%(code)s）") % {"name": y.county.name, "code": y.county.code}
            texts.append(text)
        attr_rows.append({"zh": label(el), "cells": texts, "changed": len(set(texts)) > 1})

    # frozen results: the school in its county's entry of each year (a school may move between counties)
    histories: dict[str, dict[int, AssessmentCounty]] = {}
    for y in years:
        if y.county.code not in histories:
            histories[y.county.code] = {r.run.year: r for r in county_history(y.county.code, STANDARD)}
    contexts = Contexts()
    results = []
    for y in years:
        row = histories[y.county.code].get(y.year)
        if row is None:
            continue
        ctx = contexts.of(row.run, row.entry)
        for v in ctx.sections(row.entry):
            mine = next((s for s in v.schools if s["code"] == code), None)
            excl = next((s for s in v.excluded if s["code"] == code), None)
            if mine is None and excl is None:
                continue
            results.append({"year": y.year, "year_zh": labels.year(y.year), "row": row, "ctx": ctx, "view": v,
                            "school": mine, "excluded": exclusion_text(ctx, excl["reason"]) if excl else ""})
    latest_year = max((r["year"] for r in results), default=None)
    indicators = results[-1]["ctx"].indicators if results else []
    decimals: dict[str, int] = {}
    if results:
        decimals = results[-1]["ctx"].indicator_decimals([r["view"] for r in results if r["year"] == latest_year])

    over_years = []
    for r in results:
        s = r["school"]
        cells: list[dict[str, str]] = []
        for i in indicators:
            if s is None:
                cells.append({"v": "—", "state": ""})
                continue
            ok = (s.get("passed") or {}).get(i.id)
            cells.append({"v": fmt_num(s["values"].get(i.id), decimals.get(i.id, 2)),
                          "state": "ok" if ok is True else "no" if ok is False else ""})
        verdict = "" if s is None else {True: "pass", False: "fail"}.get(s.get("school_pass"), "incomplete")
        over_years.append({"year": r["year_zh"], "section": labels.label(r["view"].zh), "cells": cells, "verdict": verdict,
                           "excluded": r["excluded"], "students": f"{s['students']:,}" if s and s.get("students") is not None else "—"})

    latest_checks = []
    for r in results:
        if r["year"] != latest_year:
            continue
        s = r["school"]
        items = []
        for i in indicators:
            thr = i.thresholds.get(r["view"].code)
            ok = (s.get("passed") or {}).get(i.id) if s else None
            items.append({"id": i.id, "zh": i.zh, "unit": labels.unit(i.unit),
                          "v": fmt_num(s["values"].get(i.id), decimals.get(i.id, 2)) if s else "—",
                          "threshold": fmt_num(thr, _thr_dec(thr)) if thr is not None else "—",
                          "floor": trim(thr * r["ctx"].school_rule.floor_ratio)
                          if thr is not None and r["ctx"].school_rule and r["ctx"].school_rule.floor_ratio else "—",
                          "state": "ok" if ok is True else "no" if ok is False else ""})
        verdict = "" if s is None else {True: "pass", False: "fail"}.get(s.get("school_pass"), "incomplete")
        rule = r["ctx"].school_rule
        latest_checks.append({"section": labels.label(r["view"].zh), "items": items, "verdict": verdict, "excluded": r["excluded"],
                              "floor_pct": f"{rule.floor_ratio * 100:.0f}%" if rule and rule.floor_ratio else "",
                              "met": sum(it["state"] == "ok" for it in items), "n": len(items),
                              "rule": rule_text(r["ctx"].school_rule)})

    gap_rows: list[dict[str, Any]] = []
    gap_total = 0.0
    for r in results:
        if r["year"] != latest_year:
            continue
        every: list[dict[str, Any]] = (r["row"].entry.get("gaps") or {}).get("schools", [])
        own = [g for g in every if g.get("school_code") == code and g.get("section") == r["view"].code]
        gap_rows += _gap_rows(r["ctx"], {"gaps": {"schools": own}}, decimals)
        gap_total += sum(float(g.get("counted_cost", g.get("cost")) or 0.0) for g in own)

    # raw statistics of the latest year
    sections_latest = sorted(latest.sections.all(), key=lambda s: ["primary", "junior", "senior"].index(s.section)
                             if s.section in ("primary", "junior", "senior") else 9)
    school_stats = [{"zh": label(el), "unit": labels.unit(el.unit), "v": show(el, latest.values.get(el.code))}
                    for el in d.elements if el.level == "school" and el.storage == "value"
                    and (el.required or latest.values.get(el.code) is not None)]
    section_heads = [enum_label("section", s.section) for s in sections_latest]
    section_stats = []
    for el in d.elements:
        if el.level != "section" or el.storage != "value":
            continue
        shown = [show(el, sec.values.get(el.code)) for sec in sections_latest]
        if not el.required and all(c == "—" for c in shown):
            continue
        section_stats.append({"zh": label(el), "unit": labels.unit(el.unit), "cells": shown})

    county = latest.county
    context = {
        "school": sch, "latest": latest, "name": latest.name, "code": code,
        "kind": enum_label("kind", latest.kind), "county": county,
        "county_url": reverse("region", kwargs={"code": county.code}) if scope.covers_region(county.code) else "",
        "crumbs": crumbs(request.user, county, latest.name), "years": [labels.year(y.year) for y in years],
        "attr_rows": attr_rows, "attr_changed": any(a["changed"] for a in attr_rows), "indicators": [{"id": i.id, "zh": i.zh, "short": short_name(i.zh), "unit": i.unit} for i in indicators],
        "all_met": bool(latest_checks) and all(it["state"] == "ok" for c in latest_checks for it in c["items"]),
        "over_years": over_years, "latest_checks": latest_checks, "latest_year": labels.year(latest_year) if latest_year else "",
        "gap_rows": gap_rows, "gap_total": labels.money(gap_total) if gap_total else "",
        "school_stats": school_stats, "section_heads": section_heads, "section_stats": section_stats,
        "stats_year": labels.year(latest.year), "words": verdict_words(),
    }
    return render(request, "web/pages/school.html", context)

