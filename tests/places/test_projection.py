"""The projection engine: hand-computed cohorts, scenarios, opening/closing schools, backtest, Spark."""

import math

import pandas as pd
import pytest

from dudao.engine.backends import connect
from dudao.engine.projection import ScenarioSpec, Settings, backtest, mape, project
from dudao.places.params import settings_for

SCEN = (ScenarioSpec("low", -0.03, 0.97, -0.01), ScenarioSpec("medium"), ScenarioSpec("high", 0.03, 1.03, 0.01))


def _hand():
    # births: 100 a year to 2016, then 110, 121 (a 10% rise); enrolment grades 1-3 in 2022-2024
    births = pd.DataFrame({"area": "A", "year": range(2010, 2019), "births": [100] * 7 + [110, 121]})
    rows = [("U", 2022, 1, 80), ("U", 2022, 2, 90), ("U", 2022, 3, 100),
            ("U", 2023, 1, 88), ("U", 2023, 2, 88), ("U", 2023, 3, 99),
            ("U", 2024, 1, 96.8), ("U", 2024, 2, 96.8), ("U", 2024, 3, 88)]
    enrol = pd.DataFrame(rows, columns=["unit", "year", "grade", "students"])
    units = pd.DataFrame([{"unit": "U", "area": "A", "entry_grade": 1, "last_grade": 3}])
    return enrol, units, births


def test_progression_arithmetic_on_hand_computed_cohorts():
    enrol, units, births = _hand()
    p = project(connect(), enrol, units, births, Settings(base_year=2024, horizon=3, scenarios=(ScenarioSpec("medium"),)))
    # intake ratio: (80 + 88 + 96.8) / (births 2016 + 2017 + 2018 = 100 + 110 + 121)
    ir = (80 + 88 + 96.8) / 331
    assert p.intake.intake_ratio.iloc[0] == pytest.approx(ir)
    # progression 1→2: (88 + 96.8) / (80 + 88); 2→3: (99 + 88) / (90 + 88)
    pr2, pr3 = (88 + 96.8) / (80 + 88), (99 + 88) / (90 + 88)
    got = dict(zip(p.progression.grade, p.progression.ratio, strict=False))
    assert got[2] == pytest.approx(pr2) and got[3] == pytest.approx(pr3)
    # births trend: mean log change of 2016-2018 = (ln 1 + ln 1.1 + ln 1.1) / 3
    trend = math.exp((2 * math.log(1.1)) / 3) - 1
    b2019 = 121 * (1 + trend)
    s = p.students.set_index(["year", "grade"]).students
    assert s[(2025, 1)] == pytest.approx(ir * b2019)
    assert s[(2025, 2)] == pytest.approx(96.8 * pr2)
    assert s[(2025, 3)] == pytest.approx(96.8 * pr3)
    assert s[(2026, 3)] == pytest.approx(96.8 * pr2 * pr3)
    assert s[(2027, 3)] == pytest.approx(ir * b2019 * pr2 * pr3)
    assert s[(2027, 1)] == pytest.approx(ir * 121 * (1 + trend) ** 3)
    assert len(p.students) == 9


def test_scenarios_are_ordered_low_medium_high():
    enrol, units, births = _hand()
    p = project(connect(), enrol, units, births, Settings(base_year=2024, horizon=10, scenarios=SCEN))
    wide = p.students.pivot_table(index=["year", "grade"], columns="scenario", values="students")
    assert (wide["low"] <= wide["medium"] + 1e-9).all() and (wide["medium"] <= wide["high"] + 1e-9).all()
    assert (wide["low"] < wide["high"]).all()


def test_scenario_parameters_from_yaml_are_ordered():
    s = settings_for(2024, 10)
    assert [x.id for x in s.scenarios] == ["low", "medium", "high"]
    for name in ("births_change", "intake_factor", "migration"):
        values = [getattr(x, name) for x in s.scenarios]
        assert values == sorted(values)


def test_a_school_that_opens_or_closes_mid_series():
    births = pd.DataFrame({"area": "A", "year": range(2010, 2019), "births": [100] * 9})
    rows = []
    for y in (2020, 2021, 2022):  # closes after 2022
        rows += [("OLD", y, g, 50) for g in (1, 2, 3)]
    rows += [("NEW", 2023, 1, 40), ("NEW", 2024, 1, 40), ("NEW", 2024, 2, 40)]  # opens in 2023 with grade 1 only
    enrol = pd.DataFrame(rows, columns=["unit", "year", "grade", "students"])
    units = pd.DataFrame([{"unit": "NEW", "area": "A", "entry_grade": 1, "last_grade": 3}])
    p = project(connect(), enrol, units, births, Settings(base_year=2024, horizon=2, default_progression=1.0))
    assert set(p.students.unit) == {"NEW"}  # the closed school is not projected
    prog = p.progression.set_index("grade")
    assert prog.loc[2, "fitted"] and prog.loc[2, "ratio"] == pytest.approx(1.0)
    assert not prog.loc[3, "fitted"]  # grade 3 never seen: the default ratio, flagged
    s = p.students.set_index(["year", "grade"]).students
    assert s[(2025, 3)] == pytest.approx(40.0)  # grade 2 of 2024 moves up with the default ratio
    assert p.intake.intake_ratio.iloc[0] == pytest.approx(0.4)  # 80 entrants over 200 births of the two fit years


def test_backtest_on_the_known_generating_process():
    """Synthetic counties drawn from the model with 1% noise: the 3-year backtest error stays within 3%."""
    from dudao.synth.births import generate_national

    h = generate_national(seed=5)
    pick = h.units.unit.iloc[::40]  # about 70 counties
    enrol = h.enrol[h.enrol.unit.isin(pick)]
    units = h.units[h.units.unit.isin(pick)]
    births = h.births[(h.births.series == "changzhu") & h.births.area.isin(pick)]
    bt = backtest(connect(), enrol, units, births, settings_for(2024, 10))
    m = mape(bt)
    assert len(m) == len(pick) and (m.years == 3).all()
    assert m.mape.max() < 3.0
    assert m.mape.median() < 1.0
    # and the fitted intake ratios recover the generating ones
    p = project(connect(), enrol, units, births, settings_for(2024, 1))
    true = dict(zip(h.units.unit, h.truth.intake_ratio, strict=False))
    err = [abs(r.intake_ratio - true[r.unit]) / true[r.unit] for r in p.intake.itertuples()]
    assert max(err) < 0.03


def test_national_shape_has_the_2016_peak_and_fall():
    from dudao.synth.births import generate_national

    h = generate_national(seed=1)
    nat = h.births[h.births.series == "huji"].groupby("year").births.sum()
    assert nat.idxmax() in (2016, 2017) and nat[2023] < 0.6 * nat[2016]
    assert h.enrol.unit.nunique() > 2800


@pytest.mark.spark
def test_same_code_on_spark():
    enrol, units, births = _hand()
    s = Settings(base_year=2024, horizon=3, scenarios=SCEN)
    duck = project(connect("duckdb"), enrol, units, births, s).students
    spark = project(connect("spark"), enrol, units, births, s).students
    key = ["unit", "scenario", "year", "grade"]
    merged = duck.merge(spark, on=key, suffixes=("_d", "_s"))
    assert len(merged) == len(duck) == len(spark)
    assert (merged.students_d - merged.students_s).abs().max() < 1e-6
