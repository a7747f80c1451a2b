"""The terms workbook: a template to download, and an import that checks every cell and stores nothing of a file
with any error. One file holds three sheets: county leaders' terms, principals' terms and evaluations decided
outside the workflow. For every county (or school) and post named in the file, the file replaces what was stored.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from dudao.orgunits.models import OrgUnit
from dudao.planning.errors import PlanningError
from dudao.planning.models import RecordedEvaluation, Term
from dudao.planning.policy import load_planning
from dudao.schools.models import School, SchoolYear
from dudao.schools.validate import Collector, Issue
from dudao.schools.workbook import RawSheet, read_xlsx

SHEET_COUNTY, SHEET_SCHOOL, SHEET_EVAL, SHEET_NOTES = "县级领导任期", "校长任期", "评价记录", "填报说明"
COUNTY_CODE, COUNTY_NAME, POST, PERSON, START, END = "县级行政区划代码", "县名称", "职务", "姓名", "任期开始", "任期结束"
SCHOOL_CODE, SCHOOL_NAME = "学校标识码", "学校名称"
DATE, RESULT, DOCUMENT = "评价日期", "结果", "文号或文件名称"
COLUMNS = {
    SHEET_COUNTY: [COUNTY_CODE, COUNTY_NAME, POST, PERSON, START, END],
    SHEET_SCHOOL: [SCHOOL_CODE, SCHOOL_NAME, PERSON, START, END],
    SHEET_EVAL: [COUNTY_CODE, COUNTY_NAME, DATE, RESULT, DOCUMENT],
}
OPTIONAL = {COUNTY_NAME, SCHOOL_NAME}  # shown for the reader, not read
RESULTS = {"通过": RecordedEvaluation.Result.RECOGNISED, "未通过": RecordedEvaluation.Result.NOT_RECOGNISED}
NAME_MAX = 50
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass
class TermsReport:
    """The outcome of one import: refused with every error, or accepted with its counts."""

    file: str
    errors: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------- template


def write_template(out: Path, counties: Iterable[str] | None = None, with_data: bool = True,
                   show_names: bool = True) -> Path:
    """The workbook to fill in, listing the stored terms of the given counties (all when None)."""
    import xlsxwriter

    units = OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY)
    if counties is not None:
        units = units.filter(code__in=list(counties))
    codes = list(units.values_list("code", flat=True))
    plan = load_planning()
    county_posts = [p.zh for p in plan.posts("county")]
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(out))
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    text = wb.add_format({"num_format": "@"})
    sheets = {}
    for name, cols in COLUMNS.items():
        ws = wb.add_worksheet(name)
        for c, h in enumerate(cols):
            ws.write(0, c, h, head)
            ws.set_column(c, c, 30 if h in (DOCUMENT, SCHOOL_NAME) else 16, text if h in (COUNTY_CODE, SCHOOL_CODE) else None)
        ws.freeze_panes(1, 0)
        sheets[name] = ws
    sheets[SHEET_COUNTY].data_validation(1, 2, 5000, 2, {"validate": "list", "source": county_posts})
    sheets[SHEET_EVAL].data_validation(1, 3, 5000, 3, {"validate": "list", "source": list(RESULTS)})
    for name, c in ((SHEET_COUNTY, 4), (SHEET_COUNTY, 5), (SHEET_SCHOOL, 3), (SHEET_SCHOOL, 4), (SHEET_EVAL, 2)):
        sheets[name].data_validation(1, c, 5000, c, {"validate": "date", "criteria": "between",
                                                     "minimum": dt.date(1980, 1, 1), "maximum": dt.date(2100, 12, 31)})
    if with_data:
        names = dict(units.values_list("code", "name"))
        post_zh = {p.code: p.zh for p in plan.terms.posts}
        row = 1
        for t in Term.objects.filter(county__code__in=codes, school_code="").select_related("county"):
            for c, v in enumerate((t.county.code, names.get(t.county.code, ""), post_zh.get(t.post, t.post),
                                   t.person if show_names else "")):
                sheets[SHEET_COUNTY].write_string(row, c, v)
            sheets[SHEET_COUNTY].write_datetime(row, 4, dt.datetime.combine(t.start, dt.time()), day)
            sheets[SHEET_COUNTY].write_datetime(row, 5, dt.datetime.combine(t.end, dt.time()), day)
            row += 1
        school_names = dict(School.objects.values_list("code", "name"))
        row = 1
        for t in Term.objects.filter(county__code__in=codes).exclude(school_code=""):
            for c, v in enumerate((t.school_code, school_names.get(t.school_code, ""), t.person if show_names else "")):
                sheets[SHEET_SCHOOL].write_string(row, c, v)
            sheets[SHEET_SCHOOL].write_datetime(row, 3, dt.datetime.combine(t.start, dt.time()), day)
            sheets[SHEET_SCHOOL].write_datetime(row, 4, dt.datetime.combine(t.end, dt.time()), day)
            row += 1
        row = 1
        labels = {v: k for k, v in RESULTS.items()}
        for e in RecordedEvaluation.objects.filter(county__code__in=codes).select_related("county"):
            sheets[SHEET_EVAL].write_string(row, 0, e.county.code)
            sheets[SHEET_EVAL].write_string(row, 1, names.get(e.county.code, ""))
            sheets[SHEET_EVAL].write_datetime(row, 2, dt.datetime.combine(e.date, dt.time()), day)
            sheets[SHEET_EVAL].write_string(row, 3, labels[RecordedEvaluation.Result(e.result)])
            sheets[SHEET_EVAL].write_string(row, 4, e.document)
            row += 1
    notes = wb.add_worksheet(SHEET_NOTES)
    notes.set_column(0, 0, 110)
    for i, line in enumerate([
        f"依据：{plan.terms.zh}（{plan.terms.source}）。",
        f"“{SHEET_COUNTY}”每行一个任期：职务可选 {'、'.join(county_posts)}；任期结束填预计届满日期，提前离任的填实际离任日期。",
        f"“{SHEET_SCHOOL}”每行一位校长的一个任期，学校标识码为 10 位。",
        f"“{SHEET_EVAL}”记录本系统流程以外作出的县域优质均衡省级评估结论（如启用本系统之前），结果填“通过”或“未通过”。",
        "导入时，文件中出现的每个县的每个职务（每所学校的校长、每个县的评价记录）以文件为准，替换系统中已有的记录；"
        "文件中未出现的县和学校保持不变。",
        "任何一处错误都会使整个文件不被导入，错误信息会指出工作表、行、列和规则。",
        "姓名属于个人信息，只有有权维护任期的用户可见，不出现在评价安排表和公开页面上。",
    ]):
        notes.write(i, 0, line)
    wb.close()
    return out


# ---------------------------------------------------------------- import


@dataclass
class _Row:
    sheet: str
    row: int
    values: dict[str, Any]


def _date(raw: Any) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    m = _DATE.match(str(raw).strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _code(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw or "").strip()


class _Reader:
    """Reads one sheet's rows into checked values, adding located errors to the collector."""

    def __init__(self, sheet: RawSheet, bag: Collector):
        self.sheet, self.bag = sheet, bag
        self.index = {h.strip(): i for i, h in enumerate(sheet.headers)}

    def has_columns(self, cols: list[str]) -> bool:
        ok = True
        for h in cols:
            if h not in self.index and h not in OPTIONAL:
                self.bag.add(PlanningError.HEADER, sheet=self.sheet.name, row=1, header=h)
                ok = False
        return ok

    def rows(self) -> Iterable[tuple[int, Callable[[str], Any]]]:
        for rownum, cells in self.sheet.rows:
            def get(h: str, cells: list[Any] = cells) -> Any:
                i = self.index[h]
                return cells[i] if i < len(cells) else ""
            yield rownum, get

    def error(self, err: PlanningError, row: int, header: str, value: Any = "", **kw: Any) -> None:
        column = self.sheet.column_letter(self.index[header]) if header in self.index else ""
        self.bag.add(err, sheet=self.sheet.name, row=row, column=column, header=header, value=value, **kw)

    def text(self, get: Callable[[str], Any], row: int, header: str) -> str | None:
        value = _code(get(header))
        if not value:
            self.error(PlanningError.REQUIRED, row, header)
            return None
        return value

    def day(self, get: Callable[[str], Any], row: int, header: str) -> dt.date | None:
        raw = get(header)
        if raw in ("", None):
            self.error(PlanningError.REQUIRED, row, header)
            return None
        found = _date(raw)
        if found is None:
            self.error(PlanningError.DATE, row, header, raw)
        return found


