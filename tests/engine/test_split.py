"""Splitting combined schools' shared resources between sections."""

from __future__ import annotations

import ibis
import pytest

from dudao.engine.frames import sections_frame
from dudao.engine.indicators import with_split
from dudao.engine.split import split_shared
from dudao.standards.model import load_standard
from tests.factories import COUNTY_A, school, section

STD = load_standard("youzhi2017")
W = STD.split.weights


def test_nine_year_one_to_one_point_one():
    out = split_shared(1000.0, 300, 200, rule="weighted", weights=W["nine_year"])
    assert out["primary"] == pytest.approx(1000 * 300 / (300 + 1.1 * 200))
    assert out["junior"] == pytest.approx(1000 * 1.1 * 200 / (300 + 1.1 * 200))
    assert sum(out.values()) == pytest.approx(1000)


def test_complete_secondary_one_to_one_point_two():
    out = split_shared(5000.0, 0, 400, 600, weights=W["complete_secondary"])
    assert out["junior"] == pytest.approx(5000 * 400 / (400 + 1.2 * 600))
    assert out["primary"] == 0


def test_twelve_year_default_weights():
    out = split_shared(1.0, 100, 100, 100)
    total = 1 + 1.1 + 1.32
    assert (out["primary"], out["junior"], out["senior"]) == pytest.approx((1 / total, 1.1 / total, 1.32 / total))


def test_enrolment_rule_and_edges():
    assert split_shared(900.0, 100, 200, rule="enrolment") == pytest.approx({"primary": 300, "junior": 600, "senior": 0})
    assert split_shared(900.0, 0, 0) == {"primary": 0.0, "junior": 0.0, "senior": 0.0}
    with pytest.raises(ValueError):
        split_shared(1.0, 1, 1, rule="guess")
    with pytest.raises(ValueError):
        split_shared(1.0, -1, 1)


@pytest.mark.parametrize("kind,students,rule", [
    ("nine_year", {"primary": 350, "junior": 280}, "weighted"),
    ("complete_secondary", {"junior": 900, "senior": 1100}, "weighted"),
    ("twelve_year", {"primary": 500, "junior": 400, "senior": 300}, "weighted"),
    ("nine_year", {"primary": 350, "junior": 280}, "enrolment"),
    ("primary_school", {"primary": 420}, "weighted"),
])
def test_engine_split_matches_python(kind, students, rule, dictionary):
    schools = [school("3121000001", COUNTY_A, kind, floor_area_teaching=10000.0)]
    sections = [section("3121000001", s, n) for s, n in students.items()]
    t = ibis.memtable(sections_frame(schools, sections, dictionary))
    got = with_split(t, STD, dictionary, rule).select("section", "floor_area_teaching", "share").execute()
    want = split_shared(10000.0, students.get("primary", 0), students.get("junior", 0), students.get("senior", 0),
                        rule=rule, weights=W.get(kind, {}))
    for row in got.itertuples():
        assert row.floor_area_teaching == pytest.approx(want[row.section])
    assert got["share"].sum() == pytest.approx(1.0)
