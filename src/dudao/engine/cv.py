"""Difference coefficients per county, section and indicator, on Ibis (two passes, exact formula)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from dudao.standards.model import Standard


def long_values(schools: ir.Table, std: Standard) -> ir.Table:
    """One row per in-scope school section and indicator: county, section, indicator, x, students."""
    scoped = schools.filter(schools.in_scope)
    wide = scoped.select("county_code", "section", p=scoped.students.cast("float64"),
                         **{ind.id: scoped[ind.id].cast("float64") for ind in std.indicators})
    return wide.pivot_longer([ind.id for ind in std.indicators], names_to="indicator", values_to="x")


def county_cvs(schools: ir.Table, std: Standard) -> ir.Table:
    """CV = sqrt(Σ (Pᵢ/P)(xᵢ − X̄)²) / X̄ with X̄ = Σ Pᵢxᵢ / P, per county × section × indicator."""
    v = long_values(schools, std)
    v = v.filter(v.x.notnull() & (v.p > 0))
    w = ibis.window(group_by=[v.county_code, v.section, v.indicator])
    total = v.p.sum().over(w)
    mean = (v.p * v.x).sum().over(w) / total
    v = v.mutate(mean=mean, total=total)
    g = v.group_by(["county_code", "section", "indicator"]).aggregate(
        mean=v.mean.max(),
        students=v.p.sum(),
        schools=v.x.count(),
        var=(v.p / v.total * (v.x - v.mean) ** 2).sum(),
    )
    cv = ibis.ifelse(g.mean != 0, g.var.sqrt() / g.mean, ibis.null("float64"))
    limits = [(g.indicator == i.id) & (g.section == s) for i in std.indicators for s in i.cv_limit]
    values = [i.cv_limit[s] for i in std.indicators for s in i.cv_limit]
    limit = ibis.cases(*zip(limits, values, strict=True), else_=ibis.null("float64")) if limits else ibis.null("float64")
    return g.mutate(cv=cv, cv_limit=limit).drop("var")
