"""Site-visit sampling: reproducible from the seed, strata respected, failing schools always in."""

from __future__ import annotations

import math

import pytest

from dudao.assessment.services import run_assessment
from dudao.standards.model import load_workflow
from dudao.supervision.sampling import Unit, draw, draw_sample, population
from tests.factories import COUNTY_A
from tests.supervision.test_workflow import world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db


def _units(n_per: dict[str, int], failing: set[str] = frozenset()) -> list[Unit]:
    out = []
    for stratum, n in n_per.items():
        for i in range(n):
            code = f"{stratum[:1]}{i:03d}"
            out.append(Unit(code, code, stratum.split("/")[0], stratum, code in failing))
    return out


def test_same_seed_same_sample_and_different_seed_differs():
    units = _units({"primary/rural": 40, "primary/urban": 25, "junior/town": 12})
    a, b = draw(units, 7), draw(units, 7)
    assert [(u.code, r) for u, r in a] == [(u.code, r) for u, r in b]
    others = {tuple(u.code for u, _ in draw(units, s)) for s in range(8, 14)}
    assert len(others | {tuple(u.code for u, _ in a)}) > 1


def test_strata_get_their_share_and_failing_are_always_in():
    cfg = load_workflow().sampling
    sizes = {"primary/rural": 40, "primary/urban": 25, "junior/town": 3, "junior/rural": 1}
    failing = {"p005", "p017"}  # two rural primary schools
    units = _units(sizes, failing)
    sample = draw(units, 123)
    for stratum, n in sizes.items():
        got = [u for u, _ in sample if u.stratum == stratum]
        assert len(got) >= max(math.ceil(cfg.min_share * n), min(cfg.min_per_stratum, n))
        assert len({u.code for u in got}) == len(got)
    codes = {u.code: r for u, r in sample}
    assert codes["p005"] == "failing" and codes["p017"] == "failing"


def test_draw_from_a_case_records_the_seed(world):
    case = world["case"]
    run = run_assessment("youzhi2017", 2024, COUNTY_A)
    case.assessment = run.run
    case.save(update_fields=["assessment"])
    units = population(case)
    assert units and all(u.stratum.count("/") == 1 for u in units)
    first = draw_sample(case, seed=42)
    case.refresh_from_db()
    assert case.sample_seed == 42
    again = draw_sample(case)  # redraw with the recorded seed
    assert [(s.school_code, s.section, s.reason) for s in first] == [(s.school_code, s.section, s.reason) for s in again]
    failing = {u.code for u in units if u.failing}
    assert failing <= {s.school_code for s in again if s.reason == "failing"}
