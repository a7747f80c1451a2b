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

import numpy as np
import pandas as pd

from dudao.standards.model import Standard

GAP_COLUMNS = ["county_code", "school_code", "school_name", "section", "indicator", "value", "threshold",
               "element", "shared", "addition", "unit_cost", "cost", "counted_cost"]
LIFT_COLUMNS = ["county_code", "section", "indicator", "cv", "cv_limit", "level", "school_code", "school_name",
                "value", "lift", "addition", "cost", "variance_share"]


def _additions(needed: np.ndarray, unit: np.ndarray, integer: bool) -> np.ndarray:
    """Smallest whole (or 0.01) addition covering ``needed`` at ``unit`` value per added element unit."""
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where((unit > 0) & np.isfinite(unit), needed / unit, np.nan)
    return np.ceil(raw - 1e-9) if integer else np.ceil(raw * 100 - 1e-6) / 100


def school_gaps(schools: pd.DataFrame, std: Standard, shared: set[str] | None = None) -> pd.DataFrame:
    """One row per missed threshold of every failing in-scope school section.

    A shared facility (``shared``: school-level elements) added to a combined school raises every
    section's value, so where two sections of one school miss the same facility indicator only the larger
    addition is needed: ``counted_cost`` carries the cost once per school and indicator (the larger
    row), and is what totals add up.
    """
    if shared is None:
        from dudao.engine.indicators import shared_elements
        from dudao.standards.model import load_dictionary

        shared = set(shared_elements(load_dictionary()))
    parts = []
    failing = schools[schools["in_scope"] & (schools["school_pass"] == False)]  # noqa: E712 - nullable
    for ind in std.indicators:
        if ind.gap is None or f"{ind.id}__pass" not in failing:
            continue
        m = failing[failing[f"{ind.id}__pass"] == False]  # noqa: E712
        if m.empty:
            continue
        value, thr = m[ind.id].to_numpy(float), m[f"{ind.id}__thr"].to_numpy(float)
        add = _additions(thr - value, m[f"{ind.id}__unit"].to_numpy(float), ind.gap.integer)
        parts.append(pd.DataFrame({
            "county_code": m["county_code"].to_numpy(), "school_code": m["school_code"].to_numpy(),
            "school_name": m["school_name"].to_numpy(), "section": m["section"].to_numpy(), "indicator": ind.id,
            "value": value, "threshold": thr, "element": ind.gap.element, "shared": ind.gap.element in shared,
            "addition": add, "unit_cost": ind.gap.unit_cost, "cost": add * ind.gap.unit_cost,
        }))
    if not parts:
        return pd.DataFrame(columns=GAP_COLUMNS)
    out = pd.concat(parts, ignore_index=True).sort_values(["county_code", "school_code", "section", "indicator"],
                                                          ignore_index=True)
    largest = out.groupby(["school_code", "indicator"])["addition"].transform("max")
    first_largest = ~out.assign(_l=out["addition"] == largest).duplicated(["school_code", "indicator", "_l"]) \
        & (out["addition"] == largest)
    out["counted_cost"] = np.where(~out["shared"] | first_largest, out["cost"], 0.0)
    return out


def _cv(x: np.ndarray, p: np.ndarray) -> float:
    mean = (p * x).sum() / p.sum()
    return float(np.sqrt((p * (x - mean) ** 2).sum() / p.sum()) / mean) if mean else float("nan")


def _floor_level(x: np.ndarray, p: np.ndarray, limit: float) -> float:
    lo, hi = float(x.min()), float(x.max())
    while hi - lo > 1e-7 * max(abs(hi), 1.0):
        mid = (lo + hi) / 2
        if _cv(np.maximum(x, mid), p) <= limit:
            hi = mid
        else:
            lo = mid
    return hi


def cv_lifts(schools: pd.DataFrame, cvs: pd.DataFrame, std: Standard, top: int = 5) -> pd.DataFrame:
    """For each CV over its limit: the lifts that bring it within the limit, and the main drivers."""
    over = cvs[cvs["cv_limit"].notna() & (cvs["cv"] > cvs["cv_limit"])]
    if over.empty:
        return pd.DataFrame(columns=LIFT_COLUMNS)
    scoped = schools[schools["in_scope"] & (schools["students"] > 0)]
    index = scoped.groupby(["county_code", "section"]).indices
    codes, names = scoped["school_code"].to_numpy(), scoped["school_name"].to_numpy()
    students = scoped["students"].to_numpy(float)
    out: dict[str, list[np.ndarray]] = {c: [] for c in LIFT_COLUMNS}
    for r in over.itertuples(index=False):
        ind = std.indicator(r.indicator)
        rows = index[(r.county_code, r.section)]
        x_all = scoped[ind.id].to_numpy(float)[rows]
        ok = ~np.isnan(x_all)
        rows, x, p = rows[ok], x_all[ok], students[rows][ok]
        level = _floor_level(x, p, float(r.cv_limit))
        mean = (p * x).sum() / p.sum()
        share = p * (x - mean) ** 2
        share = share / share.sum() if share.sum() > 0 else share
        lift = np.maximum(level - x, 0.0)
        keep = lift > 0
        keep[np.argsort(-share)[:top]] = True
        unit_col = f"{ind.id}__unit"
        unit = scoped[unit_col].to_numpy(float)[rows] if unit_col in scoped else np.full(len(x), np.nan)
        add = np.where(lift > 0, _additions(lift, unit, ind.gap.integer), 0.0) if ind.gap else np.full(len(x), np.nan)
        n = int(keep.sum())
        for col, val in (("county_code", r.county_code), ("section", r.section), ("indicator", ind.id), ("cv", r.cv),
                         ("cv_limit", r.cv_limit), ("level", level)):
            out[col].append(np.full(n, val, dtype=object if isinstance(val, str) else float))
        out["school_code"].append(codes[rows][keep])
        out["school_name"].append(names[rows][keep])
        out["value"].append(x[keep])
        out["lift"].append(lift[keep])
        out["addition"].append(add[keep])
        out["cost"].append(add[keep] * (ind.gap.unit_cost if ind.gap else np.nan))
        out["variance_share"].append(share[keep])
    return pd.DataFrame({c: np.concatenate(v) for c, v in out.items()})
