"""Gaps: the smallest additions are enough and no smaller would do; CV lifts reach the limit."""

from __future__ import annotations

import numpy as np
import pytest

from dudao.engine.equity import weighted_cv
from tests.engine.test_assessment import junior, primary, run
from tests.factories import COUNTY_A, school, section


def _gap(a, code, ind):
    g = a.gaps[(a.gaps.school_code == code) & (a.gaps.indicator == ind)]
    assert len(g) == 1
    return g.iloc[0]


def test_teacher_gap_is_the_smallest_whole_number():
    # R1 primary: 15 teachers above degree for 420 students = 3.57 < 4.2; needs ceil(4.2·420/100) − 15 = 3
    base = dict(teachers_above_degree=15)
    a = run([primary("2121000001", 420, **base, teachers_key=3), junior("3121000003")])
    g = _gap(a, "2121000001", "R1")
    assert g.addition == 3 and g.cost == 3 * g.unit_cost and g.element == "teachers_above_degree"
    fixed = run([primary("2121000001", 420, teachers_above_degree=18, teachers_key=3), junior("3121000003")])
    assert bool(fixed.schools.iloc[0]["R1__pass"])
    short = run([primary("2121000001", 420, teachers_above_degree=17, teachers_key=3), junior("3121000003")])
    assert not bool(short.schools.iloc[0]["R1__pass"])


def test_facility_gap_in_square_metres():
    # R5: 2000 m² for 400 students = 5.0 < 7.5 → +1000 m²
    a = run([(school("2121000001", COUNTY_A, sports_area=2000.0, equipment_value=700000.0),
              section("2121000001", "primary", 400)), junior("3121000003")])
    g = _gap(a, "2121000001", "R5")
    assert g.addition == pytest.approx(1000.0) and g.cost == pytest.approx(1000.0 * g.unit_cost)


def test_combined_school_shared_facility_counted_once():
    nine = school("3121000007", COUNTY_A, "nine_year", floor_area_teaching=1000.0, sports_area=1500.0)
    a = run([(nine, section("3121000007", "primary", 350)), (nine, section("3121000007", "junior", 280)),
             primary("2121000001")])
    r4 = a.gaps[(a.gaps.school_code == "3121000007") & (a.gaps.indicator == "R4")]
    assert len(r4) == 2 and r4["shared"].all()
    assert (r4["counted_cost"] > 0).sum() == 1
    assert r4["counted_cost"].sum() == pytest.approx(r4["cost"].max())
    # adding the larger need to the whole school lifts both sections to their thresholds
    bigger = float(r4["addition"].max())
    nine2 = {**nine, "floor_area_teaching": 1000.0 + bigger}
    b = run([(nine2, section("3121000007", "primary", 350)), (nine2, section("3121000007", "junior", 280)),
             primary("2121000001")])
    rows = b.schools[b.schools.school_code == "3121000007"]
    assert rows["R4__pass"].all()


def test_cv_lifts_reach_the_limit_at_the_lowest_level():
    pairs = [primary(f"21210000{i:02d}") for i in range(1, 5)]
    pairs.append((school("2121000009", COUNTY_A, sports_area=40000.0), section("2121000009", "primary", 400)))
    pairs.append(junior("3121000003"))
    a = run(pairs)
    lifts = a.lifts[(a.lifts.indicator == "R5") & (a.lifts.section == "primary")]
    assert len(lifts)
    level, limit = lifts["level"].iloc[0], lifts["cv_limit"].iloc[0]
    scoped = a.schools[a.schools.in_scope & (a.schools.section == "primary")]
    x, p = scoped["R5"].to_numpy(float), scoped["students"].to_numpy(float)
    assert weighted_cv(np.maximum(x, level), p) <= limit + 1e-9
    assert weighted_cv(np.maximum(x, level * 0.999), p) > limit
    driver = lifts.sort_values("variance_share", ascending=False).iloc[0]
    assert driver["school_code"] == "2121000009"
