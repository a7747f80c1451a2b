"""Excel workbooks (XlsxWriter): one county in detail, or every county on one sheet.

Numbers are written as numbers with display formats; pass/fail shading follows the engine's own
judgement in the document (which compares unrounded values), never a recomputation here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Format, Workbook
from xlsxwriter.worksheet import Worksheet

from dudao.reports.common import (
    ENGINE_ZH,
    STATUS_ZH,
    VERDICT_SHORT,
    VERDICT_ZH,
    Context,
    SectionView,
    common_fails,
    display_width,
    year_label,
)

GOOD = {"bg_color": "#C6EFCE", "font_color": "#006100"}
BAD = {"bg_color": "#FFC7CE", "font_color": "#9C0006"}
WARN = {"bg_color": "#FFEB9C", "font_color": "#9C5700"}
VERDICT_STYLE = {"pass": GOOD, "fail": BAD, "incomplete": WARN}
FONT = "等线"


class Styles:
    """The workbook's formats, created once and cached by their properties."""

    def __init__(self, wb: Workbook):
        self.wb = wb
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}

    def __call__(self, **props: Any) -> Format:
        base = {"font_name": FONT, "font_size": 10, "valign": "vcenter"}
        base.update(props)
        key = tuple(sorted(base.items()))
        if key not in self._cache:
            self._cache[key] = self.wb.add_format(base)
        return self._cache[key]

    def num(self, decimals: int, **props: Any) -> Format:
        fmt = "#,##0" if decimals == 0 else "#,##0." + "0" * decimals
        return self(num_format=fmt, **props)

    @property
    def title(self) -> Format:
        return self(bold=True, font_size=14)

    @property
    def note(self) -> Format:
        return self(font_color="#595959", text_wrap=False)

    @property
    def header(self) -> Format:
        return self(bold=True, bg_color="#DDEBF7", border=1, text_wrap=True, align="center")

    @property
    def text(self) -> Format:
        return self(border=1)

    @property
    def wrap(self) -> Format:
        return self(border=1, text_wrap=True, valign="top")


SHARED_NOTE = "与同校另一学段共用，已按较大的需求计入，此行不重复计算金额"


