"""Reading and checking a school data file: every cell, every row, every cross-field rule.

Nothing here writes to the database. The result is a list of school records and section records
with their locations, and every error and warning found, each located by file, sheet, row and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from dudao.errors import LocatedIssue
from dudao.orgunits.codes import check_region_code, check_school_code, normalise
from dudao.orgunits.errors import CodeError
from dudao.schools.errors import DataError
from dudao.schools.workbook import (
    NO,
    SHEET_INFO,
    SHEET_SCHOOLS,
    SHEET_SECTIONS,
    YES,
    RawSheet,
    csv_columns,
    read_csv,
    read_xlsx,
    read_year,
    school_columns,
    section_columns,
)
from dudao.standards.model import Dictionary, Element

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$")


@dataclass
class Issue(LocatedIssue):
    """One error or warning, located."""

    severity: str
    code: str
    message_zh: str
    message_en: str
    file: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    header: str = ""
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Located:
    """A record read from the file with where each of its values came from."""

    sheet: RawSheet
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)

    def where(self, code: str) -> tuple[str, str]:
        idx = self.columns.get(code)
        return (self.sheet.column_letter(idx), self.sheet.headers[idx]) if idx is not None else ("", "")

    def location(self, code: str) -> dict[str, Any]:
        """Where the value of element ``code`` is, as the keyword arguments of an issue (sheet, row, column, header)."""
        column, header = self.where(code)
        loc: dict[str, Any] = {"sheet": self.sheet.name, "row": self.row}
        if column:
            loc.update(column=column, header=header)
        return loc


@dataclass
class Checked:
    """What a file holds once checked."""

    file: str
    schools: dict[str, Located] = field(default_factory=dict)
    sections: dict[tuple[str, str], Located] = field(default_factory=dict)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    present: set[str] = field(default_factory=set)


class Collector:
    """Collects issues for one file."""

    def __init__(self, file: str, out: list[Issue]):
        self.file, self.out = file, out

    def add(self, err: Enum, *, sheet: str = "", row: int | None = None, column: str = "", header: str = "",
            value: Any = "", severity: str = "error", **kw: Any) -> None:
        code, zh, en = err.value
        self.out.append(Issue(severity, code, zh.format(value=value, header=header, **kw), en.format(value=value, header=header, **kw),
                              self.file, sheet, row, column, header, "" if value is None else str(value)))


def read_file(path: Path, d: Dictionary, year: int, known_counties: Mapping[str, str],
              province_parts: frozenset[str]) -> Checked:
    """Reads and checks a workbook or CSV file. ``known_counties`` maps county code → level."""
    result = Checked(path.name)
    bag = Collector(path.name, result.errors)
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            sheets = read_xlsx(path)
        elif suffix == ".csv":
            sheets = {"CSV": read_csv(path)}
        else:
            bag.add(DataError.FILE_TYPE, suffix=suffix or "无")
            return result
    except Exception as exc:  # any parser failure is reported, never shown as a traceback
        bag.add(DataError.FILE_UNREADABLE, detail=f"{type(exc).__name__}: {exc}")
        return result
    if suffix == ".xlsx":
        found = read_year(sheets.get(SHEET_INFO))
        if found is not None and found != year:
            bag.add(DataError.YEAR_MISMATCH, sheet=SHEET_INFO, found=found, year=year)
        missing = [name for name in (SHEET_SCHOOLS, SHEET_SECTIONS) if name not in sheets]
        for name in missing:
            bag.add(DataError.SHEET_MISSING, sheet=name)
        if missing:
            return result
        school_rows = _parse_sheet(sheets[SHEET_SCHOOLS], school_columns(d), d, bag, result.present)
        section_rows = _parse_sheet(sheets[SHEET_SECTIONS], section_columns(d), d, bag, result.present)
    else:
        flat = _parse_sheet(sheets["CSV"], csv_columns(d), d, bag, result.present)
        school_rows, section_rows = _split_flat(flat, d, bag), flat
    _assemble(result, school_rows, section_rows, d, bag)
    _check_codes(result, d, bag, known_counties, province_parts)
    _check_rules(result, d, bag)
    return result


def _header_map(d: Dictionary, cols: list[Element]) -> dict[str, str]:
    out: dict[str, str] = {}
    for el in cols:
        for key in (el.header, el.zh, el.code, el.en):
            out[_norm_header(key)] = el.code
    return out


def _norm_header(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）").lower()


def _without_unit(text: str) -> str:
    """A header with its unit taken off: 体育运动场馆面积（平方米） → 体育运动场馆面积."""
    return re.sub(r"（[^（）]*）$", "", text)


def _parse_sheet(sheet: RawSheet, cols: list[Element], d: Dictionary, bag: Collector, present: set[str]) -> list[Located]:
    lookup, by_code = _header_map(d, cols), {el.code: el for el in cols}
    columns: dict[str, int] = {}
    for idx, head in enumerate(sheet.headers):
        if not head:
            continue
        key = _norm_header(head)
        code = lookup.get(key) or lookup.get(_without_unit(key))
        letter = sheet.column_letter(idx)
        if code is None:
            bag.add(DataError.HEADER_UNKNOWN, sheet=sheet.name, row=1, column=letter, header=head)
        elif code in columns:
            bag.add(DataError.HEADER_DUPLICATE, sheet=sheet.name, row=1, column=letter, header=head)
        else:
            columns[code] = idx
    for el in cols:
        if el.required and el.code not in columns:
            bag.add(DataError.HEADER_MISSING, sheet=sheet.name, row=1, header=el.header)
    present.update(columns)
    rows = sheet.rows
    if rows and all(_cell_text(rows[0][1], i) in ("", code) for code, i in columns.items()):
        rows = rows[1:]  # the row of element codes under the headers
    out = []
    for rownum, cells in rows:
        rec = Located(sheet, rownum, columns=columns)
        for code, idx in columns.items():
            el = by_code[code]
            raw = cells[idx] if idx < len(cells) else ""
            rec.values[code] = _parse_cell(el, raw, d, bag, sheet, rownum, idx)
        out.append(rec)
    return out


def _cell_text(cells: list[Any], idx: int) -> str:
    return "" if idx >= len(cells) or cells[idx] is None else str(cells[idx]).strip()


def _parse_cell(el: Element, raw: Any, d: Dictionary, bag: Collector, sheet: RawSheet, row: int, idx: int) -> Any:
    loc = {"sheet": sheet.name, "row": row, "column": sheet.column_letter(idx), "header": sheet.headers[idx]}
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "":
        if el.required:
            bag.add(DataError.REQUIRED, **loc)
        return None
    try:
        return _convert(el, raw, d)
    except _CellError as exc:
        bag.add(exc.error, value=raw, **loc, **exc.kw)
        return None


class _CellError(Exception):
    def __init__(self, error: DataError, **kw: Any):
        self.error, self.kw = error, kw


def _convert(el: Element, raw: Any, d: Dictionary) -> Any:
    if el.type in ("int", "decimal"):
        number = _number(raw)
        if el.type == "int":
            if not float(number).is_integer():
                raise _CellError(DataError.NOT_INTEGER)
            value: float | int = int(number)
        else:
            value = round(float(number), el.decimals)
        if (el.min is not None and value < el.min) or (el.max is not None and value > el.max):
            raise _CellError(DataError.OUT_OF_RANGE, low=_bound(el.min), high=_bound(el.max))
        return value
    text = normalise(raw) if el.type in ("school_code", "county_code") else str(raw).strip()
    if el.type == "bool":
        if text in (YES, "Y", "y", "1", "True", "true", "TRUE") or raw is True:
            return True
        if text in (NO, "N", "n", "0", "False", "false", "FALSE") or raw is False:
            return False
        raise _CellError(DataError.BOOL)
    if el.type == "enum" and el.enum:
        for opt in d.enums[el.enum]:
            if text in (opt.zh, opt.code, opt.en):
                return opt.code
        raise _CellError(DataError.ENUM, options="、".join(o.zh for o in d.enums[el.enum]))
    if el.max_length and len(text) > el.max_length:
        raise _CellError(DataError.TOO_LONG, max=el.max_length)
    return text


def _bound(value: float | None) -> str:
    """A range bound as a clerk reads it: 1000000, not 1e+06."""
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else str(value)


def _number(raw: Any) -> float:
    if isinstance(raw, bool):
        raise _CellError(DataError.NOT_NUMBER)
    if isinstance(raw, int | float):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise _CellError(DataError.NOT_NUMBER)
        return raw
    text = str(raw).replace(",", "").replace("，", "").strip()
    if not _NUMBER.match(text):
        raise _CellError(DataError.NOT_NUMBER)
    return float(text)


def _split_flat(flat: list[Located], d: Dictionary, bag: Collector) -> list[Located]:
    """In the CSV form each school's columns repeat on each of its rows; they must agree."""
    school_codes = {el.code for el in school_columns(d)}
    first: dict[str, Located] = {}
    for rec in flat:
        code = rec.values.get("school_code")
        if code is None:
            continue
        if code not in first:
            first[code] = Located(rec.sheet, rec.row, {k: v for k, v in rec.values.items() if k in school_codes},
                                  {k: v for k, v in rec.columns.items() if k in school_codes})
            continue
        base = first[code]
        for k in school_codes & rec.values.keys():
            a, b = base.values.get(k), rec.values[k]
            if b is None or a == b:
                continue
            if a is None:
                base.values[k] = b
            else:
                column, header = rec.where(k)
                bag.add(DataError.INCONSISTENT, sheet=rec.sheet.name, row=rec.row, column=column, header=header, a=a, b=b)
    return list(first.values())


