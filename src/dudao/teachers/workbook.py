"""The teacher workbook: its sheets and columns, reading and checking every cell, and writing it.

Sheets: 教师 (one row per teacher), 任职经历 (service periods), 交流轮岗 (rotations) and, optional,
学校坐标 (school coordinates). A CSV file holds the teachers sheet only. Nothing here touches the
database: ``check_file`` returns the records with their locations and every error found.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter

from dudao.schools.errors import DataError
from dudao.schools.validate import Collector, Issue, Located
from dudao.schools.workbook import RawSheet, read_csv, read_xlsx
from dudao.teachers import crypto
from dudao.teachers.errors import TeacherDataError as E
from dudao.teachers.rules import TeacherRules

SHEET_TEACHERS, SHEET_SERVICE, SHEET_ROTATIONS, SHEET_PLACES = "教师", "任职经历", "交流轮岗", "学校坐标"
SECTIONS = {"primary": "小学", "junior": "初中", "senior": "高中"}
SEX = {"M": "男", "F": "女"}
YES, NO = "是", "否"


@dataclass(frozen=True)
class Col:
    code: str
    header: str
    type: str  # text | id | school | enum:<rules list> | section | sex | bool | int | date | float
    required: bool = True
    low: float | None = None
    high: float | None = None


COLUMNS: dict[str, list[Col]] = {
    SHEET_TEACHERS: [
        Col("id_number", "身份证号", "id"), Col("name", "姓名", "text"), Col("school_code", "学校标识码", "school"),
        Col("section", "学段", "section"), Col("subject", "主教学科", "enum:subjects"),
        Col("qualification", "最高学历", "enum:qualifications"), Col("title", "职称", "enum:titles"),
        Col("key_level", "骨干教师级别", "enum:key_levels"), Col("certified", "持有教师资格证", "bool"),
        Col("birth_year", "出生年份", "int", low=1940, high=2010), Col("sex", "性别", "sex"),
        Col("post", "岗位", "enum:posts"), Col("full_time", "是否专任教师", "bool", required=False),
        Col("mental_health_part_time", "兼任心理健康教育", "bool", required=False),
        Col("exemption", "不参加交流的情形", "enum:exemptions", required=False),
    ],
    SHEET_SERVICE: [
        Col("id_number", "身份证号", "id"), Col("school_code", "学校标识码", "school"),
        Col("school_name", "学校名称", "text", required=False), Col("start", "开始日期", "date"),
        Col("end", "结束日期", "date", required=False), Col("rural", "当时是否乡村学校", "bool", required=False),
        Col("weak", "当时是否薄弱学校", "bool", required=False), Col("post", "岗位", "enum:posts", required=False),
    ],
    SHEET_ROTATIONS: [
        Col("id_number", "身份证号", "id"), Col("kind", "交流类型", "enum:rotation_kinds"),
        Col("relation_moves", "人事关系是否转移", "bool"), Col("from_school", "派出学校标识码", "school"),
        Col("to_school", "接收学校标识码", "school"), Col("start", "开始日期", "date"),
        Col("end", "结束日期", "date", required=False),
    ],
    SHEET_PLACES: [
        Col("school_code", "学校标识码", "school"), Col("lat", "纬度", "float", low=3, high=54),
        Col("lon", "经度", "float", low=73, high=136),
    ],
}
REQUIRED_SHEETS = (SHEET_TEACHERS,)
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?$")


Row = Located  # a teacher-workbook record, located like a school-statistics one


@dataclass
class CheckedTeachers:
    file: str
    rows: dict[str, list[Row]] = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)


def _options(rules: TeacherRules, name: str) -> list[tuple[str, str, str]]:
    return [(o.code, o.zh, o.en) for o in getattr(rules, name)]


def _convert(col: Col, raw: Any, rules: TeacherRules) -> Any:
    """The cell's value, or raises _Bad with the error and its arguments."""
    if col.type in ("text", "school"):
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
        if col.type == "school" and not re.fullmatch(r"\d{10}", text):
            raise _Bad(DataError.CODE, detail=f"学校标识码“{text}”应为 10 位数字", detail_en=f"school code '{text}' must be 10 digits")
        return text
    if col.type == "id":
        text = str(raw).strip().upper()
        if not crypto.id_check(text):
            raise _Bad(E.ID_NUMBER)
        return text
    if col.type in ("int", "float"):
        try:
            number = float(str(raw).replace(",", "")) if not isinstance(raw, int | float) or isinstance(raw, bool) else raw
        except ValueError:
            raise _Bad(DataError.NOT_NUMBER) from None
        if col.type == "int" and not float(number).is_integer():
            raise _Bad(DataError.NOT_INTEGER)
        value = int(number) if col.type == "int" else float(number)
        if (col.low is not None and value < col.low) or (col.high is not None and value > col.high):
            raise _Bad(DataError.OUT_OF_RANGE, low=col.low, high=col.high)
        return value
    if col.type == "bool":
        text = str(raw).strip()
        if raw is True or text in (YES, "Y", "y", "1", "true", "True", "TRUE"):
            return True
        if raw is False or text in (NO, "N", "n", "0", "false", "False", "FALSE"):
            return False
        raise _Bad(DataError.BOOL)
    if col.type == "date":
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        m = _DATE.match(str(raw).strip())
        try:
            if not m:
                raise ValueError
            return dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
        except ValueError:
            raise _Bad(E.DATE) from None
    text = str(raw).strip()
    if col.type == "section":
        options = [(k, v, k) for k, v in SECTIONS.items()]
    elif col.type == "sex":
        options = [(k, v, k) for k, v in SEX.items()]
    else:
        options = _options(rules, col.type.split(":", 1)[1])
    for code, zh, en in options:
        if text in (code, zh, en):
            return code
    raise _Bad(DataError.ENUM, options="、".join(zh for _, zh, _ in options))


