"""Targets dashboard and evaluation schedule, read from the database: supervision cases (read only), evaluations
recorded here, terms, and quality evaluations when the quality-evaluation app is installed. The CLI, pages and
exports call these."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps

from dudao.assessment.models import AssessmentCounty
from dudao.orgunits.models import OrgUnit
from dudao.planning.errors import PlanningError, PlanningFailure
from dudao.planning.models import RecordedEvaluation, Term
from dudao.planning.policy import Planning, Target, load_planning
from dudao.planning.rules import (
    Evaluated,
    Reason,
    Span,
    TargetStatus,
    YearShare,
    due,
    share_by_year,
    target_status,
    year_of,
)
from dudao.schools.models import SchoolYear
from dudao.supervision.models import Case, CaseEvent

DECISIONS = ("recognise", "reject")  # the workflow's provincial decisions: an evaluation took place
RECOGNISED = "recognise"
OPEN_STATES = ("self_evaluation", "submitted", "provincial_evaluation")
FIRST_YEAR = 2017  # the first year of 优质均衡 evaluations (教督〔2017〕6号); the dashboard starts here


def region(code: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise PlanningFailure(PlanningError.REGION, value=code)
    return unit


def prefix_of(unit: OrgUnit) -> str:
    return {"province": unit.code[:2], "prefecture": unit.code[:4], "county": unit.code}[unit.level]


def counties_under(prefix: str) -> dict[str, str]:
    """County code → name of every county-level unit under a code prefix ("" for all)."""
    return dict(OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY, code__startswith=prefix)
                .order_by("code").values_list("code", "name"))


# ---------------------------------------------------------------- evaluations and recognitions


def county_evaluations(prefix: str) -> dict[str, list[Evaluated]]:
    """County code → dates of its supervision evaluations: provincial decisions in the workflow and recorded ones."""
    out: dict[str, list[Evaluated]] = defaultdict(list)
    for code, at in CaseEvent.objects.filter(action__in=DECISIONS, case__county__code__startswith=prefix) \
            .values_list("case__county__code", "at"):
        out[code].append(at.date())
    for code, day in RecordedEvaluation.objects.filter(county__code__startswith=prefix).values_list("county__code", "date"):
        out[code].append(day)
    return dict(out)


def first_recognitions(prefix: str) -> dict[str, int]:
    """County code → the year it first passed provincial evaluation (workflow or recorded)."""
    out: dict[str, int] = {}
    rows = [*CaseEvent.objects.filter(action=RECOGNISED, case__county__code__startswith=prefix)
            .values_list("case__county__code", "at"),
            *RecordedEvaluation.objects.filter(result=RecordedEvaluation.Result.RECOGNISED,
                                               county__code__startswith=prefix).values_list("county__code", "date")]
    for code, when in rows:
        out[code] = min(out.get(code, when.year), when.year)
    return out


def open_cases(prefix: str) -> dict[str, str]:
    """County code → the title of an open round in which its case is still under way."""
    return dict(Case.objects.filter(county__code__startswith=prefix, state__in=OPEN_STATES, round__closed_at__isnull=True)
                .order_by("round__opened_at").values_list("county__code", "round__title"))


def quality_source() -> Any | None:
    """The quality-evaluation model (``dudao.inspection`` ``Evaluation``) when that app is installed, else None."""
    if not apps.is_installed("dudao.inspection"):
        return None
    try:
        return apps.get_model("inspection", "Evaluation")
    except LookupError:
        return None


def quality_evaluations(prefix: str, kinds: Iterable[str]) -> dict[str, list[int]] | None:
    """County or school code → the years of its quality evaluations of the counted kinds (county-level ones under
    the county code, school-level ones under the school code), or None when no quality-evaluation app is installed."""
    model = quality_source()
    if model is None:
        return None
    out: dict[str, list[int]] = defaultdict(list)
    rows = (model.objects.filter(county__code__startswith=prefix, kind__in=list(kinds), level__in=("county", "school"))
            .values_list("level", "county__code", "school_code", "year"))
    for level, county, school, year in rows:
        out[school if level == "school" and school else county].append(int(year))
    return dict(out)


# ---------------------------------------------------------------- targets


@dataclass
class TargetRow:
    target: Target
    scope: str  # the province code the target belongs to, or "" for national
    status: TargetStatus


@dataclass
class Dashboard:
    code: str
    name: str
    level: str
    year: int
    total: int
    years: list[int]
    shares: list[YearShare]
    national: list[YearShare]
    national_total: int
    national_provinces: int
    targets: list[TargetRow]
    counties: list[dict[str, Any]] = field(default_factory=list)
    history_years: list[int] = field(default_factory=list)


def dashboard(code: str, year: int | None = None, standard_id: str = "youzhi2017") -> Dashboard:
    """The share of counties recognised by year in a region against the targets, with each county's trend."""
    unit = region(code)
    year = year or dt.date.today().year
    prefix = prefix_of(unit)
    counties = counties_under(prefix)
    first = first_recognitions(prefix)
    plan = load_planning(unit.code[:2])
    last_target = max([t.year for t in [*plan.targets, *plan.province_targets]], default=year)
    years = list(range(FIRST_YEAR, max(year, last_target) + 1))
    nat_first = first_recognitions("")
    nat_total = OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY).count()
    provinces = OrgUnit.objects.filter(level=OrgUnit.Level.PROVINCE).count()
    rows = [TargetRow(t, unit.code[:2] + "0000", target_status(t.year, t.share, first.values(), len(counties), year))
            for t in plan.province_targets]
    rows += [TargetRow(t, "", target_status(t.year, t.share, nat_first.values(), nat_total, year)) for t in plan.targets]
    upto = [y for y in years if y <= year]
    board = Dashboard(unit.code, unit.name, unit.level, year, len(counties), years,
                      share_by_year(first.values(), len(counties), upto), share_by_year(nat_first.values(), nat_total, upto),
                      nat_total, provinces, rows)
    history: dict[str, dict[int, str]] = defaultdict(dict)
    for c, y, verdict in (AssessmentCounty.objects.filter(county_code__startswith=prefix, run__standard_id=standard_id)
                          .order_by("-run__pk").values_list("county_code", "run__year", "verdict")):
        history[c].setdefault(y, verdict)  # the newest result of each year, as county_history reads it
    board.history_years = sorted({y for h in history.values() for y in h})
    cases = open_cases(prefix)
    for c, name in counties.items():
        board.counties.append({"code": c, "name": name, "recognised": first.get(c),
                               "verdicts": [history[c].get(y) for y in board.history_years], "open_round": cases.get(c)})
    return board


