"""A county assessment under one standard: indicators, CVs, computed items, facts, verdicts.

Verdicts: ``fail`` when any item is known to fail; otherwise ``incomplete`` when anything needed is
missing (listed); otherwise ``pass``. Missing data never passes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from dudao.engine.checks import county_checks
from dudao.engine.cv import county_cvs
from dudao.engine.gaps import cv_lifts, school_gaps
from dudao.engine.indicators import REL_TOL, with_scope
from dudao.engine.plan import failing_rows, run_plan, school_table, summary_table
from dudao.standards.model import CountyItem, Dictionary, Standard

SECTION_ZH = {"primary": "小学", "junior": "初中", "senior": "高中"}


@dataclass(frozen=True)
class Fact:
    """A recorded county fact: a value and/or a yes/no, with its evidence."""

    value: float | None = None
    passed: bool | None = None
    evidence: str = ""


@dataclass(slots=True)
class Reason:
    """One reason of a verdict. Treat as read-only: counties without facts share the same instances.
    Slotted: an assessment of the nation makes ~14,000 of them, and fewer objects mean cheaper garbage collections."""

    part: str
    item: str
    status: str  # fail | missing
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"part": self.part, "item": self.item, "status": self.status, "zh": self.zh, "en": self.en}


@dataclass
class CountyVerdict:
    code: str
    verdict: str
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class Assessment:
    """Everything an assessment computed, as plain tables."""

    standard: Standard
    year: int
    split_rule: str
    schools: pd.DataFrame
    cvs: pd.DataFrame
    checks: pd.DataFrame
    verdicts: dict[str, CountyVerdict]
    gaps: pd.DataFrame
    lifts: pd.DataFrame


def compute_tables(t: ir.Table, std: Standard, d: Dictionary, split_rule: str | None = None) -> tuple[Any, Any, Any]:
    """The Ibis expressions of the school table (cached in the backend), the CV table and the computed-item table."""
    schools = school_table(t, std, d, split_rule).cache()
    return schools, county_cvs(schools, std), county_checks(with_scope(t, std), std, d)


def assess(t: ir.Table, std: Standard, d: Dictionary, *, year: int,
           facts: Mapping[str, Mapping[str, Fact]] | None = None, split_rule: str | None = None,
           counties: list[str] | None = None, with_gaps: bool = True, with_schools: bool = True) -> Assessment:
    """Runs the whole assessment on the backend of ``t`` and assembles the verdicts.

    Only aggregates and the rows that matter (failing schools; schools of CVs over their limit) leave
    the backend, unless ``with_schools`` asks for the whole school table (for documents and reports).
    On DuckDB the SQL is compiled once per standard, split rule and input schema and reused
    (``dudao.engine.plan``); other backends run the Ibis expressions.
    """
    with _collector_paused():
        return _assess(t, std, d, year=year, facts=facts, split_rule=split_rule, counties=counties,
                       with_gaps=with_gaps, with_schools=with_schools)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pauses Python's cyclic garbage collector for one assessment and restores it afterwards.

    A run builds a few hundred thousand short-lived objects (frames, reasons, rows) and frees them by reference
    counting; the cyclic collector's full passes over them cost 80–110 ms in about every other run of the nation
    (bench/README.md) and find nothing to free. Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _assess(t: ir.Table, std: Standard, d: Dictionary, *, year: int, facts: Mapping[str, Mapping[str, Fact]] | None,
            split_rule: str | None, counties: list[str] | None, with_gaps: bool, with_schools: bool) -> Assessment:
    if counties is not None:
        t = t.filter(t.county_code.isin(counties))
    run = run_plan(t, std, d, split_rule, with_gaps=with_gaps, with_schools=with_schools)
    if run is None:
        summary, failing, cvs, checks, schools, lift_rows = _run_ibis(t, std, d, split_rule, with_gaps=with_gaps,
                                                                      with_schools=with_schools)
    try:  # on DuckDB the backend works on the CVs and the checks meanwhile
        if run is not None:
            summary, failing = run.summary, run.failing
        gaps = school_gaps(failing, std) if with_gaps else pd.DataFrame()
        if run is not None:
            cvs, schools, lift_rows = run.tables.result()
        if not with_schools:
            schools = pd.concat([failing, lift_rows], ignore_index=True).drop_duplicates(["school_code", "section"])
        lifts = cv_lifts(lift_rows, cvs, std) if with_gaps else pd.DataFrame()
        ctx = _Context.build(summary, failing, cvs, None, std)
        pending = _prepare_verdicts(std, ctx, facts or {})  # all but the computed items, which need the checks
        if run is not None:
            checks = run.checks.result()
    finally:
        if run is not None:
            run.wait()  # never leave the connection in use
    ctx.checks = _check_map(checks)
    verdicts = {code: _finish(code, steps, ctx) for code, steps in pending.items()}
    return Assessment(std, year, split_rule or std.split.default_rule, schools, cvs, checks, verdicts, gaps, lifts)


def _run_ibis(t: ir.Table, std: Standard, d: Dictionary, split_rule: str | None, *, with_gaps: bool,
              with_schools: bool) -> tuple[pd.DataFrame, ...]:
    """The generic path (any Ibis backend, e.g. Spark): builds and runs the expressions."""
    s_expr, cv_expr, check_expr = compute_tables(t, std, d, split_rule)
    summary = summary_table(s_expr).execute()
    failing = failing_rows(s_expr).execute()
    cvs = cv_expr.execute()
    checks = check_expr.execute()
    over = cvs[cvs["cv_limit"].notna() & (cvs["cv"] > cvs["cv_limit"])][["county_code", "section"]].drop_duplicates()
    schools = s_expr.execute() if with_schools else None
    if with_schools:
        lift_rows = schools
    else:
        lift_rows = _rows_of(s_expr.filter(s_expr.in_scope), over) if with_gaps else failing.iloc[0:0]
    return summary, failing, cvs, checks, schools, lift_rows


def _rows_of(scoped: ir.Table, pairs: pd.DataFrame) -> pd.DataFrame:
    """The in-scope rows of the given (county, section) pairs."""
    if pairs.empty:
        return scoped.limit(0).execute()
    keys = ibis.memtable(pairs.rename(columns={"county_code": "k_county", "section": "k_section"}))
    joined = scoped.semi_join(keys, [scoped.county_code == keys.k_county, scoped.section == keys.k_section])
    return joined.execute()


@dataclass
class _Context:
    """The computed tables, indexed by county for quick lookups."""

    counties: list[str]
    scoped_sections: dict[tuple[str, str], int]
    failing: dict[str, list[str]]
    missing: dict[str, int]
    cvs: dict[tuple[str, str, str], float]
    checks: dict[tuple[str, str], tuple[Any, ...]]  # (county, item) → (checked, failed, missing, failing)
    cv_clean: frozenset[str] = frozenset()  # counties whose every CV is known and within its limit

    @classmethod
    def build(cls, summary: pd.DataFrame, failing: pd.DataFrame, cvs: pd.DataFrame, checks: pd.DataFrame | None,
              std: Standard | None = None) -> _Context:
        """Indexes the tables; ``checks`` may be left out (None) and set later with ``_check_map``."""
        s_county, s_section = summary["county_code"].tolist(), summary["section"].tolist()
        sizes = dict(zip(zip(s_county, s_section, strict=True), summary["in_scope"].astype(int).tolist(), strict=True))
        missing: dict[str, int] = {}
        for county, n in zip(s_county, summary["missing"].tolist(), strict=True):
            missing[county] = missing.get(county, 0) + n
        rows = sorted(zip(failing["county_code"].tolist(), failing["school_code"].tolist(),
                          failing["section"].tolist(), failing["school_name"].tolist(), strict=True))
        fail_map: dict[str, list[str]] = {}
        for county, _code, section, name in rows:
            fail_map.setdefault(county, []).append(f"{name}（{SECTION_ZH.get(section, section)}）")
        counties = sorted(set(s_county))
        clean = _cv_clean(counties, sizes, cvs, std) if std is not None else frozenset()
        keys = zip(cvs["county_code"].tolist(), cvs["section"].tolist(), cvs["indicator"].tolist(), strict=True)
        if clean and std is not None and not any(r.kind == "cv_composite" for r in std.rules):
            # only the other counties' CVs are looked up
            cv_map = {k: v for k, v in zip(keys, cvs["cv"].tolist(), strict=True) if k[0] not in clean}
        else:
            cv_map = dict(zip(keys, cvs["cv"].tolist(), strict=True))
        check_map = _check_map(checks) if checks is not None else {}
        return cls(counties, sizes, fail_map, {k: int(v) for k, v in missing.items() if v}, cv_map, check_map, clean)


def _check_map(checks: pd.DataFrame) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(county, item) → (checked, failed, missing, failing)."""
    if not len(checks):
        return {}
    return dict(zip(zip(checks["county_code"].tolist(), checks["item"].tolist(), strict=True),
                    zip(*(checks[c].tolist() for c in ("checked", "failed", "missing", "failing")), strict=True),
                    strict=True))


