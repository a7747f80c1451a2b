"""Value-added of schools from students' scores at two points in time (Ibis: DuckDB by default, Spark alike).

The model is a random-intercept multilevel model of student i in school j,

    post_ij = a + x_ij·β + u_j + e_ij,   u_j ~ N(0, τ²),   e_ij ~ N(0, σ²),

with x the pre-test score and any background covariates. It is estimated by empirical Bayes:

1. β by pooled within-school OLS (school fixed effects), from per-school sums and cross-products;
2. σ² from the within-school residual sum of squares, on N − J − p degrees of freedom;
3. each school's raw value-added d_j = ȳ_j − x̄_j·β, with sampling variance s_j² = σ²/n_j + x̄_j'V(β)x̄_j;
4. τ² by the method of moments of DerSimonian and Laird over the schools with enough matched students,
   and the grand mean a as the precision-weighted mean of d_j (weights 1/(τ² + s_j²));
5. the posterior mean u*_j = λ_j (d_j − a) with λ_j = τ²/(τ² + s_j²), and its prediction-error variance
   λ_j s_j² + λ_j² / Σ w*, giving the interval u*_j ± z·SE.

Everything that touches students runs in the backend as two aggregates (the overall means, then per-school
sums of centred values and their products); only one row per school comes back to Python, where the small
linear algebra is done with numpy. A school is published in one of three bands by whether its interval
lies above zero, contains it or lies below it — never ranked; a school with fewer matched students than
the minimum is refused, with the reason.
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from statistics import NormalDist
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pandas as pd

import dudao
from dudao.quality.errors import ValueAddedError, VAMessage

MODEL_ID = "eb_random_intercept"
MIN_SCHOOLS = 3  # fewer eligible schools cannot support a between-school variance
COND_LIMIT = 1e10  # a within cross-product matrix worse conditioned than this is treated as singular


@cache
def code_version() -> str:
    """The package version and, in a git checkout, ``git describe --always --dirty``."""
    try:
        described = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], cwd=Path(__file__).parent,
                                   capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    except OSError:
        described = ""
    return f"{dudao.__version__}+{described}" if described else dudao.__version__


@dataclass(frozen=True)
class Params:
    """The parameters of one estimate (defaults from ``valueadded.yaml`` via ``from_spec``)."""

    min_students: int = 20
    confidence_level: float = 0.95
    low_match_share: float = 0.7

    def __post_init__(self) -> None:
        if not isinstance(self.min_students, int) or self.min_students < 2:
            raise ValueAddedError(VAMessage.MIN_STUDENTS, value=self.min_students)

    @classmethod
    def from_spec(cls, min_students: int | None = None, path: Path | None = None) -> Params:
        from dudao.standards.valueadded import load_valueadded

        spec = load_valueadded(path)
        return cls(min_students=spec.min_students.value if min_students is None else min_students,
                   confidence_level=spec.confidence_level.value, low_match_share=spec.low_match_share.value)

    @property
    def z(self) -> float:
        return NormalDist().inv_cdf(0.5 + self.confidence_level / 2)


@dataclass
class SchoolValueAdded:
    """One school's result. ``band`` is above / expected / below, or refused (then no figures)."""

    school_code: str
    students: int
    matched: int
    missing_pre: int
    missing_post: int
    missing_covariates: int
    band: str
    school_name: str = ""
    county_code: str = ""
    pre_mean: float | None = None
    post_mean: float | None = None
    expected_post_mean: float | None = None  # what the average school would reach with these students
    raw: float | None = None  # unshrunk: mean residual minus the grand mean
    shrinkage: float | None = None  # λ
    estimate: float | None = None  # posterior mean (value-added, score points)
    se: float | None = None
    lower: float | None = None
    upper: float | None = None
    reason_zh: str = ""
    reason_en: str = ""
    low_match: bool = False
    note_zh: str = ""
    note_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ValueAdded:
    """The estimate: every school, the fitted model and what is needed to reproduce it."""

    schools: list[SchoolValueAdded]
    model: dict[str, Any]
    params: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([s.as_dict() for s in self.schools])

    def counts(self) -> dict[str, int]:
        out = {"above": 0, "expected": 0, "below": 0, "refused": 0}
        for s in self.schools:
            out[s.band] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "params": self.params, "provenance": self.provenance, "counts": self.counts(),
                "schools": [s.as_dict() for s in self.schools]}


def _float(x: Any) -> float:
    return float(x) if x is not None and not pd.isna(x) else float("nan")


