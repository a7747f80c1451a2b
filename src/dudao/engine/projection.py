"""Enrolment projection by the grade-progression (cohort-survival) method, on Ibis (DuckDB or Spark).

The same code projects counties, catchment zones or single schools: each is a **unit** belonging to an
**area** whose births it draws on. Inputs (pandas or Arrow):

- ``enrol``: unit, year, grade (1–9), students — the recorded enrolment by grade;
- ``units``: unit, area, entry_grade (1, or 7 for a unit without a primary section), last_grade;
- ``births``: area, year, births.

The model (``base`` = the last recorded school year, ``F`` = fit years, ``a`` = entry age 6):

- intake ratio ``IR = Σ E[y, e] / Σ B[y − a − (e − 1)]`` over the fit years ``y ∈ (base − F, base]``
  (grade 1 from births six years earlier, grade 7 of a junior-only unit from births twelve years earlier);
- progression ratio ``PR[g] = Σ E[y, g] / Σ E[y − 1, g − 1]`` over the same years (a grade never
  observed gets the default ratio); ``PR − 1`` is the net migration between grades, since repetition
  and dropout are close to zero in compulsory education;
- births after the last recorded year continue at the fitted annual change (mean log change of the
  last ``trend_years``, clamped) plus the scenario's ``births_change``;
- scenario ``s``: ``IR × intake_factor``, ``PR + migration``;
- the projection is closed-form (no recursion): a cohort already at school in ``base`` at grade
  ``g − h`` gives ``E[base + h, g] = E[base, g − h] × Π PR[g − h + 1 … g]``; a cohort entering in
  year ``y0`` gives ``E[y0 + k, e + k] = IR × B[y0 − a − (e − 1)] × Π PR[e + 1 … e + k]``. The products
  are cumulative sums of ``ln PR`` over grades (a window), so everything is joins and aggregates.

``backtest`` re-runs the medium scenario as if ``backtest_years`` earlier (only the data recorded up to
then) and compares each year's total with what was recorded: absolute percentage error and MAPE.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd


@dataclass(frozen=True)
class ScenarioSpec:
    id: str
    births_change: float = 0.0
    intake_factor: float = 1.0
    migration: float = 0.0


@dataclass(frozen=True)
class Settings:
    base_year: int
    horizon: int = 10
    fit_years: int = 3
    entry_age: int = 6
    trend_years: int = 3
    trend_low: float = -0.15
    trend_high: float = 0.10
    default_progression: float = 1.0
    backtest_years: int = 3
    scenarios: tuple[ScenarioSpec, ...] = (ScenarioSpec("medium"),)


@dataclass
class Projection:
    """Projected students and the fitted parameters behind them (pandas frames)."""

    students: pd.DataFrame  # unit, scenario, year, grade, students
    intake: pd.DataFrame  # unit, entry_grade, intake_ratio, fit_students, fit_births
    progression: pd.DataFrame  # unit, grade, ratio, fitted (False: the default ratio)
    births_trend: pd.DataFrame  # area, last_year, last_births, trend (fitted annual change, clamped)
    births: pd.DataFrame  # area, scenario, year, births, projected (bool)


def _t(con: Any, df: pd.DataFrame, name: str) -> ir.Table:
    """An in-memory table; executed by ``con`` (DuckDB or Spark registers it when the expression runs)."""
    return ibis.memtable(df)


def _tables(con: Any, enrol: Any, units: Any, births: Any) -> tuple[ir.Table, ir.Table, ir.Table]:
    e = _t(con, pd.DataFrame(enrol)[["unit", "year", "grade", "students"]].astype(
        {"unit": "string", "year": "int64", "grade": "int64", "students": "float64"}), "pp_enrol")
    u = _t(con, pd.DataFrame(units)[["unit", "area", "entry_grade", "last_grade"]].astype(
        {"unit": "string", "area": "string", "entry_grade": "int64", "last_grade": "int64"}), "pp_units")
    b = _t(con, pd.DataFrame(births)[["area", "year", "births"]].astype(
        {"area": "string", "year": "int64", "births": "float64"}), "pp_births")
    return e, u, b


def _grades(units: pd.DataFrame) -> pd.DataFrame:
    rows = [(r.unit, g) for r in pd.DataFrame(units).itertuples() for g in range(int(r.entry_grade), int(r.last_grade) + 1)]
    return pd.DataFrame(rows, columns=["unit", "grade"]).astype({"unit": "string", "grade": "int64"})


def _scenarios(s: Settings) -> pd.DataFrame:
    return pd.DataFrame([{"scenario": x.id, "births_change": float(x.births_change), "intake_factor": float(x.intake_factor),
                          "migration": float(x.migration)} for x in s.scenarios])


def fit(con: Any, e: ir.Table, u: ir.Table, b: ir.Table, grades: ir.Table, s: Settings) -> tuple[ir.Table, ir.Table, ir.Table]:
    """The fitted intake ratios, progression ratios and births trends, as Ibis tables."""
    lo = s.base_year - s.fit_years + 1
    window = e.filter((e.year >= lo) & (e.year <= s.base_year))
    ent = window.join(u, window.unit == u.unit).select(window.unit, window.year, window.grade, window.students,
                                                       u.area, u.entry_grade)
    ent = ent.filter(ent.grade == ent.entry_grade)
    ent = ent.mutate(byear=ent.year - s.entry_age - (ent.entry_grade - 1))
    bb = b.select(b_area=b.area, b_year=b.year, b_births=b.births)
    joined = ent.join(bb, (ent.area == bb.b_area) & (ent.byear == bb.b_year))
    intake = joined.group_by(["unit", "entry_grade"]).agg(fit_students=joined.students.sum(),
                                                          fit_births=joined.b_births.sum())
    intake = intake.mutate(intake_ratio=ibis.ifelse(intake.fit_births > 0, intake.fit_students / intake.fit_births, ibis.null()))

    prev = e.select(p_unit=e.unit, p_year=e.year + 1, p_grade=e.grade + 1, p_students=e.students)
    pair = window.join(prev, (window.unit == prev.p_unit) & (window.year == prev.p_year) & (window.grade == prev.p_grade))
    pr = pair.group_by(["unit", "grade"]).agg(num=pair.students.sum(), den=pair.p_students.sum())
    pr = pr.filter(pr.den > 0)
    g = grades.join(u, grades.unit == u.unit).select(grades.unit, grades.grade, u.entry_grade)
    g = g.filter(g.grade > g.entry_grade)
    prs = pr.select(r_unit=pr.unit, r_grade=pr.grade, r_ratio=pr.num / pr.den)
    prog = g.left_join(prs, (g.unit == prs.r_unit) & (g.grade == prs.r_grade))
    prog = prog.select(unit=prog.unit, grade=prog.grade, ratio=prog.r_ratio.fill_null(s.default_progression),
                       fitted=prog.r_ratio.notnull())

    last = b.group_by("area").agg(last_year=b.year.max())
    cur = b.join(last, b.area == last.area).select(b.area, b.year, b.births, last.last_year)
    before = b.select(q_area=b.area, q_year=b.year + 1, q_births=b.births)
    ch = cur.join(before, (cur.area == before.q_area) & (cur.year == before.q_year))
    ch = ch.filter((ch.year > ch.last_year - s.trend_years) & (ch.births > 0) & (ch.q_births > 0))
    rate = ch.group_by("area").agg(g=(ch.births / ch.q_births).ln().mean())
    lastb = cur.filter(cur.year == cur.last_year).select("area", "last_year", last_births=cur.births)
    tr = lastb.left_join(rate, lastb.area == rate.area).select(lastb.area, lastb.last_year, lastb.last_births, rate.g)
    raw = (tr.g.exp() - 1).fill_null(0.0)
    trend = tr.select("area", "last_year", "last_births",
                      trend=ibis.greatest(ibis.least(raw, s.trend_high), s.trend_low))
    return intake, prog, trend


def _project(con: Any, e: ir.Table, u: ir.Table, b: ir.Table, grades: ir.Table, s: Settings
             ) -> tuple[ir.Table, ir.Table, ir.Table, ir.Table, ir.Table]:
    intake, prog, trend = fit(con, e, u, b, grades, s)
    sc = _t(con, _scenarios(s), "pp_scen")
    steps = _t(con, pd.DataFrame({"h": list(range(1, s.horizon + 1))}, dtype="int64"), "pp_steps")
    far = s.horizon + s.entry_age + 8
    ahead = _t(con, pd.DataFrame({"k": list(range(1, far + 1))}, dtype="int64"), "pp_ahead")

    # births by scenario: recorded, then continued from the last recorded year
    obs = b.cross_join(sc.select("scenario")).select("area", "scenario", "year", "births", projected=ibis.literal(False))
    pj = trend.cross_join(sc).cross_join(ahead)
    pj = pj.select(area=pj.area, scenario=pj.scenario, year=pj.last_year + pj.k,
                   births=pj.last_births * ibis.greatest(1 + pj.trend + pj.births_change, 0.0).pow(pj.k.cast("float64")),
                   projected=ibis.literal(True))
    births_s = obs.union(pj)

    # cumulative log progression by unit, scenario and grade (0 at the entry grade)
    g = grades.join(u, grades.unit == u.unit).select(grades.unit, grades.grade, u.entry_grade, u.area)
    pr = g.left_join(prog, (g.unit == prog.unit) & (g.grade == prog.grade)).select(g.unit, g.grade, g.area, g.entry_grade,
                                                                                   ratio=prog.ratio)
    pr = pr.cross_join(sc)
    lr = ibis.ifelse(pr.grade == pr.entry_grade, 0.0,
                     ibis.greatest(pr.ratio.fill_null(s.default_progression) + pr.migration, 0.01).ln())
    pr = pr.mutate(lr=lr)
    w = ibis.cumulative_window(group_by=[pr.unit, pr.scenario], order_by=pr.grade)
    cl = pr.select("unit", "scenario", "grade", "area", "entry_grade", "intake_factor", cl=pr.lr.sum().over(w))

    # cohorts at school in the base year
    base = e.filter(e.year == s.base_year).select(a_unit=e.unit, a_grade=e.grade, a_students=e.students)
    c0 = cl.select(c0_unit=cl.unit, c0_scen=cl.scenario, c0_grade=cl.grade, cl0=cl.cl)
    a = base.join(c0, (base.a_unit == c0.c0_unit) & (base.a_grade == c0.c0_grade)).cross_join(steps)
    a = a.mutate(t_grade=a.a_grade + a.h)
    c1 = cl.select(c1_unit=cl.unit, c1_scen=cl.scenario, c1_grade=cl.grade, cl1=cl.cl)
    a = a.join(c1, (a.a_unit == c1.c1_unit) & (a.c0_scen == c1.c1_scen) & (a.t_grade == c1.c1_grade))
    part_a = a.select(unit=a.a_unit, scenario=a.c0_scen, year=s.base_year + a.h, grade=a.t_grade,
                      students=a.a_students * (a.cl1 - a.cl0).exp())

    # cohorts entering after the base year
    ent = intake.select(i_unit=intake.unit, intake_ratio=intake.intake_ratio)
    bs = births_s.select(bs_area=births_s.area, bs_scen=births_s.scenario, bs_year=births_s.year, bs_births=births_s.births)
    i = cl.join(ent, cl.unit == ent.i_unit).cross_join(steps)
    i = i.mutate(y0=s.base_year + i.h, t_year=s.base_year + i.h + i.grade - i.entry_grade)
    i = i.filter(i.t_year <= s.base_year + s.horizon)
    i = i.mutate(byear=i.y0 - s.entry_age - (i.entry_grade - 1))
    i = i.join(bs, (i.area == bs.bs_area) & (i.scenario == bs.bs_scen) & (i.byear == bs.bs_year))
    part_b = i.select(unit=i.unit, scenario=i.scenario, year=i.t_year, grade=i.grade,
                      students=i.intake_ratio * i.intake_factor * i.bs_births * i.cl.exp())
    return part_a.union(part_b), intake, prog, trend, births_s


def project(con: Any, enrol: Any, units: Any, births: Any, s: Settings) -> Projection:
    """Projects every unit ``1 … s.horizon`` years after ``s.base_year`` under every scenario."""
    e, u, b = _tables(con, enrol, units, births)
    grades = _t(con, _grades(units), "pp_grades")
    students, intake, prog, trend, births_s = _project(con, e, u, b, grades, s)
    out = con.to_pandas(students.order_by(["unit", "scenario", "year", "grade"]))
    return Projection(students=out, intake=con.to_pandas(intake),
                      progression=con.to_pandas(prog.order_by(["unit", "grade"])), births_trend=con.to_pandas(trend),
                      births=con.to_pandas(births_s.filter(births_s.year <= s.base_year + s.horizon)))


def project_totals(con: Any, enrol: Any, units: Any, births: Any, s: Settings) -> Any:
    """Projected students summed over grades (unit, scenario, year, students), as an Arrow table."""
    e, u, b = _tables(con, enrol, units, births)
    grades = _t(con, _grades(units), "pp_grades")
    students = _project(con, e, u, b, grades, s)[0]
    return con.to_pyarrow(students.group_by(["unit", "scenario", "year"]).agg(students=students.students.sum()))


def backtest(con: Any, enrol: Any, units: Any, births: Any, s: Settings) -> pd.DataFrame:
    """The medium scenario as if projected ``s.backtest_years`` earlier, against what was recorded.

    Rows: unit, year, projected, actual, ape (absolute percentage error, %). ``mape`` summarises it.
    """
    then = s.base_year - s.backtest_years
    enrol = pd.DataFrame(enrol)
    births = pd.DataFrame(births)
    medium = tuple(x for x in s.scenarios if x.id == "medium") or (ScenarioSpec("medium"),)
    past = replace(s, base_year=then, horizon=s.backtest_years, scenarios=medium)
    e, u, b = _tables(con, enrol[enrol.year <= then], units, births[births.year <= then])
    grades = _t(con, _grades(units), "pp_grades")
    students = _project(con, e, u, b, grades, past)[0]
    proj = students.group_by(["unit", "year"]).agg(projected=students.students.sum())
    actual_all = _t(con, enrol[(enrol.year > then) & (enrol.year <= s.base_year)][["unit", "year", "students"]]
                       .astype({"unit": "string", "year": "int64", "students": "float64"}), "pp_actual")
    act = actual_all.group_by(["unit", "year"]).agg(actual=actual_all.students.sum())
    j = proj.join(act, (proj.unit == act.unit) & (proj.year == act.year))
    j = j.select(proj.unit, proj.year, proj.projected, act.actual,
                 ape=ibis.ifelse(act.actual > 0, (proj.projected - act.actual).abs() / act.actual * 100, ibis.null()))
    return con.to_pandas(j.order_by(["unit", "year"]))


def mape(bt: pd.DataFrame) -> pd.DataFrame:
    """MAPE (%) by unit from a backtest frame."""
    return bt.groupby("unit", as_index=False).agg(mape=("ape", "mean"), years=("year", "count"))
