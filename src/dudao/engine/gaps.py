"""What a failing school or county still lacks.

School gaps: for each missed threshold of a failing school section, the smallest whole addition of the
indicator's gap element (teachers in the section; m², yuan or rooms for the whole school, which the
engine then splits) that brings the value to the threshold, and its cost at the standard's unit cost.

CV lifts ("raise the floor"): for a difference coefficient over its limit, the schools below a level L
are lifted to L, with L the lowest level (found by bisection) at which the CV is within the limit.
Adding δ to a school's value xⱼ changes CV² at a rate proportional to Pⱼ·(xⱼ·X̄ − Σpᵢxᵢ²), while it
costs in proportion to Pⱼ·δ; per yuan the reduction is therefore largest for the lowest xⱼ, so lifting
the lowest schools first is the cheapest path at every step. The drivers are the schools with the
largest shares of the weighted variance, Pᵢ/P·(xᵢ − X̄)².
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dudao.engine.equity import weighted_cv
from dudao.standards.model import Standard

GAP_COLUMNS = ["county_code", "school_code", "school_name", "section", "indicator", "value", "threshold",
               "element", "addition", "unit_cost", "cost"]
LIFT_COLUMNS = ["county_code", "section", "indicator", "cv", "cv_limit", "level", "school_code", "school_name",
                "value", "lift", "addition", "cost", "variance_share"]


def _addition(needed: float, unit: float, integer: bool) -> float:
    if not unit or unit <= 0 or not math.isfinite(unit):
        return float("nan")
    raw = needed / unit
    return float(math.ceil(raw - 1e-9)) if integer else math.ceil(raw * 100 - 1e-6) / 100


def school_gaps(schools: pd.DataFrame, std: Standard) -> pd.DataFrame:
    """One row per missed threshold of every failing in-scope school section."""
    rows = []
    failing = schools[schools["in_scope"] & (schools["school_pass"] == False)]  # noqa: E712 - nullable
    for ind in std.indicators:
        if ind.gap is None or f"{ind.id}__pass" not in failing:
            continue
        missed = failing[failing[f"{ind.id}__pass"] == False]  # noqa: E712
        for r in missed.itertuples(index=False):
            rec = r._asdict()
            value, thr, unit = rec[ind.id], rec[f"{ind.id}__thr"], rec[f"{ind.id}__unit"]
            add = _addition(thr - value, unit, ind.gap.integer)
            rows.append([rec["county_code"], rec["school_code"], rec["school_name"], rec["section"], ind.id, value, thr,
                         ind.gap.element, add, ind.gap.unit_cost, add * ind.gap.unit_cost])
    return pd.DataFrame(rows, columns=GAP_COLUMNS)


def _floor_level(x: np.ndarray, p: np.ndarray, limit: float) -> float:
    lo, hi = float(x.min()), float(x.max())
    for _ in range(60):
        mid = (lo + hi) / 2
        if weighted_cv(np.maximum(x, mid), p) <= limit:
            hi = mid
        else:
            lo = mid
    return hi


def cv_lifts(schools: pd.DataFrame, cvs: pd.DataFrame, std: Standard, top: int = 5) -> pd.DataFrame:
    """For each CV over its limit: the lifts that bring it within the limit, and the main drivers."""
    over = cvs[cvs["cv_limit"].notna() & (cvs["cv"] > cvs["cv_limit"])]
    scoped = schools[schools["in_scope"]]
    rows = []
    for r in over.itertuples(index=False):
        ind = std.indicator(r.indicator)
        group = scoped[(scoped["county_code"] == r.county_code) & (scoped["section"] == r.section)]
        group = group[group[ind.id].notna() & (group["students"] > 0)]
        x, p = group[ind.id].to_numpy(float), group["students"].to_numpy(float)
        level = _floor_level(x, p, float(r.cv_limit))
        mean = (p * x).sum() / p.sum()
        share = p / p.sum() * (x - mean) ** 2
        share = share / share.sum() if share.sum() > 0 else share
        unit = group[f"{ind.id}__unit"].to_numpy(float) if f"{ind.id}__unit" in group else np.full(len(x), np.nan)
        drivers = set(np.argsort(-share)[:top].tolist())
        for i in range(len(x)):
            lift = max(level - x[i], 0.0)
            if lift <= 0 and i not in drivers:
                continue
            add = _addition(lift, unit[i], ind.gap.integer) if ind.gap and lift > 0 else 0.0
            cost = add * ind.gap.unit_cost if ind.gap else float("nan")
            rows.append([r.county_code, r.section, ind.id, r.cv, r.cv_limit, level, group["school_code"].iloc[i],
                         group["school_name"].iloc[i], x[i], lift, add, cost, share[i]])
    return pd.DataFrame(rows, columns=LIFT_COLUMNS)
