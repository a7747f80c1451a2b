"""Assessments through the system of record: facts, frozen results, recomputation and diffs."""

from __future__ import annotations

import copy
import json

import pytest

from dudao.assessment.errors import AssessmentError
from dudao.assessment.models import AssessmentRun, CountyFact, FrozenError
from dudao.assessment.services import diff_runs, import_facts, run_assessment, write_facts_template
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from dudao.standards.model import load_standard
from tests.factories import COUNTY_A, COUNTY_B, dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    report = import_file(write_xlsx(tmp_path / "d.xlsx", dictionary, 2024, schools, sections), 2024, "clerk")
    assert report.accepted
    return schools, sections


def _fill_facts(tmp_path, counties):
    import openpyxl

    path = write_facts_template(tmp_path / "facts.xlsx", "youzhi2017", 2024, counties)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    std = load_standard("youzhi2017")
    items = {i.id: i for i in std.recorded_items()}
    for row in ws.iter_rows(min_row=2):
        if row[2].value in items:
            item = items[row[2].value]
            if item.threshold is not None:
                row[5].value = item.threshold * (0.5 if item.compare in ("lt", "le") else 1.1)
            else:
                row[6].value = "是"
            row[7].value = "县政府文件"
    wb.save(path)
    return path


def test_run_is_frozen_with_hash_and_versions(loaded):
    outcome = run_assessment("youzhi2017", 2024, actor="inspector")
    run = outcome.run
    assert run.standard_version == "2017.1" and len(run.inputs_hash) == 64 and run.code_version.startswith("0.1.0")
    doc = run.full_document()
    assert {c["code"] for c in doc["counties"]} == {COUNTY_A, COUNTY_B}
    county = next(c for c in doc["counties"] if c["code"] == COUNTY_A)
    assert county["verdict"] in ("fail", "incomplete") and county["name"] == "本溪满族自治县"
    primary = next(s for s in county["sections"] if s["section"] == "primary")
    assert primary["cv_limit"] == 0.5 and set(primary["cv"]) == {f"R{i}" for i in range(1, 8)}
    nine = next(s for s in primary["schools"] if s["code"] == "3121000007")
    assert nine["students"] == 350 and nine["share"] == pytest.approx(350 / (350 + 1.1 * 280))
    run.actor = "someone else"
    with pytest.raises(FrozenError):
        run.save()
    with pytest.raises(FrozenError):
        run.delete()


def test_same_inputs_same_hash_and_changed_data_gives_a_diff(tmp_path, loaded, dictionary):
    first = run_assessment("youzhi2017", 2024, COUNTY_A)
    again = run_assessment("youzhi2017", 2024, COUNTY_A)
    assert first.run.inputs_hash == again.run.inputs_hash and again.run.previous_id == first.run.pk
    assert diff_runs(first.document, again.document) == []
    schools, sections = copy.deepcopy(loaded[0]), copy.deepcopy(loaded[1])
    schools[0]["sports_area"] = 400.0  # school 2121000001 in county A
    import_file(write_xlsx(tmp_path / "fix.xlsx", dictionary, 2024, schools, sections), 2024, "clerk")
    third = run_assessment("youzhi2017", 2024, COUNTY_A)
    assert third.run.inputs_hash != first.run.inputs_hash
    changes = diff_runs(first.document, third.document)
    assert {"county": COUNTY_A, "section": "primary", "school": "2121000001", "what": "R5", "old": 12.5, "new": 1.25} in changes  # 320 students
    assert any(c["what"] == "cv.R5" for c in changes)
    assert AssessmentRun.objects.count() == 3


def test_facts_make_a_county_complete(tmp_path, loaded):
    before = run_assessment("youzhi2017", 2024, COUNTY_B).document["counties"][0]
    assert any(r["status"] == "missing" for r in before["reasons"])
    path = _fill_facts(tmp_path, [COUNTY_B])
    assert import_facts(path, "youzhi2017", 2024, "county bureau") == []
    assert CountyFact.objects.filter(county__code=COUNTY_B, year=2024).count() == len(load_standard("youzhi2017").recorded_items())
    after = run_assessment("youzhi2017", 2024, COUNTY_B).document["counties"][0]
    assert not any(r["status"] == "missing" for r in after["reasons"])


def test_facts_with_errors_store_nothing(tmp_path, loaded):
    import openpyxl

    path = _fill_facts(tmp_path, [COUNTY_B])
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws["C2"] = "G99"
    ws["F3"] = "很多"
    ws["G4"] = "也许"
    ws["A5"] = "999999"
    wb.save(path)
    errors = import_facts(path, "youzhi2017", 2024, "clerk")
    assert {(e.row, e.code) for e in errors} >= {(2, "E_FACT_ITEM"), (3, "E_NUMBER"), (4, "E_BOOL"), (5, "E_FACT_COUNTY")}
    assert CountyFact.objects.count() == 0


def test_unknown_scope_and_empty_year(loaded):
    with pytest.raises(AssessmentError, match="不是地市或县级代码"):
        run_assessment("youzhi2017", 2024, "999999")
    with pytest.raises(AssessmentError, match="没有所选范围的学校数据"):
        run_assessment("youzhi2017", 2019)


def test_document_is_json_serialisable_for_both_standards(loaded):
    for sid in ("youzhi2017", "jiben2012"):
        doc = run_assessment(sid, 2024).document
        json.dumps(doc, ensure_ascii=False, allow_nan=False)
        assert doc["standard"]["id"] == sid