def read_terms(path: Path, allowed: Callable[[str, str], bool] | None = None) -> tuple[list[Issue], dict[str, list[_Row]]]:
    """Checks the workbook; returns every error (located) and the rows read. Writes nothing.

    ``allowed(county_code, school_code)`` says whether the importing user may change that unit.
    """
    errors: list[Issue] = []
    bag = Collector(path.name, errors)
    try:
        book = read_xlsx(path)
    except Exception as exc:
        bag.add(PlanningError.FILE, detail=f"{type(exc).__name__}: {exc}")
        return errors, {}
    for name in COLUMNS:
        if name not in book:
            bag.add(PlanningError.SHEET, sheet=name, name=name)
    if errors:
        return errors, {}
    plan = load_planning()
    posts = {}
    for p in plan.posts("county"):
        posts.update({p.zh: p.code, p.code: p.code, p.en: p.code})
    counties = dict(OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY).values_list("code", "pk"))
    out: dict[str, list[_Row]] = {name: [] for name in COLUMNS}
    readers = {name: _Reader(book[name], bag) for name in COLUMNS}
    if not all([r.has_columns(COLUMNS[name]) for name, r in readers.items()]):
        return errors, {}
    allowed = allowed or (lambda county, school: True)

    def county_of(r: _Reader, get: Callable[[str], Any], row: int) -> str | None:
        code = r.text(get, row, COUNTY_CODE)
        if code is None:
            return None
        if code not in counties:
            r.error(PlanningError.COUNTY, row, COUNTY_CODE, code)
            return None
        if not allowed(code, ""):
            r.error(PlanningError.SCOPE, row, COUNTY_CODE, code)
            return None
        return code

    def person(r: _Reader, get: Callable[[str], Any], row: int) -> str | None:
        name = r.text(get, row, PERSON)
        if name is not None and len(name) > NAME_MAX:
            r.error(PlanningError.NAME, row, PERSON, max=NAME_MAX)
            return None
        return name

    def span(r: _Reader, get: Callable[[str], Any], row: int) -> tuple[dt.date, dt.date] | None:
        start, end = r.day(get, row, START), r.day(get, row, END)
        if start is None or end is None:
            return None
        if end < start:
            r.error(PlanningError.ORDER, row, END, end, start=start, end=end)
            return None
        return start, end

    r = readers[SHEET_COUNTY]
    for row, get in r.rows():
        county, name, dates = county_of(r, get, row), person(r, get, row), span(r, get, row)
        raw_post = _code(get(POST))
        post = posts.get(raw_post)
        if post is None:
            r.error(PlanningError.POST, row, POST, raw_post, options="、".join(p.zh for p in plan.posts("county")))
        if county and name and dates and post:
            out[SHEET_COUNTY].append(_Row(SHEET_COUNTY, row, {"county": county, "school": "", "post": post,
                                                               "person": name, "start": dates[0], "end": dates[1]}))
    r = readers[SHEET_SCHOOL]
    wanted = [_code(get(SCHOOL_CODE)) for _, get in r.rows()]
    school_county = _school_counties([c for c in wanted if c])
    for row, get in r.rows():
        code, name, dates = r.text(get, row, SCHOOL_CODE), person(r, get, row), span(r, get, row)
        county = school_county.get(code or "")
        if code and county is None:
            r.error(PlanningError.SCHOOL, row, SCHOOL_CODE, code)
        elif code and county and not allowed(county, code):
            r.error(PlanningError.SCOPE, row, SCHOOL_CODE, code)
            county = None
        if code and county and name and dates:
            out[SHEET_SCHOOL].append(_Row(SHEET_SCHOOL, row, {"county": county, "school": code, "post": "principal",
                                                               "person": name, "start": dates[0], "end": dates[1]}))
    r = readers[SHEET_EVAL]
    for row, get in r.rows():
        county, day = county_of(r, get, row), r.day(get, row, DATE)
        raw = _code(get(RESULT))
        result = RESULTS.get(raw)
        if result is None:
            r.error(PlanningError.RESULT, row, RESULT, raw)
        document = r.text(get, row, DOCUMENT)
        if county and day and result and document:
            out[SHEET_EVAL].append(_Row(SHEET_EVAL, row, {"county": county, "date": day, "result": result,
                                                          "document": document[:200]}))
    _check_overlaps(out, readers)
    return errors, out