def _print_setup(ws: Worksheet, header_rows: tuple[int, int] | None = None, landscape: bool = True) -> None:
    """A4, fitted to the page width, header rows repeated on every printed page."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.set_footer("&L&8&A&R&8第 &P 页，共 &N 页")
    if header_rows is not None:
        ws.repeat_rows(*header_rows)


class Widths:
    """Remembers the widest text per column and sets column widths at the end."""

    def __init__(self, ws: Worksheet, minimum: float = 6, maximum: float = 60):
        self.ws, self.min, self.max = ws, minimum, maximum
        self.w: dict[int, float] = {}

    def see(self, col: int, text: Any, factor: float = 1.0) -> None:
        width = max(display_width(line) for line in str(text).split("\n")) * factor + 2
        self.w[col] = max(self.w.get(col, 0), width)

    def fix(self, col: int, width: float) -> None:
        self.w[col] = width

    def apply(self) -> None:
        for col, width in self.w.items():
            self.ws.set_column(col, col, min(max(width, self.min), self.max))


def _write_row(ws: Worksheet, row: int, values: Sequence[Any], fmt: Format | Sequence[Format | None],
               widths: Widths | None = None, col0: int = 0) -> None:
    for i, v in enumerate(values):
        f = fmt[i] if isinstance(fmt, Sequence) else fmt
        if v is None:
            ws.write_blank(row, col0 + i, None, f)
        else:
            ws.write(row, col0 + i, v, f)
        if widths is not None and v is not None and not isinstance(v, float | int):
            widths.see(col0 + i, v)


def _header(ws: Worksheet, row: int, labels: Sequence[str], st: Styles, widths: Widths | None = None,
            col0: int = 0, lines: int | None = None) -> None:
    lines = lines or max(str(label).count("\n") + 1 for label in labels)
    ws.set_row(row, 14 * lines + 6)
    for i, label in enumerate(labels):
        ws.write(row, col0 + i, label, st.header)
        if widths is not None:
            widths.see(col0 + i, label)


def _meta_rows(ws: Worksheet, row: int, ctx: Context, st: Styles) -> int:
    doc = ctx.doc
    items = [
        ("结果编号", doc.get("run")),
        ("输入数据哈希（inputs_hash）", doc.get("inputs_hash")),
        ("程序版本（code_version）", doc.get("code_version")),
        ("计算引擎（engine）", ENGINE_ZH.get(str(doc.get("engine")), doc.get("engine"))),
        ("差异系数算法", ctx.std.cv.zh),
        ("一贯制学校分摊", ctx.split_zh()),
    ]
    for label, value in items:
        if value is None:
            continue
        ws.write(row, 0, label, st(bold=True))
        ws.write(row, 1, value, st())
        row += 1
    return row


# --------------------------------------------------------------------------------------------
# County workbook
# --------------------------------------------------------------------------------------------

def county_workbook(ctx: Context, code: str, out: Path) -> Path:
    county = ctx.county(code)
    views = ctx.sections(county)
    wb = xlsxwriter.Workbook(str(out), {"default_format_properties": {"font_name": FONT, "font_size": 10}})
    wb.set_properties({"title": f"{county['name']} {ctx.std.name_zh} 评估结果", "author": "dudao 督导系统",
                       "comments": f"inputs_hash {ctx.doc.get('inputs_hash', '')}"})
    st = Styles(wb)
    _overview_sheet(wb, st, ctx, county)
    decimals = ctx.indicator_decimals(views)
    for view in views:
        _schools_sheet(wb, st, ctx, view, decimals)
    _cv_sheet(wb, st, ctx, county, views)
    _gaps_sheet(wb, st, ctx, county, decimals)
    wb.close()
    return out


def _overview_sheet(wb: Workbook, st: Styles, ctx: Context, county: Mapping[str, Any]) -> None:
    ws = wb.add_worksheet("概况")
    ws.hide_gridlines(2)
    ws.write(0, 0, f"{county['name']}（{county['code']}）义务教育均衡发展评估结果", st.title)
    ws.set_row(0, 24)
    counts = ctx.counts(county)
    verdict = county["verdict"]
    rows = [
        ("县（市、区）", f"{county['name']}（{county['code']}）"),
        ("评估标准", ctx.title_standard),
        ("学年", year_label(ctx.year)),
        ("评估结论", VERDICT_ZH.get(verdict, verdict)),
        ("未达标项目", counts["fail"]),
        ("缺数据项目", counts["missing"]),
    ]
    r = 2
    for label, value in rows:
        ws.write(r, 0, label, st(bold=True))
        if label == "评估结论":
            ws.write(r, 1, value, st(bold=True, font_size=12, **VERDICT_STYLE.get(verdict, {})))
        else:
            ws.write(r, 1, value, st(align="left"))
        r += 1
    note = {"fail": "有项目未达到标准，不能认定。", "incomplete": "没有发现未达标项目，但有项目缺少数据，补录并核实后才能认定。",
            "pass": "各项均达到标准。"}.get(verdict, "")
    ws.write(r, 1, note, st.note)
    r += 2
    ws.write(r, 0, "未达标和缺数据的项目（按评估部分分组）", st(bold=True, font_size=12))
    r += 1
    _header(ws, r, ["评估部分", "项目编号", "状态", "说明"], st)
    ws.freeze_panes(r + 1, 0)
    r += 1
    first = r
    for _part, reasons in ctx.reasons_by_part(county):
        for reason in reasons:
            status = reason.get("status", "")
            fmt = st(border=1, **(BAD if status == "fail" else WARN))
            ws.write(r, 0, ctx.part_label(reason), st.text)
            ws.write(r, 1, ctx.item_label(reason), st.text)
            ws.write(r, 2, STATUS_ZH.get(status, status), fmt)
            ws.write(r, 3, reason.get("zh", ""), st.wrap)
            lines = math.ceil(display_width(reason.get("zh", "")) / 86)
            if lines > 1:
                ws.set_row(r, 14 * lines + 2)
            r += 1
    if r == first:
        ws.write(r, 0, "（无：所有项目均已达标）", st.note)
        r += 1
    r += 1
    ws.write(r, 0, "计算依据（用于核对本结果）", st(bold=True, font_size=12))
    r = _meta_rows(ws, r + 1, ctx, st)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 9)
    ws.set_column(3, 3, 90)
    _print_setup(ws)


def _schools_sheet(wb: Workbook, st: Styles, ctx: Context, view: SectionView, decimals: Mapping[str, int]) -> None:
    ws = wb.add_worksheet(f"{view.zh}学校指标")
    widths = Widths(ws, maximum=40)
    inds = ctx.indicators
    ws.write(0, 0, f"{view.zh}各校资源配置指标", st.title)
    rule = ctx.school_rule
    if rule is not None:
        ws.write(1, 0, f"学校达标要求：{rule.zh}。绿色为达到标准值，红色为未达到。", st.note)
    else:
        ws.write(1, 0, "本标准未规定校级指标标准值，各校数值用于计算差异系数。", st.note)
    head = ["学校代码", "学校名称", "学校类型", "在校生数（人）", "本学段分摊比例"]
    head += [f"{i.id}\n{ctx.indicator_header(i)}" for i in inds]
    if ctx.has_thresholds:
        head += ["达标项数", "学校结论"]
    hr = 3
    _header(ws, hr, head, st)
    ncol0 = 5
    for j in range(len(inds)):
        widths.fix(ncol0 + j, 14)
    longest = max(display_width(ctx.indicator_header(i)) for i in inds)
    ws.set_row(hr, 14 * (math.ceil(longest / 12) + 1) + 4)
    widths.fix(3, 10)
    widths.fix(4, 9)
    r = hr + 1
    if ctx.has_thresholds:
        ws.write(r, 0, "", st(bold=True, border=1, bg_color="#F2F2F2"))
        ws.write(r, 1, "标准值（不低于）", st(bold=True, border=1, bg_color="#F2F2F2"))
        for c in range(2, ncol0):
            ws.write_blank(r, c, None, st(border=1, bg_color="#F2F2F2"))
        for j, ind in enumerate(inds):
            thr = ind.thresholds.get(view.code)  # type: ignore[call-overload]
            fmt = st.num(decimals[ind.id], bold=True, border=1, bg_color="#F2F2F2")
            if thr is None:
                ws.write_blank(r, ncol0 + j, None, fmt)
            else:
                ws.write_number(r, ncol0 + j, thr, fmt)
        for c in range(ncol0 + len(inds), len(head)):
            ws.write_blank(r, c, None, st(border=1, bg_color="#F2F2F2"))
        r += 1
    ws.freeze_panes(r, 2)
    for s in view.schools:
        ws.write_string(r, 0, s["code"], st.text)
        ws.write(r, 1, s["name"], st.text)
        ws.write(r, 2, ctx.kind_zh.get(s.get("kind", ""), s.get("kind", "")), st.text)
        widths.see(1, s["name"])
        widths.see(2, ctx.kind_zh.get(s.get("kind", ""), ""))
        widths.see(0, s["code"])
        if s.get("students") is None:
            ws.write(r, 3, "缺数据", st(border=1, **WARN))
        else:
            ws.write_number(r, 3, s["students"], st.num(0, border=1))
        share = s.get("share")
        if share is None:
            ws.write_blank(r, 4, None, st.text)
        else:
            ws.write_number(r, 4, share, st(num_format="0.0%", border=1))
        passed = s.get("passed") or {}
        for j, ind in enumerate(inds):
            v = s["values"].get(ind.id)
            ok = passed.get(ind.id)
            style = GOOD if ok is True else BAD if ok is False else {}
            if v is None:
                ws.write(r, ncol0 + j, "缺数据", st(border=1, align="center", **WARN))
            else:
                ws.write_number(r, ncol0 + j, v, st.num(decimals[ind.id], border=1, **style))
        if ctx.has_thresholds:
            c = ncol0 + len(inds)
            n_ok = sum(1 for i in inds if passed.get(i.id) is True)
            ws.write_number(r, c, n_ok, st(border=1, align="center"))
            sp = s.get("school_pass")
            label, style = ("达标", GOOD) if sp is True else ("未达标", BAD) if sp is False else ("缺数据", WARN)
            ws.write(r, c + 1, label, st(border=1, align="center", **style))
        r += 1
    if not view.schools:
        ws.write(r, 1, "（没有纳入计算的学校）", st.note)
        r += 1
    r += 1
    ws.write(r, 0, f"未纳入差异系数计算的学校（{len(view.excluded)} 所）", st(bold=True, font_size=11))
    r += 1
    if view.excluded:
        _header(ws, r, ["学校代码", "学校名称", "原因"], st)
        r += 1
        for e in view.excluded:
            ws.write_string(r, 0, e["code"], st.text)
            ws.write(r, 1, e["name"], st.text)
            ws.write(r, 2, ctx.exclusion_zh(e.get("reason", "")), st.text)
            widths.see(1, e["name"])
            r += 1
    else:
        ws.write(r, 0, "（无）", st.note)
    widths.fix(0, 12)
    widths.w[2] = max(widths.w.get(2, 0), 12)
    widths.apply()
    _print_setup(ws, (hr, hr + 1))


def _cv_sheet(wb: Workbook, st: Styles, ctx: Context, county: Mapping[str, Any], views: Sequence[SectionView]) -> None:
    ws = wb.add_worksheet("差异系数")
    ws.write(0, 0, f"{county['name']}校际差异系数", st.title)
    ws.write(1, 0, f"{ctx.std.cv.zh}。表中显示 3 位小数。", st.note)
    composite = ctx.composite_rule
    if composite is not None:
        ws.write(2, 0, f"判定要求：{composite.zh}。单项差异系数不单独判定。", st.note)
    else:
        rule = next((r for r in ctx.std.rules if r.kind == "cv_each"), None)
        if rule is not None:
            ws.write(2, 0, f"判定要求：{rule.zh}。", st.note)
    head = ["学段", "指标代码", "指标名称", "差异系数", "限值（不高于）", "结论"]
    hr = 4
    _header(ws, hr, head, st)
    ws.freeze_panes(hr + 1, 0)
    r = hr + 1
    cv_fmt = {"border": 1, "num_format": "0.000"}
    for view in views:
        for ind in ctx.indicators:
            cv, limit = view.cv.get(ind.id), view.limits.get(ind.id)
            ws.write(r, 0, view.zh, st.text)
            ws.write(r, 1, ind.id, st.text)
            ws.write(r, 2, ctx.indicator_header(ind), st.text)
            if cv is None:
                ws.write(r, 3, "无法计算", st(border=1, **WARN))
            else:
                style = BAD if ind.id in view.over else GOOD if limit is not None else {}
                ws.write_number(r, 3, cv, st(**cv_fmt, **style))
            if limit is None:
                ws.write(r, 4, "—", st(border=1, align="center"))
                ws.write(r, 5, "不单独判定" if composite is not None else "—", st.text)
            else:
                ws.write_number(r, 4, limit, st(border=1, num_format="0.00"))
                if cv is None:
                    ws.write(r, 5, "缺数据", st(border=1, **WARN))
                elif ind.id in view.over:
                    ws.write(r, 5, "超过限值", st(border=1, **BAD))
                else:
                    ws.write(r, 5, "未超过", st(border=1, **GOOD))
            r += 1
        if composite is not None:
            fmt_b = {"border": 1, "bold": True}
            ws.write(r, 0, view.zh, st(**fmt_b))
            ws.write(r, 1, "综合", st(**fmt_b))
            ws.write(r, 2, f"综合差异系数（{len(ctx.indicators)} 项平均）", st(**fmt_b))
            over = "composite" in view.over
            if view.composite is None:
                ws.write(r, 3, "无法计算", st(**fmt_b, **WARN))
            else:
                ws.write_number(r, 3, view.composite, st(**fmt_b, num_format="0.000", **(BAD if over else GOOD)))
            if view.composite_limit is not None:
                ws.write_number(r, 4, view.composite_limit, st(**fmt_b, num_format="0.00"))
            else:
                ws.write(r, 4, "—", st(**fmt_b))
            label, style = ("缺数据", WARN) if view.composite is None else ("超过限值", BAD) if over else ("未超过", GOOD)
            ws.write(r, 5, label, st(**fmt_b, **style))
            r += 1
    ws.set_column(0, 0, 8)
    ws.set_column(1, 1, 9)
    ws.set_column(2, 2, max(display_width(ctx.indicator_header(i)) for i in ctx.indicators) + 2)
    ws.set_column(3, 4, 14)
    ws.set_column(5, 5, 12)
    _print_setup(ws, (hr, hr), landscape=False)


def _gaps_sheet(wb: Workbook, st: Styles, ctx: Context, county: Mapping[str, Any], decimals: Mapping[str, int]) -> None:
    ws = wb.add_worksheet("差距")
    widths = Widths(ws, maximum=44)
    gaps = county.get("gaps", {})
    rows = gaps.get("schools", [])
    ws.write(0, 0, "一、未达标学校的差距及估算投入", st.title)
    ws.write(1, 0, "每所未达标学校（学段）每项未达到标准值的指标，需新增的数量及估算金额。估算单价为标准文件中的默认单价，可由省级覆盖调整，仅供参考。",
             st.note)
    head = ["学校代码", "学校名称", "学段", "指标代码", "指标名称", "现值", "标准值", "需新增的项目", "需新增数量",
            "单价（元）", "估算金额（元）", "单价说明"]
    hr = 3
    _header(ws, hr, head, st, widths)
    ws.freeze_panes(hr + 1, 2)
    r = hr + 1
    first = r
    for g in rows:
        ind = ctx.std.indicator(g["indicator"])
        el_zh, el_unit = ctx.element_zh(g.get("element", ""))
        integer = bool(ind.gap.integer) if ind.gap else False
        dec = decimals.get(ind.id, 2)
        vals: list[Any] = [g["school_code"], g["school_name"], ctx.section_zh.get(g["section"], g["section"]), ind.id,
                           ctx.indicator_header(ind), g.get("value"), g.get("threshold"),
                           f"{el_zh}（{el_unit}）" if el_unit else el_zh, g.get("addition"), g.get("unit_cost"),
                           g.get("counted_cost", g.get("cost")),
                           (SHARED_NOTE if g.get("shared") and not g.get("counted_cost") else
                            ind.gap.cost_note if ind.gap else "")]
        fmts = [st.text, st.text, st.text, st.text, st.text, st.num(dec, border=1, **BAD), st.num(dec, border=1),
                st.text, st.num(0 if integer else 2, border=1), st.num(0, border=1), st.num(0, border=1), st.note]
        ws.write_string(r, 0, g["school_code"], st.text)
        _write_row(ws, r, vals[1:], fmts[1:], widths, col0=1)
        r += 1
    last = r - 1
    if not rows:
        ws.write(r, 0, "（没有未达标学校，不需要补充）" if ctx.has_thresholds else "（本标准对单所学校不设指标标准值，不做学校差距测算）",
                 st.note)
        r += 1
    else:
        r += 1
        ws.write(r, 0, "合计", st(bold=True))
        r += 1
        totals = gaps.get("totals", {})
        col_ind, col_add, col_cost = "D", "I", "K"
        rng = f"${{c}}${first + 1}:${{c}}${last + 1}"
        for ind in ctx.indicators:
            if ind.id not in totals:
                continue
            el_zh, el_unit = ctx.element_zh(ind.gap.element if ind.gap else "")
            integer = bool(ind.gap.integer) if ind.gap else False
            ws.write(r, 3, ind.id, st(bold=True, border=1))
            ws.write(r, 4, ctx.indicator_header(ind), st(bold=True, border=1))
            ws.write(r, 7, f"{el_zh}（{el_unit}）" if el_unit else el_zh, st(bold=True, border=1))
            crit = xl_rowcol_to_cell(r, 3, row_abs=False, col_abs=True)
            ws.write_formula(r, 8, f"=SUMIFS({rng.format(c=col_add)},{rng.format(c=col_ind)},{crit},"
                                   f"{rng.format(c=col_cost)},\">0\")",
                             st.num(0 if integer else 2, bold=True, border=1), totals[ind.id]["addition"])
            ws.write_formula(r, 10, f"=SUMIF({rng.format(c=col_ind)},{crit},{rng.format(c=col_cost)})",
                             st.num(0, bold=True, border=1), totals[ind.id]["cost"])
            r += 1
        ws.write(r, 4, "估算总金额（元）", st(bold=True, border=1, bg_color="#F2F2F2"))
        ws.write_formula(r, 10, f"=SUM({rng.format(c=col_cost)})", st.num(0, bold=True, border=1, bg_color="#F2F2F2"),
                         gaps.get("total_cost", 0.0))
        ws.write(r, 11, f"约 {gaps.get('total_cost', 0.0) / 1e4:,.1f} 万元", st(bold=True))
        r += 1
    r += 2
    r = _lifts_block(ws, st, ctx, county, r, widths, decimals)
    widths.fix(0, 12)
    widths.fix(2, 6)
    widths.fix(3, 8)
    widths.fix(5, 10)
    widths.fix(6, 10)
    widths.fix(11, 50)
    widths.apply()
    _print_setup(ws, (hr, hr))


def _lifts_block(ws: Worksheet, st: Styles, ctx: Context, county: Mapping[str, Any], r: int, widths: Widths,
                 decimals: Mapping[str, int]) -> int:
    lifts = county.get("gaps", {}).get("cv_lifts", [])
    ws.write(r, 0, "二、差异系数超过限值时的补短板测算", st.title)
    r += 1
    ws.write(r, 0, "把低于“目标水平”的学校提高到该水平后，该项差异系数可降到限值以内；提高幅度为 0 的学校高于县域平均，是差异的主要来源。"
             "各项测算相互独立，不能简单相加。", st.note)
    r += 2
    if not lifts:
        per_indicator = any(i.cv_limit for i in ctx.indicators)
        ws.write(r, 0, "（没有超过限值的差异系数，不需要测算）" if per_indicator
                 else "（本标准只对综合差异系数设限值，不做单项补短板测算）", st.note)
        return r + 1
    groups = ctx.lift_groups(county)
    _header(ws, r, ["当前差异系数", "限值（不高于）", "学段", "指标代码", "指标名称", "需提高的学校数", "目标水平",
                    "需新增的项目", "需新增数量", "单位", "估算金额（元）"], st, lines=2)
    r += 1
    summary_rows = []
    for g in groups:
        ind = g["indicator"]
        dec = decimals.get(ind.id, 2)
        ws.write_number(r, 0, g["cv"], st(border=1, num_format="0.000", **BAD))
        ws.write_number(r, 1, g["cv_limit"], st(border=1, num_format="0.00"))
        ws.write(r, 2, g["section_zh"], st.text)
        ws.write(r, 3, ind.id, st.text)
        ws.write(r, 4, ctx.indicator_header(ind), st.text)
        ws.write_number(r, 5, g["lifted"], st(border=1, align="center"))
        ws.write_number(r, 6, g["level"], st.num(dec, border=1))
        ws.write(r, 7, g["element_zh"], st.text)
        ws.write(r, 9, g["unit"], st.text)
        summary_rows.append((r, g))
        r += 1
    r += 1
    head = ["学校代码", "学校名称", "学段", "指标代码", "指标名称", "现值", "目标水平", "提高幅度", "需新增数量", "单位",
            "估算金额（元）", "对差异的贡献（占加权方差）"]
    _header(ws, r, head, st)
    r += 1
    first = r
    for row in lifts:
        ind = ctx.std.indicator(row["indicator"])
        dec = decimals.get(ind.id, 2)
        integer = bool(ind.gap.integer) if ind.gap else False
        lifted = (row.get("lift") or 0) > 0
        _el, unit = ctx.element_zh(ind.gap.element) if ind.gap else ("", "")
        vals = [row["school_name"], ctx.section_zh.get(row["section"], row["section"]), ind.id, ctx.indicator_header(ind),
                row.get("value"), row.get("level"), row.get("lift"), row.get("addition"), unit, row.get("cost"),
                row.get("variance_share")]
        fmts = [st.text, st.text, st.text, st.text, st.num(dec, border=1, **(BAD if lifted else {})), st.num(dec, border=1),
                st.num(dec, border=1), st.num(0 if integer else 2, border=1), st.text, st.num(0, border=1),
                st(border=1, num_format="0.0%")]
        ws.write_string(r, 0, row["school_code"], st.text)
        _write_row(ws, r, vals, fmts, widths, col0=1)
        r += 1
    last = r - 1
    sec_rng, ind_rng = f"$C${first + 1}:$C${last + 1}", f"$D${first + 1}:$D${last + 1}"
    for sr, g in summary_rows:
        integer = bool(g["indicator"].gap.integer) if g["indicator"].gap else False
        crit = f"{sec_rng},{xl_rowcol_to_cell(sr, 2)},{ind_rng},{xl_rowcol_to_cell(sr, 3)}"
        ws.write_formula(sr, 8, f"=SUMIFS($I${first + 1}:$I${last + 1},{crit})", st.num(0 if integer else 2, border=1),
                         g["addition"])
        ws.write_formula(sr, 10, f"=SUMIFS($K${first + 1}:$K${last + 1},{crit})", st.num(0, border=1), g["cost"])
    return r


# --------------------------------------------------------------------------------------------
# Province (multi-county) workbook
# --------------------------------------------------------------------------------------------

def province_workbook(ctx: Context, out: Path) -> Path:
    wb = xlsxwriter.Workbook(str(out), {"default_format_properties": {"font_name": FONT, "font_size": 10}})
    wb.set_properties({"title": f"{ctx.area_name()}{ctx.std.name_zh} 各县评估结果", "author": "dudao 督导系统",
                       "comments": f"inputs_hash {ctx.doc.get('inputs_hash', '')}"})
    st = Styles(wb)
    counties = ctx.doc["counties"]
    ws = wb.add_worksheet("概况")
    ws.hide_gridlines(2)
    ws.write(0, 0, f"{ctx.area_name()}各县（市、区）评估结果汇总", st.title)
    ws.write(2, 0, "评估标准", st(bold=True))
    ws.write(2, 1, ctx.title_standard)
    ws.write(3, 0, "学年", st(bold=True))
    ws.write(3, 1, year_label(ctx.year))
    ws.write(4, 0, "县（市、区）数", st(bold=True))
    ws.write_number(4, 1, len(counties), st(align="left"))
    r = 6
    _header(ws, r, ["结论", "县数"], st)
    r += 1
    for verdict in ("pass", "fail", "incomplete"):
        n = sum(1 for c in counties if c["verdict"] == verdict)
        ws.write(r, 0, VERDICT_ZH[verdict], st(border=1, **VERDICT_STYLE[verdict]))
        ws.write_formula(r, 1, f'=COUNTIF(各县结果!$D:$D,"{VERDICT_SHORT[verdict]}")', st(border=1, align="center"), n)
        r += 1
    r += 1
    fails = common_fails(ctx, counties)
    if fails:
        ws.write(r, 0, "未达标项目出现的县数", st(bold=True, font_size=12))
        r += 1
        _header(ws, r, ["评估部分", "县数", "未达标项目"], st)
        r += 1
        for part, title, n in fails:
            ws.write(r, 0, part, st.text)
            ws.write_number(r, 1, n, st(border=1, align="center"))
            ws.write(r, 2, title, st.text)
            r += 1
        r += 1
    ws.write(r, 0, "计算依据", st(bold=True, font_size=12))
    _meta_rows(ws, r + 1, ctx, st)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 80)
    _print_setup(ws)

    ws = wb.add_worksheet("各县结果")
    widths = Widths(ws, maximum=30)
    sections = [(s, ctx.section_zh.get(s, s)) for s in ctx.std.sections]
    head = ["地市", "县级代码", "县（市、区）", "结论", "未达标项目数", "缺数据项目数"]
    head += [f"{zh}最大差异系数" for _, zh in sections]
    if ctx.composite_rule is not None:
        head += [f"{zh}综合差异系数\n（限值 {ctx.composite_rule.limits.get(s, float('nan')):.2f}）" for s, zh in sections]  # type: ignore[call-overload]
    if ctx.has_thresholds:
        head += ["未达标学校（学段）数", "差距估算金额（元）"]
    cv_col0 = len(head)
    head += [f"{zh}\n{i.id} {i.zh}" for s, zh in sections for i in ctx.indicators]
    _header(ws, 0, head, st)
    longest = max(display_width(i.zh) + 4 for i in ctx.indicators)
    ws.set_row(0, 14 * (math.ceil(longest / 10) + 1) + 6)
    ws.freeze_panes(1, 4)
    for r, c in enumerate(counties, start=1):
        views = {v.code: v for v in ctx.sections(c)}
        counts = ctx.counts(c)
        vals: list[Any] = [ctx.prefecture(c["code"]), c["code"], c["name"], VERDICT_SHORT.get(c["verdict"], c["verdict"]),
                           counts["fail"], counts["missing"]]
        fmts: list[Format] = [st.text, st.text, st.text, st(border=1, **VERDICT_STYLE.get(c["verdict"], {})),
                              st(border=1, align="center"), st(border=1, align="center")]
        for s, _ in sections:
            v = views.get(s)
            over = bool(v and (v.over - {"composite"}) and ctx.composite_rule is None)
            vals.append(v.max_cv if v else None)
            fmts.append(st(border=1, num_format="0.000", **(BAD if over else {})))
        if ctx.composite_rule is not None:
            for s, _ in sections:
                v = views.get(s)
                vals.append(v.composite if v else None)
                fmts.append(st(border=1, num_format="0.000", **(BAD if v and "composite" in v.over else {})))
        if ctx.has_thresholds:
            vals += [ctx.failing_sections(c), c.get("gaps", {}).get("total_cost", 0.0)]
            fmts += [st(border=1, align="center"), st.num(0, border=1)]
        for s, _ in sections:
            v = views.get(s)
            for i in ctx.indicators:
                vals.append(v.cv.get(i.id) if v else None)
                fmts.append(st(border=1, num_format="0.000", **(BAD if v and i.id in v.over else {})))
        ws.write_string(r, 1, c["code"], st.text)
        _write_row(ws, r, [vals[0]], [fmts[0]], widths)
        _write_row(ws, r, vals[2:], fmts[2:], widths, col0=2)
    n = len(counties)
    ws.autofilter(0, 0, n, len(head) - 1)
    widths.fix(1, 10)
    widths.fix(3, 9)
    for col in range(4, len(head)):
        widths.fix(col, 12 if col < cv_col0 else 11)
    widths.apply()
    _print_setup(ws, (0, 0))
    ws.write(n + 2, 0, "红色：超过限值（由评估程序按未舍入值判定）。差异系数显示 3 位小数。", st.note)
    if ctx.has_thresholds:
        col = xl_col_to_name(cv_col0 - 1)
        ws.write(n + 3, 2, "合计", st(bold=True))
        ws.write_formula(n + 3, cv_col0 - 1, f"=SUM({col}2:{col}{n + 1})", st.num(0, bold=True),
                         sum(c.get("gaps", {}).get("total_cost", 0.0) for c in counties))
    wb.close()
    return out
