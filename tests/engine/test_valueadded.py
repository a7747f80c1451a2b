"""Value-added: recovering known school effects, shrinkage, refusals, the algebra, and DuckDB = Spark."""

from __future__ import annotations

import shutil

import ibis
import numpy as np
import pandas as pd
import pytest

from dudao.engine.valueadded import Params, estimate
from dudao.quality.errors import ValueAddedError
from dudao.synth.scores import generate_scores

COVS = ["female", "ses", "migrant"]


def _duck(frame: pd.DataFrame):
    return ibis.duckdb.connect().create_table("scores", frame)


@pytest.fixture(scope="module")
def realistic():
    """400 schools with realistic cohort sizes (median 150), 8% small schools, unmatched students."""
    scores = generate_scores(400, seed=11)
    result = estimate(_duck(scores.students), COVS, Params(min_students=20))
    joined = result.frame().merge(scores.truth, on="school_code")
    return scores, result, joined


def test_recovers_known_effects(realistic):
    scores, result, joined = realistic
    est = joined[joined.band != "refused"]
    assert len(est) > 300
    assert np.corrcoef(est.estimate, est.true_effect)[0, 1] >= 0.9
    covered = ((est.lower <= est.true_effect) & (est.true_effect <= est.upper)).mean()
    assert 0.90 <= covered <= 0.98, covered
    # the slopes and variances of the generating model
    assert result.model["beta"]["pre"] == pytest.approx(0.85, abs=0.01)
    assert result.model["beta"]["ses"] == pytest.approx(6.0, abs=1.0)
    assert result.model["sigma2"] == pytest.approx(scores.sigma ** 2, rel=0.05)
    assert result.model["tau2"] == pytest.approx(scores.tau ** 2, rel=0.35)


def test_intake_does_not_masquerade_as_value_added(realistic):
    """Raw post-test means track intake; value-added does not (the true effects correlate 0.3 with intake)."""
    _scores, _result, joined = realistic
    est = joined[joined.band != "refused"]
    raw_corr = np.corrcoef(est.post_mean, est.intake)[0, 1]
    va_corr = np.corrcoef(est.estimate, est.intake)[0, 1]
    assert raw_corr > 0.8 and va_corr < 0.5


def test_bands_follow_the_interval_and_never_rank(realistic):
    _scores, result, _joined = realistic
    for s in result.schools:
        if s.band == "refused":
            assert s.estimate is None and s.lower is None and s.reason_zh
            continue
        assert s.lower < s.estimate < s.upper
        expected = "above" if s.lower > 0 else "below" if s.upper < 0 else "expected"
        assert s.band == expected
    assert [s.school_code for s in result.schools] == sorted(s.school_code for s in result.schools)
    assert not any("rank" in k for k in result.schools[0].as_dict())
    assert set(result.counts()) == {"above", "expected", "below", "refused"} and all(result.counts().values())


def test_shrinkage_pulls_small_schools_toward_the_mean(realistic):
    _scores, _result, joined = realistic
    est = joined[joined.band != "refused"].copy()
    assert np.allclose(est.estimate, est.shrinkage * est.raw)
    assert ((est.shrinkage > 0) & (est.shrinkage < 1)).all()
    small, large = est[est.matched < 40], est[est.matched > 200]
    assert len(small) >= 5 and len(large) >= 20
    assert small.shrinkage.max() < large.shrinkage.min()
    assert (small.estimate.abs() / small.raw.abs()).mean() < (large.estimate.abs() / large.raw.abs()).mean()
    # the shrinkage factor grows with the number of matched students (in rank order)
    assert np.corrcoef(est.matched.rank(), est.shrinkage.rank())[0, 1] > 0.99
    # and the small schools' intervals are wider than the large schools'
    assert (small.upper - small.lower).min() > (large.upper - large.lower).max()


def test_refuses_small_schools_saying_why(realistic):
    _scores, _result, joined = realistic
    refused = joined[joined.band == "refused"]
    assert len(refused) and (refused.matched < 20).all()
    assert (joined[joined.band != "refused"].matched >= 20).all()
    row = refused.iloc[0]
    assert f"匹配学生 {row.matched} 人" in row.reason_zh and "少于最少 20 人" in row.reason_zh
    assert "fewer than the minimum of 20" in row.reason_en
    stricter = estimate(_duck(_scores.students), COVS, Params(min_students=100))
    assert sum(s.band == "refused" for s in stricter.schools) > len(refused)


