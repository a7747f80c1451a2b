"""County items computed from school data (e.g. class size, school size, music and art rooms)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from dudao.engine.indicators import section_elements, shared_elements
from dudao.standards.model import Dictionary, Standard

KEYS = ("county_code", "school_code", "school_name", "kind", "section", "in_scope")


def computed_items(std: Standard) -> list[str]:
    return [i.id for i in [*std.guarantee, *std.quality] if i.kind == "computed" and i.check]


def school_level(t: ir.Table, d: Dictionary) -> ir.Table:
    """One row per school: section values summed over its compulsory-and-senior sections, shared values once."""
    sums = {e: t[e].sum() for e in section_elements(d) if e in t.columns}
    firsts = {e: t[e].max() for e in shared_elements(d) if e in t.columns}  # whole-school values, not split
    attrs = {"kind": t.kind.max(), "in_scope_school": t.in_scope.max(), "school_name": t.school_name.max()}
    return t.group_by(["county_code", "school_code"]).aggregate(**attrs, **sums, **firsts)


def county_checks(t: ir.Table, std: Standard, d: Dictionary) -> ir.Table:
    """Per county and computed item: schools (or sections) checked, failing, and lacking data.

    ``t`` is the scoped input table (not split: school-level checks use whole-school values), all sections.
    A school is checked at school level when any of its sections is in scope. Each level (school,
    section) is aggregated once per county for all of its items, then made long.
    """
    items = [i for i in [*std.guarantee, *std.quality] if i.kind == "computed" and i.check]
    if not items:
        return ibis.memtable({"county_code": [], "item": [], "checked": [], "failed": [], "missing": [],
                              "failing": []})
    # only the columns the checks read (a backend may otherwise carry every input column through)
    needed = set().union(*(std.formulas[i.id].names for i in items))
    t = t.select(*dict.fromkeys([*KEYS, *(c for c in t.columns if c in needed)]))
    schools = school_level(t, d).filter(lambda s: s.in_scope_school)
    sections = t.filter(t.section.isin(list(std.sections)) & t.in_scope)
    parts = []
    for level, base in (("school", schools), ("section", sections)):
        mine = [i for i in items if (i.level == "school") == (level == "school")]
        if not mine:
            continue
        cols = {}
        for item in mine:
            ok = std.formulas[item.id].to_ibis(base)
            cols[f"{item.id}__checked"] = ok.notnull().sum()
            cols[f"{item.id}__failed"] = (ok == False).sum()  # noqa: E712 - Ibis comparison, not truthiness
            cols[f"{item.id}__missing"] = ok.isnull().sum()
            cols[f"{item.id}__failing"] = ibis.ifelse(ok == False, base.school_name, ibis.null("string")).collect()  # noqa: E712
        wide = base.group_by("county_code").aggregate(**cols)
        parts += [wide.select("county_code", item=ibis.literal(item.id), checked=wide[f"{item.id}__checked"],
                              failed=wide[f"{item.id}__failed"], missing=wide[f"{item.id}__missing"],
                              failing=wide[f"{item.id}__failing"]) for item in mine]
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part)
    return out
