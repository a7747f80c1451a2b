"""What the Excel and PDF reports share: standard metadata, Chinese labels, number formatting.

Every policy figure (indicator names, units, thresholds, CV limits, rules, unit costs) comes from the
standard file named in the document, through ``load_standard``; this module only holds wording.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from dudao.standards.model import Dictionary, Indicator, Rule, Standard, load_dictionary, load_standard

VERDICT_ZH = {"pass": "达标", "fail": "未达标", "incomplete": "数据不全，暂不能认定"}
VERDICT_SHORT = {"pass": "达标", "fail": "未达标", "incomplete": "数据不全"}
STATUS_ZH = {"fail": "未达标", "missing": "缺数据"}
PART_ORDER = ["resource", "guarantee", "quality", "recognition", "veto", "prerequisite"]
PART_ZH = {"resource": "资源配置", "guarantee": "政府保障程度", "quality": "教育质量", "recognition": "社会认可度",
           "veto": "否决项", "prerequisite": "前提条件"}
# Rules a 2012-style standard records as county facts; the engine files them under "resource".
RULE_KIND_ZH = {"provincial_standard": "学校办学基本标准", "score": "县级政府工作评估", "survey": "公众满意度"}
ENGINE_ZH = {"duckdb": "DuckDB（单机）", "spark": "Spark（集群）"}
UNIT_WORDS = {"m²": "平方米", "m2": "平方米"}
SCHOOL_CODE = re.compile(r"(?<!\d)\d{10}(?!\d)")


class ReportError(ValueError):
    """A report that cannot be written for the document given; the message is in Chinese and English."""


def display_width(text: str) -> int:
    """Columns a string takes in a spreadsheet: CJK and full-width characters count twice."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in str(text))


def decimals_for(values: Iterable[float | None]) -> int:
    """Decimals that show three to four significant digits for a column of values like these."""
    nums = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not nums:
        return 2
    m = statistics.median(nums)
    if m >= 100:
        return 0
    if m >= 10:
        return 1
    if m >= 1:
        return 2
    return min(6, 2 - math.floor(math.log10(m)))


def fmt_num(v: float | None, decimals: int = 2) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    return f"{v:,.{decimals}f}"


def fmt_money(yuan: float | None) -> str:
    """Yuan in the words a county office uses: 元, 万元 or 亿元."""
    if yuan is None or not math.isfinite(yuan):
        return "—"
    if abs(yuan) >= 1e8:
        return f"{yuan / 1e8:,.2f} 亿元"
    if abs(yuan) >= 1e6:
        return f"{yuan / 1e4:,.0f} 万元"
    if abs(yuan) >= 1e4:
        return f"{yuan / 1e4:,.1f} 万元"
    return f"{yuan:,.0f} 元"


def unit_word(unit: str) -> str:
    return UNIT_WORDS.get(unit, unit)


def fmt_qty(value: float | None, unit: str, integer: bool) -> str:
    """An amount of a gap element in words: "1,440 平方米", "3 间", "64.3 万元"."""
    if value is None or not math.isfinite(value):
        return "—"
    if unit == "元":
        return fmt_money(value)
    shown = f"{value:,.0f}" if integer or abs(value) >= 100 else f"{value:,.1f}"
    return f"{shown} {unit_word(unit)}".strip()


def noun(element_zh: str) -> str:
    """"高于规定学历专任教师数" → "高于规定学历专任教师": the thing counted, for prose."""
    return element_zh[:-1] if element_zh.endswith("数") and len(element_zh) > 2 else element_zh


def year_label(year: int) -> str:
    return f"{year}–{year + 1} 学年"


@dataclass
class SectionView:
    """One section of one county, with the standard's figures beside the document's."""

    code: str
    zh: str
    entry: dict[str, Any]
    cv: dict[str, float | None]
    limits: dict[str, float | None]
    composite: float | None = None
    composite_limit: float | None = None
    over: set[str] = field(default_factory=set)  # indicator ids (or "composite") the engine judged over the limit

    @property
    def schools(self) -> list[dict[str, Any]]:
        return list(self.entry.get("schools") or [])

    @property
    def excluded(self) -> list[dict[str, Any]]:
        return list(self.entry.get("excluded") or [])

    @property
    def failing(self) -> list[dict[str, Any]]:
        return [s for s in self.schools if s.get("school_pass") is False]

    @property
    def max_cv(self) -> float | None:
        known = [v for v in self.cv.values() if v is not None]
        return max(known) if known else None