def _school_counties(codes: list[str]) -> dict[str, str]:
    """School code → the county it is registered under in its latest school year."""
    out: dict[str, str] = {}
    for i in range(0, len(codes), 900):
        for code, county in (SchoolYear.objects.filter(school__code__in=codes[i:i + 900])
                             .order_by("school__code", "-year").values_list("school__code", "county__code")):
            out.setdefault(code, county)
    return out


def _check_overlaps(out: dict[str, list[_Row]], readers: dict[str, _Reader]) -> None:
    """Two terms of one post in one unit must not overlap; an evaluation must not repeat."""
    for sheet in (SHEET_COUNTY, SHEET_SCHOOL):
        by_unit: dict[tuple[str, str, str], list[_Row]] = {}
        for rec in out[sheet]:
            v = rec.values
            by_unit.setdefault((v["county"], v["school"], v["post"]), []).append(rec)
        for recs in by_unit.values():
            recs.sort(key=lambda r: r.values["start"])
            for prev, cur in itertools.pairwise(recs):
                if cur.values["start"] <= prev.values["end"]:
                    readers[sheet].error(PlanningError.OVERLAP, cur.row, START, cur.values["start"], first=prev.row)
    seen: dict[tuple[str, dt.date], int] = {}
    for rec in out[SHEET_EVAL]:
        key = (rec.values["county"], rec.values["date"])
        if key in seen:
            readers[SHEET_EVAL].error(PlanningError.DUPLICATE, rec.row, DATE, rec.values["date"], first=seen[key])
        seen.setdefault(key, rec.row)