def school_sums(table: ir.Table, covariates: Sequence[str] = ()) -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    """The backend part: overall means of the matched rows, then per-school counts, sums and cross-products.

    Returns (one row per school, the means used for centring, the regressors' names).
    """
    names = ["pre", *covariates]
    x = {n: table[n].cast("float64") for n in names}
    y = table.post.cast("float64")
    matched = y.notnull()
    for col in x.values():
        matched &= col.notnull()
    scores = table.pre.notnull() & table.post.notnull()
    first = table.aggregate(n=table.count(where=matched), my=y.mean(where=matched),
                            **{f"m_{n}": x[n].mean(where=matched) for n in names}).execute()
    if int(first["n"].iloc[0] or 0) == 0:
        raise ValueAddedError(VAMessage.NO_DATA)
    means = {"post": _float(first["my"].iloc[0]), **{n: _float(first[f"m_{n}"].iloc[0]) for n in names}}
    key = table.school_code.cast("string").name("school_code")
    # every student: counts, and the school's name and county
    counts: dict[str, Any] = {
        "students": table.count(),
        "missing_pre": table.pre.isnull().cast("int64").sum(),
        "missing_post": table.post.isnull().cast("int64").sum(),
        "with_scores": scores.cast("int64").sum(),
    }
    if "school_name" in table.columns:
        counts["school_name"] = table.school_name.cast("string").max()
    if "county_code" in table.columns:
        counts["county_code"] = table.county_code.cast("string").max()
    # matched students only: centred values, then plain sums of them and of their products
    m = table.filter(matched)
    centred = m.select(key, y=m.post.cast("float64") - means["post"],
                       **{f"x{i}": m[n].cast("float64") - means[n] for i, n in enumerate(names)})
    c = centred
    sums: dict[str, Any] = {"matched": c.count(), "sy": c.y.sum(), "syy": (c.y * c.y).sum()}
    for i in range(len(names)):
        sums[f"sx_{i}"] = c[f"x{i}"].sum()
        sums[f"sxy_{i}"] = (c[f"x{i}"] * c.y).sum()
        for j in range(i, len(names)):
            sums[f"sxx_{i}_{j}"] = (c[f"x{i}"] * c[f"x{j}"]).sum()
    first_part = table.group_by(key).aggregate(**counts).execute()
    second_part = c.group_by("school_code").aggregate(**sums).execute()
    frame = first_part.merge(second_part, on="school_code", how="left")
    frame["matched"] = frame["matched"].fillna(0).astype("int64")
    for col in second_part.columns:
        if col not in ("school_code", "matched"):
            frame[col] = frame[col].astype("float64").fillna(0.0)
    # the school's means of the matched students, in the original units
    has = frame["matched"] > 0
    frame["pre_mean"] = (frame["sx_0"] / frame["matched"].where(has) + means["pre"]).where(has)
    frame["post_mean"] = (frame["sy"] / frame["matched"].where(has) + means["post"]).where(has)
    frame = frame.sort_values("school_code", kind="stable").reset_index(drop=True)
    return frame, means, names


def estimate(table: ir.Table, covariates: Sequence[str] = (), params: Params | None = None, *,
             engine: str = "duckdb", inputs_hash: str = "", inputs: str = "") -> ValueAdded:
    """Estimates every school's value-added from a table of students.

    ``table`` has one row per student with ``school_code``, ``pre`` and ``post`` (null when missing) and
    the named numeric ``covariates``; optional ``school_name`` and ``county_code`` are carried through.
    A student is matched when both scores and every covariate are present.
    """
    params = params or Params()
    sums, means, names = school_sums(table, covariates)
    return fit(sums, means, names, params, engine=engine, inputs_hash=inputs_hash, inputs=inputs)


