"""The schedule rules at their edges and the target arithmetic (plain values, no database)."""

from __future__ import annotations

from datetime import date

import pytest

from dudao.planning.rules import Span, cycle_reasons, due, needed, share_by_year, target_status, term_reasons

W = ("督导评估", "supervision evaluation")
HEAD = "县（市、区）长"


def span(start: date, end: date) -> Span:
    return Span(HEAD, "county head", start, end)


@pytest.mark.parametrize(("last", "cycle", "is_due"), [
    (2021, 5, True),   # exactly 5 years: due
    (2022, 5, False),  # 4 years on a 5-year cycle: not yet
    (2023, 3, True),   # exactly 3 years on a 3-year cycle
    (2024, 3, False),
    (2020, 5, True),   # overdue
])
def test_cycle_lapses_at_exactly_the_cycle(last, cycle, is_due):
    reasons = cycle_reasons(2026, [date(last, 11, 5)], cycle, *W)
    assert bool(reasons) is is_due
    if is_due:
        assert reasons[0].code == "cycle" and f"上次督导评估在 {last} 年" in reasons[0].zh
        assert f"已满 {2026 - last} 年（周期 {cycle} 年）" in reasons[0].zh


def test_the_newest_evaluation_counts():
    assert cycle_reasons(2026, [date(2019, 1, 1), date(2023, 6, 1)], 5, *W) == []


def test_a_county_never_evaluated_is_due_this_year():
    found = due(2026, [], [], 5, *W)
    assert found is not None and found[0] == 2026 and [r.code for r in found[1]] == ["never"]
    assert found[1][0].zh == "尚无督导评估记录"


def test_term_ending_this_year_without_an_evaluation_is_due():
    reasons = term_reasons(2026, [date(2020, 5, 1)], [span(date(2021, 9, 1), date(2026, 8, 31))], *W)
    assert [r.code for r in reasons] == ["term"]
    assert reasons[0].zh == "县（市、区）长任期 2021-09-01 至 2026-08-31，任期内尚无督导评估"


@pytest.mark.parametrize("day", [date(2021, 9, 1), date(2024, 3, 1), date(2026, 8, 31)])
def test_term_with_an_evaluation_inside_it_is_not_due(day):
    assert term_reasons(2026, [day], [span(date(2021, 9, 1), date(2026, 8, 31))], *W) == []


def test_evaluation_a_day_outside_the_term_does_not_count():
    t = span(date(2021, 9, 1), date(2026, 8, 31))
    assert term_reasons(2026, [date(2021, 8, 31)], [t], *W)
    assert term_reasons(2026, [date(2026, 9, 1)], [t], *W)


def test_term_ending_another_year_is_not_due_this_year():
    t = span(date(2022, 1, 1), date(2027, 1, 15))
    assert term_reasons(2026, [], [t], *W) == []
    assert term_reasons(2027, [], [t], *W)


def test_due_next_year_when_nothing_is_due_this_year():
    # evaluated 2022 on a 5-year cycle: not due 2026, due 2027 for the cycle; a term ending 2027 adds its reason
    found = due(2026, [date(2022, 6, 1)], [span(date(2023, 1, 1), date(2027, 12, 31))], 5, *W)
    assert found is not None and found[0] == 2027 and [r.code for r in found[1]] == ["cycle", "term"]


def test_due_this_year_lists_every_reason_and_not_next_year():
    found = due(2026, [date(2020, 6, 1)], [span(date(2021, 1, 1), date(2026, 3, 1))], 5, *W)
    assert found is not None and found[0] == 2026 and [r.code for r in found[1]] == ["cycle", "term"]


def test_not_due_at_all():
    assert due(2026, [date(2025, 6, 1)], [span(date(2023, 1, 1), date(2028, 1, 1))], 5, *W) is None


# ---------------------------------------------------------------- targets


def test_share_is_cumulative_by_year():
    got = share_by_year([2019, 2021, 2021, 2024], 10, [2018, 2019, 2020, 2021, 2024, 2025])
    assert [(s.year, s.recognised) for s in got] == [(2018, 0), (2019, 1), (2020, 1), (2021, 3), (2024, 4), (2025, 4)]
    assert got[3].share == pytest.approx(0.3)
    assert share_by_year([], 0, [2020])[0].share is None


@pytest.mark.parametrize(("share", "total", "need"), [
    (0.5, 100, 50), (0.5, 101, 51), (0.5, 1, 1), (1.0, 100, 100), (0.9, 100, 90), (0.9, 11, 10), (0.55, 100, 55), (0.07, 100, 7),
])
def test_needed_counts_are_exact(share, total, need):
    assert needed(share, total) == need  # 0.55 × 100 is 55.00000000000001 in floats: a float ⌈⌉ would give 56


def test_target_met_missed_and_open():
    first = [2020] * 30 + [2024] * 20 + [2026] * 10  # 60 of 100 recognised by 2026
    met = target_status(2025, 0.5, first, 100, current_year=2026)
    assert (met.recognised, met.needed, met.met, met.missing) == (50, 50, True, 0)
    missed = target_status(2025, 0.51, first, 100, current_year=2026)  # judged at the end of 2025: 50 < 51
    assert (missed.recognised, missed.met, missed.missing) == (50, False, 1)
    still_open = target_status(2030, 1.0, first, 100, current_year=2026)
    assert (still_open.recognised, still_open.met, still_open.missing) == (60, None, 40)
    this_year = target_status(2026, 0.7, first, 100, current_year=2026)  # the year has not ended
    assert this_year.met is None and this_year.missing == 10
    reached_early = target_status(2030, 0.6, first, 100, current_year=2026)
    assert reached_early.met is True


def test_every_planning_error_code_is_documented():
    from pathlib import Path

    from dudao.planning.errors import PlanningError

    doc = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")
    for member in PlanningError:
        assert f"| `{member.code}` | {member.zh} | {member.en} |" in doc, member


def test_planning_data_loads_with_sources():
    from dudao.planning.policy import load_planning

    plan = load_planning("21")
    assert [t.id for t in plan.province_targets] == ["T2025", "T2030"] and plan.province_targets[0].share == 0.5
    assert all(t.source and t.confidence for t in [*plan.targets, *plan.province_targets])
    cyc = plan.cycles.supervision
    assert (cyc.min_years, cyc.years, cyc.max_years) == (3, 5, 5) and plan.cycles.quality.counts == ["external"]
    assert {p.code for p in plan.terms.posts} == {"county_head", "party_secretary", "principal"}


def test_a_cycle_outside_the_policy_range_is_refused(tmp_path):
    import yaml

    from dudao.planning.policy import load_planning
    from dudao.standards.model import DATA_DIR, StandardsError

    data = yaml.safe_load((DATA_DIR / "planning.yaml").read_text(encoding="utf-8"))
    data["cycles"]["supervision"]["years"] = 6
    path = tmp_path / "planning.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(StandardsError, match="6 年不在 3–5 年之间"):
        load_planning(path=path)


def test_a_term_that_already_ended_without_an_evaluation_says_so():
    t = span(date(2021, 2, 1), date(2026, 1, 31))
    ended = term_reasons(2026, [], [t], *W, today=date(2026, 11, 30))
    assert ended[0].zh.endswith("任期内尚无督导评估（任期已结束）") and ended[0].en.endswith("(the term has ended)")
    assert term_reasons(2026, [], [t], *W, today=date(2026, 1, 31))[0].zh.endswith("任期内尚无督导评估")
