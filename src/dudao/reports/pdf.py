"""A4 PDF reports in Chinese (HTML templates rendered by WeasyPrint, fonts embedded).

The county report is written for a county head: the verdict, what fails and what it would take in
plain words, the difference coefficients as a chart and a table, the failing schools and the items
still without data. The summary report lists every county of the document.
"""

from __future__ import annotations

import base64
import html
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template
from typing import Any

from dudao.reports import charts
from dudao.reports.common import (
    ENGINE_ZH,
    VERDICT_SHORT,
    VERDICT_ZH,
    Context,
    SectionView,
    common_fails,
    fmt_money,
    fmt_num,
    fmt_qty,
    noun,
    unit_word,
    year_label,
)

TEMPLATES = Path(__file__).parent / "templates" / "reports"


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def _css_string(text: str) -> str:
    """Text for a CSS ``content: "…"`` string."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _render(page: str, out: Path) -> Path:
    from weasyprint import HTML

    HTML(string=page, base_url=str(TEMPLATES)).write_pdf(out)
    return out


def _kind_of_balance(ctx: Context) -> str:
    m = re.search(r"(优质均衡|基本均衡)", ctx.std.name_zh)
    return m.group(1) if m else "均衡"


def _footer(ctx: Context) -> str:
    doc = ctx.doc
    parts = [f"输入数据哈希 {doc.get('inputs_hash', '—')}", f"程序版本 {doc.get('code_version', '—')}"]
    if doc.get("run") is not None:
        parts.append(f"结果编号 {doc['run']}")
    return _css_string("　".join(parts))


def _basis(ctx: Context, extra: Sequence[str] = ()) -> str:
    doc = ctx.doc
    lines = [
        f"评估依据：{ctx.title_standard}，标准版本 {ctx.std.version}。",
        f"纳入范围：{ctx.std.scope.include_zh}；" + "；".join(e.zh for e in ctx.std.scope.exclusions) + "。",
        f"差异系数：{ctx.std.cv.zh}。",
        f"分摊方法：{ctx.split_zh()}。",
        *extra,
    ]
    meta = (f"输入数据哈希 <span class=\"mono\">{esc(doc.get('inputs_hash', '—'))}</span>；程序版本 {esc(doc.get('code_version', '—'))}；"
            f"计算引擎 {esc(ENGINE_ZH.get(str(doc.get('engine')), doc.get('engine', '—')))}"
            + (f"；结果编号 {esc(doc['run'])}" if doc.get("run") is not None else "") + "。")
    return "".join(f"<p>{esc(line)}</p>" for line in lines) + f"<p>{meta}</p>"


def short_name(name: str, county_name: str) -> str:
    """Drops a leading "沈阳市和平区" from a school's name in its own county's report."""
    idx = name.find(county_name)
    if 0 <= idx <= 6 and len(name) > idx + len(county_name) + 1:
        return name[idx + len(county_name):]
    return name


# --------------------------------------------------------------------------------------------
# County report
# --------------------------------------------------------------------------------------------

def county_pdf(ctx: Context, code: str, out: Path) -> Path:
    return _render(county_html(ctx, code), out)


def county_html(ctx: Context, code: str) -> str:
    county = ctx.county(code)
    views = ctx.sections(county)
    decimals = ctx.indicator_decimals(views)
    counts = ctx.counts(county)
    verdict = county["verdict"]
    explain = {
        "fail": f"有 {counts['fail']} 项未达到要求" + (f"，另有 {counts['missing']} 项尚缺数据" if counts["missing"] else "") + "。",
        "incomplete": f"未发现不达标的项目，但有 {counts['missing']} 项尚缺数据，补录并核实后才能认定。",
        "pass": "各项均达到要求。",
    }.get(verdict, "")
    kind = _kind_of_balance(ctx)
    labels = [(i.id, i.zh) for i in ctx.indicators]
    chart = charts.cv_chart(views, labels, composite=ctx.composite_rule is not None)
    page = _template("county.html").substitute(
        css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
        footer=_footer(ctx),
        kicker=esc(f"县域义务教育{kind}发展评估 · 县级报告"),
        title=esc(f"{county['name']}义务教育{kind}发展评估报告"),
        subtitle=esc(f"{year_label(ctx.year)} · 县级代码 {county['code']} · 依据{ctx.title_standard}"),
        verdict_class=esc(verdict),
        verdict_word=esc(VERDICT_ZH.get(verdict, verdict)),
        verdict_explain=esc(explain),
        summary=_summary(ctx, county, views, decimals),
        cv_intro=_cv_intro(ctx),
        chart=_data_uri(chart),
        chart_caption=esc("横轴为差异系数，越小越均衡；虚线为" + ("综合差异系数的限值" if ctx.composite_rule else "限值")
                          + "，红色为超过限值。"),
        cv_table=_cv_table(ctx, views),
        schools_table=_schools_table(ctx, county, views, decimals),
        lifts=_lifts(ctx, county, decimals),
        missing=_missing(ctx, county),
        basis=_basis(ctx),
    )
    return page


def _summary(ctx: Context, county: Mapping[str, Any], views: Sequence[SectionView], decimals: Mapping[str, int]) -> str:
    names = ctx.school_names(county)
    short = {c: short_name(n, county["name"]) for c, n in names.items()}
    fails = [r for r in county.get("reasons", []) if r.get("status") == "fail"]
    missing = [r for r in county.get("reasons", []) if r.get("status") == "missing"]
    items: list[str] = []
    rule = ctx.school_rule
    failing = sum(len(v.failing) for v in views)
    gap_groups = ctx.gap_groups(county)
    if failing and rule is not None:
        sub = []
        for g in gap_groups:
            ind = g["indicator"]
            what = f"{noun(g['element_zh'])}" if g["unit"] != "元" else g["element_zh"]
            need = fmt_qty(g["addition"], g["unit"], g["integer"])
            text = (f"有 <b>{g['schools']}</b> 所学校的{esc(ind.zh)}未达到标准，需新增{esc(what)}{_about(g)}"
                    f"<b class=\"num\">{esc(need)}</b>")
            if g["unit"] != "元":
                text += f"，估算 <b class=\"num\">{esc(fmt_money(g['cost']))}</b>"
            sub.append(f"<li>{text}。</li>")
        total = county.get("gaps", {}).get("total_cost", 0.0)
        head = (f"<b class=\"bad\">{failing} 个学校（学段）</b>未达到学校资源配置要求（{esc(rule.zh)}）"
                + (f"，补齐差距估算共需 <b class=\"num\">{esc(fmt_money(total))}</b>" if total else "") + "：")
        items.append(f"<li>{head}<ul>{''.join(sub)}</ul></li>" if sub else f"<li>{head}</li>")
    lifts = {(g["section"], g["indicator"].id): g for g in ctx.lift_groups(county)}
    for view in views:
        for ind in ctx.indicators:
            if ind.id not in view.over:
                continue
            cv, limit = view.cv.get(ind.id), view.limits.get(ind.id)
            text = (f"{esc(view.zh)}{esc(ind.zh)}的校际差异系数为 <b class=\"bad num\">{fmt_num(cv, 3)}</b>，"
                    f"超过 {fmt_num(limit, 2)} 的限值，学校之间差距过大")
            g = lifts.get((view.code, ind.id))
            if g and g["lifted"]:
                unit = unit_word(ind.unit)
                text += (f"。按“补短板”测算，需把 <b>{g['lifted']}</b> 所学校的该项指标提高到 "
                         f"<b class=\"num\">{fmt_num(g['level'], decimals.get(ind.id, 2))}</b>{esc(unit)}，"
                         f"新增{esc(noun(g['element_zh']))}{_about(g)}<b class=\"num\">{esc(fmt_qty(g['addition'], g['unit'], g['integer']))}</b>")
                if g["unit"] != "元":
                    text += f"，估算 <b class=\"num\">{esc(fmt_money(g['cost']))}</b>"
            items.append(f"<li>{text}。</li>")
        if "composite" in view.over:
            items.append(f"<li>{esc(view.zh)}综合差异系数为 <b class=\"bad num\">{fmt_num(view.composite, 3)}</b>，"
                         f"超过 {fmt_num(view.composite_limit, 2)} 的限值。</li>")
    handled_parts = {"resource"}
    for r in fails:
        if r.get("part") in handled_parts and (r.get("item", "").split(".")[0] in
                                               {x.id for x in ctx.std.rules if x.kind in ("k_of_n", "cv_each", "cv_composite")}
                                               or r.get("item", "").split(".")[0] in {i.id for i in ctx.indicators}):
            continue
        text = ctx.with_names(r.get("zh", ""), short)
        items.append(f"<li><b>{esc(ctx.part_label(r))}</b>：{esc(text)}。</li>")
    if missing:
        by_part = Counter(ctx.part_label(r) for r in missing)
        parts = "、".join(f"{p} {n} 项" for p, n in by_part.items())
        items.append(f"<li class=\"warn\">另有 <b>{len(missing)}</b> 项尚无数据（{esc(parts)}），见第四部分。"
                     "请县教育局填写“县级记录项填报表”并附佐证材料后导入，补录前不能认定为达标。</li>")
    if not items:
        items.append("<li class=\"ok\">各项均达到要求。</li>")
    return f"<ul class=\"issues\">{''.join(items)}</ul>"


def _about(group: Mapping[str, Any]) -> str:
    """"约 " before an estimated amount; whole teachers or rooms are counted, not estimated."""
    return " " if group["integer"] and group["unit"] != "元" else "约 "


def _cv_intro(ctx: Context) -> str:
    if ctx.composite_rule is not None:
        rule = ctx.composite_rule.zh
        return (f"<p>差异系数反映同一学段学校之间的差距，数值越小越均衡。判定要求：{esc(rule)}。"
                "单项差异系数只作参考，不单独判定。</p>")
    rule = next((r.zh for r in ctx.std.rules if r.kind == "cv_each"), "")
    return f"<p>差异系数反映同一学段学校之间的差距，数值越小越均衡。判定要求：{esc(rule)}。</p>"


def _cv_table(ctx: Context, views: Sequence[SectionView]) -> str:
    head = "".join(f"<th>{esc(v.zh)}</th>" for v in views)
    limits_row = ""
    if ctx.composite_rule is None:
        limits = "".join(f"<td class=\"r\">{_limits_text(v)}</td>" for v in views)
        limits_row = f"<tr class=\"total\"><td>限值（不高于）</td>{limits}</tr>"
    rows = []
    for ind in ctx.indicators:
        cells = []
        for v in views:
            cv = v.cv.get(ind.id)
            if cv is None:
                cells.append("<td class=\"c missing\">无法计算</td>")
            elif ind.id in v.over:
                cells.append(f"<td class=\"r fail\">{cv:.3f} 超过</td>")
            elif v.limits.get(ind.id) is not None:
                cells.append(f"<td class=\"r pass\">{cv:.3f}</td>")
            else:
                cells.append(f"<td class=\"r\">{cv:.3f}</td>")
        rows.append(f"<tr><td>{esc(ctx.indicator_header(ind))}</td>{''.join(cells)}</tr>")
    if ctx.composite_rule is not None:
        cells = []
        for v in views:
            if v.composite is None:
                cells.append("<td class=\"c missing\">无法计算</td>")
            else:
                cls = "fail" if "composite" in v.over else "pass"
                word = " 超过" if cls == "fail" else ""
                cells.append(f"<td class=\"r {cls}\">{v.composite:.3f}{word}（限值 {fmt_num(v.composite_limit, 2)}）</td>")
        rows.append(f"<tr class=\"total\"><td>综合差异系数（{len(ctx.indicators)} 项平均）</td>{''.join(cells)}</tr>")
    return (f"<table class=\"keep\"><thead><tr><th>指标</th>{head}</tr></thead><tbody>{''.join(rows)}{limits_row}</tbody></table>"
            "<p class=\"note\">显示 3 位小数，判定用未舍入的数值。</p>")


def _limits_text(view: SectionView) -> str:
    distinct = {v for v in view.limits.values() if v is not None}
    return " / ".join(f"{x:.2f}" for x in sorted(distinct)) or "—"


def _schools_table(ctx: Context, county: Mapping[str, Any], views: Sequence[SectionView],
                   decimals: Mapping[str, int]) -> str:
    if ctx.school_rule is None:
        return "<p>本标准对单所学校不设指标标准值，学校之间的差距见上面的差异系数。</p>"
    gaps = county.get("gaps", {}).get("schools", [])
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for g in gaps:
        by_key[(g["school_code"], g["section"])].append(g)
    failing = [(v, s) for v in views for s in v.failing]
    if not failing:
        missing = sum(1 for v in views for s in v.schools if s.get("school_pass") is None)
        text = "所有纳入计算的学校均达到资源配置要求。"
        if missing:
            text = f"没有发现未达标的学校；另有 {missing} 个学校（学段）数据不全，无法判定。"
        return f"<p>{esc(text)}</p>"
    rows = []
    costs_used: dict[str, str] = {}
    for view, s in failing:
        lines = by_key.get((s["code"], view.code), [])
        name = esc(short_name(s["name"], county["name"]))
        if not lines:
            rows.append(f"<tr><td class=\"name\">{name}</td><td class=\"c\">{esc(view.zh)}</td>"
                        "<td colspan=\"5\">未达标（没有可估算的差距）</td></tr>")
            continue
        span = len(lines)
        for k, g in enumerate(lines):
            ind = ctx.std.indicator(g["indicator"])
            dec = decimals.get(ind.id, 2)
            _el_zh, el_unit = ctx.element_zh(g.get("element", ""))
            integer = bool(ind.gap.integer) if ind.gap else False
            if ind.gap:
                costs_used[ind.id] = f"{ind.gap.cost_note.split('（')[0]} {ind.gap.unit_cost:,.0f} 元/{unit_word(el_unit) or '单位'}"
            head = (f"<td class=\"name\" rowspan=\"{span}\">{name}</td><td class=\"c\" rowspan=\"{span}\">{esc(view.zh)}</td>"
                    if k == 0 else "")
            rows.append(
                f"<tr>{head}<td>{esc(ind.zh)}</td>"
                f"<td class=\"r fail\">{fmt_num(g.get('value'), dec)}</td><td class=\"r\">{fmt_num(g.get('threshold'), dec)}</td>"
                f"<td class=\"r\">{esc(fmt_qty(g.get('addition'), el_unit, integer))}</td>"
                f"<td class=\"r\">{esc(fmt_money(g.get('counted_cost', g.get('cost'))))}</td></tr>")
    total = county.get("gaps", {}).get("total_cost", 0.0)
    rows.append(f"<tr class=\"total\"><td colspan=\"6\">合计估算</td><td class=\"r\">{esc(fmt_money(total))}</td></tr>")
    note = ""
    if costs_used:
        note = ("<p class=\"note\">估算单价（标准文件中的默认单价，省级可调整，仅供参考）："
                + esc("；".join(costs_used[i.id] for i in ctx.indicators if i.id in costs_used)) + "。</p>")
    shared = Counter((g["school_code"], g["indicator"]) for g in gaps
                     if ctx.std.indicator(g["indicator"]).basis == "facilities")
    if any(n > 1 for n in shared.values()):
        note += ("<p class=\"note\">一贯制学校的场地、设备由各学段共用：同一所学校两个学段都缺同一项时，"
                 "按较大的需求计入一次（另一学段的金额记为 0），合计不重复计算。</p>")
    rule = ctx.school_rule
    intro = (f"<p>学校达标要求：{esc(rule.zh)}。下表列出未达标的 {len(failing)} 个学校（学段）"
             "及其每项未达到标准值的指标。</p>")
    return (intro + "<table><thead><tr><th>学校</th><th>学段</th><th>未达标指标</th><th>现值</th><th>标准值</th>"
            f"<th>需新增</th><th>估算金额</th></tr></thead><tbody>{''.join(rows)}</tbody></table>{note}")


def _lifts(ctx: Context, county: Mapping[str, Any], decimals: Mapping[str, int]) -> str:
    groups = ctx.lift_groups(county)
    if not groups:
        return ""
    rows = []
    for g in groups:
        ind = g["indicator"]
        dec = decimals.get(ind.id, 2)
        rows.append(
            f"<tr><td class=\"c\">{esc(g['section_zh'])}</td><td>{esc(ind.zh)}</td>"
            f"<td class=\"r fail\">{fmt_num(g['cv'], 3)}</td><td class=\"r\">{fmt_num(g['cv_limit'], 2)}</td>"
            f"<td class=\"r\">{fmt_num(g['level'], dec)} {esc(unit_word(ind.unit))}</td><td class=\"c\">{g['lifted']}</td>"
            f"<td class=\"r\">{esc(fmt_qty(g['addition'], g['unit'], g['integer']))}</td>"
            f"<td class=\"r\">{esc(fmt_money(g['cost']))}</td></tr>")
    return ("<div class=\"keep\"><h3>差异系数超过限值的补短板测算</h3>"
            "<p>把低于“目标水平”的学校提高到该水平，差异系数即可降到限值以内。各项测算相互独立，不能简单相加；"
            "逐校明细见 Excel 报表“差距”工作表。</p>"
            "<table><thead><tr><th>学段</th><th>指标</th><th>差异系数</th><th>限值</th><th>目标水平</th>"
            "<th>需提高的学校</th><th>需新增</th><th>估算金额</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _prefix(label: str) -> str:
    return "" if label in ("", "—") else f"{esc(label)}　"


def _missing(ctx: Context, county: Mapping[str, Any]) -> str:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for _part, rs in ctx.reasons_by_part(county):
        for r in rs:
            if r.get("status") == "missing":
                groups[ctx.part_label(r)].append(r)
    if not groups:
        return "<p>没有缺数据的项目。</p>"
    out = ["<p>以下项目还没有记录，或记录不足以判定。请县教育局补录并附佐证材料（文件、统计表、调查报告等）。</p>"]
    blocks = []
    for label, rs in groups.items():
        lis = "".join(f"<li>{_prefix(ctx.item_label(r))}{esc(r.get('zh', ''))}</li>" for r in rs)
        blocks.append(f"<div class=\"missing-group\"><h3>{esc(label)}（{len(rs)} 项）</h3>"
                      f"<ul class=\"missing-list\">{lis}</ul></div>")
    cls = "missing-cols" if sum(len(rs) for rs in groups.values()) > 8 else ""
    return "".join(out) + f"<div class=\"{cls}\">{''.join(blocks)}</div>"


# --------------------------------------------------------------------------------------------
# Province (multi-county) report
# --------------------------------------------------------------------------------------------

def province_pdf(ctx: Context, out: Path) -> Path:
    return _render(province_html(ctx), out)


def province_html(ctx: Context) -> str:
    counties = ctx.doc["counties"]
    area = ctx.area_name()
    kind = _kind_of_balance(ctx)
    counts = Counter(c["verdict"] for c in counties)
    boxes = [f"<div class=\"box all\"><div class=\"n\">{len(counties)}</div><div class=\"t\">参评县（市、区）</div></div>"]
    for verdict in ("pass", "fail", "incomplete"):
        boxes.append(f"<div class=\"box {verdict}\"><div class=\"n\">{counts.get(verdict, 0)}</div>"
                     f"<div class=\"t\">{esc(VERDICT_SHORT[verdict])}</div></div>")
    groups: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in counties:
        groups[ctx.prefecture(c["code"]) or c["code"][:4] + "00"][c["verdict"]] += 1
    chart = charts.verdict_chart(list(groups.items()), VERDICT_SHORT)
    return _template("province.html").substitute(
        css=(TEMPLATES / "report.css").read_text(encoding="utf-8"),
        footer=_footer(ctx),
        kicker=esc(f"县域义务教育{kind}发展评估 · 汇总报告"),
        title=esc(f"{area}各县（市、区）义务教育{kind}发展评估结果"),
        subtitle=esc(f"{year_label(ctx.year)} · 依据{ctx.title_standard}"),
        boxes=f"<div class=\"boxes\">{''.join(boxes)}</div>",
        chart=_data_uri(chart),
        common=_common_fails(ctx, counties),
        table=_county_table(ctx, counties),
        basis=_basis(ctx),
    )


def _common_fails(ctx: Context, counties: Sequence[Mapping[str, Any]]) -> str:
    rows = common_fails(ctx, counties)
    if not rows:
        missing = Counter(ctx.part_label(r) for c in counties for r in c.get("reasons", []) if r.get("status") == "missing")
        if missing:
            return ("<p>没有发现未达标的项目。尚缺数据：" + esc("、".join(f"{p} {n} 县次" for p, n in missing.items()))
                    + "，补录后才能认定。</p>")
        return "<p>没有发现未达标的项目。</p>"
    body = "".join(f"<tr><td>{esc(p)}</td><td>{esc(t)}</td><td class=\"r\">{n}</td></tr>" for p, t, n in rows[:12])
    more = f"<p class=\"note\">另有 {len(rows) - 12} 类项目，见 Excel 报表。</p>" if len(rows) > 12 else ""
    return ("<table><thead><tr><th>评估部分</th><th>未达标项目</th><th>县数</th></tr></thead>"
            f"<tbody>{body}</tbody></table>{more}")


def _county_table(ctx: Context, counties: Sequence[Mapping[str, Any]]) -> str:
    sections = [(s, ctx.section_zh.get(s, s)) for s in ctx.std.sections]
    composite = ctx.composite_rule is not None
    label = "综合差异系数" if composite else "最大差异系数"
    head = "<th>县（市、区）</th><th>结论</th>" + "".join(f"<th>{esc(zh)}<br>{label}</th>" for _, zh in sections)
    if ctx.has_thresholds:
        head += "<th>未达标学校<br>（学段）数</th><th>补齐学校<br>差距估算</th>"
    head += "<th>未达标<br>项数</th><th>缺数据<br>项数</th>"
    ncols = 2 + len(sections) + (2 if ctx.has_thresholds else 0) + 2
    rows = []
    current = None
    for c in counties:
        pref = ctx.prefecture(c["code"])
        if pref != current:
            current = pref
            rows.append(f"<tr class=\"group\"><td colspan=\"{ncols}\">{esc(pref or '其他')}</td></tr>")
        views = {v.code: v for v in ctx.sections(c)}
        cells = [f"<td class=\"name\">{esc(c['name'])} <span class=\"note\">{esc(c['code'])}</span></td>",
                 f"<td class=\"c {_verdict_cls(c['verdict'])}\">{esc(VERDICT_SHORT.get(c['verdict'], c['verdict']))}</td>"]
        for s, _ in sections:
            v = views.get(s)
            if v is None:
                cells.append("<td class=\"c\">—</td>")
                continue
            value = v.composite if composite else v.max_cv
            over = ("composite" in v.over) if composite else bool(v.over - {"composite"})
            cells.append(f"<td class=\"r{' fail' if over else ''}\">{fmt_num(value, 3)}</td>")
        if ctx.has_thresholds:
            n = ctx.failing_sections(c) or 0
            cells.append(f"<td class=\"c{' fail' if n else ''}\">{n}</td>")
            cells.append(f"<td class=\"r\">{esc(fmt_money(c.get('gaps', {}).get('total_cost', 0.0)) if n else '—')}</td>")
        k = ctx.counts(c)
        cells.append(f"<td class=\"c\">{k['fail']}</td><td class=\"c\">{k['missing']}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    note = ("<p class=\"note\">红色：超过限值或未达标（由评估程序按未舍入的数值判定）。"
            + ("“最大差异系数”是该学段各项指标差异系数中的最大值。" if not composite else "")
            + "各县逐项差异系数见 Excel 汇总表。</p>")
    return f"<table class=\"compact\"><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"


def _verdict_cls(verdict: str) -> str:
    return {"fail": "fail", "pass": "pass", "incomplete": "missing"}.get(verdict, "")
