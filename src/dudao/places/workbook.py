"""The places workbook: six sheets (any of them), checked cell by cell, stored only when free of errors.

Sheets and columns (Chinese headers; the template from ``write_template`` has them):

- 出生人口: 县级区划代码, 出生年份, 口径 (户籍/常住), 出生人数
- 分年级在校生: 学校标识码, 学年, 年级 (1–9), 在校生数, 班级数
- 教室: 学校标识码, 学年, 学段 (小学/初中), 普通教室数
- 学区: 学区代码 (county code + 2 digits), 学区名称, 县级区划代码
- 学校位置: 学校标识码, 经度, 纬度, 学区代码
- 随迁子女申请: 学区代码, 学年, 年级, 申请人数

Every error names the file, sheet, row, column and rule (``Issue`` of ``dudao.schools.validate``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dudao.places.errors import PlacesMessage as M
from dudao.schools.validate import Issue
from dudao.schools.workbook import RawSheet, read_xlsx


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    kind: str  # int | number | text | option
    low: float | None = None
    high: float | None = None
    options: tuple[tuple[str, str], ...] = ()  # (label in the file, stored code)
    required: bool = True


SERIES = (("户籍", "huji"), ("常住", "changzhu"))
SECTIONS = (("小学", "primary"), ("初中", "junior"))
GRADE_RANGE = {"primary": (1, 6), "junior": (7, 9)}
SECTION_ZH = {"primary": "小学", "junior": "初中", "senior": "高中"}

SHEETS: dict[str, tuple[str, tuple[Col, ...], tuple[str, ...]]] = {
    # sheet name: (record kind, columns, unique key)
    "出生人口": ("births", (Col("county_code", "县级区划代码", "text"), Col("year", "出生年份", "int", 1990, 2100),
                         Col("series", "口径", "option", options=SERIES), Col("births", "出生人数", "int", 0, 2_000_000)),
             ("county_code", "year", "series")),
    "分年级在校生": ("grades", (Col("school_code", "学校标识码", "text"), Col("year", "学年", "int", 1990, 2100),
                           Col("grade", "年级", "int", 1, 9), Col("students", "在校生数", "int", 0, 5000),
                           Col("classes", "班级数", "int", 0, 100, required=False)),
               ("school_code", "year", "grade")),
    "教室": ("rooms", (Col("school_code", "学校标识码", "text"), Col("year", "学年", "int", 1990, 2100),
                     Col("section", "学段", "option", options=SECTIONS), Col("classrooms", "普通教室数", "int", 0, 500)),
           ("school_code", "year", "section")),
    "学区": ("zones", (Col("zone_code", "学区代码", "text"), Col("name", "学区名称", "text"),
                     Col("county_code", "县级区划代码", "text")), ("zone_code",)),
    "学校位置": ("sites", (Col("school_code", "学校标识码", "text"), Col("longitude", "经度", "number", 73, 136),
                       Col("latitude", "纬度", "number", 3, 54), Col("zone_code", "学区代码", "text", required=False)),
             ("school_code",)),
    "随迁子女申请": ("applications", (Col("zone_code", "学区代码", "text"), Col("year", "学年", "int", 1990, 2100),
                               Col("grade", "年级", "int", 1, 9), Col("applications", "申请人数", "int", 0, 100_000)),
               ("zone_code", "year", "grade")),
}
KIND_SHEET = {kind: name for name, (kind, _c, _k) in SHEETS.items()}


@dataclass
class Checked:
    file: str
    sha256: str = ""
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.records.items() if v}


def _add(out: list[Issue], file: str, err: M, sheet: str = "", row: int | None = None, column: str = "",
         header: str = "", value: Any = "", **kw: Any) -> None:
    zh, en = err.format(value=value, header=header, **kw)
    out.append(Issue("error", err.code, zh, en, file, sheet, row, column, header, "" if value is None else str(value)))


def _cell(col: Col, raw: Any) -> tuple[Any, M | None, dict[str, Any]]:
    """The typed value of one cell, or the error it breaks."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, (M.REQUIRED if col.required else None), {}
    if col.kind == "text":
        text = str(raw).strip()
        if isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))
        return text, None, {}
    if col.kind == "option":
        text = str(raw).strip()
        for label, code in col.options:
            if text in (label, code):
                return code, None, {}
        return None, M.OPTION, {"options": "、".join(label for label, _ in col.options)}
    try:
        num = float(str(raw).strip()) if not isinstance(raw, (int, float)) else float(raw)
    except ValueError:
        return None, (M.INTEGER if col.kind == "int" else M.NUMBER), {}
    if col.kind == "int":
        if not num.is_integer() or num < 0:
            return None, M.INTEGER, {}
        num = int(num)
    if (col.low is not None and num < col.low) or (col.high is not None and num > col.high):
        return None, M.RANGE, {"low": col.low if col.kind != "int" else int(col.low or 0),
                               "high": col.high if col.kind != "int" else int(col.high or 0)}
    return num, None, {}


