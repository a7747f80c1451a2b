"""The Excel and CSV templates are generated from the element dictionary."""

from __future__ import annotations

import csv

import openpyxl

from dudao.schools.workbook import SHEET_INFO, SHEET_SCHOOLS, SHEET_SECTIONS, write_csv, write_xlsx


def test_template_sheets_headers_and_codes(tmp_path, dictionary):
    path = write_xlsx(tmp_path / "t.xlsx", dictionary, 2024)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SHEET_INFO, SHEET_SCHOOLS, SHEET_SECTIONS]
    schools = wb[SHEET_SCHOOLS]
    headers = [c.value for c in schools[1]]
    codes = [c.value for c in schools[2]]
    school_level = [e for e in dictionary.elements if e.level == "school"]
    assert codes == [e.code for e in school_level]
    assert headers[0] == "学校标识码" and "教学及辅助用房面积（m²）" in headers
    sections = wb[SHEET_SECTIONS]
    assert [c.value for c in sections[2]][:4] == ["school_code", "school_name", "section", "students"]
    info = wb[SHEET_INFO]
    assert info["A2"].value == "学年（起始年份）" and info["B2"].value == 2024
    documented = {info.cell(row=r, column=9).value for r in range(13, 13 + len(dictionary.elements))}
    assert documented == {e.code for e in dictionary.elements}


def test_template_has_dropdowns_and_ranges(tmp_path, dictionary):
    wb = openpyxl.load_workbook(write_xlsx(tmp_path / "t.xlsx", dictionary, None))
    rules = wb[SHEET_SCHOOLS].data_validations.dataValidation
    lists = {str(r.sqref): r.formula1 for r in rules if r.type == "list"}
    assert lists["D3:D5001"] == '"小学,初中,九年一贯制学校,十二年一贯制学校,完全中学,教学点,特殊教育学校,其他"'
    assert lists["H3:H5001"] == '"是,否"'
    sec_rules = {str(r.sqref): r for r in wb[SHEET_SECTIONS].data_validations.dataValidation}
    students = sec_rules["D3:D5001"]
    assert (students.type, students.formula1, students.formula2) == ("whole", "0", "20000")
    assert "范围 0–20000" in students.error


def test_same_input_same_bytes(tmp_path, dictionary):
    from tests.factories import dataset

    a = write_xlsx(tmp_path / "a.xlsx", dictionary, 2024, *dataset()).read_bytes()
    b = write_xlsx(tmp_path / "b.xlsx", dictionary, 2024, *dataset()).read_bytes()
    assert a == b


def test_csv_template_headers(tmp_path, dictionary):
    path = write_csv(tmp_path / "t.csv", dictionary)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    assert header[0] == "学校标识码" and "学段" in header and "在校生数（人）" in header
