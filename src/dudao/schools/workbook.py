"""The school data workbook: its layout, writing (template, export, synthetic data) and reading.

Excel form: sheet 填报说明 (instructions), sheet 学校 (one row per school: attributes and shared
resources), sheet 学段 (one row per school section). Row 1 holds the Chinese headers with units,
row 2 the element codes, data start on row 3.
CSV form: one flat file, one row per school section, the school's columns repeated on each of its rows.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from dudao.standards.model import Dictionary, Element

SHEET_INFO, SHEET_SCHOOLS, SHEET_SECTIONS = "填报说明", "学校", "学段"
FIRST_DATA_ROW = 3  # 1-based
YEAR_LABEL = "学年（起始年份）"
VALIDATION_ROWS = 5000
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
YES, NO = "是", "否"


def school_columns(d: Dictionary) -> list[Element]:
    return d.level_elements("school")


def section_columns(d: Dictionary) -> list[Element]:
    cols = [d.element("school_code"), d.element("school_name")]
    return cols + d.level_elements("section")


def csv_columns(d: Dictionary) -> list[Element]:
    return school_columns(d) + d.level_elements("section")


def display(el: Element, value: Any, d: Dictionary) -> Any:
    """Turns an internal value into what a clerk sees in a cell."""
    if value is None:
        return None
    if el.type == "bool":
        return YES if value else NO
    if el.type == "enum" and el.enum:
        return d.enum_label(el.enum, str(value))
    return value


def write_xlsx(
    path: Path, d: Dictionary, year: int | None,
    schools: Iterable[Mapping[str, Any]] = (), sections: Iterable[Mapping[str, Any]] = (),
) -> Path:
    """Writes the template (no rows) or data in the template's form. Same input, same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "constant_memory": False})
    wb.set_properties({"title": "督导 dudao 学校基础数据", "author": "dudao", "created": FIXED_TIME})
    fmt = _formats(wb)
    _write_info(wb.add_worksheet(SHEET_INFO), d, year, fmt)
    _write_sheet(wb.add_worksheet(SHEET_SCHOOLS), d, school_columns(d), schools, fmt)
    _write_sheet(wb.add_worksheet(SHEET_SECTIONS), d, section_columns(d), sections, fmt)
    wb.close()
    return path


def _formats(wb: xlsxwriter.Workbook) -> dict[str, Any]:
    return {
        "header": wb.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "bg_color": "#DDEBF7", "border": 1}),
        "required": wb.add_format({"bold": True, "text_wrap": True, "valign": "vcenter", "bg_color": "#FCE4D6", "border": 1}),
        "code": wb.add_format({"font_color": "#808080", "font_size": 8}),
        "int": wb.add_format({"num_format": "0"}),
        "decimal": wb.add_format({"num_format": "0.00"}),
        "text": wb.add_format({"num_format": "@"}),
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "bold": wb.add_format({"bold": True}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
    }


def _write_info(ws: Any, d: Dictionary, year: int | None, fmt: dict[str, Any]) -> None:
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 6, 12)
    ws.set_column(7, 7, 60)
    ws.set_column(8, 8, 24)
    ws.write(0, 0, "督导 dudao · 义务教育学校基础数据填报表", fmt["title"])
    ws.write(1, 0, YEAR_LABEL, fmt["bold"])
    if year is not None:
        ws.write_number(1, 1, year)
        ws.write(1, 2, f"{year}–{year + 1} 学年")
    ws.write(2, 0, "数据元素字典版本", fmt["bold"])
    ws.write(2, 1, f"{d.id} {d.version}")
    notes = [
        "1. “学校”表每所学校一行，填写学校基本情况及全校共用的校舍、场馆、设备等（一贯制学校只填一次，由系统按规则分摊到各学段）。",
        "2. “学段”表每所学校的每个学段一行（小学、初中；完全中学、十二年一贯制学校另填高中），填写学生、班级、教师数据。",
        "3. 第 1 行为列名（括号内为单位），第 2 行为系统代码，请勿修改；数据从第 3 行开始。橙色列为必填。",
        "4. 导入时系统逐格检查类型、范围、必填、代码和逻辑关系；任何一处错误都会使整个文件不被导入，并列出全部错误的位置。",
        "5. 学年以起始年份表示：2024 表示 2024–2025 学年。",
    ]
    for i, line in enumerate(notes):
        ws.write(4 + i, 0, line)
    top = 11
    heads = ["数据项", "单位", "类型", "必填", "最小值", "最大值", "所在表", "说明 / 来源（可信度）", "系统代码"]
    for c, h in enumerate(heads):
        ws.write(top, c, h, fmt["header"])
    types = {"int": "整数", "decimal": "数值", "text": "文字", "bool": "是/否", "enum": "选项",
             "school_code": "10位学校标识码", "county_code": "6位区划代码"}
    for r, el in enumerate(d.elements, start=top + 1):
        sheet = SHEET_SCHOOLS if el.level == "school" else SHEET_SECTIONS
        options = "、".join(o.zh for o in d.enums[el.enum]) if el.enum else ""
        note = "；".join(x for x in (el.help_zh, options and f"可选：{options}", f"{el.source}（{el.confidence}）") if x)
        row = [el.zh, el.unit, types[el.type], YES if el.required else NO,
               el.min if el.min is not None else "", el.max if el.max is not None else "", sheet, note, el.code]
        for c, v in enumerate(row):
            ws.write(r, c, v, fmt["wrap"] if c == 7 else None)


