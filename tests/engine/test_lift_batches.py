"""The CV lifts' bisection run on many groups at once gives bit for bit what it gives on each group alone."""

from __future__ import annotations

import numpy as np
import pytest

from dudao.engine.gaps import _floor_level, _floor_levels


def test_batched_levels_are_the_levels_of_each_group_alone():
    rng = np.random.default_rng(11)
    sizes = [1, 2, 5, 7, 8, 9, 15, 16, 17, 40, 41, 47, 63, 64, 100, 127, 128, 129, 200, 300] * 3
    xs, ps, limits = [], [], []
    for n in sizes:
        x = rng.lognormal(np.log(rng.uniform(1, 3000)), rng.uniform(0.05, 0.8), n).round(rng.integers(0, 4))
        xs.append(x)
        ps.append(rng.integers(1, 3000, n).astype(float))
        limits.append(float(rng.choice([0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6])))
    xs.append(np.zeros(12))  # a zero mean: never within, as _cv's NaN
    ps.append(np.full(12, 100.0))
    limits.append(0.5)
    got = _floor_levels(xs, ps, limits)
    want = [_floor_level(x, p, lim) for x, p, lim in zip(xs, ps, limits, strict=True)]
    assert got == want  # exactly, not approximately
    assert len(set(got)) > len(sizes) // 2


def test_an_empty_group_raises_as_before():
    with pytest.raises(ValueError):
        _floor_levels([np.array([])], [np.array([])], [0.5])


def test_padding_to_the_width_changes_no_bit_of_the_sums():
    from dudao.engine.gaps import _width

    rng = np.random.default_rng(3)
    for n in [*range(1, 140), 200, 257]:
        w = _width(n)
        a, p = rng.random((20, n)) * 1e4, rng.integers(1, 3000, (20, n)).astype(float)
        padded_a, padded_p = np.zeros((20, w)), np.zeros((20, w))
        padded_a[:, :n], padded_p[:, :n] = a, p
        alone = np.array([(p[i] * a[i]).sum() for i in range(20)])
        assert ((padded_p * padded_a).sum(axis=1) == alone).all(), n