def check_sheets(file: str, sheets: Mapping[str, RawSheet], known_counties: set[str],
                 school_counties: Callable[[Iterable[str]], dict[str, str]], known_zones: Mapping[str, str],
                 sections_of: Callable[[Iterable[str]], dict[str, set[str]]] | None = None) -> Checked:
    """Checks every known sheet; ``school_counties`` maps school codes to their latest county (unknown: absent)."""
    out = Checked(file)
    found = [name for name in SHEETS if name in sheets]
    if not found:
        _add(out.errors, file, M.NO_SHEET, sheets="、".join(SHEETS))
        return out
    located: dict[str, list[tuple[int, dict[str, Any], dict[str, tuple[str, str]]]]] = {}
    for name in found:
        kind, cols, key = SHEETS[name]
        sheet = sheets[name]
        index = {h: i for i, h in enumerate(sheet.headers)}
        missing = [c for c in cols if c.header not in index and c.required]
        for c in missing:
            _add(out.errors, file, M.HEADER, name, 1, header=c.header)
        if missing:
            continue
        seen: dict[tuple[Any, ...], int] = {}
        rows = located.setdefault(kind, [])
        for rownum, cells in sheet.rows:
            rec: dict[str, Any] = {}
            where: dict[str, tuple[str, str]] = {}
            ok = True
            for c in cols:
                if c.header not in index:
                    rec[c.key] = None
                    continue
                i = index[c.header]
                letter = sheet.column_letter(i)
                where[c.key] = (letter, c.header)
                raw = cells[i] if i < len(cells) else None
                value, err, kw = _cell(c, raw)
                if err is not None:
                    _add(out.errors, file, err, name, rownum, letter, c.header, raw, **kw)
                    ok = False
                rec[c.key] = value
            if not ok:
                continue
            k = tuple(rec[x] for x in key)
            if k in seen:
                _add(out.errors, file, M.DUPLICATE, name, rownum, where[key[0]][0], where[key[0]][1], k[0], first=seen[k],
                     key="、".join(str(x) for x in k))
                continue
            seen[k] = rownum
            rows.append((rownum, rec, where))

    zones_here = {rec["zone_code"]: rec["county_code"] for _r, rec, _w in located.get("zones", [])}
    zones = {**known_zones, **zones_here}
    codes = {rec["school_code"] for kind in ("grades", "rooms", "sites") for _r, rec, _w in located.get(kind, [])}
    school_county = school_counties(codes)
    school_sections = sections_of(codes) if sections_of is not None else None

    def err(kind: str, row: int, where: dict[str, tuple[str, str]], col: str, e: M, value: Any, **kw: Any) -> None:
        letter, header = where.get(col, ("", ""))
        _add(out.errors, file, e, KIND_SHEET[kind], row, letter, header, value, **kw)

    for kind, rows in located.items():
        good = []
        for row, rec, where in rows:
            bad = False
            if "county_code" in rec and rec["county_code"] not in known_counties:
                err(kind, row, where, "county_code", M.COUNTY, rec["county_code"])
                bad = True
            if kind in ("grades", "rooms", "sites") and rec["school_code"] not in school_county:
                err(kind, row, where, "school_code", M.SCHOOL, rec["school_code"])
                bad = True
            if kind == "zones" and not str(rec["zone_code"]).startswith(str(rec["county_code"])):
                err(kind, row, where, "zone_code", M.ZONE_COUNTY, rec["zone_code"])
                bad = True
            if kind in ("sites", "applications") and rec.get("zone_code") and rec["zone_code"] not in zones:
                err(kind, row, where, "zone_code", M.ZONE, rec["zone_code"])
                bad = True
            has = school_sections.get(rec.get("school_code", ""), set()) if school_sections is not None else None
            if kind in ("grades", "rooms") and has and not bad:
                section = rec["section"] if kind == "rooms" else next(k for k, (lo, hi) in GRADE_RANGE.items()
                                                                      if lo <= rec["grade"] <= hi)
                if section not in has:
                    low, high = GRADE_RANGE[section]
                    err(kind, row, where, "section" if kind == "rooms" else "grade", M.GRADE_SECTION,
                        rec["section"] if kind == "rooms" else rec["grade"], section=SECTION_ZH[section], low=low, high=high,
                        sections="、".join(SECTION_ZH.get(x, x) for x in sorted(has)))
                    bad = True
            if kind == "grades" and rec["students"] and rec.get("classes") == 0:
                err(kind, row, where, "classes", M.CLASSES, rec["classes"], students=rec["students"])
                bad = True
            if not bad:
                if kind in ("grades",):
                    rec["county_code"] = school_county[rec["school_code"]]
                good.append(rec)
        out.records[kind] = good
    return out


def read_workbook(path: Path, known_counties: set[str], school_counties: Callable[[Iterable[str]], dict[str, str]],
                  known_zones: Mapping[str, str],
                  sections_of: Callable[[Iterable[str]], dict[str, set[str]]] | None = None) -> Checked:
    """Reads and checks a places workbook (.xlsx); nothing is stored here."""
    try:
        sheets = read_xlsx(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except Exception as exc:
        out = Checked(path.name)
        _add(out.errors, path.name, M.FILE, detail=str(exc)[:200])
        return out
    out = check_sheets(path.name, sheets, known_counties, school_counties, known_zones, sections_of)
    out.sha256 = digest
    return out


def write_workbook(path: Path, records: Mapping[str, Iterable[Mapping[str, Any]]]) -> Path:
    """Writes a places workbook: every sheet's headers and the given records (``{}`` gives the empty template)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    labels = {code: label for _n, (_k, cols, _key) in SHEETS.items() for c in cols for label, code in c.options}
    wb = Workbook(write_only=False)
    wb.remove(wb.active)
    for name, (kind, cols, _key) in SHEETS.items():
        ws = wb.create_sheet(name)
        ws.append([c.header for c in cols])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for rec in records.get(kind, ()):
            ws.append([labels.get(rec.get(c.key), rec.get(c.key)) if c.kind == "option" else rec.get(c.key) for c in cols])
        for i, c in enumerate(cols):
            ws.column_dimensions[chr(65 + i)].width = max(10, len(c.header) * 2 + 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
