"""School-places pages: a county's projection against its capacity (charts with scenario bands, parameters
and backtest, schools, zones, small schools), a province's or prefecture's counties with a shortage map,
and the county planning report (Excel/PDF)."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from dudao.accounts.permissions import EXPORT, IMPORT, VIEW, can, check
from dudao.audit.services import record
from dudao.orgunits.models import OrgUnit
from dudao.places.errors import PlacesError
from dudao.places.params import load_places
from dudao.places.report import BAND_ZH, SECTION_ZH, SERIES_ZH, write_report
from dudao.places.services import county_plan, province_plan, years_text
from dudao.web.views.pages import NotFound, figure, guarded

SCENARIOS = ("low", "medium", "high")
COLOURS = {"history": "#333333", "medium": "#4a7ab0", "band": "rgba(74,122,176,0.18)", "capacity": "#c0392b"}


def _options(request: Any) -> tuple[int, str]:
    p = load_places()
    try:
        horizon = int(request.GET.get("horizon", p.projection.max_horizon))
    except ValueError:
        horizon = p.projection.max_horizon
    horizon = min(max(horizon, 1), p.projection.max_horizon)
    scenario = request.GET.get("scenario", "medium")
    return horizon, scenario if scenario in SCENARIOS else "medium"


def _unit(request: Any, code: str) -> OrgUnit:
    check(request.user, VIEW, region=code)
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise NotFound(_("没有代码为“%(code)s”的地区。") % {"code": code})
    return unit


def demand_figure(section: dict[str, Any], title: str) -> dict[str, Any]:
    """Plotly figure: recorded students, the medium projection with the low–high band, the capacity line."""
    hist = {int(k): v for k, v in section["history"].items()}
    proj = {sc: {int(k): v for k, v in ys.items()} for sc, ys in section["projection"].items()}
    years = sorted(proj.get("medium", {}))
    data: list[dict[str, Any]] = []
    if years:
        last = max(hist) if hist else years[0] - 1
        xs = [last, *years]
        start = hist.get(last, proj["medium"][years[0]])
        data += [
            {"type": "scatter", "x": xs, "y": [start, *[proj["low"][y] for y in years]], "mode": "lines",
             "line": {"width": 0}, "name": _("低方案"), "showlegend": False, "hovertemplate": _("低方案") + " %{y:,.0f}<extra></extra>"},
            {"type": "scatter", "x": xs, "y": [start, *[proj["high"][y] for y in years]], "mode": "lines", "fill": "tonexty",
             "fillcolor": COLOURS["band"], "line": {"width": 0}, "name": _("低–高方案区间"),
             "hovertemplate": _("高方案") + " %{y:,.0f}<extra></extra>"},
            {"type": "scatter", "x": xs, "y": [start, *[proj["medium"][y] for y in years]], "mode": "lines",
             "line": {"color": COLOURS["medium"], "dash": "dash", "width": 2}, "name": _("中方案预测"),
             "hovertemplate": _("中方案") + " %{y:,.0f}<extra></extra>"},
        ]
    if hist:
        hy = sorted(hist)
        data.append({"type": "scatter", "x": hy, "y": [hist[y] for y in hy], "mode": "lines+markers", "name": _("实际在校生"),
                     "line": {"color": COLOURS["history"]}, "hovertemplate": _("实际") + " %{y:,.0f}<extra></extra>"})
    if section.get("capacity"):
        allx = sorted(set(hist) | set(years))
        data.append({"type": "scatter", "x": [allx[0], allx[-1]], "y": [section["capacity"]] * 2, "mode": "lines",
                     "name": _("学位容量"), "line": {"color": COLOURS["capacity"]},
                     "hovertemplate": _("学位容量") + " %{y:,.0f}<extra></extra>"})
    layout = {"title": {"text": title, "font": {"size": 14}}, "height": 320, "margin": {"l": 60, "r": 10, "t": 40, "b": 40},
              "yaxis": {"rangemode": "tozero", "title": {"text": _("在校生（人）")}, "gridcolor": "#e5e5e5"},
              "xaxis": {"dtick": 1}, "legend": {"orientation": "h", "y": -0.15}}
    return figure(data, layout)


def births_figure(doc: dict[str, Any]) -> dict[str, Any]:
    """Recorded births (bars, by year of birth) and their continuation by scenario; the school year they reach grade 1 on top."""
    rec = {int(k): v for k, v in doc["births"].items()}
    ys = sorted(rec)
    data: list[dict[str, Any]] = [{"type": "bar", "x": ys, "y": [rec[y] for y in ys], "name": _("出生人口（记录）"),
                                   "marker": {"color": "#9aa5b1"}, "customdata": [y + 6 for y in ys],
                                   "hovertemplate": _("%(y)s 年出生") % {"y": "%{x}"} + " %{y:,.0f}<br>"
                                   + _("%(y)s 学年入学") % {"y": "%{customdata}"} + "<extra></extra>"}]
    for sc, colour in (("low", "#c6d4e6"), ("medium", "#4a7ab0"), ("high", "#c6d4e6")):
        proj = {int(k): v for k, v in doc["births_projected"].get(sc, {}).items()}
        px = sorted(y for y in proj if y <= doc["years"][-1] - 6)
        if px:
            data.append({"type": "bar" if sc == "medium" else "scatter", "x": px, "y": [proj[y] for y in px],
                         "name": {"low": _("低方案"), "medium": _("出生人口（中方案延续）"), "high": _("高方案")}[sc],
                         "marker": {"color": colour}, "line": {"color": "#4a7ab0", "dash": "dot", "width": 1},
                         "mode": "lines" if sc != "medium" else None, "showlegend": sc == "medium",
                         "hovertemplate": "%{x} %{y:,.0f}<extra></extra>"})
    for d in data:
        if d.get("mode") is None:
            d.pop("mode", None)
    layout = {"title": {"text": _("出生人口：6 年后进入小学一年级"), "font": {"size": 14}}, "height": 280,
              "margin": {"l": 60, "r": 10, "t": 40, "b": 40}, "barmode": "overlay", "xaxis": {"dtick": 2},
              "yaxis": {"rangemode": "tozero", "gridcolor": "#e5e5e5"}, "legend": {"orientation": "h", "y": -0.2}}
    return figure(data, layout)


@guarded
def places_region(request: Any, code: str) -> HttpResponse:
    unit = _unit(request, code)
    horizon, scenario = _options(request)
    if unit.level == OrgUnit.Level.COUNTY:
        return _county(request, unit, horizon, scenario)
    return _region(request, unit, horizon, scenario)


def _county(request: Any, unit: OrgUnit, horizon: int, scenario: str) -> HttpResponse:
    ctx: dict[str, Any] = {"unit": unit, "horizon": horizon, "scenario": scenario, "scenarios": SCENARIOS,
                           "can_export": can(request.user, EXPORT), "can_import": can(request.user, IMPORT)}
    try:
        doc = county_plan(unit.code, horizon, scenario)
    except PlacesError as exc:
        ctx["problem"] = f"{exc.error.code} {exc.message_zh}"
        return render(request, "web/places/county.html", ctx)
    last = doc["years"][-1]
    charts = []
    for sec, data in doc["sections"].items():
        fid = f"fig-{sec}"
        g = data["gap"][scenario].get(last)
        charts.append({"id": fid, "fig": demand_figure(data, f"{SECTION_ZH[sec]}：{_('在校生预测与学位容量')}"),
                       "section": SECTION_ZH[sec], "capacity": data["capacity"], "at_horizon": data["projection"][scenario].get(last),
                       "gap": g, "short": g is not None and g < 0,
                       "rows": [{"year": y, "low": data["projection"]["low"][y], "medium": data["projection"]["medium"][y],
                                 "high": data["projection"]["high"][y], "gap": data["gap"][scenario][y]} for y in doc["years"]]})
    schools = sorted(doc["schools"], key=lambda r: (r["gap_horizon"] if r["gap_horizon"] is not None else 1e9))
    for r in schools:
        r["section_zh"] = SECTION_ZH[r["section"]]
        r["band_now_zh"], r["band_projected_zh"] = BAND_ZH[r["band_now"]], BAND_ZH[r["band_projected"]]
        r["at_horizon"] = r["demand"].get(scenario, {}).get(last)
        r["shortage"] = years_text(r["shortage_years"])
    for z in doc["zones"]:
        z["section_zh"] = SECTION_ZH[z["section"]]
        z["shortage"] = years_text(z["shortage_years"])
        latest = max(z["applications"]) if z["applications"] else None
        z["apps"] = (f"{latest}：" + "；".join(f"{g} 年级 {n}" for g, n in sorted(z["applications"][latest].items()))) if latest else ""
    for s in doc["small_schools"]:
        s["at_horizon"] = s["projected"].get(last)
        s["trend_text"] = " → ".join(f"{v}" for _y, v in sorted(s["trend"].items())[-5:])
    pr = doc["parameters"]
    ctx.update(doc=doc, charts=charts, births_fig=births_figure(doc), schools=schools, last=last, series_zh=SERIES_ZH.get(doc["births_series"], ""),
               progression=[{"step": f"{int(g) - 1}→{g}", **v} for g, v in sorted(pr["progression"].items())],
               risky=sum(1 for r in schools if r["shortage_years"] or r["band_projected"] in ("large", "very_large")))
    return render(request, "web/places/county.html", ctx)


def _region(request: Any, unit: OrgUnit, horizon: int, scenario: str) -> HttpResponse:
    doc = province_plan(unit.code, horizon, scenario)
    last = doc["years"][-1] if doc["years"] else None
    charts = []
    rows = []
    if doc["counties"]:
        for sec in ("primary", "junior"):
            agg: dict[str, Any] = {"history": {}, "projection": {sc: {} for sc in SCENARIOS}, "capacity": 0}
            for c in doc["counties"]:
                s = c["sections"][sec]
                agg["capacity"] += s["capacity"]
                for sc, ys in s["projection"].items():
                    for y, v in ys.items():
                        agg["projection"][sc][y] = agg["projection"][sc].get(y, 0.0) + v
                for y, v in s["history"].items():
                    agg["history"][y] = agg["history"].get(y, 0.0) + v
            charts.append({"id": f"fig-{sec}", "fig": demand_figure(agg, f"{SECTION_ZH[sec]}：{_('在校生预测与学位容量')}")})
        for c in doc["counties"]:
            row = {"code": c["code"], "name": c["name"], "mape": c["mape"], "small_now": c["small_now"],
                   "small_before": c["small_before"], "url": reverse("places_region", kwargs={"code": c["code"]})}
            for sec in ("primary", "junior"):
                s = c["sections"][sec]
                row[sec] = {**s, "shortage": years_text(s["shortage_years"])}
            rows.append(row)
    return render(request, "web/places/region.html", {
        "unit": unit, "doc": doc, "rows": rows, "charts": charts, "last": last, "horizon": horizon, "scenario": scenario,
        "scenarios": SCENARIOS, "map_fig": _map(unit, rows) if rows else None, "can_import": can(request.user, IMPORT)})


def _map(unit: OrgUnit, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counties coloured by the primary places surplus (+) or shortage (−) at the horizon, as a share of capacity."""
    locations, z, text, links = [], [], [], []
    for r in rows:
        s = r["primary"]
        share = (s["gap_horizon"] / s["capacity"] * 100) if s["capacity"] else 0.0
        locations.append(r["code"])
        z.append(round(share, 1))
        text.append(f"<b>{r['name']}</b><br>" + _("小学学位余缺 %(gap)s（容量的 %(share)s%%）")
                    % {"gap": f"{s['gap_horizon']:+,.0f}", "share": f"{share:+.0f}"})
        links.append(r["url"])
    top = max(20.0, max((abs(v) for v in z), default=20.0))
    trace = {"type": "choropleth", "geojson": reverse("region_map", kwargs={"code": unit.code}),
             "featureidkey": "properties.code", "locations": locations, "z": z, "zmin": -top, "zmax": top, "zmid": 0,
             "colorscale": [[0, "#b2182b"], [0.5, "#f7f7f7"], [1, "#2166ac"]], "colorbar": {"title": {"text": _("余缺 %")}, "thickness": 12}, "text": text,
             "customdata": links, "hovertemplate": "%{text}<extra></extra>",
             "marker": {"line": {"color": "#ffffff", "width": 0.7}}}
    layout = {"geo": {"fitbounds": "locations", "visible": False, "projection": {"type": "mercator"}},
              "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 420, "dragmode": False, "hoverlabel": {"align": "left"}}
    return figure([trace], layout, link=True)


@guarded
def places_report(request: Any, code: str, fmt: str) -> HttpResponse:
    if fmt not in ("xlsx", "pdf"):
        raise NotFound(_("不支持的格式“%(fmt)s”。") % {"fmt": fmt})
    check(request.user, EXPORT, region=code)
    unit = OrgUnit.objects.filter(code=code, level=OrgUnit.Level.COUNTY).first()
    if unit is None:
        raise NotFound(_("没有代码为“%(code)s”的县。") % {"code": code})
    horizon, scenario = _options(request)
    try:
        doc = county_plan(code, horizon, scenario)
    except PlacesError as exc:
        raise NotFound(f"{exc.error.code} {exc.message_zh}") from None
    folder = Path(tempfile.mkdtemp(prefix="dudao-places-"))
    try:
        data = write_report(doc, folder / f"report.{fmt}").read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    record("export", "places.report", code, {"format": fmt, "horizon": horizon, "scenario": scenario}, object_unit=code)
    name = re.sub(r"[\\/:*?\"<>|]", "_", f"{unit.name}_学位预测_{doc['base_year']}.{fmt}")
    types = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "pdf": "application/pdf"}
    return HttpResponse(data, content_type=types[fmt],
                        headers={"Content-Disposition": content_disposition_header(True, name)})