class _Bad(Exception):
    def __init__(self, error: Any, **kw: Any):
        self.error, self.kw = error, kw


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def _parse(sheet: RawSheet, cols: list[Col], rules: TeacherRules, bag: Collector) -> list[Row]:
    lookup = {_norm(k): c for c in cols for k in (c.header, c.code)}
    columns: dict[str, int] = {}
    for idx, head in enumerate(sheet.headers):
        if not head:
            continue
        col = lookup.get(_norm(head))
        letter = sheet.column_letter(idx)
        if col is None:
            bag.add(DataError.HEADER_UNKNOWN, sheet=sheet.name, row=1, column=letter, header=head)
        elif col.code in columns:
            bag.add(DataError.HEADER_DUPLICATE, sheet=sheet.name, row=1, column=letter, header=head)
        else:
            columns[col.code] = idx
    for col in cols:
        if col.required and col.code not in columns:
            bag.add(DataError.HEADER_MISSING, sheet=sheet.name, row=1, header=col.header)
    by_code = {c.code: c for c in cols}
    out = []
    for rownum, cells in sheet.rows:
        rec = Row(sheet, rownum, columns=columns)
        for code, idx in columns.items():
            col, raw = by_code[code], cells[idx] if idx < len(cells) else None
            if isinstance(raw, str):
                raw = raw.strip()
            loc = rec.location(code)
            if raw is None or raw == "":
                if col.required:
                    bag.add(DataError.REQUIRED, **loc)
                rec.values[code] = None
                continue
            try:
                rec.values[code] = _convert(col, raw, rules)
            except _Bad as bad:
                bag.add(bad.error, value=raw, **loc, **bad.kw)
                rec.values[code] = None
        out.append(rec)
    return out


def check_file(path: Path, rules: TeacherRules, year: int, sections_of: Mapping[str, set[str]]) -> CheckedTeachers:
    """Reads and checks a teacher workbook or CSV. ``sections_of``: school code → its sections in ``year``."""
    result = CheckedTeachers(path.name)
    bag = Collector(path.name, result.errors)
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            sheets = read_xlsx(path)
        elif suffix == ".csv":
            sheets = {SHEET_TEACHERS: read_csv(path)}
        else:
            bag.add(DataError.FILE_TYPE, suffix=suffix or "无")
            return result
    except Exception as exc:  # any parser failure is reported, never a traceback
        bag.add(DataError.FILE_UNREADABLE, detail=f"{type(exc).__name__}: {exc}")
        return result
    if SHEET_TEACHERS not in sheets:
        bag.add(E.NO_SHEET, sheet=SHEET_TEACHERS)
        return result
    for name, cols in COLUMNS.items():
        if name in sheets:
            result.rows[name] = _parse(sheets[name], cols, rules, bag)
    _cross_checks(result, bag, year, sections_of)
    return result