class Context:
    """The standard, the dictionary and the labels one document needs."""

    def __init__(self, doc: Mapping[str, Any]):
        if "standard" not in doc or "counties" not in doc:
            raise ReportError("文档缺少 standard 或 counties，不是评估结果 / not an assessment document")
        self.doc = doc
        meta = doc["standard"]
        self.std: Standard = load_standard(meta["id"], meta.get("overlay") or "")
        self.dictionary: Dictionary = load_dictionary()
        self.indicators: list[Indicator] = list(self.std.indicators)
        self.year: int = int(doc["year"])

    # --- labels -----------------------------------------------------------------------------
    @cached_property
    def section_zh(self) -> dict[str, str]:
        return {o.code: o.zh for o in self.dictionary.enums["section"]}

    @cached_property
    def kind_zh(self) -> dict[str, str]:
        return {o.code: o.zh for o in self.dictionary.enums["kind"]}

    @cached_property
    def school_rule(self) -> Rule | None:
        return next((r for r in self.std.rules if r.kind == "k_of_n"), None)

    @cached_property
    def composite_rule(self) -> Rule | None:
        return next((r for r in self.std.rules if r.kind == "cv_composite"), None)

    @cached_property
    def has_thresholds(self) -> bool:
        return any(i.thresholds for i in self.indicators)

    @property
    def title_standard(self) -> str:
        overlay = f"（含省级覆盖 {self.std.overlay}）" if self.std.overlay else ""
        return f"《{self.std.name_zh}》（{self.std.source}）{overlay}"

    def split_zh(self) -> str:
        rule = self.doc.get("split_rule") or self.std.split.default_rule
        if rule == "enrolment":
            return "一贯制学校共用资源按各学段在校生人数比例分摊"
        return self.std.split.zh

    def exclusion_zh(self, reason: str) -> str:
        for exc in self.std.scope.exclusions:
            if exc.id == reason:
                return exc.zh
        if reason == "not_included":
            return f"不属于纳入范围：{self.std.scope.include_zh}"
        return reason

    def indicator_header(self, ind: Indicator) -> str:
        return f"{ind.zh}（{ind.unit}）" if ind.unit else ind.zh

    def element_zh(self, code: str) -> tuple[str, str]:
        """The Chinese name and unit of a data element."""
        try:
            e = self.dictionary.element(code)
        except KeyError:
            return code, ""
        return e.zh, e.unit

    def part_label(self, reason: Mapping[str, Any]) -> str:
        part = reason.get("part", "")
        if part == "resource":
            rule = next((r for r in self.std.rules if r.id == str(reason.get("item", "")).split(".")[0]), None)
            if rule is not None and rule.kind in RULE_KIND_ZH:
                return RULE_KIND_ZH[rule.kind]
        return PART_ZH.get(part, part)

    def item_label(self, reason: Mapping[str, Any]) -> str:
        """A short Chinese label for the item a reason is about: "G03", "R5·小学", "综合差异系数·初中"."""
        item = str(reason.get("item", ""))
        head, _, sec = item.partition(".")
        sec_zh = f"·{self.section_zh.get(sec, sec)}" if sec else ""
        if head == "prerequisite":
            return "前提条件"
        rule = next((r for r in self.std.rules if r.id == head), None)
        if rule is not None:
            label = {"k_of_n": "学校达标", "cv_each": "差异系数", "cv_composite": "综合差异系数"}.get(rule.kind)
            return label + sec_zh if label else "—"  # the part label already names a recorded rule
        return head + sec_zh

    def indicator_decimals(self, section_views: Iterable[SectionView]) -> dict[str, int]:
        """Display decimals per indicator: three to four significant digits, and always one more than
        the thresholds have, so that a value just under a threshold never shows as equal to it."""
        out = {}
        views = list(section_views)
        for ind in self.indicators:
            vals: list[float | None] = [s["values"].get(ind.id) for v in views for s in v.schools]
            thr_dec = [len(f"{t:g}".partition(".")[2]) + (1 if t < 100 else 0) for t in ind.thresholds.values()]
            out[ind.id] = min(4, max([decimals_for(vals), *thr_dec]))
        return out

    # --- counties ---------------------------------------------------------------------------
    def county(self, code: str) -> dict[str, Any]:
        for c in self.doc["counties"]:
            if c["code"] == code:
                return c
        known = "、".join(c["code"] for c in self.doc["counties"][:10])
        more = "等" if len(self.doc["counties"]) > 10 else ""
        raise ReportError(f"评估结果中没有县级代码“{code}”（结果中有：{known or '无'}{more}）/ "
                          f"county '{code}' is not in this assessment")

    def sections(self, county: Mapping[str, Any]) -> list[SectionView]:
        over_items = {r["item"] for r in county.get("reasons", []) if r.get("status") == "fail"}
        composite_id = self.composite_rule.id if self.composite_rule else None
        views = []
        for entry in county.get("sections", []):
            sec = entry["section"]
            cv = {i.id: (entry.get("cv") or {}).get(i.id) for i in self.indicators}
            limits = {i.id: i.cv_limit.get(sec) for i in self.indicators}  # type: ignore[call-overload]
            view = SectionView(sec, self.section_zh.get(sec, sec), entry, cv, limits)
            if self.composite_rule is not None:
                view.composite = entry.get("composite_cv")
                view.composite_limit = self.composite_rule.limits.get(sec)  # type: ignore[call-overload]
                if f"{composite_id}.{sec}" in over_items:
                    view.over.add("composite")
            view.over |= {i.id for i in self.indicators if f"{i.id}.{sec}" in over_items}
            views.append(view)
        return views

    def reasons_by_part(self, county: Mapping[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in county.get("reasons", []):
            groups[r.get("part", "")].append(r)
        order = PART_ORDER + sorted(set(groups) - set(PART_ORDER))
        out = []
        for part in order:
            if groups.get(part):
                rs = sorted(groups[part], key=lambda r: 0 if r.get("status") == "fail" else 1)
                out.append((part, rs))
        return out

    def school_names(self, county: Mapping[str, Any]) -> dict[str, str]:
        names = {}
        for entry in county.get("sections", []):
            for s in [*entry.get("schools", []), *entry.get("excluded", [])]:
                names[s["code"]] = s["name"]
        return names

    def with_names(self, text: str, names: Mapping[str, str]) -> str:
        """Replaces 10-digit school codes in an engine message by the schools' names."""
        return SCHOOL_CODE.sub(lambda m: names.get(m.group(0), m.group(0)), text)

    def gap_groups(self, county: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Per indicator: schools short of the threshold, the element to add, the amount and the cost."""
        rows = county.get("gaps", {}).get("schools", [])
        out = []
        for ind in self.indicators:
            mine = [g for g in rows if g.get("indicator") == ind.id]
            if not mine:
                continue
            element = mine[0].get("element") or (ind.gap.element if ind.gap else "")
            el_zh, el_unit = self.element_zh(element)
            out.append({
                "indicator": ind, "rows": mine, "schools": len({g["school_code"] for g in mine}),
                "sections": len(mine), "element": element, "element_zh": el_zh, "unit": el_unit,
                "integer": bool(ind.gap.integer) if ind.gap else False,
                "addition": sum(g.get("addition") or 0.0 for g in mine if _counted(g)),
                "cost": sum(_counted_cost(g) for g in mine),
            })
        return out

    def lift_groups(self, county: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Per (section, indicator) over its CV limit: the level to lift to, the schools, amount and cost."""
        rows = county.get("gaps", {}).get("cv_lifts", [])
        keys: list[tuple[str, str]] = []
        for r in rows:
            k = (r["section"], r["indicator"])
            if k not in keys:
                keys.append(k)
        out = []
        for sec, ind_id in keys:
            mine = [r for r in rows if r["section"] == sec and r["indicator"] == ind_id]
            ind = self.std.indicator(ind_id)
            lifted = [r for r in mine if (r.get("lift") or 0) > 0]
            el_zh, el_unit = self.element_zh(ind.gap.element) if ind.gap else ("", "")
            out.append({
                "section": sec, "section_zh": self.section_zh.get(sec, sec), "indicator": ind,
                "cv": mine[0].get("cv"), "cv_limit": mine[0].get("cv_limit"), "level": mine[0].get("level"),
                "rows": mine, "lifted": len(lifted), "element_zh": el_zh, "unit": el_unit,
                "integer": bool(ind.gap.integer) if ind.gap else False,
                "addition": sum(r.get("addition") or 0.0 for r in lifted),
                "cost": sum(r.get("cost") or 0.0 for r in lifted if r.get("cost") is not None),
            })
        return out

    def counts(self, county: Mapping[str, Any]) -> dict[str, int]:
        rs = county.get("reasons", [])
        return {"fail": sum(r.get("status") == "fail" for r in rs), "missing": sum(r.get("status") == "missing" for r in rs)}

    def failing_sections(self, county: Mapping[str, Any]) -> int | None:
        """School sections failing the school rule, or None when the standard has no school thresholds."""
        if not self.has_thresholds:
            return None
        return sum(1 for e in county.get("sections", []) for s in e.get("schools", []) if s.get("school_pass") is False)

    # --- places -----------------------------------------------------------------------------
    @cached_property
    def _divisions(self) -> dict[str, str]:
        try:
            from dudao.orgunits.divisions import national_divisions

            return {d.code: d.name for d in national_divisions()}
        except Exception:  # the names are a courtesy; a report never fails for them
            return {}

    def prefecture(self, county_code: str) -> str:
        return self._divisions.get(county_code[:4] + "00", "")

    def area_name(self) -> str:
        """The province's name ("辽宁省") when every county is in one province, else an empty string."""
        provinces = {c["code"][:2] for c in self.doc["counties"]}
        if len(provinces) == 1:
            return self._divisions.get(next(iter(provinces)) + "0000", "")
        return ""


def item_title(ctx: Context, reason: Mapping[str, Any]) -> str:
    """What a reason is about, in words that do not depend on the county."""
    head, _, sec = str(reason.get("item", "")).partition(".")
    sec_zh = ctx.section_zh.get(sec, sec)
    if head == "prerequisite" and ctx.std.prerequisite is not None:
        return ctx.std.prerequisite.zh
    rule = next((r for r in ctx.std.rules if r.id == head), None)
    if rule is not None:
        if rule.kind == "k_of_n":
            return "有学校（学段）资源配置未达标"
        if rule.kind == "cv_composite":
            return f"{sec_zh}综合差异系数超过限值"
        return rule.zh
    ind = next((i for i in ctx.indicators if i.id == head), None)
    if ind is not None:
        return f"{sec_zh}{ind.zh}差异系数超过限值"
    for item in [*ctx.std.guarantee, *ctx.std.quality, *ctx.std.recognition]:
        if item.id == head:
            return item.zh
    for veto in ctx.std.vetoes:
        if veto.id == head:
            return f"一票否决：{veto.zh}"
    return str(reason.get("zh", head))


def common_fails(ctx: Context, counties: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, int]]:
    """(part, title, number of counties) for every failing item, most frequent first."""
    counter: Counter[tuple[str, str]] = Counter()
    for c in counties:
        seen = set()
        for r in c.get("reasons", []):
            if r.get("status") == "fail":
                key = (ctx.part_label(r), item_title(ctx, r))
                if key not in seen:
                    seen.add(key)
                    counter[key] += 1
    return [(p, t, n) for (p, t), n in counter.most_common()]


def _counted_cost(gap: dict[str, Any]) -> float:
    """The cost a gap row adds to the totals (a combined school's shared facility counts once)."""
    value = gap.get("counted_cost", gap.get("cost"))
    return float(value or 0.0)


def _counted(gap: dict[str, Any]) -> bool:
    return not gap.get("shared") or _counted_cost(gap) > 0
