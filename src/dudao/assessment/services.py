"""Assessment services: run (and freeze) an assessment, record county facts, compare results."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction

import dudao
from dudao.assessment.errors import AssessmentError, FactError
from dudao.assessment.models import AssessmentCounty, AssessmentRun, CountyFact
from dudao.engine.assessment import Assessment, Fact, assess
from dudao.engine.backends import Engine, connect
from dudao.engine.document import build_document
from dudao.engine.frames import sections_frame
from dudao.orgunits.models import OrgUnit
from dudao.schools.services import year_records
from dudao.schools.validate import Collector, Issue
from dudao.schools.workbook import read_csv, read_xlsx
from dudao.standards.model import Standard, load_dictionary, load_standard

YES, NO = "是", "否"


@dataclass
class RunOutcome:
    run: AssessmentRun
    assessment: Assessment
    document: dict[str, Any]


@cache
def code_version() -> str:
    """The package version and, in a git checkout, the commit."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).parent,
                                capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    except OSError:
        commit = ""
    return f"{dudao.__version__}+{commit}" if commit else dudao.__version__


def scope_counties(scope: str) -> list[str] | None:
    """County codes for 'all' (None), a prefecture or a county code."""
    if scope in ("", "all"):
        return None
    unit = OrgUnit.objects.filter(code=scope).first()
    if unit is None:
        raise AssessmentError(FactError.SCOPE, value=scope)
    if unit.level == OrgUnit.Level.COUNTY:
        return [unit.code]
    prefix = unit.code[:4] if unit.level == OrgUnit.Level.PREFECTURE else unit.code[:2]
    return list(OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY, code__startswith=prefix).values_list("code", flat=True))


def facts_for(year: int, counties: list[str] | None) -> dict[str, dict[str, Fact]]:
    qs = CountyFact.objects.filter(year=year).select_related("county")
    if counties is not None:
        qs = qs.filter(county__code__in=counties)
    out: dict[str, dict[str, Fact]] = {}
    for f in qs:
        out.setdefault(f.county.code, {})[f.item] = Fact(f.value, f.passed, f.evidence)
    return out


def _hash(frame: Any, facts: dict[str, dict[str, Fact]], std: Standard, split_rule: str) -> str:
    h = hashlib.sha256()
    h.update(frame.sort_values(["school_code", "section"]).to_csv(index=False).encode())
    h.update(json.dumps({c: {k: f.__dict__ for k, f in sorted(v.items())} for c, v in sorted(facts.items())},
                        sort_keys=True).encode())
    h.update(f"{std.id}|{std.version}|{std.overlay}|{split_rule}".encode())
    return h.hexdigest()


STEPS = ("读取数据 / reading data", "计算指标与差异系数 / computing", "保存结果 / storing")


def run_assessment(standard_id: str, year: int, scope: str = "all", *, engine: Engine = "duckdb",
                   split_rule: str | None = None, province: str = "", actor: str = "system",
                   step: Callable[[str], None] | None = None) -> RunOutcome:
    """Computes an assessment from the stored data and facts, and stores it frozen.

    ``step`` is called with the name of each of the ``STEPS`` as it starts (for progress bars).
    """
    step = step or (lambda _name: None)
    step(STEPS[0])
    std = load_standard(standard_id, province)
    d = load_dictionary()
    counties = scope_counties(scope)
    schools, sections = year_records(year, counties)
    if not sections:
        raise AssessmentError(FactError.NO_DATA, year=year)
    frame = sections_frame(schools, sections, d)
    facts = facts_for(year, counties)
    step(STEPS[1])
    con = connect(engine)
    table = con.create_table(f"sections_{year}", frame, overwrite=True)
    result = assess(table, std, d, year=year, facts=facts, split_rule=split_rule)
    rule = split_rule or std.split.default_rule
    meta = {"inputs_hash": _hash(frame, facts, std, rule), "code_version": code_version(), "engine": engine}
    step(STEPS[2])
    names = dict(OrgUnit.objects.filter(code__in=list(result.verdicts)).values_list("code", "name"))
    document = build_document(result, names, meta)
    previous = AssessmentRun.objects.filter(standard_id=std.id, year=year, scope=scope or "all",
                                            overlay=std.overlay).order_by("-pk").first()
    plain = json.loads(json.dumps(document, ensure_ascii=False))
    with transaction.atomic():
        run = AssessmentRun.objects.create(
            standard_id=std.id, standard_version=std.version, overlay=std.overlay, year=year, split_rule=rule,
            scope=scope or "all", inputs_hash=meta["inputs_hash"], code_version=meta["code_version"], actor=actor,
            document={k: v for k, v in plain.items() if k != "counties"}, previous=previous,
        )
        AssessmentCounty.objects.bulk_create(
            [AssessmentCounty(run=run, county_code=c["code"], verdict=c["verdict"], entry=c) for c in plain["counties"]],
            batch_size=200)
    from dudao.audit.services import record

    record("assess", "assessment.AssessmentRun", run.pk, {"standard": std.id, "year": year, "scope": scope,
                                                          "counties": len(plain["counties"])})
    document["run"] = run.pk
    return RunOutcome(run, result, document)


