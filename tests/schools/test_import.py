"""Import of school data: every error located, nothing half-written, idempotent, audited."""

from __future__ import annotations

import copy
from pathlib import Path

import openpyxl
import pytest

from dudao.schools.models import ChangeRecord, ImportBatch, SchoolYear, SectionYear
from dudao.schools.services import export_year, import_file
from dudao.schools.workbook import write_csv, write_xlsx
from tests.factories import COUNTY_A, COUNTY_B, dataset, flat_rows

pytestmark = pytest.mark.django_db


def _write(tmp_path: Path, dictionary, schools, sections, name="data.xlsx", year=2024) -> Path:
    return write_xlsx(tmp_path / name, dictionary, year, schools, sections)


def _snapshot() -> list[tuple]:
    rows = [("Y", sy.school.code, sy.year, sy.county.code, sy.kind, sorted(sy.values.items()))
            for sy in SchoolYear.objects.select_related("school", "county").order_by("school__code", "year")]
    rows += [("S", s.school_year.school.code, s.school_year.year, s.section, sorted(s.values.items()))
             for s in SectionYear.objects.select_related("school_year__school").order_by("pk")]
    return rows


def test_valid_workbook_is_imported(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    report = import_file(_write(tmp_path, dictionary, schools, sections), 2024, "clerk")
    assert report.accepted, [e.message_zh for e in report.errors]
    assert report.counts["schools"] == 9 and report.counts["sections"] == 11
    sy = SchoolYear.objects.get(school__code="3121000007", year=2024)
    assert sy.kind == "nine_year" and sy.county.code == COUNTY_A and sy.boarding is False
    assert sy.values["floor_area_teaching"] == 2500.0
    junior = sy.sections.get(section="junior")
    assert junior.values["students"] == 280 and junior.values["teachers_fulltime"] == 17


def test_same_file_twice_changes_nothing(tmp_path, liaoning, dictionary):
    path = _write(tmp_path, dictionary, *dataset())
    import_file(path, 2024, "clerk")
    before, changes = _snapshot(), ChangeRecord.objects.count()
    report = import_file(path, 2024, "clerk")
    assert report.accepted
    assert report.counts["created"] == 0 and report.counts["changed_values"] == 0
    assert _snapshot() == before and ChangeRecord.objects.count() == changes


def test_corrected_file_changes_only_changed_values(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    import_file(_write(tmp_path, dictionary, schools, sections), 2024, "clerk")
    schools2, sections2 = copy.deepcopy(schools), copy.deepcopy(sections)
    schools2[0]["sports_area"] = 4321.5
    sections2[1]["students"] = 341
    schools2[2]["weak_school"] = True
    report = import_file(_write(tmp_path, dictionary, schools2, sections2, "fixed.xlsx"), 2024, "inspector")
    assert report.accepted and report.counts["changed_values"] == 3
    changes = ChangeRecord.objects.filter(batch_id=report.batch_id).order_by("field")
    got = {(c.school_code, c.section, c.field, c.old_value, c.new_value, c.actor) for c in changes}
    assert got == {
        ("2121000001", "", "sports_area", 4000.0, 4321.5, "inspector"),
        ("2121000002", "primary", "students", 340, 341, "inspector"),
        ("2121000003", "", "weak_school", False, True, "inspector"),
    }
    assert SectionYear.objects.get(school_year__school__code="2121000002", section="primary").values["students"] == 341


def test_every_error_is_located_and_nothing_is_stored(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    import_file(_write(tmp_path, dictionary, schools, sections), 2024, "clerk")
    before = _snapshot()
    bad_s, bad_sec = copy.deepcopy(schools), copy.deepcopy(sections)
    bad_s[0]["sports_area"] = 9999.0               # a valid change that must not be stored
    bad_s[1]["kind"] = "大学"                        # not an option
    bad_s[2]["school_code"] = "21210000"             # malformed code
    bad_s[3]["county_code"] = "219999"               # unknown county
    bad_s[4]["floor_area_teaching"] = -5.0           # out of range
    bad_sec[0]["students"] = "三百"                   # not a number
    bad_sec[1]["teachers_pe"] = 30                   # PE + music + art > full-time teachers
    bad_sec[3]["classes"] = None                     # required
    bad_sec.append({**bad_sec[5], "section": "senior"})  # a junior school has no senior section
    path = _write(tmp_path, dictionary, bad_s, bad_sec, "bad.xlsx")
    report = import_file(path, 2024, "clerk")
    assert not report.accepted
    found = {(e.sheet, e.row, e.column, e.code) for e in report.errors}
    expected = {
        ("学校", 4, "D", "E_ENUM"),
        ("学校", 5, "A", "E_CODE"),
        ("学校", 6, "C", "E_CODE"),
        ("学校", 7, "M", "E_RANGE"),
        ("学段", 3, "D", "E_NUMBER"),
        ("学段", 4, "T", "E_RULE"),
        ("学段", 6, "I", "E_REQUIRED"),
        ("学段", 14, "C", "E_SECTION_KIND"),
    }
    assert expected <= found, found - expected
    for e in report.errors:
        assert e.file == "bad.xlsx" and e.message_zh and e.message_en
    assert _snapshot() == before
    assert ImportBatch.objects.get(pk=report.batch_id).status == "refused"


def test_error_messages_name_the_rule_in_both_languages(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    sections[0]["teachers_above_degree"] = sections[0]["teachers_fulltime"] + 1
    report = import_file(_write(tmp_path, dictionary, schools, sections), 2024, "clerk")
    [err] = report.errors
    assert err.code == "E_RULE" and "X01" in err.message_zh and "X01" in err.message_en
    assert "高于规定学历专任教师数不得超过专任教师数" in err.message_zh
    assert err.location_zh() == "data.xlsx 工作表“学段” 第 3 行 Q 列（高于规定学历专任教师数（人））"


def test_structural_errors(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    schools.append(copy.deepcopy(schools[0]))                       # duplicate school
    sections.append({**sections[0], "school_code": "2121009999"})    # section of an absent school
    schools[5]["status"], schools[5]["merged_into"] = "merged", None  # merged without a target
    report = import_file(_write(tmp_path, dictionary, schools, sections, year=2024), 2023, "clerk")
    codes = {e.code for e in report.errors}
    assert {"E_DUP_SCHOOL", "E_SECTION_SCHOOL", "E_MERGED", "E_YEAR"} <= codes


def test_unknown_and_missing_columns(tmp_path, liaoning, dictionary):
    path = _write(tmp_path, dictionary, *dataset())
    wb = openpyxl.load_workbook(path)
    ws = wb["学段"]
    ws["D1"] = "学生人数???"     # was 在校生数（人）
    wb.save(path)
    report = import_file(path, 2024, "clerk")
    codes = {(e.code, e.column) for e in report.errors}
    assert ("E_HEADER_UNKNOWN", "D") in codes
    assert any(e.code == "E_HEADER_MISSING" and e.header == "在校生数（人）" for e in report.errors)


@pytest.mark.parametrize("content,suffix,code", [(b"not a workbook", ".xlsx", "E_FILE"), (b"x", ".txt", "E_FILE_TYPE")])
def test_unreadable_files(tmp_path, liaoning, content, suffix, code):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(content)
    report = import_file(path, 2024, "clerk")
    assert [e.code for e in report.errors] == [code]


def test_csv_form_gives_the_same_data(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    import_file(_write(tmp_path, dictionary, schools, sections), 2024, "clerk")
    before = _snapshot()
    csv_path = write_csv(tmp_path / "data.csv", dictionary, flat_rows(schools, sections))
    report = import_file(csv_path, 2024, "clerk")
    assert report.accepted and report.counts["changed_values"] == 0
    assert _snapshot() == before


def test_csv_saved_by_chinese_excel_in_gb18030(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    utf8 = write_csv(tmp_path / "u.csv", dictionary, flat_rows(schools, sections))
    gbk = tmp_path / "g.csv"
    gbk.write_bytes(utf8.read_text(encoding="utf-8-sig").replace("m²", "平方米").encode("gb18030"))
    report = import_file(gbk, 2024, "clerk")
    assert report.accepted, [(e.header, e.message_zh) for e in report.errors][:3]


def test_csv_rows_of_one_school_must_agree(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    rows = flat_rows(schools, sections)
    nine = [r for r in rows if r["school_code"] == "3121000007"]
    nine[1]["sports_area"] = 1.0
    report = import_file(write_csv(tmp_path / "d.csv", dictionary, rows), 2024, "clerk")
    [err] = report.errors
    assert err.code == "E_INCONSISTENT" and err.sheet == "CSV"


def test_export_then_import_changes_nothing(tmp_path, liaoning, dictionary):
    import_file(_write(tmp_path, dictionary, *dataset()), 2024, "clerk")
    before, changes = _snapshot(), ChangeRecord.objects.count()
    for name in ("export.xlsx", "export.csv"):
        out = export_year(2024, tmp_path / name)
        report = import_file(out, 2024, "clerk")
        assert report.accepted and report.counts["changed_values"] == 0 and report.counts["created"] == 0
    assert _snapshot() == before and ChangeRecord.objects.count() == changes


def test_school_moving_county_keeps_its_past(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    import_file(_write(tmp_path, dictionary, schools, sections, year=2023), 2023, "clerk")
    schools[0]["county_code"] = COUNTY_B
    import_file(_write(tmp_path, dictionary, schools, sections, "y24.xlsx", year=2024), 2024, "clerk")
    years = dict(SchoolYear.objects.filter(school__code="2121000001").values_list("year", "county__code"))
    assert years == {2023: COUNTY_A, 2024: COUNTY_B}


def test_warnings_do_not_block(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    import_file(_write(tmp_path, dictionary, schools, sections, year=2023), 2023, "clerk")
    schools[1]["equipment_value"] = 2_000_000.0       # +122% since last year
    sections[2]["teachers_key"] = 12                   # 5 -> 12: +140%
    sections[4]["teachers_key"] = 2                    # 5 -> 2: -60% but only 3 teachers: no warning
    sections[3]["books"] = None
    schools[3]["books"] = 200000                       # an outlier among county A's schools
    report = import_file(_write(tmp_path, dictionary, schools, sections, year=2024), 2024, "clerk")
    assert report.accepted
    changed = {(w.sheet, w.row, w.column) for w in report.warnings if w.code == "W_CHANGE"}
    assert ("学校", 4, "P") in changed and ("学段", 5, "S") in changed and ("学段", 7, "S") not in changed
    outliers = {(w.sheet, w.row, w.header) for w in report.warnings if w.code == "W_OUTLIER"}
    assert ("学校", 6, "图书册数（册）") in outliers
