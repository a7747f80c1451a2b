"""Eligibility edges: exactly N years, a break in service, a school that became rural/weak mid-period,
exemptions and age limits, principals, the senior-title and principal-priority conditions; quota arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest

from dudao.teachers import eligibility as el
from dudao.teachers.rules import load_teacher_rules

D = dt.date
RULES = load_teacher_rules()


def person(*periods, sex="F", born=1985, post="teacher", school="A", exemption=""):
    return el.Person("1", "张老师", sex, born, post, school, False, exemption, tuple(periods))


def no_stats(code, year):
    return None


def test_exactly_six_years_must_rotate_and_one_day_less_does_not():
    v = el.assess(person(el.Period("A", D(2018, 9, 1))), 2024, RULES, no_stats)
    assert v.must_rotate and v.years_in_school == 6 and v.in_school_since == D(2018, 9, 1)
    v = el.assess(person(el.Period("A", D(2018, 9, 2))), 2024, RULES, no_stats)
    assert not v.must_rotate and v.years_in_school == 5


def test_a_break_in_service_restarts_the_count():
    # at A 2012–2019, then a year at B, back at A since 2019-09-01: 5 years without a break
    periods = (el.Period("A", D(2012, 9, 1), D(2018, 9, 1)), el.Period("B", D(2018, 9, 1), D(2019, 9, 1)),
               el.Period("A", D(2019, 9, 1)))
    v = el.assess(person(*periods), 2024, RULES, no_stats)
    assert v.in_school_since == D(2019, 9, 1) and v.years_in_school == 5 and not v.must_rotate
    # a gap of a few days between two periods at the same school does not break it (gap_days = 31)
    periods = (el.Period("A", D(2016, 9, 1), D(2020, 7, 10)), el.Period("A", D(2020, 7, 20)))
    v = el.assess(person(*periods), 2024, RULES, no_stats)
    assert v.in_school_since == D(2016, 9, 1) and v.must_rotate
    # a gap of half a year does
    periods = (el.Period("A", D(2016, 9, 1), D(2020, 2, 1)), el.Period("A", D(2020, 9, 1)))
    assert el.assess(person(*periods), 2024, RULES, no_stats).years_in_school == 4


def test_school_that_became_rural_or_weak_mid_period_counts_from_then():
    # at C 2020-09-01 → now, status from the statistics: weak from the 2023 school year only
    def stats(code, year):
        return (False, year >= 2023) if code == "C" else None

    v = el.assess(person(el.Period("C", D(2020, 9, 1)), school="C"), 2024, RULES, stats)
    assert v.rural_weak_months == 12 and v.senior_title_met and not v.principal_priority_met
    counted = [p for p in v.evidence if p.counts]
    assert [(p.start, p.end) for p in counted] == [(D(2023, 9, 1), D(2024, 9, 1))]
    # the same period read as of 2023: not a year yet
    assert not el.assess(person(el.Period("C", D(2020, 9, 1)), school="C"), 2023, RULES, stats).senior_title_met


def test_recorded_status_wins_and_unknown_is_not_counted():
    periods = (el.Period("R", D(2015, 9, 1), D(2017, 3, 1), rural=True),  # 18 months, recorded rural
               el.Period("X", D(2017, 3, 1), D(2019, 9, 1)),  # status unknown: not counted
               el.Period("A", D(2019, 9, 1), rural=False, weak=False))
    v = el.assess(person(*periods), 2024, RULES, no_stats)
    assert v.rural_weak_months == 18 and v.senior_title_met and not v.principal_priority_met
    assert v.evidence[0].counts and not any(p.counts for p in v.evidence[1:])
    assert "未知" in v.evidence[1].why_zh and v.evidence[1].end == D(2017, 9, 1)  # split at the school year


def test_separate_stretches_add_up_to_three_years():
    periods = (el.Period("R1", D(2010, 9, 1), D(2012, 9, 1), rural=True),
               el.Period("A", D(2012, 9, 1), D(2016, 9, 1), rural=False),
               el.Period("R2", D(2016, 9, 1), D(2017, 9, 1), weak=True),
               el.Period("A", D(2017, 9, 1), rural=False))
    v = el.assess(person(*periods), 2024, RULES, no_stats)
    assert v.rural_weak_months == 36 and v.principal_priority_met


def test_exemptions_and_age_limits():
    long = el.Period("A", D(2010, 9, 1))
    v = el.assess(person(long, exemption="pregnancy"), 2024, RULES, no_stats)
    assert not v.must_rotate and v.exempt == "pregnancy" and any("孕期" in r for r in v.reasons_zh)
    assert not el.assess(person(long, sex="F", born=1974), 2024, RULES, no_stats).must_rotate  # 50: at the limit
    assert el.assess(person(long, sex="F", born=1975), 2024, RULES, no_stats).must_rotate  # 49
    assert el.assess(person(long, sex="M", born=1970), 2024, RULES, no_stats).must_rotate  # 54
    assert not el.assess(person(long, sex="M", born=1969), 2024, RULES, no_stats).must_rotate  # 55


def test_principal_after_two_full_terms():
    v = el.assess(person(el.Period("A", D(2019, 9, 1)), post="principal"), 2024, RULES, no_stats)
    assert v.needed_years == 6 and not v.must_rotate
    assert el.assess(person(el.Period("A", D(2018, 9, 1)), post="principal"), 2024, RULES, no_stats).must_rotate


@pytest.mark.parametrize(("eligible", "rotated", "key", "needed", "needed_key", "ok", "key_ok"), [
    (30, 3, 1, 3, 1, True, True),  # 10 % of 30 is exactly 3 (not 4 through floating point); 20 % of 3 → 1
    (31, 3, 1, 4, 1, False, True),  # 3.1 → 4
    (100, 10, 1, 10, 2, True, False),  # 20 % of 10 rotated = 2 key teachers
    (0, 0, 0, 0, 0, True, True),
])
def test_quota_arithmetic(eligible, rotated, key, needed, needed_key, ok, key_ok):
    q = el.quota(eligible, rotated, key, RULES)
    assert (q.needed_rotated, q.needed_key, q.rate_met, q.key_met) == (needed, needed_key, ok, key_ok)


def test_quota_against_eligible_when_the_province_says_so():
    rules = RULES.model_copy(update={"rotation": RULES.rotation.model_copy(update={"key_base": "eligible"})})
    q = el.quota(100, 10, 10, rules)
    assert q.needed_key == 20 and not q.key_met and q.key_rate == 0.1