def diff_runs(old: dict[str, Any], new: dict[str, Any], tol: float = 5e-4) -> list[dict[str, Any]]:
    """What changed between two assessment documents: verdicts, CVs (beyond rounding), school values."""
    changes: list[dict[str, Any]] = []
    before = {c["code"]: c for c in old.get("counties", [])}
    for county in new.get("counties", []):
        prev = before.get(county["code"])
        if prev is None:
            changes.append({"county": county["code"], "what": "verdict", "old": None, "new": county["verdict"]})
            continue
        if prev["verdict"] != county["verdict"]:
            changes.append({"county": county["code"], "what": "verdict", "old": prev["verdict"], "new": county["verdict"]})
        prev_sections = {s["section"]: s for s in prev["sections"]}
        for sec in county["sections"]:
            ps = prev_sections.get(sec["section"], {"cv": {}, "schools": []})
            for ind, cv in sec["cv"].items():
                old_cv = ps["cv"].get(ind)
                if (cv is None) != (old_cv is None) or (cv is not None and old_cv is not None and abs(cv - old_cv) > tol):
                    changes.append({"county": county["code"], "section": sec["section"], "what": f"cv.{ind}",
                                    "old": old_cv, "new": cv})
            old_schools = {s["code"]: s for s in ps["schools"]}
            for school in sec["schools"]:
                o = old_schools.get(school["code"])
                for ind, v in school["values"].items():
                    ov = o["values"].get(ind) if o else None
                    if (v is None) != (ov is None) or (v is not None and ov is not None and abs(v - ov) > 1e-9):
                        changes.append({"county": county["code"], "section": sec["section"], "school": school["code"],
                                        "what": ind, "old": ov, "new": v})
    return changes


# ---------------------------------------------------------------- county facts


def write_facts_template(out: Path, standard_id: str, year: int, counties: list[str] | None = None) -> Path:
    """An Excel sheet listing every recorded item for each county, to fill in."""
    import xlsxwriter

    std = load_standard(standard_id)
    units = OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY)
    if counties is not None:
        units = units.filter(code__in=counties)
    stored = {(f.county.code, f.item): f for f in CountyFact.objects.filter(year=year).select_related("county")}
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(out))
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    ws = wb.add_worksheet("县级记录")
    cols = ["县级行政区划代码", "县名称", "项目编号", "项目内容", "达标值", "数值", "是否达标", "佐证材料"]
    widths = [16, 16, 12, 60, 8, 10, 10, 40]
    for c, (name, w) in enumerate(zip(cols, widths, strict=True)):
        ws.write(0, c, name, head)
        ws.set_column(c, c, w)
    ws.freeze_panes(1, 3)
    row = 1
    for unit in units.order_by("code"):
        for item in std.recorded_items():
            fact = stored.get((unit.code, item.id))
            ws.write_string(row, 0, unit.code)
            ws.write(row, 1, unit.name)
            ws.write(row, 2, item.id)
            ws.write(row, 3, item.zh)
            if item.threshold is not None:
                ws.write_number(row, 4, item.threshold)
            if fact is not None:
                if fact.value is not None:
                    ws.write_number(row, 5, fact.value)
                if fact.passed is not None:
                    ws.write(row, 6, YES if fact.passed else NO)
                ws.write(row, 7, fact.evidence)
            row += 1
    ws.data_validation(1, 6, max(row, 2), 6, {"validate": "list", "source": [YES, NO]})
    notes = wb.add_worksheet("填报说明")
    notes.set_column(0, 0, 100)
    for i, line in enumerate([
        f"{std.name_zh}（{std.source}），{year}–{year + 1} 学年。",
        "每行一个县的一个记录项。有“达标值”的项目填写“数值”（比例填小数，如 0.92），其余项目在“是否达标”中选“是”或“否”。",
        "否决项（V 开头）“是否达标”填“是”表示不存在该情形，填“否”表示存在。",
        "“佐证材料”填写文件名称或文号。空着的行表示尚未记录，评估结论将为“数据不全”。",
    ]):
        notes.write(i, 0, line)
    wb.close()
    return out