def fit(sums: pd.DataFrame, means: dict[str, float], names: list[str], params: Params, *, engine: str = "duckdb",
        inputs_hash: str = "", inputs: str = "") -> ValueAdded:
    """The Python part: from per-school sums to the model, the shrunken estimates, intervals and bands."""
    p = len(names)
    n = sums["matched"].to_numpy(dtype="float64")
    sx = np.column_stack([sums[f"sx_{i}"].to_numpy(dtype="float64") for i in range(p)])
    sxy = np.column_stack([sums[f"sxy_{i}"].to_numpy(dtype="float64") for i in range(p)])
    sy = sums["sy"].to_numpy(dtype="float64")
    syy = sums["syy"].to_numpy(dtype="float64")
    sxx = np.zeros((len(sums), p, p))
    for i in range(p):
        for j in range(i, p):
            sxx[:, i, j] = sxx[:, j, i] = sums[f"sxx_{i}_{j}"].to_numpy(dtype="float64")
    has = n > 0
    n_safe = np.where(has, n, 1.0)
    xbar = np.where(has[:, None], sx / n_safe[:, None], 0.0)
    ybar = np.where(has, sy / n_safe, 0.0)
    # within-school (school-demeaned) cross-products, summed over schools
    wxx = (sxx - n_safe[:, None, None] * xbar[:, :, None] * xbar[:, None, :])[has].sum(axis=0)
    wxy = (sxy - n_safe[:, None] * xbar * ybar[:, None])[has].sum(axis=0)
    wyy = float((syy - n_safe * ybar * ybar)[has].sum())
    total, groups = float(n.sum()), int(has.sum())
    dof = total - groups - p
    if dof <= 0 or not np.all(np.isfinite(wxx)) or np.linalg.cond(wxx) > COND_LIMIT:
        raise ValueAddedError(VAMessage.COLLINEAR, columns="、".join(names))
    wxx_inv = np.linalg.inv(wxx)
    beta = wxx_inv @ wxy
    sigma2 = max((wyy - float(beta @ wxy)) / dof, 0.0)
    v_beta = sigma2 * wxx_inv
    d = ybar - xbar @ beta
    s2 = sigma2 / n_safe + np.einsum("ji,ik,jk->j", xbar, v_beta, xbar)

    eligible = n >= params.min_students
    k = int(eligible.sum())
    if k < MIN_SCHOOLS:
        raise ValueAddedError(VAMessage.SCHOOLS, n=k, min=params.min_students, need=MIN_SCHOOLS)
    de, s2e = d[eligible], s2[eligible]
    w = 1.0 / s2e
    d_w = float((w * de).sum() / w.sum())
    q = float((w * (de - d_w) ** 2).sum())
    tau2 = float(max(0.0, (q - (k - 1)) / (w.sum() - (w * w).sum() / w.sum())))
    w_star = 1.0 / (tau2 + s2e)
    alpha = float((w_star * de).sum() / w_star.sum())
    var_alpha = 1.0 / float(w_star.sum())
    lam = tau2 / (tau2 + s2)
    post = lam * (d - alpha)
    se = np.sqrt(lam * s2 + lam * lam * var_alpha)
    z = params.z

    schools = []
    for idx, row in enumerate(sums.itertuples(index=False)):
        r: dict[str, Any] = row._asdict()
        base = SchoolValueAdded(
            school_code=str(r["school_code"]), students=int(r["students"]), matched=int(r["matched"]),
            missing_pre=int(r["missing_pre"]), missing_post=int(r["missing_post"]),
            missing_covariates=int(r["with_scores"]) - int(r["matched"]), band="refused",
            school_name=str(r.get("school_name") or ""), county_code=str(r.get("county_code") or ""),
            pre_mean=_opt(r["pre_mean"]), post_mean=_opt(r["post_mean"]))
        share = base.matched / base.students if base.students else 0.0
        if base.students and share < params.low_match_share:
            base.low_match = True
            base.note_zh, base.note_en = VAMessage.LOW_MATCH.format(
                share=f"{share:.0%}", n=base.matched, total=base.students, limit=f"{params.low_match_share:.0%}")
        if not eligible[idx]:
            base.reason_zh, base.reason_en = VAMessage.REFUSED_FEW.format(n=base.matched, min=params.min_students)
            schools.append(base)
            continue
        est, err = float(post[idx]), float(se[idx])
        lo, hi = est - z * err, est + z * err
        base.band = "above" if lo > 0 else "below" if hi < 0 else "expected"
        base.raw, base.shrinkage, base.estimate, base.se, base.lower, base.upper = (
            float(d[idx] - alpha), float(lam[idx]), est, err, lo, hi)
        base.expected_post_mean = float(base.post_mean - (d[idx] - alpha)) if base.post_mean is not None else None
        schools.append(base)

    intercept = means["post"] + alpha - float(np.dot([means[nm] for nm in names], beta))
    model = {
        "id": MODEL_ID, "regressors": names, "beta": {nm: float(b) for nm, b in zip(names, beta, strict=True)},
        "beta_se": {nm: math.sqrt(float(v_beta[i, i])) for i, nm in enumerate(names)},
        "intercept": intercept, "sigma2": sigma2, "tau2": tau2, "icc": tau2 / (tau2 + sigma2) if tau2 + sigma2 > 0 else 0.0,
        "students": int(sums["students"].sum()), "matched": int(total), "schools": len(sums), "schools_estimated": k,
        "dof_within": dof, "q": q, "means": means, "z": z,
    }
    provenance = {"inputs_hash": inputs_hash, "inputs": inputs, "code_version": code_version(), "engine": engine,
                  "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    return ValueAdded(schools, model, asdict(params), provenance)


def _opt(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)