def test_too_few_schools_and_collinear_covariates_are_refused():
    scores = generate_scores(6, seed=5, small_share=0.0)
    with pytest.raises(ValueAddedError) as exc:
        estimate(_duck(scores.students), [], Params(min_students=1000))
    assert exc.value.error.code == "E_VA_SCHOOLS"
    frame = scores.students.assign(constant=1.0)
    with pytest.raises(ValueAddedError) as exc:
        estimate(_duck(frame), ["constant"], Params())
    assert exc.value.error.code == "E_VA_COLLINEAR"
    with pytest.raises(ValueAddedError) as exc:
        estimate(_duck(frame.assign(post=np.nan)), [], Params())
    assert exc.value.error.code == "E_VA_NO_DATA"
    with pytest.raises(ValueAddedError):
        Params(min_students=1)


def test_aggregates_give_the_within_regression():
    """β from the backend's sums equals a least-squares fit on school-demeaned rows computed directly."""
    scores = generate_scores(30, seed=8, small_share=0.0)
    result = estimate(_duck(scores.students), ["ses"], Params())
    df = scores.students.dropna(subset=["pre", "post", "ses"]).copy()
    df["school_code"] = df["school_code"].astype(str)
    demeaned = df[["pre", "ses", "post"]] - df.groupby("school_code")[["pre", "ses", "post"]].transform("mean")
    beta, *_ = np.linalg.lstsq(demeaned[["pre", "ses"]].to_numpy(), demeaned["post"].to_numpy(), rcond=None)
    assert result.model["beta"]["pre"] == pytest.approx(beta[0], rel=1e-9)
    assert result.model["beta"]["ses"] == pytest.approx(beta[1], rel=1e-9)
    resid = demeaned["post"] - demeaned[["pre", "ses"]].to_numpy() @ beta
    dof = len(df) - df.school_code.nunique() - 2
    assert result.model["sigma2"] == pytest.approx((resid ** 2).sum() / dof, rel=1e-9)
    counts = df.groupby("school_code").size()
    got = {s.school_code: s.matched for s in result.schools}
    assert got == counts.to_dict()


def test_agrees_with_a_mixed_model_fitted_by_statsmodels():
    """The empirical-Bayes estimates agree with statsmodels MixedLM's predicted random intercepts (REML)."""
    smf = pytest.importorskip("statsmodels.formula.api")
    scores = generate_scores(60, seed=4, small_share=0.0, size_median=60)
    result = estimate(_duck(scores.students), [], Params(min_students=2))
    df = scores.students.dropna(subset=["pre", "post"]).copy()
    df["school_code"] = df["school_code"].astype(str)
    fitted = smf.mixedlm("post ~ pre", df, groups=df["school_code"]).fit(reml=True)
    re = {k: float(v.iloc[0]) for k, v in fitted.random_effects.items()}
    ours = {s.school_code: s.estimate for s in result.schools}
    codes = sorted(re)
    assert np.corrcoef([ours[c] for c in codes], [re[c] for c in codes])[0, 1] > 0.99
    assert result.model["tau2"] == pytest.approx(float(fitted.cov_re.iloc[0, 0]), rel=0.3)
    assert result.model["sigma2"] == pytest.approx(float(fitted.scale), rel=0.02)


def test_provenance_is_recorded(realistic):
    _scores, result, _joined = realistic
    prov = result.provenance
    assert prov["code_version"].startswith("0.") and prov["engine"] == "duckdb" and prov["computed_at"]
    assert result.params == {"min_students": 20, "confidence_level": 0.95, "low_match_share": 0.7}
    assert result.model["id"] == "eb_random_intercept" and result.model["regressors"] == ["pre", *COVS]


def test_same_seed_same_scores():
    a, b = generate_scores(20, seed=3), generate_scores(20, seed=3)
    pd.testing.assert_frame_equal(a.students, b.students)
    assert not generate_scores(20, seed=4).students["post"].equals(a.students["post"])
    share = a.students[["pre", "post"]].isna().any(axis=1).mean()
    assert 0.04 < share < 0.15  # some students unmatched


@pytest.mark.spark
def test_same_estimates_on_duckdb_and_spark():
    pytest.importorskip("pyspark", reason="PySpark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: Spark cannot start")
    from dudao.engine.backends import connect

    scores = generate_scores(25, seed=9, size_median=40)
    frame = scores.students.astype({"school_code": str, "county_code": str, "school_name": str})
    duck = estimate(_duck(frame), COVS, Params(), engine="duckdb")
    spark = estimate(connect("spark").create_table("va_scores", frame, overwrite=True), COVS, Params(), engine="spark")
    a, b = duck.frame(), spark.frame()
    assert list(a.school_code) == list(b.school_code) and list(a.band) == list(b.band)
    pd.testing.assert_frame_equal(a.select_dtypes("number"), b.select_dtypes("number"), rtol=1e-8)
    assert duck.model["tau2"] == pytest.approx(spark.model["tau2"], rel=1e-9)