@guarded
def places_home(request: Any) -> HttpResponse:
    """The places page of the user's own area (school clerks have no region: refused)."""
    from django.shortcuts import redirect

    unit = getattr(request.user, "org_unit", None)
    check(request.user, VIEW, region=unit.code if unit is not None and not request.user.school_code else "-")
    return redirect("places_region", code=unit.code)


@guarded
def places_import(request: Any) -> HttpResponse:
    """Upload of a places workbook (births, grades, classrooms, zones, sites, applications); all or nothing.

    Every record must lie in the user's area (else ``E_PL_SCOPE`` and nothing is stored)."""
    from dudao.accounts.permissions import scope_of
    from dudao.places.services import import_workbook
    from dudao.web.views.data import MAX_UPLOAD_BYTES, _safe_name, _upload_dir

    check(request.user, IMPORT)
    ctx: dict[str, Any] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            ctx["problem"] = _("请选择要上传的文件（.xlsx）。")
        elif upload.size > MAX_UPLOAD_BYTES:
            ctx["problem"] = _("文件太大（%(size)s MB），上限 %(max)s MB。") % {
                "size": f"{upload.size / 1048576:.1f}", "max": MAX_UPLOAD_BYTES // 1048576}
        else:
            with tempfile.TemporaryDirectory(dir=_upload_dir()) as tmp:
                path = Path(tmp) / _safe_name(upload.name)
                with path.open("wb") as fh:
                    for chunk in upload.chunks():
                        fh.write(chunk)
                checked, batch = import_workbook(path, request.user.username, scope=scope_of(request.user))
            ctx.update(checked=checked, batch=batch, counts=checked.counts(), errors=checked.errors[:200],
                       more=max(0, len(checked.errors) - 200))
    return render(request, "web/places/import.html", ctx)
