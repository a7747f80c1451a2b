"""A county assessment under one standard: indicators, CVs, computed items, facts, verdicts.

Verdicts: ``fail`` when any item is known to fail; otherwise ``incomplete`` when anything needed is
missing (listed); otherwise ``pass``. Missing data never passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from dudao.engine.checks import county_checks
from dudao.engine.cv import county_cvs
from dudao.engine.gaps import cv_lifts, school_gaps
from dudao.engine.indicators import REL_TOL, with_indicators, with_school_rule, with_scope, with_split
from dudao.standards.model import CountyItem, Dictionary, Standard

SECTION_ZH = {"primary": "小学", "junior": "初中", "senior": "高中"}


@dataclass(frozen=True)
class Fact:
    """A recorded county fact: a value and/or a yes/no, with its evidence."""

    value: float | None = None
    passed: bool | None = None
    evidence: str = ""


@dataclass
class Reason:
    part: str
    item: str
    status: str  # fail | missing
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


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
    """The Ibis expressions of the school table, the CV table and the computed-item table."""
    split = with_scope(with_split(t, std, d, split_rule), std)
    sections = split.filter(split.section.isin(list(std.sections)))
    schools = with_school_rule(with_indicators(sections, std, d), std)
    keep = ["county_code", "school_code", "school_name", "kind", "section", "students", "share", "in_scope",
            "excluded", "passed_count", "min_ratio", "school_pass"]
    for ind in std.indicators:
        keep += [c for c in (ind.id, f"{ind.id}__thr", f"{ind.id}__pass", f"{ind.id}__unit") if c in schools.columns]
    schools = schools.select(*keep).cache()
    return schools, county_cvs(schools, std), county_checks(with_scope(t, std), std, d)


def assess(t: ir.Table, std: Standard, d: Dictionary, *, year: int,
           facts: Mapping[str, Mapping[str, Fact]] | None = None, split_rule: str | None = None,
           counties: list[str] | None = None, with_gaps: bool = True, with_schools: bool = True) -> Assessment:
    """Runs the whole assessment on the backend of ``t`` and assembles the verdicts.

    Only aggregates and the rows that matter (failing schools; schools of CVs over their limit) leave
    the backend, unless ``with_schools`` asks for the whole school table (for documents and reports).
    """
    if counties is not None:
        t = t.filter(t.county_code.isin(counties))
    s_expr, cv_expr, check_expr = compute_tables(t, std, d, split_rule)
    summary = s_expr.group_by(["county_code", "section"]).aggregate(
        in_scope=s_expr.in_scope.cast("int64").sum(),
        missing=(s_expr.in_scope & s_expr.school_pass.isnull()).cast("int64").sum(),
    ).execute()
    failing = s_expr.filter(s_expr.in_scope & (s_expr.school_pass == False)).execute()  # noqa: E712
    cvs = cv_expr.execute()
    checks = check_expr.execute()
    over = cvs[cvs["cv_limit"].notna() & (cvs["cv"] > cvs["cv_limit"])][["county_code", "section"]].drop_duplicates()
    if with_schools:
        schools = s_expr.execute()
        lift_rows = schools
    else:
        lift_rows = _rows_of(s_expr.filter(s_expr.in_scope), over) if with_gaps else failing.iloc[0:0]
        schools = pd.concat([failing, lift_rows], ignore_index=True).drop_duplicates(["school_code", "section"])
    ctx = _Context.build(summary, failing, cvs, checks)
    facts = facts or {}
    verdicts = {c: county_verdict(c, std, ctx, facts.get(c, {})) for c in ctx.counties}
    gaps = school_gaps(failing, std) if with_gaps else pd.DataFrame()
    lifts = cv_lifts(lift_rows, cvs, std) if with_gaps else pd.DataFrame()
    return Assessment(std, year, split_rule or std.split.default_rule, schools, cvs, checks, verdicts, gaps, lifts)


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
    checks: dict[tuple[str, str], dict[str, Any]]

    @classmethod
    def build(cls, summary: pd.DataFrame, failing: pd.DataFrame, cvs: pd.DataFrame, checks: pd.DataFrame) -> _Context:
        sizes = dict(zip(zip(summary["county_code"], summary["section"], strict=True),
                         summary["in_scope"].astype(int).tolist(), strict=True))
        missing = summary.groupby("county_code")["missing"].sum()
        failing = failing.sort_values(["county_code", "school_code", "section"])
        fail_map: dict[str, list[str]] = {}
        for county, name, section in zip(failing["county_code"], failing["school_name"], failing["section"], strict=True):
            fail_map.setdefault(county, []).append(f"{name}（{SECTION_ZH.get(section, section)}）")
        cv_map = dict(zip(zip(cvs["county_code"], cvs["section"], cvs["indicator"], strict=True),
                          cvs["cv"].tolist(), strict=True))
        cols = {c: checks[c].tolist() for c in checks.columns}
        check_map = {(cols["county_code"][i], cols["item"][i]): {c: cols[c][i] for c in cols} for i in range(len(checks))}
        return cls(sorted(set(summary["county_code"])), sizes, fail_map,
                   {k: int(v) for k, v in missing.items() if v}, cv_map, check_map)


def county_verdict(code: str, std: Standard, ctx: _Context, facts: Mapping[str, Fact]) -> CountyVerdict:
    """Applies every rule and item of the standard to one county."""
    reasons: list[Reason] = []
    for rule in std.rules:
        if rule.kind == "k_of_n":
            reasons += _school_rule(rule.id, ctx.failing.get(code, []), ctx.missing.get(code, 0))
        elif rule.kind == "cv_each":
            reasons += _cv_each(rule.id, std, code, ctx)
        elif rule.kind == "cv_composite":
            reasons += _cv_composite(rule.id, rule.limits, std, code, ctx)
        else:
            part = {"score": "guarantee", "survey": "recognition"}.get(rule.kind, "resource")
            reasons += _recorded(part, CountyItem(id=rule.id, zh=rule.zh, en=rule.en, threshold=rule.threshold,
                                                  source=rule.source, confidence=rule.confidence), facts)
    if std.prerequisite is not None:
        pre = CountyItem(id="prerequisite", zh=std.prerequisite.zh, en=std.prerequisite.en,
                         source=std.prerequisite.source, confidence=std.prerequisite.confidence)
        reasons += _recorded("prerequisite", pre, facts)
    for part, items in (("guarantee", std.guarantee), ("quality", std.quality), ("recognition", std.recognition)):
        for item in items:
            if item.kind == "computed" and item.check:
                reasons += _computed(part, item, ctx.checks.get((code, item.id)))
            else:
                reasons += _recorded(part, item, facts)
    for veto in std.vetoes:
        fact = facts.get(veto.id)
        if fact is None or fact.passed is None:
            reasons.append(Reason("veto", veto.id, "missing", f"未记录是否存在：{veto.zh}", f"not recorded: {veto.en}"))
        elif fact.passed is False:
            reasons.append(Reason("veto", veto.id, "fail", f"一票否决：{veto.zh}", f"veto: {veto.en}"))
    statuses = {r.status for r in reasons}
    verdict = "fail" if "fail" in statuses else "incomplete" if "missing" in statuses else "pass"
    return CountyVerdict(code, verdict, reasons)


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
            if cv is None or pd.isna(cv):
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
        if not ctx.scoped_sections.get((code, section)) or any(v is None or pd.isna(v) for v in values):
            out.append(Reason("resource", f"{rule_id}.{section}", "missing", f"{SECTION_ZH[section]}综合差异系数无法计算",
                              f"{section} composite CV cannot be computed"))
            continue
        comp = float(np.mean(np.asarray(values, dtype=float)))
        if comp > limits[section] * (1 + REL_TOL):
            out.append(Reason("resource", f"{rule_id}.{section}", "fail",
                              f"{SECTION_ZH[section]}综合差异系数 {comp:.3f}，高于 {limits[section]:.2f}",
                              f"{section} composite CV {comp:.3f} above {limits[section]:.2f}"))
    return out


def _computed(part: str, item: CountyItem, row: Mapping[str, Any] | None) -> list[Reason]:
    if row is None or int(row["checked"]) + int(row["missing"]) == 0:
        return [Reason(part, item.id, "missing", f"无数据：{item.zh}", f"no data: {item.en}")]
    failed, missing = int(row["failed"]), int(row["missing"])
    if failed:
        failing = row["failing"]
        codes = sorted(c for c in (list(failing) if failing is not None else []) if c)
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
