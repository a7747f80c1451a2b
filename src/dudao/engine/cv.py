"""Difference coefficients per county, section and indicator, on Ibis (two passes, exact formula)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from dudao.standards.model import Standard


def long_values(schools: ir.Table, std: Standard) -> ir.Table:  # for analysts: one row per value
    """One row per in-scope school section and indicator: county, section, indicator, x, students."""
    scoped = schools.filter(schools.in_scope)
    wide = scoped.select("county_code", "section", p=scoped.students.cast("float64"),
                         **{ind.id: scoped[ind.id].cast("float64") for ind in std.indicators})
    return wide.pivot_longer([ind.id for ind in std.indicators], names_to="indicator", values_to="x")


def county_cvs(schools: ir.Table, std: Standard) -> ir.Table:
    """CV = sqrt(Σ (Pᵢ/P)(xᵢ − X̄)²) / X̄ with X̄ = Σ Pᵢxᵢ / P, per county × section × indicator.

    Two passes, as specified: the weighted means per group first, then the weighted squared deviations
    from them (no one-pass Σx² shortcut). Computed wide (one column per indicator), then made long.
    """
    return long_cvs(wide_cvs(schools, std), std)


def wide_cvs(schools: ir.Table, std: Standard) -> ir.Table:
    """One row per county × section: per indicator the weight total ``__P``, the count ``__n``, the weighted
    mean ``__mean`` (first pass) and the weighted sum of squared deviations ``__V`` (second pass).

    A backend may run the long form once per indicator; materialising this table first avoids that.
    """
    keys = ["county_code", "section"]
    inds = [ind.id for ind in std.indicators]
    scoped = schools.filter(schools.in_scope & (schools.students > 0)).select(*keys, "students", *inds)  # narrow:
    p = scoped.students.cast("float64")  # a backend may materialise it (it is read twice)
    weight = {i: ibis.ifelse(scoped[i].notnull(), p, 0.0) for i in inds}
    first = scoped.group_by(keys).aggregate(
        **{f"{i}__P": weight[i].sum() for i in inds},
        **{f"{i}__S": (weight[i] * scoped[i].fill_null(0)).sum() for i in inds},
        **{f"{i}__n": scoped[i].count() for i in inds},
    )
    first = first.mutate(**{f"{i}__mean": first[f"{i}__S"] / first[f"{i}__P"] for i in inds})
    joined = scoped.join(first, keys)
    dev = {i: joined[i].fill_null(0) - joined[f"{i}__mean"] for i in inds}
    second = joined.group_by(keys).aggregate(  # d·d, not d ** 2: a backend may call pow() for the latter
        **{f"{i}__V": (ibis.ifelse(joined[i].notnull(), joined.students.cast("float64"), 0.0)
                       * (dev[i] * dev[i])).sum() for i in inds},
    )
    return first.join(second, keys)


def long_cvs(both: ir.Table, std: Standard) -> ir.Table:
    """The wide table made long: county, section, indicator, mean, students, schools, cv, cv_limit."""
    parts = []
    for ind in std.indicators:
        i = ind.id
        mean, total = both[f"{i}__mean"], both[f"{i}__P"]
        cv = ibis.ifelse((total > 0) & (mean != 0), (both[f"{i}__V"] / total).sqrt() / mean, ibis.null("float64"))
        limit = ibis.cases(*[(both.section == s, v) for s, v in ind.cv_limit.items()], else_=ibis.null("float64")) \
            if ind.cv_limit else ibis.null("float64")
        parts.append(both.select("county_code", "section", indicator=ibis.literal(i), mean=mean, students=total,
                                 schools=both[f"{i}__n"], cv=cv, cv_limit=limit))
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part)
    return out
