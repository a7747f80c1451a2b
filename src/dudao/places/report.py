"""The planning report of a county (Excel and PDF) and the demand-vs-capacity chart (SVG).

Both read the document of ``dudao.places.services.county_plan``: nothing is recomputed here.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dudao.places.services import years_text

SECTION_ZH = {"primary": "小学", "junior": "初中"}
SCENARIO_ZH = {"low": "低方案", "medium": "中方案", "high": "高方案"}
BAND_ZH = {"": "", "over": "超标准班额", "large": "大班额风险", "very_large": "超大班额风险"}
SERIES_ZH = {"huji": "户籍", "changzhu": "常住"}


def demand_chart(section: Mapping[str, Any], title: str) -> str:
    """SVG: recorded students, the projection (medium line, low–high band) and the capacity line."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    from dudao.reports.charts import _rc, _svg

    hist = {int(k): float(v) for k, v in section["history"].items()}
    proj = {sc: {int(k): float(v) for k, v in ys.items()} for sc, ys in section["projection"].items()}
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(6.4, 2.6))
        ax = fig.add_subplot()
        years = sorted(proj.get("medium", {}))
        if hist:
            hy = sorted(hist)
            ax.plot(hy, [hist[y] for y in hy], color="#333333", marker="o", ms=2.5, lw=1.2, label="实际在校生")
        if years:
            last = max(hist) if hist else years[0] - 1
            xs = [last, *years]
            start = hist.get(last, proj["medium"][years[0]])
            lo = [start, *[proj["low"][y] for y in years]]
            hi = [start, *[proj["high"][y] for y in years]]
            ax.fill_between(xs, lo, hi, color="#4a7ab0", alpha=0.18, lw=0, label="低–高方案区间")
            ax.plot(xs, [start, *[proj["medium"][y] for y in years]], color="#4a7ab0", lw=1.6, ls="--", label="中方案预测")
        cap = section.get("capacity")
        if cap:
            ax.axhline(cap, color="#c0392b", lw=1.1, label=f"学位容量 {cap:,}")
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("在校生（人）")
        ax.grid(axis="y", color="#dddddd", lw=0.5)
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=7, loc="lower left", frameon=False, ncol=2)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        return _svg(fig)


# ------------------------------------------------------------------ Excel