def _write_sheet(ws: Any, d: Dictionary, cols: list[Element], rows: Iterable[Mapping[str, Any]], fmt: dict[str, Any]) -> None:
    ws.freeze_panes(FIRST_DATA_ROW - 1, 2)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0, 1)
    ws.set_row(0, 48)
    for c, el in enumerate(cols):
        width = {"text": 28, "enum": 14, "bool": 10}.get(el.type, max(11, min(18, len(el.header) * 1.6)))
        ws.set_column(c, c, width, _cell_format(el, fmt))
        ws.write_string(0, c, el.header, fmt["required" if el.required else "header"])
        ws.write_string(1, c, el.code, fmt["code"])
        _validation(ws, c, el, d)
    r = FIRST_DATA_ROW - 1
    for r, rec in enumerate(rows, start=FIRST_DATA_ROW - 1):
        for c, el in enumerate(cols):
            value = display(el, rec.get(el.code), d)
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write_number(r, c, value)
    ws.autofilter(0, 0, max(r, 1), len(cols) - 1)


def _cell_format(el: Element, fmt: dict[str, Any]) -> Any:
    if el.type == "int":
        return fmt["int"]
    if el.type == "decimal":
        return fmt["decimal"]
    return fmt["text"]


def _validation(ws: Any, c: int, el: Element, d: Dictionary) -> None:
    first, last = FIRST_DATA_ROW - 1, VALIDATION_ROWS
    title = el.zh[:32]
    if el.type in ("enum", "bool"):
        options = [o.zh for o in d.enums[el.enum]] if el.enum else [YES, NO]
        ws.data_validation(first, c, last, c, {
            "validate": "list", "source": options, "error_title": title,
            "error_message": "请从下拉列表中选择：" + "、".join(options),
        })
    elif el.numeric and el.min is not None and el.max is not None:
        low, high = (int(el.min), int(el.max)) if el.type == "int" else (el.min, el.max)
        ws.data_validation(first, c, last, c, {
            "validate": "integer" if el.type == "int" else "decimal", "criteria": "between",
            "minimum": low, "maximum": high, "error_title": title,
            "error_message": f"应为{'整数' if el.type == 'int' else '数值'}，范围 {el.min:g}–{el.max:g}（{el.unit}）",
        })
    elif el.type in ("school_code", "county_code"):
        n = 10 if el.type == "school_code" else 6
        ws.data_validation(first, c, last, c, {
            "validate": "length", "criteria": "==", "value": n, "error_title": title,
            "error_message": f"应为 {n} 位数字",
        })


def write_csv(path: Path, d: Dictionary, rows: Iterable[Mapping[str, Any]] = ()) -> Path:
    """Writes the flat CSV form (UTF-8 with BOM, so Excel opens it in Chinese)."""
    cols = csv_columns(d)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([el.header for el in cols])
        for rec in rows:
            w.writerow(["" if (v := display(el, rec.get(el.code), d)) is None else v for el in cols])
    return path


@dataclass
class RawSheet:
    """Cells of one sheet as read, with their 1-based row numbers."""

    file: str
    name: str
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def column_letter(self, index: int) -> str:
        return xl_col_to_name(index)


def read_xlsx(path: Path) -> dict[str, RawSheet]:
    """Reads every sheet of a workbook (python-calamine); raises OSError/ValueError if unreadable."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    out: dict[str, RawSheet] = {}
    for name in wb.sheet_names:
        cells = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out[name] = _raw(path.name, name, cells)
    return out


def _raw(file: str, name: str, cells: list[list[Any]]) -> RawSheet:
    headers = [_text(v) for v in cells[0]] if cells else []
    sheet = RawSheet(file, name, headers)
    for i, row in enumerate(cells[1:], start=2):
        if any(v not in ("", None) for v in row):
            sheet.rows.append((i, list(row)))
    return sheet


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def read_csv(path: Path) -> RawSheet:
    """Reads the flat CSV form; UTF-8 (with or without BOM) or GB18030 as saved by Chinese Excel."""
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("编码无法识别（请另存为 UTF-8 CSV）/ unknown text encoding (save as UTF-8 CSV)")
    cells = [list(r) for r in csv.reader(text.splitlines())]
    return _raw(path.name, "CSV", cells)


def read_year(info: RawSheet | None) -> int | None:
    """Finds the school year written on the instruction sheet, if any."""
    if info is None:
        return None
    candidates = [(0, info.headers), *info.rows]
    for _, row in candidates:
        if row and _text(row[0]) == YEAR_LABEL and len(row) > 1:
            try:
                return int(float(row[1]))
            except (TypeError, ValueError):
                return None
    return None
