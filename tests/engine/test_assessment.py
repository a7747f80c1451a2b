"""County assessment rules at their edges, through the whole engine on DuckDB."""

from __future__ import annotations

import ibis
import pytest

from dudao.engine.assessment import Fact, assess
from dudao.engine.frames import sections_frame
from dudao.standards.model import load_dictionary, load_standard
from tests.factories import COUNTY_A, school, section

STD = load_standard("youzhi2017")
D = load_dictionary()


def good_facts(std=STD) -> dict[str, Fact]:
    out = {}
    for item in std.recorded_items():
        if item.threshold is None:
            out[item.id] = Fact(passed=True, evidence="文件")
        else:
            out[item.id] = Fact(value=item.threshold * (0.5 if item.compare in ("lt", "le") else 1.05), evidence="文件")
    return out


def primary(code: str, students: int = 400, **sec):
    return school(code, COUNTY_A), section(code, "primary", students, **sec)


def junior(code: str, students: int = 400, **sec):
    rec = section(code, "junior", students, **sec)
    rec["teachers_above_degree"] = rec["teachers_fulltime"]  # R1 junior ≥ 5.3
    return school(code, COUNTY_A, "junior_school", equipment_value=1_200_000.0, sports_area=4400.0,
                  floor_area_teaching=2400.0), rec


def run(pairs, facts=None, std=STD):
    schools = [p[0] for p in pairs]
    sections = [p[1] for p in pairs]
    t = ibis.duckdb.connect().create_table("t", sections_frame(schools, sections, D))
    return assess(t, std, D, year=2024, facts={COUNTY_A: good_facts(std) if facts is None else facts})


def county(a):
    return a.verdicts[COUNTY_A]


def test_a_good_county_passes():
    a = run([primary("2121000001"), primary("2121000002", 420), junior("3121000003")])
    assert county(a).verdict == "pass", [r.zh for r in county(a).reasons]


def test_exactly_at_threshold_passes():
    # R1 = 21 × 100 / 500 = 4.2 exactly
    a = run([primary("2121000001", 500, teachers_above_degree=21), junior("3121000003")])
    row = a.schools[a.schools["school_code"] == "2121000001"].iloc[0]
    assert row["R1"] == 4.2 and bool(row["R1__pass"])


def test_exactly_85_percent_of_the_missed_threshold():
    # R5 = 2550 / 400 = 6.375 = 85% of 7.5; the six others pass
    at = run([(school("2121000001", COUNTY_A, sports_area=2550.0), section("2121000001", "primary", 400)),
              junior("3121000003")])
    row = at.schools[at.schools["school_code"] == "2121000001"].iloc[0]
    assert not row["R5__pass"] and row["passed_count"] == 6 and bool(row["school_pass"])
    below = run([(school("2121000001", COUNTY_A, sports_area=2549.0), section("2121000001", "primary", 400)),
                 junior("3121000003")])
    assert not below.schools.iloc[0]["school_pass"] and county(below).verdict == "fail"


def test_two_misses_fail_even_when_close():
    a = run([(school("2121000001", COUNTY_A, sports_area=2950.0, equipment_value=790000.0),
              section("2121000001", "primary", 400)), junior("3121000003")])
    row = a.schools[a.schools["school_code"] == "2121000001"].iloc[0]
    assert row["passed_count"] == 5 and not row["school_pass"]


def test_zero_students_are_out_of_scope():
    a = run([primary("2121000001"), primary("2121000002", 0, teachers_fulltime=0, teachers_above_degree=0,
                                                teachers_mid_title=0, teachers_key=0, teachers_pe=0, teachers_music=0,
                                                teachers_art=0, teachers_certified=0, teachers_mental_health=0,
                                                staff_total=0, classes=0),
             junior("3121000003")])
    row = a.schools[a.schools["school_code"] == "2121000002"].iloc[0]
    assert not row["in_scope"] and row["excluded"] == "not_included"
    assert a.cvs[(a.cvs.section == "primary")]["schools"].max() == 1


