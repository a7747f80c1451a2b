"""The roll-up as an Excel workbook whose figures are live formulas over the rows they come from.

Each point's score is ``=(采用分值 − 最低分) / (最高分 − 最低分) × 100``; each share is its weight over the
siblings' weights; each parent's score is ``Σ(shareᵢ·scoreᵢ) / Σ(shareᵢ)`` over the children with a score, and its
coverage ``Σ(shareᵢ·coverageᵢ)``. The system's own figure is written as the formula's cached result, so the file
shows the numbers before recalculation and Excel's recalculation must give the same ones.
"""

from __future__ import annotations

import io
from typing import Any

import xlsxwriter

from dudao.inspection.models import Evaluation
from dudao.inspection.services import Node, Rollup, framework_of

KIND_ZH = {"total": "总分", "area": "重点内容", "indicator": "关键指标", "point": "考查要点"}
BASIS_ZH = {"reconciled": "已协调", "mean": "两人均值", "single": "一人评分", "disagreement": "分歧待协调",
            "not_scored": "未评分", "no_data": "无数据"}
HEAD = ["编号", "名称", "层级", "权重", "占比", "得分（0–100）", "覆盖率", "采用分值", "最低分", "最高分", "依据",
        "评分明细"]
FIRST = 5  # the header row (0-based); data start on the next row


def _walk(node: Node, parent: Node | None, out: list[tuple[Node, Node | None]]) -> None:
    out.append((node, parent))
    for c in node.children:
        _walk(c, node, out)


def rollup_xlsx(ev: Evaluation, roll: Rollup) -> bytes:
    """The workbook's bytes: one sheet 汇总 with the tree, formulas and the scores behind every point."""
    fw = framework_of(ev.framework)
    rows: list[tuple[Node, Node | None]] = []
    _walk(roll.total, None, rows)
    at = {id(n): FIRST + 1 + i for i, (n, _p) in enumerate(rows)}  # 0-based sheet row of each node

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("汇总")
    bold = wb.add_format({"bold": True})
    note = wb.add_format({"font_color": "#595959"})
    header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "align": "center"})
    text = wb.add_format({"border": 1})
    strong = wb.add_format({"border": 1, "bold": True})
    num = {d: wb.add_format({"border": 1, "num_format": f"0.{'0' * d}"}) for d in (2, 3)}
    ws.write(0, 0, ev.title, bold)
    ws.write(1, 0, f"框架 {roll.framework_id} 第 {roll.framework_version} 版（{roll.framework_label}），SHA-256 "
                   f"{roll.sha256}；评价 #{ev.pk}", note)
    ws.write(2, 0, "得分 = Σ(下级占比×下级得分) ÷ Σ(有得分下级的占比)；占比 = 权重 ÷ 同级权重之和；覆盖率 = Σ(下级占比×下级覆盖率)；"
                   "考查要点得分 = (采用分值 − 最低分) ÷ (最高分 − 最低分) × 100。", note)
    ws.write(3, 0, "采用分值：有协调结果用协调值，两人评分未超过分歧阈值取均值，只有一人评分取其值；分歧未协调、未评分、无数据的要点不计。", note)
    for c, label in enumerate(HEAD):
        ws.write(FIRST, c, label, header)
    for node, parent in rows:
        r = at[id(node)]
        R = r + 1  # Excel's 1-based row number
        fmt = text if node.kind == "point" else strong
        ws.write(r, 0, node.id, fmt)
        ws.write(r, 1, ("　" * ["total", "area", "indicator", "point"].index(node.kind)) + node.zh
                 + ("（暂定）" if node.provisional else ""), fmt)
        ws.write(r, 2, KIND_ZH[node.kind], text)
        ws.write_number(r, 3, node.weight, num[2])
        siblings = parent.children if parent is not None else [node]
        ws.write_formula(r, 4, f"=D{R}/({'+'.join(f'D{at[id(s)] + 1}' for s in siblings)})", num[3], node.share)
        if node.kind == "point":
            _point(ws, fw, node, r, num, text)
        else:
            kids = [at[id(c)] + 1 for c in node.children]
            numer = "+".join(f"IF(ISNUMBER(F{k}),E{k}*F{k},0)" for k in kids)
            denom = "+".join(f"IF(ISNUMBER(F{k}),E{k},0)" for k in kids)
            ws.write_formula(r, 5, f'=IF(({denom})=0,"",({numer})/({denom}))', num[2],
                             node.value if node.value is not None else "")
            ws.write_formula(r, 6, "=" + "+".join(f"E{k}*G{k}" for k in kids), num[3], node.coverage)
            for c in (7, 8, 9, 10, 11):
                ws.write_blank(r, c, None, text)
    ws.set_column(0, 0, 10)
    ws.set_column(1, 1, 56)
    ws.set_column(2, 9, 11)
    ws.set_column(10, 10, 12)
    ws.set_column(11, 11, 60)
    ws.freeze_panes(FIRST + 1, 2)
    wb.close()
    return buf.getvalue()


def _point(ws: Any, fw: Any, node: Node, r: int, num: dict[int, Any], text: Any) -> None:
    R = r + 1
    rubric = fw.rubric_of(fw.point(node.id))
    if node.raw is not None:
        ws.write_number(r, 7, node.raw, num[2])
        ws.write_formula(r, 5, f"=(H{R}-I{R})/(J{R}-I{R})*100", num[2], node.value)
    else:
        ws.write_blank(r, 7, None, text)
        ws.write_blank(r, 5, None, text)
    ws.write_number(r, 6, node.coverage, num[3])
    ws.write_number(r, 8, rubric.low, num[2])
    ws.write_number(r, 9, rubric.high, num[2])
    ws.write(r, 10, BASIS_ZH.get(node.basis, node.basis), text)
    detail = [f"{s.inspector}：{s.label}" + (f"（{s.comment}）" if s.comment else "") for s in node.scores]
    if node.reconciliation:
        detail.append(f"协调：{rubric.label(node.raw)}，理由：{node.reconciliation}")
    if node.data_needed:
        detail.append("需要数据：" + "、".join(node.data_needed))
    if node.band:
        detail.append(f"增值评价等级：{node.band}（不计分）")
    ws.write(r, 11, "；".join(detail), text)
