"""Synthetic students' scores at two points in time, with known true school effects (seeded).

``generate_scores`` gives one row per student (学籍号, school, county, pre-test and post-test scores,
sex, a family socio-economic index, migrant child) and the truth per school: its effect ``u_j`` on the
post-test score, drawn from N(0, τ²). The data follow the random-intercept model the estimator assumes,
with realistic features that it must cope with:

- school cohorts of very different sizes (log-normal, median ``size_median``), and a share of small
  schools (3–19 students) that the estimator must refuse;
- schools differ in intake (mean prior attainment and family background), and the intake is correlated
  with the true effect (``intake_corr``), so a raw comparison of post-test means would mislead;
- some students are unmatched: missing the pre-test (moved in) or the post-test (moved away, absent).

Only ``numpy.random.default_rng(seed)`` is used: the same seed gives the same data. Vectorised, so ten
million students take seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# the model that generates the scores (score points; the pre-test on a 500 ± 100 scale)
INTERCEPT, SLOPE_PRE, SLOPE_SES, SLOPE_MIGRANT, SLOPE_FEMALE = 80.0, 0.85, 6.0, -4.0, 3.0


@dataclass(frozen=True)
class School:
    code: str
    county_code: str = ""
    name: str = ""


@dataclass
class Scores:
    """The students (one row each) and the truth per school."""

    students: pd.DataFrame  # student_id, school_code, county_code, school_name, pre, post, female, ses, migrant
    truth: pd.DataFrame  # school_code, county_code, size, true_effect, intake
    tau: float
    sigma: float
    seed: int


def sizes_arg(sizes: Sequence[int] | None, j: int) -> np.ndarray | None:
    if sizes is None:
        return None
    out = np.asarray(sizes, dtype=np.int64)
    if out.shape != (j,) or (out < 1).any():
        raise ValueError("cohort_sizes: 每校一个正整数 / one positive whole number per school")
    return out


def synthetic_schools(n: int, province: str = "21", seed: int = 1) -> list[School]:
    """``n`` junior-secondary schools (category 31) spread over the real counties of a province."""
    from dudao.orgunits.divisions import national_divisions

    counties = [d for d in national_divisions() if d.code.startswith(province) and not d.code.endswith("00")]
    if not counties:
        counties = []
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, max(len(counties), 1), size=n)
    out = []
    for i in range(n):
        county = counties[int(picks[i])] if counties else None
        out.append(School(code=f"31{province}{i + 1:06d}", county_code=county.code if county else "",
                          name=f"{county.name if county else ''}第{i + 1}中学"))
    return out


def generate_scores(schools: Sequence[School] | int, seed: int = 1, *, tau: float = 12.0, sigma: float = 35.0,
                    size_median: float = 150.0, size_spread: float = 0.6, small_share: float = 0.08,
                    missing_pre: float = 0.05, missing_post: float = 0.04, intake_corr: float = 0.3,
                    first_id: int = 2024_000_000_001, cohort_sizes: Sequence[int] | None = None) -> Scores:
    """Students of the given schools (or of ``n`` synthetic schools) with true effects N(0, τ²).

    ``cohort_sizes`` gives each school's cohort instead of the drawn sizes (the demo uses the registered enrolment).
    """
    if isinstance(schools, int):
        schools = synthetic_schools(schools, seed=seed)
    rng = np.random.default_rng(seed)
    j = len(schools)
    sizes = np.clip(np.round(rng.lognormal(np.log(size_median), size_spread, j)), 20, 1200).astype(np.int64)
    small = rng.random(j) < small_share
    sizes[small] = rng.integers(3, 20, int(small.sum()))
    given = sizes_arg(cohort_sizes, j)
    if given is not None:
        sizes = given
    intake = rng.normal(0.0, 1.0, j)  # the school's intake (prior attainment and background), standardised
    effect = tau * (intake_corr * intake + np.sqrt(1 - intake_corr ** 2) * rng.normal(0.0, 1.0, j))
    school_ses = 0.5 * intake + rng.normal(0.0, 0.3, j)
    migrant_share = np.clip(rng.beta(1.2, 8.0, j), 0, 0.9)

    idx = np.repeat(np.arange(j), sizes)
    n = len(idx)
    female = (rng.random(n) < 0.48).astype(np.int8)
    ses = school_ses[idx] + rng.normal(0.0, 0.9, n)
    migrant = (rng.random(n) < migrant_share[idx]).astype(np.int8)
    pre = 500.0 + 35.0 * intake[idx] + 15.0 * ses + rng.normal(0.0, 80.0, n)
    post = (INTERCEPT + SLOPE_PRE * pre + SLOPE_SES * ses + SLOPE_MIGRANT * migrant + SLOPE_FEMALE * female
            + effect[idx] + rng.normal(0.0, sigma, n))
    pre = np.round(pre, 1)
    post = np.round(post, 1)
    pre[rng.random(n) < missing_pre] = np.nan
    post[rng.random(n) < missing_post] = np.nan
    codes = [s.code for s in schools]
    if len(set(codes)) != j:
        raise ValueError("学校标识码重复 / repeated school codes")
    county = [s.county_code for s in schools]
    names = [s.name for s in schools]

    def column(values: list[str]) -> pd.Categorical:  # categorical: cheap for millions of rows
        per_school, cats = pd.factorize(pd.Index(values))
        return pd.Categorical.from_codes(per_school[idx], categories=cats)

    students = pd.DataFrame({
        "student_id": np.arange(first_id, first_id + n, dtype=np.int64),
        "school_code": column(codes),
        "county_code": column(county), "school_name": column(names),
        "pre": pre, "post": post, "female": female, "ses": np.round(ses, 3), "migrant": migrant,
    })
    truth = pd.DataFrame({"school_code": codes, "county_code": county, "size": sizes, "true_effect": effect,
                          "intake": intake})
    return Scores(students, truth, tau, sigma, seed)


HEADERS_ZH = {"student_id": "学籍号", "school_code": "学校标识码", "county_code": "所在县代码", "school_name": "学校名称",
              "pre": "前测成绩", "post": "后测成绩", "female": "女生", "ses": "家庭社会经济地位指数", "migrant": "随迁子女"}


def write_scores(scores: Scores, out: Path, chinese_headers: bool = True) -> list[Path]:
    """Writes the students (.csv, .parquet or .xlsx by the suffix) and the truth next to them (…_truth.csv)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = scores.students.rename(columns=HEADERS_ZH) if chinese_headers else scores.students
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        frame.to_parquet(out, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(out, index=False, sheet_name="成绩")
    else:
        frame.to_csv(out, index=False, encoding="utf-8")
    truth = out.with_name(out.stem + "_truth.csv")
    scores.truth.to_csv(truth, index=False, encoding="utf-8")
    return [out, truth]