def test_weighted_cv_through_the_engine():
    # R1: 2 (100 students) and 4 (300 students) → CV = sqrt(0.75) / 3.5
    a = run([primary("2121000001", 100, teachers_above_degree=2, teachers_fulltime=8, teachers_certified=8,
                     staff_total=10, teachers_key=1, classes=4),
             primary("2121000002", 300, teachers_above_degree=12),
             junior("3121000003")])
    cv = a.cvs[(a.cvs.section == "primary") & (a.cvs.indicator == "R1")]["cv"].iloc[0]
    assert cv == pytest.approx(0.75 ** 0.5 / 3.5, rel=1e-12)


def test_one_school_county_has_cv_zero():
    a = run([primary("2121000001"), junior("3121000003")])
    assert (a.cvs["cv"] == 0).all() and county(a).verdict == "pass"


def test_section_without_schools_in_scope_is_incomplete():
    a = run([primary("2121000001")])
    v = county(a)
    assert v.verdict == "incomplete"
    assert any(r.status == "missing" and "初中没有纳入计算的学校" in r.zh for r in v.reasons)


def test_missing_data_is_incomplete_never_pass():
    a = run([(school("2121000001", COUNTY_A, multimedia_classrooms=None), section("2121000001", "primary", 400)),
             junior("3121000003")])
    assert a.schools.iloc[0]["school_pass"] is None or str(a.schools.iloc[0]["school_pass"]) in ("<NA>", "None", "nan")
    assert county(a).verdict == "incomplete"


def test_missing_fact_is_incomplete_and_listed():
    facts = good_facts()
    del facts["S01"]
    v = county(run([primary("2121000001"), junior("3121000003")], facts))
    assert v.verdict == "incomplete"
    assert [r.item for r in v.reasons] == ["S01"]


def test_veto_fails_whatever_else():
    facts = good_facts()
    facts["V03"] = Fact(passed=False, evidence="督查发现重点班")
    v = county(run([primary("2121000001"), junior("3121000003")], facts))
    assert v.verdict == "fail" and any(r.part == "veto" and r.item == "V03" for r in v.reasons)


@pytest.mark.parametrize("item,value,ok", [("S01", 0.85, True), ("S01", 0.8499, False), ("Q09", 0.149, True),
                                           ("Q09", 0.15, False), ("G11", 0.10, True), ("G11", 0.099, False)])
def test_recorded_thresholds(item, value, ok):
    facts = good_facts()
    facts[item] = Fact(value=value)
    v = county(run([primary("2121000001"), junior("3121000003")], facts))
    assert (v.verdict == "pass") is ok


def test_computed_items_class_size_and_rooms():
    a = run([(school("2121000001", COUNTY_A, music_rooms=0), section("2121000001", "primary", 400, classes_46_50=1)),
             junior("3121000003")])
    items = {r.item for r in county(a).reasons if r.status == "fail"}
    assert {"G03", "G05"} <= items


def test_cv_over_limit_fails_and_is_named():
    # one school with ten times the sports area of the others
    pairs = [primary(f"21210000{i:02d}") for i in range(1, 5)]
    pairs.append((school("2121000009", COUNTY_A, sports_area=40000.0), section("2121000009", "primary", 400)))
    pairs.append(junior("3121000003"))
    v = county(run(pairs))
    assert any(r.item == "R5.primary" and r.status == "fail" and "差异系数" in r.zh for r in v.reasons)


def test_2012_composite():
    std = load_standard("jiben2012")
    a = run([primary("2121000001"), primary("2121000002", 500), junior("3121000003")], std=std)
    v = county(a)
    assert v.verdict == "pass", [r.zh for r in v.reasons]
    primary_cvs = a.cvs[a.cvs.section == "primary"]["cv"]
    assert len(primary_cvs) == 8
