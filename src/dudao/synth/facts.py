"""Recorded county facts of the 2017 standard for a synthetic province, and the verdict they lead to.

Every county records, each year, the items of ``load_standard("youzhi2017").recorded_items()``: the
prerequisite, the recorded guarantee, quality and recognition items, and the vetoes (``passed`` true
= clear of the veto). What a county records follows its design category:

- ``model`` and ``incomplete``: every item passes; an ``incomplete`` county leaves 1–3 items blank;
- ``cv`` and ``problems``: most items pass; about a third of these counties fail 1–2 items (the same
  items every year), about 5% leave 1–3 items blank, and a county whose school data happen to pass
  everything in a year fails one recorded item that year, so that its verdict is ``fail``.

The values are drawn on the right side of the standard's thresholds (read from the standard; the
ranges below are checked against them), with a short plausible note as evidence.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dudao.schools.workbook import NO, YES
from dudao.standards.model import CountyItem, load_standard
from dudao.synth.common import REL_TOL

COLUMNS = ("县级行政区划代码", "县名称", "项目编号", "项目内容", "达标值", "数值", "是否达标", "佐证材料")
CATEGORIES = ("model", "incomplete", "cv", "problems")
EXPECTED = {"model": "pass", "incomplete": "incomplete", "cv": "fail", "problems": "fail"}

# value ranges of the items with a threshold: (pass low, pass high, fail low, fail high, decimals)
RANGES: dict[str, tuple[float, float, float, float, int]] = {
    "G07": (6300, 9200, 4800, 5850, 0),  # special-education public funds per student (元)
    "G11": (0.105, 0.18, 0.06, 0.09, 3),  # share of eligible teachers rotating
    "G14": (0.51, 0.66, 0.40, 0.48, 3),  # quality senior-high places allocated to junior schools
    "G15": (0.88, 0.99, 0.74, 0.83, 3),  # migrant children in public or purchased places
    "Q01": (0.955, 0.99, 0.90, 0.94, 3),  # junior three-year retention
    "Q02": (0.955, 0.995, 0.86, 0.94, 3),  # enrolment of disabled children
    "Q04": (0.052, 0.09, 0.03, 0.045, 3),  # share of public funds spent on teacher training
    "Q09": (0.05, 0.14, 0.16, 0.22, 3),  # inter-school difference rate of the quality monitoring
    "S01": (0.86, 0.95, 0.78, 0.84, 3),  # social recognition
}
# chance that an item is the one a county fails (items not named never fail by design)
FAIL_WEIGHTS = {"S01": 5, "G11": 4, "G14": 3, "Q09": 3, "G08": 3, "G15": 2, "Q01": 2, "G13": 2, "Q04": 2,
                "G07": 1, "G09": 2, "Q02": 1, "Q06": 1, "Q08": 2, "G02": 1, "V04": 1}
FALLBACK = ("S01", "G11", "G14", "Q09")  # failed in a year when nothing else fails

_EVIDENCE = {
    "prerequisite": "{rec}年通过国家义务教育基本均衡发展督导评估认定（国务院教育督导委员会公布名单）",
    "G01": "{county}人民政府关于印发义务教育学校布局专项规划的通知（{abbr}政发〔{y}〕{n}号）",
    "G02": "{county}义务教育学校办学基本标准（{abbr}教发〔{y}〕{n}号）及各校达标核查表",
    "G06": "{y}年度县财政局义务教育公用经费拨付明细（小规模学校按100人核拨）",
    "G07": "县财政局特殊教育学校生均公用经费拨付文件（{abbr}财教〔{y}〕{n}号）",
    "G08": "县人社局、财政局{y}年教师与公务员平均工资收入对比表",
    "G09": "县教师进修学校教师培训学时登记汇总表（{y5}—{y}年）",
    "G10": "县编办、教育局中小学教职工编制核定文件（{abbr}编发〔{y}〕{n}号）",
    "G11": "{y}年度教师交流轮岗名单及统计表（交流 {k} 人，其中骨干教师 {kk} 人）",
    "G13": "{y}年城区、镇区义务教育学校招生划片方案（县教育局公告第{n}号）",
    "G14": "{y}年优质普通高中招生名额分配方案（{abbr}教发〔{y}〕{n}号）",
    "G15": "{y}年秋季学期随迁子女入学情况统计表（县教育局）",
    "Q01": "初中学籍系统巩固率统计（{y3}级入学至{y}年）",
    "Q02": "适龄残疾儿童少年入学安置台账（县教育局、残联，{y}年）",
    "Q03": "学校章程核准文件汇编及信息化管理平台应用检查记录",
    "Q04": "各校{y}年度公用经费预算及教师培训经费支出明细",
    "Q05": "县电教馆信息化教学应用抽查报告（{y}年）",
    "Q06": "县教育局德育工作和校园文化建设评估报告（{y}年）",
    "Q07": "课程开设情况抽查表及综合实践活动记录（{y}年）",
    "Q08": "学生课业负担监测报告（{y}年）",
    "Q09": "国家义务教育质量监测{county}结果报告（{y}年）",
    "S01": "社会认可度问卷调查报告（有效问卷 {n4} 份）",
    "V01": "{y}年义务教育招生工作专项检查报告",
    "V02": "{y}年义务教育招生入学专项督导报告",
    "V03": "各校分班情况核查表（{y}年秋季学期）",
    "V04": "县编办空编补充及编外用工核查表（{y}年）",
    "V05": "县教育局{y}年度学校安全工作报告",
    "V06": "{y}年教育统计数据质量核查报告",
}
_FAILED = {"V04": "；存在长期聘用编外教师 {k} 人", "G08": "；教师平均工资低于公务员", "G02": "；{k} 所学校未达县域标准"}

Fact = tuple[float | None, bool | None, str]  # value, passed, evidence


@dataclass(frozen=True)
class CountyPlan:
    """What a county records every year."""

    category: str
    failing: tuple[str, ...]
    blank: tuple[str, ...]
    fallback: str
    recognised: int  # year of the basic-balance recognition
    base: tuple[float, ...]  # position of each threshold item's value within its range, 0..1


def items() -> list[CountyItem]:
    return load_standard("youzhi2017").recorded_items()


def _ranges(item: CountyItem) -> tuple[float, float, float, float, int]:
    """Pass and fail ranges of an item with a threshold, checked against the standard."""
    thr = float(item.threshold or 0.0)
    lo_up = item.compare in ("ge", "gt")
    r = RANGES.get(item.id) or ((thr * 1.02, thr * 1.15, thr * 0.85, thr * 0.97, 3) if lo_up else
                                (thr * 0.85, thr * 0.97, thr * 1.03, thr * 1.15, 3))
    for v, want in ((r[0], True), (r[1], True), (r[2], False), (r[3], False)):
        if status(item, (round(v, r[4]), None, "")) != ("ok" if want else "fail"):
            raise ValueError(f"synthetic range of {item.id} does not match its threshold {thr} ({item.compare})")
    return r


def status(item: CountyItem, fact: Fact | None, veto: bool = False) -> str:
    """``ok``, ``fail`` or ``missing``: how the assessment reads one recorded fact."""
    if fact is None:
        return "missing"
    value, passed, _ = fact
    if veto:
        return "missing" if passed is None else "ok" if passed else "fail"
    if passed is None and value is None:
        return "missing"
    ok = passed
    if item.threshold is not None and value is not None:
        thr = item.threshold
        ok = {"ge": value >= thr * (1 - REL_TOL), "gt": value > thr, "le": value <= thr * (1 + REL_TOL),
              "lt": value < thr}[item.compare]
    return "missing" if ok is None else "ok" if ok else "fail"


def plan(rng: np.random.Generator, categories: Sequence[str], first_year: int) -> list[CountyPlan]:
    """One plan per county, in the order of ``categories``."""
    all_items = items()
    ids = [i.id for i in all_items]
    fail_ids = [i for i in FAIL_WEIGHTS if i in ids]
    fail_p = np.array([FAIL_WEIGHTS[i] for i in fail_ids], dtype=np.float64)
    fail_p /= fail_p.sum()
    blankable = [i for i in ids if i != "prerequisite"]
    n_thr = sum(i.threshold is not None for i in all_items)
    out = []
    for cat in categories:
        u = rng.random(3)
        failing: tuple[str, ...] = ()
        blank: tuple[str, ...] = ()
        if cat in ("cv", "problems") and u[0] < 0.35 and fail_ids:
            k = 1 if u[1] < 0.7 else 2
            failing = tuple(str(x) for x in rng.choice(fail_ids, size=min(k, len(fail_ids)), replace=False, p=fail_p))
        if cat == "incomplete" or (cat in ("cv", "problems") and u[2] < 0.05):
            pool = [i for i in blankable if i not in failing]
            blank = tuple(sorted(str(x) for x in rng.choice(pool, size=int(rng.integers(1, 4)), replace=False)))
        fallback = FALLBACK[int(rng.integers(len(FALLBACK)))]
        recognised = min(int(rng.integers(2013, 2018)), first_year - 3)
        out.append(CountyPlan(cat, failing, blank, fallback, recognised, tuple(rng.random(n_thr).tolist())))
    return out


def _abbr(name: str, prefecture: str) -> str:
    """Short form used in document numbers: 新民市 → 新, 沈阳市和平区 → 沈和, 沈阳市沈河区 → 沈河."""
    if not name.endswith("区"):
        return name[:1]
    return name[:2] if prefecture[:1] == name[:1] else prefecture[:1] + name[:1]


def year_facts(rng: np.random.Generator, plans: Sequence[CountyPlan], codes: Sequence[str], names: Sequence[str],
               prefectures: Sequence[str], year: int, data_fails: np.ndarray) -> dict[str, dict[str, Fact]]:
    """The facts every county records for ``year`` (blank items left out)."""
    all_items = items()
    veto_ids = {v.id for v in load_standard("youzhi2017").vetoes}
    ranges = {i.id: _ranges(i) for i in all_items if i.threshold is not None}
    out: dict[str, dict[str, Fact]] = {}
    for ci, (p, code) in enumerate(zip(plans, codes, strict=True)):
        failing = set(p.failing)
        if p.category in ("cv", "problems") and not failing and not data_fails[ci]:
            failing = {p.fallback}
        fmt = {"county": names[ci], "abbr": _abbr(names[ci], prefectures[ci]), "y": year, "y3": year - 3,
               "y5": year - 4, "rec": p.recognised}
        facts: dict[str, Fact] = {}
        t = 0
        all_draws = rng.random((len(all_items), 4))
        for item, draws in zip(all_items, all_draws, strict=True):
            fails = item.id in failing
            if item.threshold is not None:
                lo, hi, flo, fhi, dec = ranges[item.id]
                pos = float(np.clip(p.base[t] + (draws[0] - 0.5) * 0.2, 0.0, 1.0))
                t += 1
                a, b = (flo, fhi) if fails else (lo, hi)
                value: float | None = float(round(a + (b - a) * pos, dec))
            else:
                value = None
            if item.id in p.blank:
                continue
            n = 1 + int(draws[1] * 60)
            note = _EVIDENCE.get(item.id, "{county}教育局工作台账（{y}年）").format(
                **fmt, n=n, n4=800 + int(draws[2] * 3200), k=2 + int(draws[3] * 30), kk=1 + int(draws[3] * 8))
            if fails and item.threshold is None:
                note += _FAILED.get(item.id, "；核查未达到要求").format(k=1 + int(draws[3] * 12))
            facts[item.id] = (value, not fails, note)
            if item.id not in veto_ids and status(item, facts[item.id]) != ("fail" if fails else "ok"):
                raise AssertionError(f"designed fact does not come out as designed: {item.id} {facts[item.id]}")
        out[code] = facts
    return out


def verdict(facts: Mapping[str, Fact], computed: Sequence[str], missing: Sequence[str]) -> tuple[str, list[str]]:
    """The county verdict (``pass``, ``fail`` or ``incomplete``) and its reasons.

    ``computed`` names what fails in the school data, ``missing`` what cannot be computed.
    """
    veto_ids = {v.id for v in load_standard("youzhi2017").vetoes}
    reasons = [f"fail {r}" for r in computed] + [f"missing {r}" for r in missing]
    for item in items():
        st = status(item, facts.get(item.id), item.id in veto_ids)
        if st != "ok":
            reasons.append(f"{st} {item.id}")
    statuses = {r.split(" ", 1)[0] for r in reasons}
    return ("fail" if "fail" in statuses else "incomplete" if "missing" in statuses else "pass"), reasons


def _number(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def write_facts(path: Path, codes: Sequence[str], names: Sequence[str], facts: Mapping[str, Mapping[str, Fact]]) -> Path:
    """The facts of one year in the columns of the facts import (UTF-8 with BOM); blank items as blank rows."""
    all_items = items()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for code, name in sorted(zip(codes, names, strict=True)):
            mine = facts.get(code, {})
            for item in all_items:
                value, passed, evidence = mine.get(item.id, (None, None, ""))
                flag = "" if passed is None else YES if passed else NO
                w.writerow([code, name, item.id, item.zh, _number(item.threshold), _number(value), flag, evidence])
    return path