def import_terms(path: Path, actor: str, allowed: Callable[[str, str], bool] | None = None) -> TermsReport:
    """Checks the file and, only if it has no error, replaces the stored terms and evaluations it names."""
    errors, rows = read_terms(path, allowed)
    report = TermsReport(path.name, errors)
    if errors:
        return report
    counties = dict(OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY).values_list("code", "pk"))
    terms = rows[SHEET_COUNTY] + rows[SHEET_SCHOOL]
    with transaction.atomic():
        for county, school, post in {(r.values["county"], r.values["school"], r.values["post"]) for r in terms}:
            if school:
                Term.objects.filter(school_code=school, post=post).delete()  # the school may have moved county
            else:
                Term.objects.filter(county_id=counties[county], school_code="", post=post).delete()
        Term.objects.bulk_create([Term(county_id=counties[v["county"]], school_code=v["school"], post=v["post"],
                                       person=v["person"], start=v["start"], end=v["end"], actor=actor)
                                  for v in (r.values for r in terms)])
        named = {r.values["county"] for r in rows[SHEET_EVAL]}
        RecordedEvaluation.objects.filter(county__code__in=named).delete()
        RecordedEvaluation.objects.bulk_create([
            RecordedEvaluation(county_id=counties[v["county"]], date=v["date"], result=v["result"],
                               document=v["document"], actor=actor) for v in (r.values for r in rows[SHEET_EVAL])])
    report.counts = {"county_terms": len(rows[SHEET_COUNTY]), "principal_terms": len(rows[SHEET_SCHOOL]),
                     "evaluations": len(rows[SHEET_EVAL])}
    return report


def add_term(county: str, school: str, post: str, person: str, start: dt.date, end: dt.date, actor: str) -> list[str]:
    """Adds one term from the form; returns the problems (Chinese, English) joined, storing nothing if any."""
    problems: list[tuple[str, str]] = []
    unit = OrgUnit.objects.filter(code=county, level=OrgUnit.Level.COUNTY).first()
    if unit is None:
        problems.append(PlanningError.COUNTY.format(value=county))
    if not person.strip():
        problems.append(PlanningError.REQUIRED.format(header=PERSON))
    elif len(person.strip()) > NAME_MAX:
        problems.append(PlanningError.NAME.format(max=NAME_MAX))
    if end < start:
        problems.append(PlanningError.ORDER.format(start=start, end=end))
    clash = Term.objects.filter(county__code=county, school_code=school, post=post, start__lte=end, end__gte=start)
    if school:
        clash = Term.objects.filter(school_code=school, post=post, start__lte=end, end__gte=start)
    other = clash.first() if unit is not None else None
    if other is not None:
        problems.append(PlanningError.CLASH.format(start=other.start, end=other.end))
    if problems:
        return [f"{zh} / {en}" for zh, en in problems]
    Term.objects.create(county=unit, school_code=school, post=post, person=person.strip(), start=start, end=end,
                        actor=actor)
    return []