def _assemble(result: Checked, school_rows: list[Located], section_rows: list[Located], d: Dictionary, bag: Collector) -> None:
    allowed = {o.code: set(o.sections or []) for o in d.enums["kind"]}
    for rec in school_rows:
        code = rec.values.get("school_code")
        if code is None:
            continue
        if code in result.schools and result.schools[code].sheet is rec.sheet:
            column, header = rec.where("school_code")
            bag.add(DataError.DUPLICATE_SCHOOL, sheet=rec.sheet.name, row=rec.row, column=column, header=header,
                    code=code, first=result.schools[code].row)
            continue
        result.schools[code] = rec
        if rec.values.get("status") == "merged" and not rec.values.get("merged_into"):
            column, header = rec.where("merged_into")
            bag.add(DataError.MERGED_INTO, sheet=rec.sheet.name, row=rec.row, column=column, header=header)
    for rec in section_rows:
        code, section = rec.values.get("school_code"), rec.values.get("section")
        if code is None or section is None:
            continue
        column, header = rec.where("section")
        if (code, section) in result.sections:
            bag.add(DataError.DUPLICATE_SECTION, sheet=rec.sheet.name, row=rec.row, column=column, header=header,
                    code=code, section=d.enum_label("section", section), first=result.sections[(code, section)].row)
            continue
        result.sections[(code, section)] = rec
        school = result.schools.get(code)
        if school is None:
            scol, shead = rec.where("school_code")
            bag.add(DataError.SECTION_NO_SCHOOL, sheet=rec.sheet.name, row=rec.row, column=scol, header=shead, code=code)
            continue
        kind = school.values.get("kind")
        if kind and section not in allowed.get(kind, set()):
            bag.add(DataError.SECTION_NOT_ALLOWED, sheet=rec.sheet.name, row=rec.row, column=column, header=header,
                    kind=d.enum_label("kind", kind), section=d.enum_label("section", section))
    with_sections = {c for c, _ in result.sections}
    for code, rec in result.schools.items():
        if code not in with_sections and rec.values.get("status", "operating") == "operating":
            column, header = rec.where("school_code")
            bag.add(DataError.SCHOOL_NO_SECTION, sheet=rec.sheet.name, row=rec.row, column=column, header=header, code=code)


