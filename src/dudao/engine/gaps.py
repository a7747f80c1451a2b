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


def _width(n: int) -> int:
    """The padded width of a group of n schools: to the end of its block of 8 up to 128 (numpy's pairwise sum
    adds a row of up to 128 numbers in 8 running sums plus the tail, so zeros after the tail change no bit),
    the exact length above."""
    return n if n >= 128 else n // 8 * 8 + 7


def _floor_levels(xs: list[np.ndarray], ps: list[np.ndarray], limits: list[float]) -> list[float]:
    """``_floor_level`` for many groups at once, bit for bit the same.

    Groups are stacked into arrays of one width (``_width``: padded with zero weights) and bisected in step,
    each group stopping at its own tolerance. A row sum of a C-contiguous array is the same pairwise sum as
    the sum of that row on its own, and padding within the block adds only +0.0 at the end, so every
    comparison sees exactly the value ``_cv`` gives (tests/engine/test_lift_batches.py checks it).
    """
    out = [0.0] * len(xs)
    by_width: dict[int, list[int]] = {}
    for i, x in enumerate(xs):
        by_width.setdefault(_width(len(x)) if len(x) else 0, []).append(i)
    for width, members in by_width.items():
        if width == 0:  # an empty group: raise as _floor_level does
            for i in members:
                out[i] = _floor_level(xs[i], ps[i], limits[i])
            continue
        x, p = np.zeros((len(members), width)), np.zeros((len(members), width))
        for j, i in enumerate(members):
            x[j, :len(xs[i])], p[j, :len(ps[i])] = xs[i], ps[i]
        limit = np.array([limits[i] for i in members])
        lo, hi = np.array([xs[i].min() for i in members]), np.array([xs[i].max() for i in members])
        active = np.flatnonzero(hi - lo > 1e-7 * np.maximum(np.abs(hi), 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            while active.size:
                mid = (lo[active] + hi[active]) / 2
                xm, pa = np.maximum(x[active], mid[:, None]), p[active]
                mean = (pa * xm).sum(axis=1) / pa.sum(axis=1)
                cv = np.sqrt((pa * (xm - mean[:, None]) ** 2).sum(axis=1) / pa.sum(axis=1)) / mean
                ok = (cv <= limit[active]) & (mean != 0)  # _cv is NaN (never within) when the mean is 0
                hi[active[ok]] = mid[ok]
                lo[active[~ok]] = mid[~ok]
                still = hi[active] - lo[active] > 1e-7 * np.maximum(np.abs(hi[active]), 1.0)
                active = active[still]
        for j, i in enumerate(members):
            out[i] = float(hi[j])
    return out


def cv_lifts(schools: pd.DataFrame, cvs: pd.DataFrame, std: Standard, top: int = 5) -> pd.DataFrame:
    """For each CV over its limit: the lifts that bring it within the limit, and the main drivers."""
    over = cvs[cvs["cv_limit"].notna() & (cvs["cv"] > cvs["cv_limit"])]
    if over.empty:
        return pd.DataFrame(columns=LIFT_COLUMNS)
    scoped = schools[schools["in_scope"] & (schools["students"] > 0)]
    index = scoped.groupby(["county_code", "section"]).indices
    codes, names = scoped["school_code"].to_numpy(), scoped["school_name"].to_numpy()
    students = scoped["students"].to_numpy(float)
    values = {ind.id: scoped[ind.id].to_numpy(float) for ind in std.indicators}
    units = {ind.id: scoped[f"{ind.id}__unit"].to_numpy(float) for ind in std.indicators if f"{ind.id}__unit" in scoped}
    groups = []
    for county, section, indicator, cv, limit in zip(over["county_code"].tolist(), over["section"].tolist(),
                                                     over["indicator"].tolist(), over["cv"].tolist(),
                                                     over["cv_limit"].tolist(), strict=True):
        rows = index[(county, section)]
        x_all = values[indicator][rows]
        ok = ~np.isnan(x_all)
        groups.append((county, section, std.indicator(indicator), cv, limit, rows[ok], x_all[ok], students[rows][ok]))
    levels = _floor_levels([g[6] for g in groups], [g[7] for g in groups], [float(g[4]) for g in groups])
    out: dict[str, list[np.ndarray]] = {c: [] for c in LIFT_COLUMNS}
    for (county, section, ind, cv, limit, rows, x, p), level in zip(groups, levels, strict=True):
        mean = (p * x).sum() / p.sum()
        share = p * (x - mean) ** 2
        share = share / share.sum() if share.sum() > 0 else share
        lift = np.maximum(level - x, 0.0)
        keep = lift > 0
        keep[np.argsort(-share)[:top]] = True
        unit = units[ind.id][rows] if ind.id in units else np.full(len(x), np.nan)
        add = np.where(lift > 0, _additions(lift, unit, ind.gap.integer), 0.0) if ind.gap else np.full(len(x), np.nan)
        n = int(keep.sum())
        for col, val in (("county_code", county), ("section", section), ("indicator", ind.id), ("cv", cv),
                         ("cv_limit", limit), ("level", level)):
            out[col].append(np.full(n, val, dtype=object if isinstance(val, str) else float))
        out["school_code"].append(codes[rows][keep])
        out["school_name"].append(names[rows][keep])
        out["value"].append(x[keep])
        out["lift"].append(lift[keep])
        out["addition"].append(add[keep])
        out["cost"].append(add[keep] * (ind.gap.unit_cost if ind.gap else np.nan))
        out["variance_share"].append(share[keep])
    return pd.DataFrame({c: np.concatenate(v) for c, v in out.items()})