def import_facts(path: Path, standard_id: str, year: int, actor: str) -> list[Issue]:
    """Reads county facts; stores them only when the file has no error. Returns the errors."""
    errors: list[Issue] = []
    bag = Collector(path.name, errors)
    std = load_standard(standard_id)
    items = {i.id for i in std.recorded_items()}
    try:
        sheet = read_csv(path) if path.suffix.lower() == ".csv" else next(iter(read_xlsx(path).values()))
    except Exception as exc:
        from dudao.schools.errors import DataError

        bag.add(DataError.FILE_UNREADABLE, detail=f"{type(exc).__name__}: {exc}")
        return errors
    counties = {u.code: u for u in OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY)}
    index = {h: i for i, h in enumerate(sheet.headers)}
    needed = ["县级行政区划代码", "项目编号", "数值", "是否达标", "佐证材料"]
    from dudao.schools.errors import DataError

    for h in needed:
        if h not in index:
            bag.add(DataError.HEADER_MISSING, sheet=sheet.name, row=1, header=h)
    if errors:
        return errors
    parsed: dict[tuple[str, str], tuple[int, float | None, bool | None, str]] = {}
    for rownum, cells in sheet.rows:
        def get(h: str, cells: list[Any] = cells) -> Any:
            return cells[index[h]] if index[h] < len(cells) else ""

        loc = {"sheet": sheet.name, "row": rownum}
        county = str(get("县级行政区划代码")).strip().split(".")[0]
        item = str(get("项目编号")).strip()
        if not county and not item:
            continue
        if county not in counties:
            bag.add(FactError.NOT_COUNTY, column=sheet.column_letter(index["县级行政区划代码"]), value=county, **loc)
            continue
        if item not in items:
            bag.add(FactError.UNKNOWN_ITEM, column=sheet.column_letter(index["项目编号"]), value=item, **loc)
            continue
        raw_value, raw_pass = get("数值"), str(get("是否达标")).strip()
        value = None
        if raw_value not in ("", None):
            try:
                value = float(raw_value)
            except (TypeError, ValueError):
                bag.add(DataError.NOT_NUMBER, column=sheet.column_letter(index["数值"]), header="数值", value=raw_value, **loc)
                continue
        passed = {YES: True, NO: False, "": None}.get(raw_pass, "bad")
        if passed == "bad":
            bag.add(DataError.BOOL, column=sheet.column_letter(index["是否达标"]), header="是否达标", value=raw_pass, **loc)
            continue
        if value is None and passed is None:
            continue  # a row left blank: nothing recorded
        key = (county, item)
        if key in parsed:
            bag.add(FactError.DUPLICATE, county=county, item=item, first=parsed[key][0], **loc)
            continue
        parsed[key] = (rownum, value, passed, str(get("佐证材料") or "").strip())  # type: ignore[arg-type]
    if errors:
        return errors
    with transaction.atomic():
        for (county, item), (_, value, passed, evidence) in parsed.items():
            CountyFact.objects.update_or_create(
                county=counties[county], year=year, item=item,
                defaults={"value": value, "passed": passed, "evidence": evidence, "actor": actor},
            )
    return errors


# ---------------------------------------------------------------- reading frozen results


def latest_county_result(county_code: str, standard_id: str = "youzhi2017", year: int | None = None) -> AssessmentCounty | None:
    """The newest frozen result that covers a county (for a year, or the latest year)."""
    qs = AssessmentCounty.objects.filter(county_code=county_code, run__standard_id=standard_id).select_related("run")
    if year is not None:
        qs = qs.filter(run__year=year)
    return qs.order_by("-run__year", "-run__pk").first()


def county_history(county_code: str, standard_id: str = "youzhi2017") -> list[AssessmentCounty]:
    """The newest result of each school year for a county, oldest first."""
    seen: dict[int, AssessmentCounty] = {}
    for row in AssessmentCounty.objects.filter(county_code=county_code, run__standard_id=standard_id) \
            .select_related("run").order_by("-run__pk"):
        seen.setdefault(row.run.year, row)
    return [seen[y] for y in sorted(seen)]


def latest_verdicts(prefix: str, standard_id: str = "youzhi2017", year: int | None = None) -> dict[str, str]:
    """County code → verdict from the newest result of each county under a code prefix."""
    qs = AssessmentCounty.objects.filter(county_code__startswith=prefix, run__standard_id=standard_id)
    if year is not None:
        qs = qs.filter(run__year=year)
    out: dict[str, str] = {}
    for code, verdict in qs.order_by("-run__year", "-run__pk").values_list("county_code", "verdict"):
        out.setdefault(code, verdict)
    return out