def _cross_checks(result: CheckedTeachers, bag: Collector, year: int, sections_of: Mapping[str, set[str]]) -> None:
    teachers: dict[str, Row] = {}
    for rec in result.rows.get(SHEET_TEACHERS, []):
        v = rec.values
        ident = v.get("id_number")
        if ident:
            if ident in teachers:
                bag.add(E.DUP_TEACHER, first=teachers[ident].row, **rec.location("id_number"))
            else:
                teachers[ident] = rec
        code, section = v.get("school_code"), v.get("section")
        if code and code not in sections_of:
            bag.add(E.SCHOOL_UNKNOWN, value=code, year=year, **rec.location("school_code"))
        elif code and section and section not in sections_of[code]:
            bag.add(E.SECTION_ABSENT, code=code, year=year, section=SECTIONS[section], **rec.location("section"))
        born = v.get("birth_year")
        if born and not 18 <= year - born <= 70:
            bag.add(E.BIRTH_YEAR, value=born, year=year, **rec.location("birth_year"))
    periods: dict[str, list[Row]] = {}
    for name in (SHEET_SERVICE, SHEET_ROTATIONS):
        for rec in result.rows.get(name, []):
            ident = rec.values.get("id_number")
            if ident and ident not in teachers:
                bag.add(E.UNKNOWN_TEACHER, **rec.location("id_number"))
            start, end = rec.values.get("start"), rec.values.get("end")
            if start and end and end < start:
                bag.add(E.END_BEFORE_START, **rec.location("end"))
            elif name == SHEET_SERVICE and ident and start:
                periods.setdefault(ident, []).append(rec)
    for ident, recs in periods.items():
        recs.sort(key=lambda r: r.values["start"])
        for a, b in itertools.pairwise(recs):
            a_end = a.values.get("end")
            if a_end is None or b.values["start"] < a_end:
                bag.add(E.OVERLAP, other=a.row, **b.location("start"))
        last = recs[-1]
        teacher = teachers.get(ident)
        if teacher and last.values.get("end") is None and teacher.values.get("school_code") \
                and last.values.get("school_code") != teacher.values["school_code"]:
            bag.add(E.CURRENT_SCHOOL, found=last.values.get("school_code"), school=teacher.values["school_code"],
                    **last.location("school_code"))


# ---------------------------------------------------------------- writing


def _display(col: Col, value: Any, rules: TeacherRules) -> Any:
    if value is None:
        return ""
    if col.type == "bool":
        return YES if value else NO
    if col.type == "section":
        return SECTIONS.get(value, value)
    if col.type == "sex":
        return SEX.get(value, value)
    if col.type.startswith("enum:"):
        return rules.label(col.type.split(":", 1)[1], value)
    if col.type == "date":
        return value.isoformat() if isinstance(value, dt.date) else value
    return value


def write_workbook(path: Path, rules: TeacherRules, sheets: Mapping[str, Iterable[Mapping[str, Any]]]) -> Path:
    """Writes the teacher workbook (every sheet, even empty, so it is also the template)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = wb.add_format({"num_format": "@"})
    for name, cols in COLUMNS.items():
        ws = wb.add_worksheet(name)
        for c, col in enumerate(cols):
            ws.write_string(0, c, col.header, head)
            ws.set_column(c, c, max(10, len(col.header) * 2 + 2), text if col.type in ("id", "school", "text") else None)
            if col.type.startswith("enum:") or col.type in ("bool", "section", "sex"):
                if col.type == "bool":
                    source = [YES, NO]
                elif col.type == "section":
                    source = list(SECTIONS.values())
                elif col.type == "sex":
                    source = list(SEX.values())
                else:
                    source = [zh for _, zh, _ in _options(rules, col.type.split(":", 1)[1])]
                ws.data_validation(1, c, 20000, c, {"validate": "list", "source": source})
        for r, rec in enumerate(sheets.get(name, ()), start=1):
            for c, col in enumerate(cols):
                value = _display(col, rec.get(col.code), rules)
                if isinstance(value, str):
                    ws.write_string(r, c, value)
                else:
                    ws.write(r, c, value)
        ws.freeze_panes(1, 0)
    wb.close()
    return path


def write_teachers_csv(path: Path, rules: TeacherRules, rows: Iterable[Mapping[str, Any]]) -> Path:
    import csv

    cols = COLUMNS[SHEET_TEACHERS]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([c.header for c in cols])
        for rec in rows:
            w.writerow([_display(c, rec.get(c.code), rules) for c in cols])
    return path
