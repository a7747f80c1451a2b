"""Staffing arithmetic (normal and small schools), subject needs, and the rules file."""

from __future__ import annotations

import pandas as pd
import pytest

from dudao.engine import staffing as sf
from dudao.teachers.rules import load_teacher_rules


@pytest.fixture
def rules():
    return load_teacher_rules()


def _sections(*rows):
    cols = list(sf.SECTION_COLUMNS)
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], columns=cols)


def _teachers(*rows):
    return pd.DataFrame([{"school_code": s, "section": sec, "subject": subj, "full_time": True,
                          "mental_health_part_time": part} for s, sec, subj, part in rows],
                        columns=list(sf.TEACHER_COLUMNS))


def test_every_figure_has_a_source_and_the_overlay_applies(rules):
    assert rules.staffing.ratios["primary"].value == 19 and rules.staffing.ratios["junior"].value == 13.5
    assert rules.staffing.ratios["senior"].value == 12.5
    assert rules.rotation.years_in_school.value == 6 and rules.rotation.quota_rotated.value == 0.10
    assert rules.rotation.quota_key.value == 0.20 and rules.rotation.senior_title_years.value == 1
    assert rules.rotation.principal_priority_years.value == 3
    assert all(g.source and g.confidence in "CSU" for g in rules.subject_groups)
    ln = load_teacher_rules("21")
    assert ln.overlay == "21" and "辽宁" in ln.rotation.senior_title_years.source
    assert load_teacher_rules("13").overlay == ""  # Hebei has no teacher overlay


def test_teachers_file_is_not_listed_as_a_standard():
    from dudao.standards.model import available_standards

    assert "teachers" not in available_standards()


def test_staffing_normal_school(rules):
    # 950 primary students / 19 = 50.0; 270 junior students / 13.5 = 20.0
    sec = _sections(("210521", "S1", "一小", "nine_year", "urban", False, False, "primary", 950, 20),
                    ("210521", "S1", "一小", "nine_year", "urban", False, False, "junior", 270, 6))
    t = _teachers(*[("S1", "primary", "math", False)] * 48, *[("S1", "junior", "pe", False)] * 21)
    staff, _subjects = sf.check(rules, sec, t)
    p, j = staff.iloc[0], staff.iloc[1]
    assert not p["small"] and p["required"] == 50.0 and p["in_post"] == 48 and p["shortage"] == 2 and p["surplus"] == 0
    assert j["required"] == 20.0 and j["in_post"] == 21 and j["shortage"] == 0 and j["surplus"] == 1


def test_staffing_small_rural_school_uses_the_class_ratio(rules):
    # 60 students in 6 classes: 60 / 19 = 3.16 by students, 6 × 1.7 = 10.2 by classes → 10.2, i.e. 11 teachers
    sec = _sections(("210521", "S2", "村小", "primary_school", "rural", True, False, "primary", 60, 6),
                    ("210521", "S3", "城小", "primary_school", "urban", False, False, "primary", 60, 6))
    t = _teachers(*[("S2", "primary", "chinese", False)] * 7)
    staff, _ = sf.check(rules, sec, t)
    small, town = staff.iloc[0], staff.iloc[1]
    assert small["small"] and small["required_ratio"] == pytest.approx(60 / 19) and small["required_class"] == pytest.approx(10.2)
    assert small["required"] == 10.2 and small["required_whole"] == 11 and small["shortage"] == 4
    assert not town["small"] and town["required"] == pytest.approx(3.16) and town["shortage"] == 4  # 0 in post, 4 needed


def test_small_school_threshold_is_the_whole_school(rules):
    # 70 + 40 = 110 students: not a small school although each section is under 100
    sec = _sections(("210521", "S4", "九年", "nine_year", "rural", True, False, "primary", 70, 6),
                    ("210521", "S4", "九年", "nine_year", "rural", True, False, "junior", 40, 3))
    staff, _ = sf.check(rules, sec, _teachers())
    assert not staff["small"].any()


def test_subject_needs_and_mental_health(rules):
    # 24 primary classes: PE 24 × 3.3 / 16 = 4.95 → 5; music 24 × 2 / 16 = 3; mental health 1 per school
    sec = _sections(("210521", "S5", "五小", "primary_school", "urban", False, False, "primary", 1000, 24),
                    ("210521", "S6", "六小", "primary_school", "urban", False, False, "primary", 1000, 24))
    t = _teachers(*[("S5", "primary", "pe", False)] * 3, ("S5", "primary", "music", False),
                  ("S6", "primary", "moral", True))  # S6: a part-time mental-health teacher counts
    _staff, subj = sf.check(rules, sec, t)
    get = subj.set_index(["school_code", "group"])
    assert get.loc[("S5", "pe"), "needed"] == 5 and get.loc[("S5", "pe"), "shortage"] == 2
    assert get.loc[("S5", "music"), "needed"] == 3 and get.loc[("S5", "music"), "shortage"] == 2
    assert get.loc[("S5", "mental_health"), "shortage"] == 1 and get.loc[("S6", "mental_health"), "shortage"] == 0
    summary = sf.county_summary(*sf.check(rules, sec, t), rules).iloc[0]
    assert summary["no_mental_health"] == 1 and summary["mental_health_share"] == 0.5
    assert summary["short_pe"] == 2 + 5  # S6 has no PE teacher at all


def test_half_up():
    assert sf.half_up(4.5) == 5 and sf.half_up(4.49) == 4 and sf.half_up(0.5) == 1
