"""Per-school-section indicators on Ibis: scope, splitting of shared resources, values and thresholds.

Input: one row per school section (``county_code``, ``school_code``, ``school_name``, ``kind``,
``section``, the school's attributes, its school-level values repeated on each of its rows, and the
section's own values). Output: one row per school section of the standard's sections, with the split
shares, whether it is in scope (and the reason when not), each indicator's value, and the school rule.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from dudao.standards.model import Dictionary, Standard

# Two floating-point numbers closer than this (relative) compare as equal: a value exactly at a
# threshold passes even when its binary representation falls a rounding step below it.
REL_TOL = 1e-9
ATTRIBUTES = ("county_code", "school_code", "school_name", "kind", "location", "ownership", "affiliation",
              "status", "section")


def shared_elements(d: Dictionary) -> list[str]:
    """School-level numeric elements: recorded once per school and split between its sections."""
    return [e.code for e in d.level_elements("school") if e.numeric]


def section_elements(d: Dictionary) -> list[str]:
    return [e.code for e in d.level_elements("section") if e.numeric]


def with_split(t: ir.Table, std: Standard, d: Dictionary, rule: str | None = None) -> ir.Table:
    """Adds ``share`` (each section's share of its school's shared resources) and splits them.

    The original whole-school values stay available as ``<element>__school``.
    """
    rule = rule or std.split.default_rule
    weight: Any = ibis.literal(1.0)
    if rule == "weighted":
        branches = [((t.kind == kind) & (t.section == section), w)
                    for kind, ws in std.split.weights.items() for section, w in ws.items()]
        weight = ibis.cases(*branches, else_=1.0) if branches else weight
    elif rule != "enrolment":
        raise ValueError(f"未知的分摊规则“{rule}”/ unknown split rule '{rule}'")
    students = t.students.fill_null(0).cast("float64")
    t = t.mutate(_w=students * weight)
    total = t._w.sum().over(ibis.window(group_by=[t.school_code]))
    count = t.school_code.count().over(ibis.window(group_by=[t.school_code]))
    share = ibis.ifelse(total > 0, t._w / total, 1.0 / count.cast("float64"))
    t = t.mutate(share=share)
    renames = {f"{e}__school": t[e] for e in shared_elements(d) if e in t.columns}
    split = {e: t[e].cast("float64") * t.share for e in shared_elements(d) if e in t.columns}
    return t.mutate(**renames).mutate(**split).drop("_w")


def with_scope(t: ir.Table, std: Standard) -> ir.Table:
    """Adds ``in_scope`` and ``excluded`` (the id of the first rule that leaves the row out)."""
    reasons = [(std.formulas[f"scope.{e.id}"].to_ibis(t).fill_null(False), e.id) for e in std.scope.exclusions]
    include = std.formulas["scope.include"].to_ibis(t).fill_null(False)
    excluded = ibis.cases(*[(cond, rid) for cond, rid in reasons], (~include, "not_included"), else_=ibis.null("string"))
    return t.mutate(excluded=excluded, in_scope=excluded.isnull())


def with_indicators(t: ir.Table, std: Standard, d: Dictionary | None = None) -> ir.Table:
    """Adds each indicator's value, its threshold for the row's section, pass flag and ratio.

    Where the indicator has a gap rule, ``<id>__unit`` is how much one more unit of its element
    (one teacher in the section; one m², yuan or room for the whole school) raises the value.
    """
    cols: dict[str, Any] = {}
    shared = set(shared_elements(d)) if d is not None else set()
    for ind in std.indicators:
        formula = std.formulas[ind.id]
        value = formula.to_ibis(t).cast("float64")
        value = ibis.ifelse(t.students > 0, value, ibis.null("float64"))
        cols[ind.id] = value
        if ind.gap is not None:
            el = ind.gap.element
            step = t.share if el in shared else ibis.literal(1.0)
            base = t[el].fill_null(0)
            cols[f"{ind.id}__unit"] = (formula.to_ibis(t, {el: base + step}).cast("float64")
                                       - formula.to_ibis(t, {el: base}).cast("float64"))
        if ind.thresholds:
            thr = ibis.cases(*[(t.section == s, v) for s, v in ind.thresholds.items()], else_=ibis.null("float64"))
            cols[f"{ind.id}__thr"] = thr
            cols[f"{ind.id}__pass"] = value >= thr * (1 - REL_TOL)
            cols[f"{ind.id}__ratio"] = value / thr
    return t.mutate(**cols)


def with_school_rule(t: ir.Table, std: Standard) -> ir.Table:
    """Adds ``passed_count``, ``min_ratio`` and ``school_pass`` (null when a value is missing)."""
    rule = next((r for r in std.rules if r.kind == "k_of_n"), None)
    inds = [i.id for i in std.indicators if i.thresholds]
    if rule is None or not inds:
        return t.mutate(passed_count=ibis.null("int64"), min_ratio=ibis.null("float64"), school_pass=ibis.null("boolean"))
    passed = sum((t[f"{i}__pass"].cast("int64") for i in inds[1:]), t[f"{inds[0]}__pass"].cast("int64"))
    min_ratio = ibis.least(*[t[f"{i}__ratio"] for i in inds]) if len(inds) > 1 else t[f"{inds[0]}__ratio"]
    complete = ibis.and_(*[t[i].notnull() for i in inds])
    k = rule.k if rule.k is not None else len(inds)
    floor = rule.floor_ratio if rule.floor_ratio is not None else 1.0
    ok = (passed >= k) & (min_ratio >= floor * (1 - REL_TOL))
    return t.mutate(passed_count=passed, min_ratio=min_ratio,
                    school_pass=ibis.ifelse(complete, ok, ibis.null("boolean")))


def school_sections(t: ir.Table, std: Standard, d: Dictionary, split_rule: str | None = None) -> ir.Table:
    """The full per-school-section computation for the standard's sections."""
    t = with_split(t, std, d, split_rule)
    t = with_scope(t, std)
    t = t.filter(t.section.isin(list(std.sections)))
    t = with_indicators(t, std, d)
    return with_school_rule(t, std)