def _cv_clean(counties: list[str], sizes: Mapping[tuple[str, str], int], cvs: pd.DataFrame,
              std: Standard) -> frozenset[str]:
    """The counties for which ``_cv_each`` finds nothing to report, found on whole columns: every section
    has schools in scope and every CV with a limit is known and within it (same comparison)."""
    limits = {(section, ind.id): ind.cv_limit[section] for section in std.sections for ind in std.indicators
              if ind.cv_limit.get(section) is not None}
    if cvs.empty or not limits:
        return frozenset()
    sections = {s: (cvs["section"] == s).to_numpy(bool) for s in {s for s, _ in limits}}
    indicators = {i: (cvs["indicator"] == i).to_numpy(bool) for i in {i for _, i in limits}}
    bound = np.full(len(cvs), np.nan)
    for (section, ind_id), value in limits.items():
        bound[sections[section] & indicators[ind_id]] = value
    cv = cvs["cv"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        ok = ~np.isnan(bound) & ~np.isnan(cv) & ~(cv > bound * (1 + REL_TOL))
    counts = cvs.loc[ok, "county_code"].value_counts()
    full = set(counts.index[counts.to_numpy() == len(limits)])
    return frozenset(c for c in counties if c in full and all(sizes.get((c, s)) for s in std.sections))


def county_verdicts(std: Standard, ctx: _Context, facts: Mapping[str, Mapping[str, Fact]]) -> dict[str, CountyVerdict]:
    """Every county's verdict. A county with no recorded facts gets the same (shared, read-only) reasons
    for the recorded items as every other such county; they are made once."""
    return {code: _finish(code, steps, ctx) for code, steps in _prepare_verdicts(std, ctx, facts).items()}


def _prepare_verdicts(std: Standard, ctx: _Context, facts: Mapping[str, Mapping[str, Fact]]) -> dict[str, list[_Step]]:
    """Each county's steps with all but the computed items resolved to reasons (``ctx.checks`` not needed)."""
    steps = _steps(std)
    no_facts = _fold(steps, {})
    out = {}
    for code in ctx.counties:
        mine = facts.get(code)
        out[code] = _resolve(code, std, ctx, _fold(steps, mine) if mine else no_facts)
    return out


def county_verdict(code: str, std: Standard, ctx: _Context, facts: Mapping[str, Fact]) -> CountyVerdict:
    """Applies every rule and item of the standard to one county."""
    return _verdict(code, std, ctx, _fold(_steps(std), facts))


# A step of the verdict: ("school"|"cv_each"|"cv_composite", rule) and ("computed", part, item) depend on the
# school data; ("recorded", part, item) and ("veto", veto) on the county's facts only.
_Step = tuple[Any, ...]


def _steps(std: Standard) -> list[_Step]:
    steps: list[_Step] = []
    for rule in std.rules:
        if rule.kind == "k_of_n":
            steps.append(("school", rule))
        elif rule.kind == "cv_each":
            steps.append(("cv_each", rule))
        elif rule.kind == "cv_composite":
            steps.append(("cv_composite", rule))
        else:
            part = {"score": "guarantee", "survey": "recognition"}.get(rule.kind, "resource")
            steps.append(("recorded", part, CountyItem(id=rule.id, zh=rule.zh, en=rule.en, threshold=rule.threshold,
                                                       source=rule.source, confidence=rule.confidence)))
    if std.prerequisite is not None:
        pre = CountyItem(id="prerequisite", zh=std.prerequisite.zh, en=std.prerequisite.en,
                         source=std.prerequisite.source, confidence=std.prerequisite.confidence)
        steps.append(("recorded", "prerequisite", pre))
    for part, items in (("guarantee", std.guarantee), ("quality", std.quality), ("recognition", std.recognition)):
        for item in items:
            if item.kind == "computed" and item.check:
                steps.append(("computed", part, item))
            else:
                steps.append(("recorded", part, item))
    steps += [("veto", veto) for veto in std.vetoes]
    return steps


def _fold(steps: list[_Step], facts: Mapping[str, Fact]) -> list[_Step]:
    """Resolves the fact-only steps into ("reasons", tuple), merging neighbours."""
    out: list[_Step] = []
    for step in steps:
        if step[0] == "recorded":
            reasons = tuple(_recorded(step[1], step[2], facts))
        elif step[0] == "veto":
            reasons = tuple(_veto(step[1], facts))
        else:
            out.append(step)
            continue
        if out and out[-1][0] == "reasons":
            out[-1] = ("reasons", out[-1][1] + reasons)
        elif reasons:
            out.append(("reasons", reasons))
    return out


def _verdict(code: str, std: Standard, ctx: _Context, steps: list[_Step]) -> CountyVerdict:
    return _finish(code, _resolve(code, std, ctx, steps), ctx)


def _resolve(code: str, std: Standard, ctx: _Context, steps: list[_Step]) -> list[_Step]:
    """The county's steps, the school-data ones other than the computed items turned into ("reasons", …)."""
    out: list[_Step] = []
    for step in steps:
        kind = step[0]
        if kind in ("reasons", "computed"):
            out.append(step)
        elif kind == "school":
            out.append(("reasons", _school_rule(step[1].id, ctx.failing.get(code, []), ctx.missing.get(code, 0))))
        elif kind == "cv_each":
            if code not in ctx.cv_clean:
                out.append(("reasons", _cv_each(step[1].id, std, code, ctx)))
        else:  # cv_composite
            out.append(("reasons", _cv_composite(step[1].id, step[1].limits, std, code, ctx)))
    return out


def _finish(code: str, steps: list[_Step], ctx: _Context) -> CountyVerdict:
    """The verdict from resolved steps (``_resolve``) and the computed items (``ctx.checks``)."""
    reasons: list[Reason] = []
    for step in steps:
        if step[0] == "reasons":
            reasons += step[1]
        else:
            reasons += _computed(step[1], step[2], ctx.checks.get((code, step[2].id)))
    statuses = {r.status for r in reasons}
    verdict = "fail" if "fail" in statuses else "incomplete" if "missing" in statuses else "pass"
    return CountyVerdict(code, verdict, reasons)


def _veto(veto: Any, facts: Mapping[str, Fact]) -> list[Reason]:
    fact = facts.get(veto.id)
    if fact is None or fact.passed is None:
        return [Reason("veto", veto.id, "missing", f"未记录是否存在：{veto.zh}", f"not recorded: {veto.en}")]
    if fact.passed is False:
        return [Reason("veto", veto.id, "fail", f"一票否决：{veto.zh}", f"veto: {veto.en}")]
    return []


def _school_rule(rule_id: str, failing: list[str], missing: int) -> list[Reason]:
    out = []
    if failing:
        names = "、".join(failing[:5]) + ("等" if len(failing) > 5 else "")
        out.append(Reason("resource", rule_id, "fail", f"{len(failing)} 个学校（学段）资源配置未达标：{names}",
                          f"{len(failing)} school sections fail the resource thresholds"))
    if missing:
        out.append(Reason("resource", rule_id, "missing", f"{missing} 个学校（学段）数据不全，无法判定资源配置",
                          f"{missing} school sections lack data for the resource indicators"))
    return out


def _cv_each(rule_id: str, std: Standard, code: str, ctx: _Context) -> list[Reason]:
    out = []
    for section in std.sections:
        if not ctx.scoped_sections.get((code, section)):
            out.append(Reason("resource", f"{rule_id}.{section}", "missing", f"{SECTION_ZH[section]}没有纳入计算的学校",
                              f"no {section} schools in scope"))
            continue
        for ind in std.indicators:
            limit = ind.cv_limit.get(section)
            if limit is None:
                continue
            cv = ctx.cvs.get((code, section, ind.id))
            if cv is None or cv != cv:  # missing or NaN
                out.append(Reason("resource", f"{ind.id}.{section}", "missing",
                                  f"{SECTION_ZH[section]}{ind.zh}差异系数无法计算", f"{section} CV of {ind.id} cannot be computed"))
            elif cv > limit * (1 + REL_TOL):
                out.append(Reason("resource", f"{ind.id}.{section}", "fail",
                                  f"{SECTION_ZH[section]}{ind.zh}差异系数 {cv:.3f}，高于 {limit:.2f}",
                                  f"{section} CV of {ind.id} is {cv:.3f}, above {limit:.2f}"))
    return out


def _cv_composite(rule_id: str, limits: Mapping[str, float], std: Standard, code: str, ctx: _Context) -> list[Reason]:
    out = []
    for section in std.sections:
        values = [ctx.cvs.get((code, section, ind.id)) for ind in std.indicators]
        if not ctx.scoped_sections.get((code, section)) or any(v is None or v != v for v in values):
            out.append(Reason("resource", f"{rule_id}.{section}", "missing", f"{SECTION_ZH[section]}综合差异系数无法计算",
                              f"{section} composite CV cannot be computed"))
            continue
        comp = float(np.mean(np.asarray(values, dtype=float)))
        if comp > limits[section] * (1 + REL_TOL):
            out.append(Reason("resource", f"{rule_id}.{section}", "fail",
                              f"{SECTION_ZH[section]}综合差异系数 {comp:.3f}，高于 {limits[section]:.2f}",
                              f"{section} composite CV {comp:.3f} above {limits[section]:.2f}"))
    return out


def _computed(part: str, item: CountyItem, row: tuple[Any, ...] | None) -> list[Reason]:
    """``row``: (checked, failed, missing, failing) of the county and item (``_check_map``)."""
    if row is None or int(row[0]) + int(row[2]) == 0:
        return [Reason(part, item.id, "missing", f"无数据：{item.zh}", f"no data: {item.en}")]
    failed, missing = int(row[1]), int(row[2])
    if failed:
        failing = row[3]
        codes = sorted(filter(None, failing)) if failing is not None else []  # drops None and ""
        return [Reason(part, item.id, "fail", f"{item.zh}：{failed} 个学校未达到（{'、'.join(codes[:5])}）",
                       f"{item.en}: {failed} schools fail")]
    if missing:
        return [Reason(part, item.id, "missing", f"{item.zh}：{missing} 个学校缺少数据", f"{item.en}: {missing} schools lack data")]
    return []


def _recorded(part: str, item: CountyItem, facts: Mapping[str, Fact]) -> list[Reason]:
    fact = facts.get(item.id)
    if fact is None or (fact.passed is None and fact.value is None):
        return [Reason(part, item.id, "missing", f"未记录：{item.zh}", f"not recorded: {item.en}")]
    ok = fact.passed
    if item.threshold is not None and fact.value is not None:
        ops = {"ge": fact.value >= item.threshold * (1 - REL_TOL), "gt": fact.value > item.threshold,
               "le": fact.value <= item.threshold * (1 + REL_TOL), "lt": fact.value < item.threshold}
        ok = ops[item.compare]
    if ok is None:
        return [Reason(part, item.id, "missing", f"未判定：{item.zh}", f"not decided: {item.en}")]
    if not ok:
        shown = f"（记录值 {fact.value:g}）" if fact.value is not None else ""
        return [Reason(part, item.id, "fail", f"未达到：{item.zh}{shown}", f"not met: {item.en}")]
    return []
