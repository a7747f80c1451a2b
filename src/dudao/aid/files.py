"""Reading and checking the aid input files: the school roster, the departments' lists and payment records.

Files are read whole into Arrow (CSV with pyarrow, Parquet, Excel with python-calamine) and checked by the
engine (DuckDB by default) — never row by row through the ORM. Every bad row is reported with its file, sheet,
row, column and rule, in Chinese and English; a file with any error yields no table at all.
Columns not named here are ignored and never stored (a department's list may carry addresses and the like).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dudao.aid.errors import AidMessage
from dudao.aid.idnumber import known_regions
from dudao.aid.rules import SECTION_NAMES, load_aid_rules
from dudao.engine import aid as engine
from dudao.errors import LocatedIssue

YES, NO = ("是", "1", "true", "TRUE", "True", "Y", "y"), ("否", "0", "false", "FALSE", "False", "N", "n")
MAX_SHOWN = 1000  # issues kept in full in memory beyond this are counted (the CLI writes all of them to a file)


@dataclass(frozen=True)
class Column:
    code: str
    zh: str
    en: str
    kind: str  # text, id, enum, bool, int, number, date, region, school
    required: bool = False


ROSTER = (
    Column("name", "姓名", "name", "text", True),
    Column("id_number", "身份证号", "ID number", "id", True),
    Column("county_code", "区县代码", "county code", "region", True),
    Column("school_code", "学校标识码", "school code", "school", True),
    Column("school_name", "学校名称", "school name", "text"),
    Column("section", "学段", "section", "enum", True),
    Column("grade", "年级", "grade", "int"),
    Column("boarding", "寄宿", "boarding", "bool"),
    Column("household", "户籍", "household", "text"),
    Column("nutrition", "营养改善计划", "nutrition programme school", "bool"),
    Column("public", "公办", "public school", "bool"),
    Column("enrolled_on", "入学日期", "enrolled on", "date"),
)
LISTS = (
    Column("name", "姓名", "name", "text", True),
    Column("id_number", "身份证号", "ID number", "id"),
    Column("birth", "出生日期", "birth date", "date"),
    Column("county_code", "区县代码", "county code", "region", True),
    Column("category", "类别", "category", "enum", True),
    Column("valid_from", "起始日期", "valid from", "date"),
    Column("valid_to", "终止日期", "valid to", "date"),
)
PAYMENTS = (
    Column("school_code", "学校标识码", "school code", "school", True),
    Column("name", "姓名", "name", "text"),
    Column("id_number", "身份证号", "ID number", "id", True),
    Column("programme", "资助项目", "programme", "enum", True),
    Column("amount", "金额", "amount", "number", True),
    Column("paid_on", "发放日期", "paid on", "date"),
)
KINDS = {"roster": ROSTER, "list": LISTS, "payments": PAYMENTS}
KIND_NAMES = {"roster": ("学生名册", "school roster"), "list": ("部门名单", "department list"),
              "payments": ("发放记录", "payment records")}


def enum_options(kind: str, code: str) -> dict[str, str]:
    """Accepted texts → stored code, for the enum columns."""
    rules = load_aid_rules()
    if code == "section":
        return {**{k: k for k in SECTION_NAMES}, **{v[0]: k for k, v in SECTION_NAMES.items()}}
    if code == "category":
        return rules.category_by_name()
    if code == "programme":
        return {**{p.id: p.id for p in rules.programmes}, **{p.zh: p.id for p in rules.programmes}}
    raise KeyError(code)


@dataclass
class FileIssue(LocatedIssue):
    code: str
    message_zh: str
    message_en: str
    file: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    header: str = ""
    value: str = ""



@dataclass
class Checked:
    kind: str
    file: str
    sheet: str = ""
    rows: int = 0
    issues: list[FileIssue] = field(default_factory=list)
    issue_count: int = 0
    data: pa.Table | None = None  # the typed table, only when the file has no error
    max_issues: int | None = MAX_SHOWN  # issues kept in full (all are counted); None: keep all

    @property
    def ok(self) -> bool:
        return self.issue_count == 0 and self.data is not None


def _issue(c: Checked, msg: AidMessage, row: int | None = None, letter: str = "", col_header: str = "", **kw: Any) -> None:
    c.issue_count += 1
    if c.max_issues is None or len(c.issues) < c.max_issues:
        zh, en = msg.format(**kw)
        c.issues.append(FileIssue(msg.code, zh, en, c.file, c.sheet, row, letter, col_header, str(kw.get("value", ""))))


def _letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


# ---------------------------------------------------------------- reading


def _read_raw(path: Path) -> tuple[pa.Table, str, int]:
    """All columns as text, the sheet name, and the sheet row number of the first data row."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
        encoding = "utf8"
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
                encoding = "gb18030"
        first = pacsv.open_csv(path, read_options=pacsv.ReadOptions(encoding=encoding)).schema.names
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding=encoding),
                               convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in first},
                                                                    strings_can_be_null=False))
        return table.rename_columns([n.lstrip("\ufeff").strip() for n in table.column_names]), "CSV", 2
    if suffix == ".parquet":
        table = pq.read_table(path)
        return table.cast(pa.schema([(n, pa.string()) for n in table.column_names])), "", 1
    if suffix == ".xlsx":
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        name = wb.sheet_names[0]
        cells = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if not cells:
            return pa.table({}), name, 2
        headers = [("" if v is None else str(v)).strip() for v in cells[0]]
        cols: dict[str, list[str]] = {h: [] for h in headers if h}
        for row in cells[1:]:
            for h, v in zip(headers, row, strict=False):
                if h:
                    cols[h].append(_cell(v))
        return pa.table({h: pa.array(v, pa.string()) for h, v in cols.items()}), name, 2
    raise ValueError(suffix)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


