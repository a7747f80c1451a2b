"""The difference coefficient and the analysts' equity measures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dudao.engine.equity import (
    composite_cv,
    mcloone,
    range_ratio,
    theil,
    theil_decomposition,
    weighted_cv,
    weighted_gini,
    weighted_quantile,
)


def test_weighting_changes_the_answer():
    # x = 2 (100 students), 4 (300 students): mean 3.5, variance 0.25·2.25 + 0.75·0.25 = 0.75
    assert weighted_cv([2, 4], [100, 300]) == pytest.approx(math.sqrt(0.75) / 3.5, rel=1e-12)
    assert weighted_cv([2, 4], [100, 300]) == pytest.approx(0.2474358297, abs=1e-10)
    # the unweighted (wrong) answer would be 1/3
    assert weighted_cv([2, 4], [1, 1]) == pytest.approx(1 / 3)


def test_population_not_sample_sd():
    # three schools of equal size: population SD of (1, 2, 3) is sqrt(2/3); the sample SD would be 1
    assert weighted_cv([1, 2, 3], [50, 50, 50]) == pytest.approx(math.sqrt(2 / 3) / 2)


def test_hand_computed_three_schools():
    x, p = [4.0, 5.0, 8.0], [200, 500, 300]
    mean = (800 + 2500 + 2400) / 1000  # 5.7
    var = 0.2 * (4 - mean) ** 2 + 0.5 * (5 - mean) ** 2 + 0.3 * (8 - mean) ** 2
    assert weighted_cv(x, p) == pytest.approx(math.sqrt(var) / mean)
    assert round(weighted_cv(x, p), 3) == 0.272  # sqrt(2.41) / 5.7


def test_edges():
    assert weighted_cv([3.0], [120]) == 0.0  # a county with one school
    assert math.isnan(weighted_cv([1, 2], [0, 0]))  # no students
    assert math.isnan(weighted_cv([0, 0], [10, 10]))  # zero mean
    with pytest.raises(ValueError):
        weighted_cv([1, 2], [1])
    with pytest.raises(ValueError):
        weighted_cv([1, 2], [1, -1])


def test_composite_is_mean_of_unrounded():
    cvs = [0.1234, 0.5678, 0.3333]
    assert composite_cv(cvs) == pytest.approx(sum(cvs) / 3)
    assert math.isnan(composite_cv([]))


values = st.lists(st.floats(min_value=0.1, max_value=1e4, allow_nan=False), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_cv_properties(data):
    x = data.draw(values)
    w = data.draw(st.lists(st.integers(min_value=1, max_value=5000), min_size=len(x), max_size=len(x)))
    cv = weighted_cv(x, w)
    perm = data.draw(st.permutations(range(len(x))))
    assert weighted_cv([x[i] for i in perm], [w[i] for i in perm]) == pytest.approx(cv, rel=1e-9, abs=1e-12)
    scale = data.draw(st.floats(min_value=0.01, max_value=100))
    assert weighted_cv([v * scale for v in x], w) == pytest.approx(cv, rel=1e-9, abs=1e-12)
    assert weighted_cv(x, [v * 7 for v in w]) == pytest.approx(cv, rel=1e-9, abs=1e-12)
    i = data.draw(st.integers(min_value=0, max_value=len(x) - 1))
    duplicated = weighted_cv([*x, x[i]], [*w, w[i]])
    doubled = weighted_cv(x, [v * 2 if j == i else v for j, v in enumerate(w)])
    assert duplicated == pytest.approx(doubled, rel=1e-9, abs=1e-12)
    assert cv >= 0


def test_gini_theil_mcloone_range():
    assert weighted_gini([5, 5, 5], [1, 2, 3]) == pytest.approx(0.0, abs=1e-12)
    # two equal groups, one has everything: Gini of a 50/50 split with values 0 and 1 = 0.5
    assert weighted_gini([0.0, 1.0], [1, 1]) == pytest.approx(0.5)
    assert theil([2, 2, 2], [1, 1, 1]) == pytest.approx(0.0, abs=1e-12)
    x, w, g = np.array([1.0, 2, 3, 4, 5, 6]), np.array([10, 20, 30, 10, 20, 30]), ["a", "a", "a", "b", "b", "b"]
    parts = theil_decomposition(x, w, g)
    assert parts["total"] == pytest.approx(theil(x, w))
    assert parts["between"] + parts["within"] == pytest.approx(parts["total"])
    assert parts["between"] > 0
    assert mcloone([1, 2, 3, 4], [1, 1, 1, 1]) == pytest.approx((1 + 2) / (2 * 2))
    assert weighted_quantile(list(range(1, 101)), [1] * 100, 0.05) == 5
    assert range_ratio(list(range(1, 101)), [1] * 100) == pytest.approx((95 - 5) / 5)