def write_xlsx(doc: Mapping[str, Any], out: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    bold, head = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    wb = Workbook()
    ws = wb.active
    ws.title = "概况"
    c, scen = doc["county"], doc["scenario"]
    rows: list[list[Any]] = [
        [f"{c['name']}（{c['code']}）义务教育学位供需预测"],
        ["基年（最近学年）", doc["base_year"], "预测年数", doc["horizon"], "方案", SCENARIO_ZH.get(scen, scen)],
        ["出生人口口径", SERIES_ZH.get(doc["births_series"], doc["births_series"])],
        [],
        [f"拟合参数（最近 {doc['parameters']['fit_years']} 个学年）"],
        ["一年级入学率（一年级人数 ÷ 6 年前出生人数）", doc["parameters"]["intake_ratio"]],
        [f"出生人口年变化率（拟合，最近 {doc['parameters']['trend_years']} 年）", doc["parameters"]["births_trend"]],
    ]
    for g, pr in sorted(doc["parameters"]["progression"].items(), key=lambda x: int(x[0])):
        rows.append([f"{int(g) - 1}→{g} 年级升级率", pr["ratio"], "拟合" if pr["fitted"] else "缺少历史，取默认值"])
    rows += [[], ["情景", "出生率调整", "入学率系数", "净迁移（每年）", "来源", "可信度"]]
    for s in doc["parameters"]["scenarios"]:
        rows.append([s["zh"], s["births_change"], s["intake_factor"], s["migration"], s["source"], s["confidence"]])
    bt = doc["backtest"]
    rows += [[], [f"回测：以 {bt['as_of']} 学年为基年重算（中方案），与实际比较"], ["学年", "预测", "实际", "绝对百分比误差（%）"]]
    rows += [[r["year"], r["projected"], r["actual"], r["ape"]] for r in bt["rows"]]
    rows.append(["全县 MAPE（%）", bt["mape"], "各校 MAPE 中位数（%）", bt["schools_mape_median"]])
    for r in rows:
        ws.append(r)
    ws["A1"].font = Font(bold=True, size=13)
    ws.column_dimensions["A"].width = 44
    for col in "BCDEF":
        ws.column_dimensions[col].width = 16

    ws = wb.create_sheet("年度供需")
    header = ["学段", "学年", "实际在校生", "低方案", "中方案", "高方案", "学位容量", "余缺（中方案，正为富余）"]
    ws.append(header)
    for sec, data in doc["sections"].items():
        for y, v in sorted(data["history"].items(), key=lambda x: int(x[0])):
            ws.append([SECTION_ZH[sec], int(y), v, None, None, None, data["capacity"], None])
        for y in doc["years"]:
            p = data["projection"]
            ws.append([SECTION_ZH[sec], y, None, _r(_get(p, "low", y)), _r(_get(p, "medium", y)), _r(_get(p, "high", y)),
                       data["capacity"], _r(_get(data["gap"], scen, y))])
    _style_header(ws, bold, head, len(header))

    ws = wb.create_sheet("学校")
    last = doc["years"][-1]
    header = ["学校标识码", "学校名称", "学段", "学区", "在校生", "班级数", "普通教室", "教室容量", "校舍面积容量", "学位容量",
              "起约束作用", f"{doc['years'][0]}–{last} 峰值需求", f"{last} 年需求", f"{last} 年余缺", "缺位年份",
              "当前最大平均班额", "当前班额风险", "预测最大平均班额", "预测班额风险", "入学份额", "回测 MAPE（%）"]
    ws.append(header)
    for r in doc["schools"]:
        d = r["demand"].get(scen, {})
        ws.append([r["code"], r["name"], SECTION_ZH[r["section"]], r["zone_name"], r["students"], r["classes"], r["classrooms"],
                   r["by_rooms"], r["by_floor"], r["capacity"], {"rooms": "教室", "floor": "校舍面积"}.get(r["binding"], ""),
                   _r(r["peak"]), _r(_get({"x": d}, "x", last)), _r(r["gap_horizon"]), years_text(r["shortage_years"]),
                   r["largest_now"], BAND_ZH[r["band_now"]], r["largest_projected"], BAND_ZH[r["band_projected"]], r.get("intake_ratio"),
                   r["mape"]])
    _style_header(ws, bold, head, len(header))

    ws = wb.create_sheet("学区")
    header = ["学区代码", "学区", "学段", "学校数", "在校生", "学位容量", "峰值需求", f"{last} 年余缺", "缺位年份", "随迁子女申请（最近）",
              "回测 MAPE（%）"]
    ws.append(header)
    for z in doc["zones"]:
        apps = z["applications"]
        latest = apps[max(apps)] if apps else {}
        ws.append([z["zone"], z["name"], SECTION_ZH[z["section"]], z["schools"], z["students"], z["capacity"], _r(z["peak"]),
                   _r(z["gap_horizon"]), years_text(z["shortage_years"]),
                   (f"{max(apps)} 学年：" if apps else "")
                   + "；".join(f"{g} 年级 {n} 人" for g, n in sorted(latest.items(), key=lambda x: int(x[0]))),
                   z.get("mape")])
    _style_header(ws, bold, head, len(header))

    ws = wb.create_sheet("小规模学校")
    header = ["学校标识码", "学校名称", "城乡", "在校生", f"{last} 年预测", "最近可接收学校", "距离（km）", "可接收余位", "说明"]
    ws.append(header)
    for s in doc["small_schools"]:
        n = s["nearest"] or {}
        ws.append([s["code"], s["name"], {"urban": "城区", "town": "镇区", "rural": "乡村"}.get(s["location"], ""), s["students"],
                   _r(_get({"x": s["projected"]}, "x", last)), n.get("name", "（无）"), n.get("km"), n.get("spare"),
                   "仅为候选，是否撤并须由县级结合交通、寄宿和群众意愿决定"])
    _style_header(ws, bold, head, len(header))
    for sheet in wb.worksheets[1:]:
        sheet.freeze_panes = "A2"
        for col in sheet.columns:
            sheet.column_dimensions[col[0].column_letter].width = 14
        sheet.column_dimensions["B"].width = 30
        for cell in sheet[1]:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def _r(v: Any) -> Any:
    """Projected students as whole people in the workbook (the document keeps one decimal)."""
    return None if v is None else round(float(v))


def _get(d: Mapping[str, Any], sc: str, y: int) -> Any:
    ys = d.get(sc, {})
    return ys.get(y, ys.get(str(y)))


def _style_header(ws: Any, bold: Any, fill: Any, n: int) -> None:
    for cell in ws[1][:n]:
        cell.font, cell.fill = bold, fill


# ------------------------------------------------------------------ PDF


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def county_html(doc: Mapping[str, Any]) -> str:
    import base64

    from dudao.reports.charts import cjk_family

    c, scen, last = doc["county"], doc["scenario"], doc["years"][-1]
    parts = [f"<h1>{_e(c['name'])}义务教育学位供需预测</h1>",
             f"<p class='meta'>基年 {doc['base_year']} 学年 · 预测至 {last} 年 · {SCENARIO_ZH.get(scen, scen)} · "
             f"出生人口口径：{SERIES_ZH.get(doc['births_series'], '')}</p>"]
    for sec, data in doc["sections"].items():
        svg = demand_chart(data, f"{SECTION_ZH[sec]}：在校生预测与学位容量")
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
        g = _get(data["gap"], scen, last)
        word = "富余" if (g or 0) >= 0 else "缺口"
        parts.append(f"<h2>{SECTION_ZH[sec]}</h2><img src='{uri}' style='width:100%'/>"
                     f"<p>{last} 年预测在校生 {_get(data['projection'], scen, last):,.0f} 人，学位容量 {data['capacity']:,} 个，"
                     f"{word} {abs(g or 0):,.0f} 个。</p>")
    bt, pr = doc["backtest"], doc["parameters"]
    parts.append("<h2>方法与参数</h2><p>按年级推移法（队列生存法）预测：一年级 = 6 年前出生人数 × 入学率；其余年级 = 上一年低一年级人数 × 升级率"
                 f"（含净迁移）。拟合最近 {pr['fit_years']} 个学年：入学率 {pr['intake_ratio']}，出生人口年变化率 {pr['births_trend']}。"
                 f"回测：以 {bt['as_of']} 学年为基年重算，全县 MAPE {bt['mape']}%，各校 MAPE 中位数 {bt['schools_mape_median']}%。</p>")
    parts.append("<table><tr><th>情景</th><th>出生率调整</th><th>入学率系数</th><th>净迁移/年</th><th>可信度</th></tr>" + "".join(
        f"<tr><td>{_e(s['zh'])}</td><td>{s['births_change']:+.0%}</td><td>{s['intake_factor']}</td><td>{s['migration']:+.0%}</td>"
        f"<td>{_e(s['confidence'])}</td></tr>" for s in pr["scenarios"]) + "</table>")
    risky = [r for r in doc["schools"] if r["shortage_years"] or r["band_now"] in ("large", "very_large")
             or r["band_projected"] in ("large", "very_large")]
    parts.append(f"<h2>缺位与大班额风险学校（{len(risky)} 所）</h2>")
    if risky:
        parts.append("<table><tr><th>学校</th><th>学段</th><th>在校生</th><th>学位容量</th><th>缺位年份</th><th>班额风险（当前/预测）</th></tr>"
                     + "".join(f"<tr><td>{_e(r['name'])}</td><td>{SECTION_ZH[r['section']]}</td><td>{r['students']}</td>"
                               f"<td>{_e(r['capacity'])}</td><td>{_e(years_text(r['shortage_years']))}</td>"
                               f"<td>{BAND_ZH[r['band_now']] or '—'} / {BAND_ZH[r['band_projected']] or '—'}</td></tr>"
                               for r in risky) + "</table>")
    small = doc["small_schools"]
    parts.append(f"<h2>小规模学校（在校生不足 100 人，{len(small)} 所）</h2><p>下列接收学校仅为候选，从不自动决定撤并。</p>")
    if small:
        parts.append("<table><tr><th>学校</th><th>在校生</th><th>" + str(last) + " 年预测</th><th>最近可接收学校</th><th>距离 km</th></tr>"
                     + "".join(f"<tr><td>{_e(s['name'])}</td><td>{s['students']}</td><td>{_e(_get({'x': s['projected']}, 'x', last))}</td>"
                               f"<td>{_e((s['nearest'] or {}).get('name', '（无）'))}</td><td>{_e((s['nearest'] or {}).get('km'))}</td></tr>"
                               for s in small) + "</table>")
    css = (f"@page {{ size: A4; margin: 16mm 14mm; }} body {{ font-family: '{cjk_family()}', sans-serif; font-size: 9.5pt; }}"
           "h1 { font-size: 16pt; } h2 { font-size: 12pt; border-bottom: 1px solid #999; margin-top: 14pt; }"
           "table { border-collapse: collapse; width: 100%; font-size: 8.5pt; } th, td { border: 0.5pt solid #aaa; padding: 2pt 4pt; }"
           "th { background: #e8eef5; } .meta { color: #555; }")
    return f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><style>{css}</style></head><body>{''.join(parts)}</body></html>"


def write_pdf(doc: Mapping[str, Any], out: Path) -> Path:
    from weasyprint import HTML

    out.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=county_html(doc)).write_pdf(out)
    return out


def write_report(doc: Mapping[str, Any], out: Path) -> Path:
    if out.suffix.lower() == ".pdf":
        return write_pdf(doc, out)
    return write_xlsx(doc, out)