# ---------------------------------------------------------------- checking


def check_file(path: Path, kind: str, *, today: dt.date | None = None, county: str | None = None,
               hash_key: bytes, con: Any = None, max_issues: int | None = MAX_SHOWN) -> Checked:
    """Reads and checks one file; the typed table (with ``id_hash``) only when nothing is wrong."""
    today = today or dt.date.today()
    specs = KINDS[kind]
    c = Checked(kind, path.name, max_issues=max_issues)
    if path.suffix.lower() not in (".csv", ".xlsx", ".parquet"):
        _issue(c, AidMessage.FILE_TYPE, suffix=path.suffix or "无")
        return c
    try:
        raw, c.sheet, first_row = _read_raw(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        _issue(c, AidMessage.FILE_UNREADABLE, detail=str(exc)[:200])
        return c
    except Exception as exc:  # python-calamine raises its own error types for broken workbooks
        _issue(c, AidMessage.FILE_UNREADABLE, detail=f"{type(exc).__name__}: {str(exc)[:200]}")
        return c
    headers = list(raw.column_names)
    by_name = {h: i for i, h in enumerate(headers)}
    where: dict[str, tuple[str, str]] = {}
    picked: dict[str, pa.ChunkedArray] = {}
    for col in specs:
        idx = by_name.get(col.zh, by_name.get(col.code))
        if idx is None:
            if col.required:
                _issue(c, AidMessage.HEADER_MISSING, header=col.zh)
            continue
        where[col.code] = (_letter(idx), headers[idx])
        picked[col.code] = raw.column(idx)
    if c.issue_count:
        return c
    c.rows = raw.num_rows
    if raw.num_rows == 0:
        _issue(c, AidMessage.EMPTY)
        return c
    n = raw.num_rows
    arrays = {code: pc.utf8_trim_whitespace(arr) for code, arr in picked.items()}
    for col in specs:
        if col.code not in arrays:
            arrays[col.code] = pa.chunked_array([pa.nulls(n, pa.string())])
    if "id_number" in arrays:
        arrays["id_number"] = pc.utf8_upper(arrays["id_number"])
    table = pa.table({"row": pa.array(np.arange(first_row, first_row + n, dtype=np.int64)), **arrays})
    con = con or ibis.duckdb.connect()
    t = ibis.memtable(table)  # scanned in place by DuckDB (no copy)
    regions = ibis.memtable(pa.table({"code": sorted(known_regions())}))
    _check(c, t, specs, where, regions, today, con)
    # drop blank rows (an Excel sheet's formatted but empty tail): every picked column empty
    if c.issue_count:
        return c
    c.data = con.to_pyarrow(_typed(t, kind, hash_key, con))
    c.rows = c.data.num_rows
    if county is not None:
        bad = c.data.filter(pc.not_equal(c.data["county_code"], county)) if "county_code" in c.data.column_names else None
        if bad is not None and bad.num_rows:
            for r, cc in zip(bad["row"].to_pylist(), bad["county_code"].to_pylist(), strict=True):
                _issue(c, AidMessage.OUT_OF_SCOPE, r, *where["county_code"], county=cc, expected=county, value=cc)
            c.data = None
    return c


def _blank_filter(t: Any, specs: tuple[Column, ...]) -> Any:
    cond = None
    for col in specs:
        blank = t[col.code].isnull() | (t[col.code] == "")
        cond = blank if cond is None else cond & blank
    return t.filter(~cond)


def _check(c: Checked, t: Any, specs: tuple[Column, ...], where: dict[str, tuple[str, str]], regions: Any,
           today: dt.date, con: Any) -> None:
    t = _blank_filter(t, specs)
    field_specs = []
    for col in specs:
        if col.code not in where:
            continue
        options: tuple[str, ...] = ()
        kind = col.kind
        if kind == "enum":
            options = tuple(enum_options(c.kind, col.code))
        elif kind == "bool":
            options = YES + NO
        elif kind == "id":
            kind = "text"
        field_specs.append((col.code, kind, col.required, options))
    probs = con.to_pyarrow(engine.field_problems(t, field_specs)).to_pylist()
    if "id_number" in where:
        probs += [{"row": p["row"], "column": "id_number", "rule": "id_" + p["rule"], "value": p["value"]}
                  for p in con.to_pyarrow(engine.id_problems(t, "id_number", regions, today)).to_pylist()]
    if "county_code" in where:  # a well-formed county code must be a known county-level division
        counties = regions.filter(regions.code.substr(4, 2) != "00")
        cc = t.filter(t.county_code.re_search(r"^[1-9][0-9]{5}$").fill_null(False))
        unknown = cc.anti_join(counties, cc.county_code == counties.code)
        probs += [{"row": r["row"], "column": "county_code", "rule": "known_region", "value": r["county_code"]}
                  for r in con.to_pyarrow(unknown.select("row", "county_code")).to_pylist()]
    if c.kind == "list" and "id_number" in where:
        no_id = t.filter((t.id_number.isnull() | (t.id_number == "")) & (t.birth.isnull() | (t.birth == "")))
        probs += [{"row": r, "column": "id_number", "rule": "no_id", "value": ""}
                  for r in con.to_pyarrow(no_id.select("row"))["row"].to_pylist()]
    if c.kind == "roster":  # the same ID number twice at one school
        w = ibis.window(group_by=[t.id_number, t.school_code], order_by=t.row)
        ranked = t.filter(t.id_number != "").mutate(_k=ibis.row_number().over(w))
        dup = ranked.filter(ranked._k > 0)
        probs += [{"row": r["row"], "column": "id_number", "rule": "dup", "value": r["id_number"], "school": r["school_code"]}
                  for r in con.to_pyarrow(dup.select("row", "id_number", "school_code")).to_pylist()]
    names = {col.code: col for col in specs}
    for p in sorted(probs, key=lambda p: (p["row"], list(names).index(p["column"]))):
        letter, header = where.get(p["column"], ("", names[p["column"]].zh))
        value = p.get("value") or ""
        rule = p["rule"]
        if rule == "required":
            _issue(c, AidMessage.REQUIRED, p["row"], letter, header, header=header)
        elif rule.startswith("id_"):
            msg = {"id_format": AidMessage.ID_FORMAT, "id_region": AidMessage.ID_REGION, "id_date": AidMessage.ID_DATE,
                   "id_check": AidMessage.ID_CHECK}[rule]
            _issue(c, msg, p["row"], letter, header, value=value)
        elif rule == "dup":
            _issue(c, AidMessage.ID_DUPLICATE, p["row"], letter, header, value=value, school=p["school"])
        elif rule == "no_id":
            _issue(c, AidMessage.NO_ID_NO_BIRTH, p["row"], letter, header)
        elif rule == "enum":
            opts = [k for k in enum_options(c.kind, p["column"]) if not k.isascii()]
            _issue(c, AidMessage.ENUM, p["row"], letter, header, value=value, options="、".join(opts))
        else:
            msg = {"bool": AidMessage.BOOL, "int": AidMessage.INT, "number": AidMessage.NUMBER, "date": AidMessage.DATE,
                   "region": AidMessage.REGION, "known_region": AidMessage.REGION, "school": AidMessage.SCHOOL}[rule]
            _issue(c, msg, p["row"], letter, header, value=value)


def _typed(t: Any, kind: str, hash_key: bytes, con: Any) -> Any:
    """The checked text table turned into the engine's typed table (codes, booleans, dates, the ID hash)."""
    t = _blank_filter(t, KINDS[kind])
    backend = getattr(con, "name", "duckdb")
    out: dict[str, Any] = {"row": t.row}
    for col in KINDS[kind]:
        s = t[col.code]
        blank = s.isnull() | (s == "")
        if col.kind == "enum":
            out[col.code] = s.substitute(enum_options(kind, col.code))
        elif col.kind == "bool":
            out[col.code] = ibis.ifelse(blank, ibis.null("boolean"), s.isin(list(YES)))
        elif col.kind == "int":
            out[col.code] = ibis.ifelse(blank, ibis.null("int64"), s.cast("int64"))
        elif col.kind == "number":
            out[col.code] = s.cast("float64")
        elif col.kind == "date":
            out[col.code] = ibis.ifelse(blank, ibis.null("date"), ibis.date(s.substr(0, 4).cast("int32"),
                                                                             s.substr(5, 2).cast("int32"),
                                                                             s.substr(8, 2).cast("int32")))
        elif col.code == "id_number":
            out[col.code] = ibis.ifelse(blank, ibis.null("string"), s)
            out["id_hash"] = ibis.ifelse(blank, ibis.null("string"), engine.keyed_hash(s, hash_key, backend))
        else:
            out[col.code] = s
    typed = t.select(**out)
    if kind in ("roster", "list") and "id_number" in out:
        born = engine.birth_date(typed.id_number)
        typed = typed.mutate(birth=born if kind == "roster" else typed.birth.fill_null(born))
    return typed


def issues_frame(checked: list[Checked]) -> pd.DataFrame:
    rows = [i.__dict__ for c in checked for i in c.issues]
    return pd.DataFrame(rows, columns=["code", "message_zh", "message_en", "file", "sheet", "row", "column", "header", "value"])
