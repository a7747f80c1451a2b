"""Teacher records: import (located errors, nothing of a bad file stored), encryption and masking, counts
against the statistics, staffing, eligibility, indicators and a stored plan with its Excel export."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from dudao.teachers import services
from dudao.teachers.models import RotationPlan, ServicePeriod, Teacher
from dudao.teachers.rules import load_teacher_rules
from dudao.teachers.workbook import SHEET_SERVICE, SHEET_TEACHERS, write_teachers_csv, write_workbook

from .conftest import YEAR

pytestmark = pytest.mark.django_db


def test_import_is_consistent_with_the_statistics(roster):
    _data, td, counties = roster
    assert Teacher.objects.filter(year=YEAR).count() == len(td.teachers)
    assert ServicePeriod.objects.count() == len(td.service)
    assert services.count_mismatches(YEAR, counties) == []  # the synthetic roster matches the statistics
    t = Teacher.objects.first()
    ident = next(x["id_number"] for x in td.teachers if x["name"] == t.name and x["school_code"] == t.school.code)
    assert ident not in t.id_encrypted and t.id_masked.startswith(ident[:4]) and t.id_masked.endswith(ident[-4:])
    from dudao.teachers import crypto

    assert crypto.decrypt(t.id_encrypted) == ident and t.id_digest == crypto.digest(ident)


def test_mismatch_with_the_statistics_is_reported(roster):
    _data, _td, _counties = roster
    t = Teacher.objects.filter(year=YEAR, full_time=True).first()
    t.full_time = False
    t.save()
    found = services.count_mismatches(YEAR, [t.county.code])
    assert any(w.code == "W_T_COUNT" and t.school.code in w.message_zh and "专任教师" in w.message_zh for w in found)


def test_reimport_replaces_a_teacher_and_keeps_the_others(roster, tmp_path):
    _data, td, _counties = roster
    rules = load_teacher_rules()
    one = {**td.teachers[0], "name": "改名"}
    path = write_workbook(tmp_path / "one.xlsx", rules, {SHEET_TEACHERS: [one]})
    assert services.import_file(path, YEAR, "t").accepted
    assert Teacher.objects.filter(year=YEAR).count() == len(td.teachers)
    assert Teacher.objects.filter(name="改名").count() == 1


def test_bad_file_is_refused_with_locations_and_nothing_stored(roster, tmp_path):
    _data, td, _counties = roster
    rules = load_teacher_rules()
    before = (Teacher.objects.count(), ServicePeriod.objects.count())
    good = td.teachers[0]
    rows = [{**good, "id_number": "110101199001011234"},  # wrong check digit
            {**td.teachers[1], "subject": "烹饪"},  # not a subject
            {**td.teachers[2], "school_code": "2121999998"},  # no such school this year
            td.teachers[3], td.teachers[3]]  # repeated
    service = [{"id_number": good["id_number"], "school_code": good["school_code"], "start": dt.date(2020, 9, 1),
                "end": dt.date(2019, 9, 1)}]
    path = write_workbook(tmp_path / "bad.xlsx", rules, {SHEET_TEACHERS: rows, SHEET_SERVICE: service})
    report = services.import_file(path, YEAR, "t")
    assert not report.accepted and (Teacher.objects.count(), ServicePeriod.objects.count()) == before
    by_code = {(e.code, e.row, e.column) for e in report.errors}
    assert ("E_T_ID", 2, "A") in by_code and ("E_ENUM", 3, "E") in by_code and ("E_T_SCHOOL", 4, "C") in by_code
    assert ("E_T_DUP", 6, "A") in by_code and ("E_T_PERIOD", 2, "E") in by_code
    assert ("E_T_NO_TEACHER", 2, "A") in by_code  # the service row names a teacher not (validly) on the sheet
    assert all(e.file == "bad.xlsx" and e.sheet for e in report.errors)


def test_csv_holds_the_teachers_sheet(roster, tmp_path):
    _data, td, _counties = roster
    path = write_teachers_csv(tmp_path / "t.csv", load_teacher_rules(), td.teachers[:5])
    report = services.import_file(path, YEAR, "t")
    assert report.accepted and report.counts["teachers"] == 5
    text = path.read_text(encoding="utf-8-sig")
    sex = ",女," if ",女," in text else ",男,"
    path.write_text(text.replace(sex, ",X,", 1), encoding="utf-8")
    report = services.import_file(path, YEAR, "t")
    assert not report.accepted and [(e.code, e.sheet, e.row) for e in report.errors] == [("E_ENUM", "CSV", 2)]


def test_staffing_eligibility_and_indicators(roster):
    _data, td, counties = roster
    res = services.staffing(YEAR, counties)
    assert set(res.summary["county_code"]) == set(counties)
    assert res.summary["in_post"].sum() == sum(1 for t in td.teachers if t["full_time"])
    verdicts = services.eligibility(YEAR, counties[:1])
    assert verdicts and any(v.must_rotate for _t, v in verdicts) and any(not v.must_rotate for _t, v in verdicts)
    ind = services.indicators(YEAR, counties)
    for c in counties:
        assert ind[c].eligible == sum(1 for t, v in services.eligibility(YEAR, [c]) if v.must_rotate)
        assert ind[c].rotated <= sum(1 for r in td.rotations)


def test_plan_stored_explained_and_exported(roster, tmp_path: Path):
    _data, _td, counties = roster
    county = max(counties, key=lambda c: Teacher.objects.filter(county__code=c).count())
    first = Teacher.objects.filter(county__code=county).order_by("pk").first()
    saved = services.make_plan(services.PlanRequest(county, YEAR, stay={str(first.pk)}, time_limit=10), "t")
    res = saved.result
    assert res["violations"] == [] and res["status"] and res["metrics"]["eligible"] > 0
    assert all(mv["teacher"] != str(first.pk) and mv["reasons_zh"] for mv in res["moves"])
    wb = openpyxl.load_workbook(services.plan_workbook(saved, tmp_path / "p.xlsx"))
    assert wb.sheetnames == ["交流方案", "交流前后指标", "汇总"]
    assert wb["交流方案"].max_row == len(res["moves"]) + 1
    assert RotationPlan.objects.count() == 1


def test_plan_refuses_unknown_pins(roster):
    from dudao.teachers.errors import TeacherFailure

    _data, _td, counties = roster
    with pytest.raises(TeacherFailure) as exc:
        services.make_plan(services.PlanRequest(counties[0], YEAR, move={"999999"}), "t")
    assert exc.value.error.code == "E_ROT_PIN"
    with pytest.raises(TeacherFailure):
        services.make_plan(services.PlanRequest(counties[0], 2019), "t")


def test_every_teacher_error_code_is_documented():
    from dudao.teachers.errors import PlanError, TeacherDataError, TeacherWarning

    doc = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")
    for enum in (TeacherDataError, TeacherWarning, PlanError):
        for member in enum:
            assert f"`{member.code}`" in doc, member


def test_rotation_indicator_recorded_as_g11(roster):
    from dudao.assessment.models import CountyFact

    _data, _td, counties = roster
    out = services.record_rotation_fact(YEAR, counties, "t")
    ind = services.indicators(YEAR, counties)
    for o in out:
        fact = CountyFact.objects.get(county__code=o.county, year=YEAR, item="G11")
        assert o.recorded and fact.value == pytest.approx(ind[o.county].rate)
        assert fact.passed == (ind[o.county].rate_met and ind[o.county].key_met) and "符合交流条件" in fact.evidence