# ---------------------------------------------------------------- schedule


@dataclass
class DueLine:
    due_year: int
    level: str  # county | school
    kind: str  # supervision | quality
    code: str
    name: str
    county: str
    county_name: str
    last: int | None  # year of the last evaluation
    reasons: list[Reason]
    in_progress: str = ""  # the open round the county's case is in


@dataclass
class Schedule:
    code: str
    name: str
    year: int
    plan: Planning
    lines: list[DueLine]
    quality_available: bool
    counties: int
    schools: int
    notes: list[tuple[str, str]] = field(default_factory=list)

    def of(self, level: str, kind: str | None = None) -> list[DueLine]:
        return [ln for ln in self.lines if ln.level == level and (kind is None or ln.kind == kind)]


KIND_WORDS = {"supervision": ("督导评估", "supervision evaluation"), "quality": ("质量评价", "quality evaluation")}


def _spans(terms: Iterable[Term], plan: Planning) -> dict[str, list[Span]]:
    out: dict[str, list[Span]] = defaultdict(list)
    for t in terms:
        try:
            post = plan.post(t.post)
        except KeyError:
            continue
        out[t.school_code or t.county.code].append(Span(post.zh, post.en, t.start, t.end))
    return out


def schedule(code: str, year: int | None = None, today: dt.date | None = None) -> Schedule:
    """Who is due for evaluation in ``year`` or the next, and why (no personal names); terms that ended before
    ``today`` (default: the real date) are marked as ended."""
    unit = region(code)
    year = year or dt.date.today().year
    if not 1990 <= year <= 2100:
        raise PlanningFailure(PlanningError.YEAR, value=year)
    prefix = prefix_of(unit)
    plan = load_planning(unit.code[:2])
    counties = counties_under(prefix)
    terms = Term.objects.filter(county__code__startswith=prefix).select_related("county")
    spans = _spans(terms, plan)
    evaluated = county_evaluations(prefix)
    cases = open_cases(prefix)
    schools = _schools(prefix)
    quality = quality_evaluations(prefix, plan.cycles.quality.counts)
    lines: list[DueLine] = []
    today = today or dt.date.today()
    sup = plan.cycles.supervision
    for c, name in counties.items():
        dates = evaluated.get(c, [])
        found = due(year, dates, spans.get(c, []), sup.years, *KIND_WORDS["supervision"], today)
        if found:
            lines.append(DueLine(found[0], "county", "supervision", c, name, c, name,
                                 max((year_of(d) for d in dates), default=None), found[1], cases.get(c, "")))
    notes: list[tuple[str, str]] = []
    qual = plan.cycles.quality
    if quality is None:
        notes.append(("学校和县域质量评价的记录尚未接入（质量评价模块未安装）：每所学校都因“尚无质量评价记录”列为到期，"
                      "校长任期的原因照常列出；请以实际的质量评价记录为准。",
                      "quality evaluations are not yet available (the quality-evaluation app is not installed): every "
                      "school is listed as due with 'no quality evaluation on record', and principals' terms are checked "
                      "as usual; go by the actual quality-evaluation records."))
    else:
        labels = dict(quality_source()._meta.get_field("kind").choices or [])
        kinds = "、".join(str(labels.get(k, k)) for k in plan.cycles.quality.counts)
        kinds_en = ", ".join(plan.cycles.quality.counts)
        notes.append((f"质量评价记录来自评价评分模块；计为一次评价的类别：{kinds}；只知年份的评价，任期覆盖该年任何一段即算在任期内。",
                      f"quality evaluations come from the evaluation module; kinds counted: {kinds_en}; an evaluation known "
                      "only by its year counts within a term that covers part of that year."))
    for c, name in counties.items():
        if quality is None:
            break
        dates = quality.get(c, [])
        found = due(year, dates, spans.get(c, []), qual.years, *KIND_WORDS["quality"], today)
        if found:
            lines.append(DueLine(found[0], "county", "quality", c, name, c, name,
                                 max((year_of(d) for d in dates), default=None), found[1]))
    for s, (sname, county) in schools.items():
        dates = (quality or {}).get(s, [])
        found = due(year, dates, spans.get(s, []), qual.years, *KIND_WORDS["quality"], today)
        if found:
            lines.append(DueLine(found[0], "school", "quality", s, sname, county, counties.get(county, county),
                                 max((year_of(d) for d in dates), default=None), found[1]))
    lines.sort(key=lambda ln: (ln.due_year, ln.level, ln.county, ln.code, ln.kind))
    return Schedule(unit.code, unit.name, year, plan, lines, quality is not None, len(counties), len(schools), notes)


