"""Equity measures: the enrolment-weighted difference coefficient (差异系数) and analysts' measures.

The difference coefficient, for one indicator over the n school sections of one county and section:
    X̄ = Σ Pᵢxᵢ / P,   S = sqrt( Σ (Pᵢ/P)(xᵢ − X̄)² ),   CV = S / X̄
with Pᵢ the students of school section i and P = Σ Pᵢ: an enrolment-weighted population standard
deviation over the weighted mean. Compare unrounded values; report to 3 decimals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _arrays(values: ArrayLike, weights: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    if x.shape != w.shape:
        raise ValueError("values 与 weights 长度不同 / values and weights differ in length")
    if np.any(w < 0) or not np.all(np.isfinite(x)) or not np.all(np.isfinite(w)):
        raise ValueError("权重不能为负，数值必须有限 / weights must be ≥ 0 and values finite")
    return x, w


def weighted_mean(values: ArrayLike, weights: ArrayLike) -> float:
    """The weighted mean Σ wᵢxᵢ / Σ wᵢ; NaN when the weights sum to zero."""
    x, w = _arrays(values, weights)
    total = w.sum()
    return float((w * x).sum() / total) if total > 0 else float("nan")


def weighted_cv(values: ArrayLike, weights: ArrayLike) -> float:
    """The enrolment-weighted difference coefficient (population SD over weighted mean).

    NaN when there are no students or the mean is zero (a CV is then undefined).
    """
    x, w = _arrays(values, weights)
    total = w.sum()
    if total <= 0:
        return float("nan")
    mean = (w * x).sum() / total
    if mean == 0:
        return float("nan")
    sd = np.sqrt((w / total * (x - mean) ** 2).sum())
    return float(sd / mean)


def composite_cv(cvs: Sequence[float] | ArrayLike) -> float:
    """The 2012 composite: the arithmetic mean of the unrounded difference coefficients."""
    arr = np.asarray(cvs, dtype=float)
    if arr.size == 0:
        return float("nan")
    return float(arr.mean())


def weighted_gini(values: ArrayLike, weights: ArrayLike) -> float:
    """The population-weighted Gini coefficient (0 = equal)."""
    x, w = _arrays(values, weights)
    if w.sum() <= 0 or (w * x).sum() == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cum_w = np.cumsum(w) / w.sum()
    cum_xw = np.cumsum(w * x) / (w * x).sum()
    prev = np.concatenate(([0.0], cum_xw[:-1]))
    return float(1 - (np.diff(np.concatenate(([0.0], cum_w))) * (cum_xw + prev)).sum())


def theil(values: ArrayLike, weights: ArrayLike) -> float:
    """The population-weighted Theil T index of per-person values (0 = equal)."""
    x, w = _arrays(values, weights)
    keep = (w > 0) & (x > 0)
    x, w = x[keep], w[keep]
    if w.sum() <= 0:
        return float("nan")
    mu = (w * x).sum() / w.sum()
    r = x / mu
    return float((w / w.sum() * r * np.log(r)).sum())


def theil_decomposition(values: ArrayLike, weights: ArrayLike, groups: Sequence[Any]) -> dict[str, float]:
    """Theil T split into between-group and within-group parts (they add up to the total)."""
    x, w = _arrays(values, weights)
    g = np.asarray(groups, dtype=object)
    keep = (w > 0) & (x > 0)
    x, w, g = x[keep], w[keep], g[keep]
    total_income = (w * x).sum()
    mu = total_income / w.sum()
    between = within = 0.0
    for key in dict.fromkeys(g.tolist()):
        m = g == key
        share = (w[m] * x[m]).sum() / total_income
        mu_g = (w[m] * x[m]).sum() / w[m].sum()
        between += share * np.log(mu_g / mu)
        within += share * theil(x[m], w[m])
    return {"total": float(between + within), "between": float(between), "within": float(within)}


def mcloone(values: ArrayLike, weights: ArrayLike) -> float:
    """McLoone index: spending on those below the weighted median over what bringing them to it would cost."""
    x, w = _arrays(values, weights)
    median = weighted_quantile(x, w, 0.5)
    below = x <= median
    need = (w[below] * median).sum()
    return float((w[below] * x[below]).sum() / need) if need > 0 else float("nan")


def range_ratio(values: ArrayLike, weights: ArrayLike, low: float = 0.05, high: float = 0.95) -> float:
    """The federal range ratio: (P95 − P5) / P5 of the enrolment-weighted distribution."""
    x, w = _arrays(values, weights)
    p_low, p_high = weighted_quantile(x, w, low), weighted_quantile(x, w, high)
    return float((p_high - p_low) / p_low) if p_low > 0 else float("nan")


def weighted_quantile(values: ArrayLike, weights: ArrayLike, q: float) -> float:
    """The value below which a share q of the weight lies (inverted cumulative distribution)."""
    x, w = _arrays(values, weights)
    if w.sum() <= 0:
        return float("nan")
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cum = np.cumsum(w) / w.sum()
    return float(x[min(int(np.searchsorted(cum, q, side="left")), len(x) - 1)])
