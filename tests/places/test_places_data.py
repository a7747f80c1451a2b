"""Import with located errors, capacity (the smaller limit), the county plan and its reports."""

import pandas as pd
import pytest

from dudao.places.models import Births, GradeEnrolment
from dudao.places.services import capacity_frame, county_plan, import_workbook, province_plan
from dudao.places.workbook import write_workbook

pytestmark = pytest.mark.django_db


def test_capacity_takes_the_smaller_limit():
    info = pd.DataFrame([{"school_code": "A", "kind": "primary_school", "floor_area": 2000.0},
                         {"school_code": "B", "kind": "primary_school", "floor_area": 9000.0},
                         {"school_code": "C", "kind": "teaching_point", "floor_area": None},
                         {"school_code": "D", "kind": "nine_year", "floor_area": 10000.0}])
    rooms = pd.DataFrame([{"school_code": "A", "section": "primary", "classrooms": 12},
                          {"school_code": "B", "section": "primary", "classrooms": 12},
                          {"school_code": "C", "section": "primary", "classrooms": 2},
                          {"school_code": "D", "section": "primary", "classrooms": 12},
                          {"school_code": "D", "section": "junior", "classrooms": 8}])
    now = pd.DataFrame([{"school_code": s, "grade": g, "students": 40} for s in "ABD" for g in range(1, 7)])
    cap = capacity_frame(info, rooms, now).set_index(["school_code", "section"])
    # A: rooms 12 × 45 = 540, floor 2000 / 4.5 = 444 → 444 (floor binds)
    assert cap.loc[("A", "primary"), "capacity"] == 444 and cap.loc[("A", "primary"), "binding"] == "floor"
    # B: rooms 540, floor 2000 → 540 (rooms bind)
    assert cap.loc[("B", "primary"), "capacity"] == 540 and cap.loc[("B", "primary"), "binding"] == "rooms"
    # C: a teaching point is an incomplete primary school (30 a class); no floor area recorded → rooms only
    assert cap.loc[("C", "primary"), "capacity"] == 60 and pd.isna(cap.loc[("C", "primary"), "by_floor"])
    # D: floor shared by classrooms (12/20 and 8/20): primary 6000/4.5 = 1333 > 540; junior 4000/5.8 = 689 > 400
    assert cap.loc[("D", "primary"), "capacity"] == 540 and cap.loc[("D", "junior"), "capacity"] == 400


def test_import_refuses_a_bad_file_with_located_errors(province, tmp_path):
    before = Births.objects.count(), GradeEnrolment.objects.count()
    from dudao.schools.models import SectionYear

    school = GradeEnrolment.objects.first().school.code
    junior = set(SectionYear.objects.filter(section="junior").values_list("school_year__school__code", flat=True))
    primary_only = SectionYear.objects.exclude(school_year__school__code__in=junior).first().school_year.school.code
    bad = write_workbook(tmp_path / "bad.xlsx", {
        "births": [{"county_code": "210521", "year": 2025, "series": "huji", "births": 500},
                   {"county_code": "999999", "year": 2025, "series": "户籍", "births": 10},
                   {"county_code": "210521", "year": 2025, "series": "huji", "births": 1}],
        "grades": [{"school_code": school, "year": 2025, "grade": 12, "students": 30, "classes": 1},
                   {"school_code": "2121999999", "year": 2025, "grade": 1, "students": 30, "classes": 1},
                   {"school_code": primary_only, "year": 2025, "grade": 8, "students": 30, "classes": 1}],
    })
    checked, batch = import_workbook(bad, "t")
    assert not batch.accepted
    got = {(e.code, e.sheet, e.row, e.column) for e in checked.errors}
    assert ("E_PL_COUNTY", "出生人口", 3, "A") in got
    assert ("E_PL_DUP", "出生人口", 4, "A") in got
    assert ("E_PL_RANGE", "分年级在校生", 2, "C") in got
    assert ("E_PL_SCHOOL", "分年级在校生", 3, "A") in got
    assert ("E_PL_GRADE_SECTION", "分年级在校生", 4, "C") in got
    assert all(e.message_zh and e.message_en for e in checked.errors)
    assert (Births.objects.count(), GradeEnrolment.objects.count()) == before  # nothing stored

    good = write_workbook(tmp_path / "good.xlsx", {
        "births": [{"county_code": "210521", "year": 2025, "series": "huji", "births": 500}]})
    checked, batch = import_workbook(good, "t")
    assert batch.accepted and Births.objects.get(county__code="210521", year=2025, series="huji").births == 500