def _schools(prefix: str) -> dict[str, tuple[str, str]]:
    """School code → (name, county) from each school's latest school year, for schools still operating."""
    out: dict[str, tuple[str, str]] = {}
    rows = (SchoolYear.objects.filter(county__code__startswith=prefix).order_by("school__code", "-year")
            .values_list("school__code", "name", "county__code", "status"))
    closed: set[str] = set()
    for code, name, county, status in rows:
        if code in out or code in closed:
            continue
        if status != "operating":
            closed.add(code)
            continue
        out[code] = (name, county)
    return out


# ---------------------------------------------------------------- export


def export_schedule(sched: Schedule, out: Path) -> Path:
    """The schedule as an Excel workbook: one row per due county or school, with every reason."""
    import xlsxwriter

    out.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(out))
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet("评价安排")
    cols = [("到期年份", 10), ("对象", 8), ("代码", 14), ("名称", 28), ("所属县", 16), ("评价类别", 12),
            ("上次评价年份", 12), ("原因", 70), ("进行中的轮次", 24)]
    for c, (h, w) in enumerate(cols):
        ws.write(0, c, h, head)
        ws.set_column(c, c, w)
    ws.freeze_panes(1, 4)
    level_zh = {"county": "县", "school": "学校"}
    for r, ln in enumerate(sched.lines, start=1):
        ws.write_number(r, 0, ln.due_year)
        ws.write(r, 1, level_zh[ln.level])
        ws.write_string(r, 2, ln.code)
        ws.write(r, 3, ln.name)
        ws.write(r, 4, ln.county_name)
        ws.write(r, 5, KIND_WORDS[ln.kind][0])
        if ln.last is not None:
            ws.write_number(r, 6, ln.last)
        ws.write(r, 7, "；".join(x.zh for x in ln.reasons), wrap)
        ws.write(r, 8, ln.in_progress)
    if sched.lines:
        ws.autofilter(0, 0, len(sched.lines), len(cols) - 1)
    notes = wb.add_worksheet("说明")
    notes.set_column(0, 0, 110)
    sup, qual = sched.plan.cycles.supervision, sched.plan.cycles.quality
    for i, line in enumerate([
        f"{sched.name}（{sched.code}）{sched.year} 年及 {sched.year + 1} 年到期的评价；本年已到期的不再列入下一年。",
        f"督导评估周期 {sup.years} 年：{sup.zh}（来源：{sup.source}，可信度 {sup.confidence}）。",
        f"质量评价周期 {qual.years} 年：{qual.zh}（来源：{qual.source}，可信度 {qual.confidence}）。",
        f"任期规则：{sched.plan.terms.zh}（来源：{sched.plan.terms.source}）。",
        "上次评价：本系统督导流程中的省级评估结论（通过或不通过）及已记录的流程外评估结论。",
        *[zh for zh, _en in sched.notes],
    ]):
        notes.write(i, 0, line)
    wb.close()
    return out