def _check_codes(result: Checked, d: Dictionary, bag: Collector, counties: Mapping[str, str],
                 provinces: frozenset[str]) -> None:
    from dudao.orgunits.errors import OrgError

    for rec in result.schools.values():
        for code_el in ("school_code", "merged_into", "county_code"):
            value = rec.values.get(code_el)
            if value is None:
                continue
            column, header = rec.where(code_el)
            try:
                if code_el == "county_code":
                    check_region_code(value)
                    level = counties.get(value)
                    if level is None:
                        raise CodeError(OrgError.REGION_CODE_UNKNOWN, code=value)
                    if level != "county":
                        raise CodeError(OrgError.NOT_A_COUNTY, code=value, name=level)
                else:
                    check_school_code(value, provinces)
            except CodeError as exc:
                bag.add(DataError.CODE, sheet=rec.sheet.name, row=rec.row, column=column, header=header,
                        value=value, detail=exc.message_zh, detail_en=exc.message_en)


def _check_rules(result: Checked, d: Dictionary, bag: Collector) -> None:
    for rule in d.rules:
        formula = d.formulas[rule.id]
        records = result.sections.items() if rule.level == "section" else result.schools.items()
        for _, rec in records:
            if formula.evaluate(rec.values) is False:
                first = sorted(formula.names, key=lambda n: rule.check.find(n))[0]
                column, header = rec.where(first)
                bag.add(DataError.RULE, sheet=rec.sheet.name, row=rec.row, column=column, header=header,
                        zh=rule.zh, en=rule.en, rule=rule.id, check=rule.check)