def test_county_plan_and_reports(province, tmp_path):
    doc = county_plan("210521", 10, "medium")
    assert doc["years"] == list(range(doc["base_year"] + 1, doc["base_year"] + 11))
    prim = doc["sections"]["primary"]
    for y in doc["years"]:
        assert prim["projection"]["low"][y] <= prim["projection"]["medium"][y] <= prim["projection"]["high"][y]
    # the school projections add up to the county's within the fitting differences
    sch = sum(r["demand"]["medium"][doc["years"][0]] for r in doc["schools"])
    tot = doc["projection"]["medium"][doc["years"][0]]
    assert abs(sch - tot) / tot < 0.05
    assert doc["backtest"]["rows"] and doc["backtest"]["mape"] is not None
    assert all(s["students"] < 100 for s in doc["small_schools"])
    for s in doc["small_schools"]:
        if s["nearest"]:
            assert s["nearest"]["spare"] >= s["students"] and s["nearest"]["km"] >= 0
    for r in doc["schools"]:
        if r["capacity"] is not None and r["by_floor"] is not None:
            assert r["capacity"] == min(r["by_rooms"], r["by_floor"])
    from dudao.places.report import write_report

    x = write_report(doc, tmp_path / "r.xlsx")
    p = write_report(doc, tmp_path / "r.pdf")
    assert x.read_bytes()[:2] == b"PK" and p.read_bytes()[:4] == b"%PDF" and p.stat().st_size > 10000
    pp = province_plan("210000", 5)
    assert {c["code"] for c in pp["counties"]} == {"210521", "211321"}
    a = next(c for c in pp["counties"] if c["code"] == "210521")
    assert a["small_now"] == len(doc["small_schools"])
    assert a["sections"]["primary"]["capacity"] == sum(r["capacity"] or 0 for r in doc["schools"] if r["section"] == "primary")
    assert all(z["mape"] is None or z["mape"] >= 0 for z in doc["zones"])


def test_unknown_scenario_and_horizon_are_refused(province):
    from dudao.places.errors import PlacesError

    with pytest.raises(PlacesError) as exc:
        county_plan("210521", 11)
    assert exc.value.error.code == "E_PL_HORIZON"
    with pytest.raises(PlacesError) as exc:
        county_plan("210521", 5, "extreme")
    assert exc.value.error.code == "E_PL_SCENARIO"


def test_cli_import_template_and_project(province, tmp_path):
    from typer.testing import CliRunner

    from dudao.cli import app
    from dudao.places.models import ProjectionRun

    runner = CliRunner()
    r = runner.invoke(app, ["places", "template", "--out", str(tmp_path / "t.xlsx")])
    assert r.exit_code == 0 and (tmp_path / "t.xlsx").exists()
    r = runner.invoke(app, ["places", "import", str(tmp_path / "t.xlsx")])  # headers only: nothing to store, no error
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["places", "project", "--county", "211321", "--horizon", "5", "--scenario", "high",
                            "--out", str(tmp_path / "r.pdf")])
    assert r.exit_code == 0, r.output
    assert "回测" in r.output and (tmp_path / "r.pdf").read_bytes()[:4] == b"%PDF"
    run = ProjectionRun.objects.get(county__code="211321")
    assert run.horizon == 5 and run.document["scenario"] == "high"
    r = runner.invoke(app, ["places", "project", "--county", "210521", "--scenario", "extreme"])
    assert r.exit_code == 1 and "E_PL_SCENARIO" in r.output


def test_every_places_error_code_is_documented():
    from pathlib import Path

    from dudao.places.errors import PlacesMessage

    doc = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")
    for m in PlacesMessage:
        assert f"`{m.code}`" in doc, m


def test_missing_births_of_the_fit_years_are_named(province):
    from dudao.places.errors import PlacesError

    Births.objects.filter(county__code="211321", year__in=[2016, 2017, 2018]).delete()
    with pytest.raises(PlacesError) as exc:
        county_plan("211321", 5)
    assert exc.value.error.code == "E_PL_NO_BIRTHS" and "2016–2018" in exc.value.message_zh
    pp = province_plan("210000", 5)
    assert [c["code"] for c in pp["counties"]] == ["210521"] and [c["code"] for c in pp["without_births"]] == ["211321"]

