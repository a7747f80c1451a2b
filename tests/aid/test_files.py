"""Input files: every bad row located (file, sheet, row, column, rule) in Chinese and English; a bad file
gives no table at all; Excel, CSV (UTF-8 and GB18030) and Parquet read alike."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dudao.aid.files import check_file
from dudao.synth.students import generate_students

KEY = b"x" * 32
TODAY = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def data():
    return generate_students("210521", "2024-spring", students=300, schools=4, seed=3)


def _spoil(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    good = df.loc[0, "身份证号"]
    df.loc[0, "身份证号"] = good[:17] + ("0" if good[17] != "0" else "1")
    df.loc[1, "身份证号"] = good[:10] + "1332" + good[14:]
    df.loc[2, "身份证号"] = "999999" + good[6:]
    df.loc[3, "学段"] = "大学"
    df.loc[4, "寄宿"] = "也许"
    df.loc[5, "姓名"] = ""
    df.loc[6, "区县代码"] = "219999"
    df.loc[7, "入学日期"] = "2023-02-30"
    return df


EXPECTED = [(2, "B", "E_ID_CHECK"), (3, "B", "E_ID_DATE"), (4, "B", "E_ID_REGION"), (5, "F", "E_AID_ENUM"),
            (6, "H", "E_AID_BOOL"), (7, "A", "E_AID_REQUIRED"), (8, "C", "E_AID_REGION"), (9, "J", "E_AID_DATE")]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "parquet"])
def test_bad_roster_rows_located_and_nothing_returned(tmp_path, data, fmt):
    df = _spoil(data.roster)
    path = tmp_path / f"roster.{fmt}"
    if fmt == "xlsx":
        df.to_excel(path, index=False, sheet_name="名册")
    elif fmt == "csv":
        df.to_csv(path, index=False)
    else:
        pq.write_table(pa.Table.from_pandas(df.astype(str), preserve_index=False), path)
    c = check_file(path, "roster", hash_key=KEY, today=TODAY)
    assert c.data is None and not c.ok
    got = [(i.row, i.column, i.code) for i in c.issues]
    if fmt == "parquet":  # no header row: row n of the file is data row n
        assert got == [(r - 1, col, code) for r, col, code in EXPECTED]
    else:
        assert got == EXPECTED
    first = c.issues[0]
    assert first.sheet == {"xlsx": "名册", "csv": "CSV", "parquet": ""}[fmt]
    assert "校验码" in first.message_zh and "check character" in first.message_en
    assert first.header == "身份证号"
    if fmt == "xlsx":
        assert first.location_zh() == "roster.xlsx 工作表“名册” 第 2 行 B 列（身份证号）"


def test_good_roster_gbk_csv(tmp_path, data):
    path = tmp_path / "名册.csv"
    data.roster.to_csv(path, index=False, encoding="gb18030")
    c = check_file(path, "roster", hash_key=KEY, today=TODAY)
    assert c.ok, c.issues[:3]
    assert c.data.num_rows == len(data.roster)
    assert set(c.data.column_names) >= {"id_hash", "birth", "section", "boarding"}
    assert set(c.data["section"].to_pylist()) <= {"primary", "junior"}


def test_missing_column_and_unknown_kinds(tmp_path, data):
    path = tmp_path / "r.csv"
    data.roster.drop(columns=["身份证号"]).to_csv(path, index=False)
    c = check_file(path, "roster", hash_key=KEY)
    assert [i.code for i in c.issues] == ["E_AID_HEADER"]
    other = tmp_path / "r.txt"
    other.write_text("x")
    assert [i.code for i in check_file(other, "roster", hash_key=KEY).issues] == ["E_AID_FILE_TYPE"]


def test_list_rows_without_id_need_a_birth_date(tmp_path, data):
    df = data.lists["civil"].copy()
    assert (df["身份证号"] == "").any()  # the planted rows for the fallback have a birth date instead
    df.loc[0, "身份证号"] = ""
    df.loc[0, "出生日期"] = ""
    df.loc[1, "类别"] = "贫困"
    path = tmp_path / "civil.xlsx"
    df.to_excel(path, index=False)
    c = check_file(path, "list", hash_key=KEY, today=TODAY)
    assert [(i.row, i.code) for i in c.issues] == [(2, "E_AID_NO_ID"), (3, "E_AID_ENUM")]


def test_roster_of_another_county_is_refused(tmp_path, data):
    path = tmp_path / "r.csv"
    data.roster.to_csv(path, index=False)
    c = check_file(path, "roster", hash_key=KEY, county="210522", today=TODAY)
    assert c.data is None and c.issue_count == len(data.roster)
    assert c.issues[0].code == "E_AID_SCOPE"


def test_same_student_twice_at_one_school(tmp_path, data):
    df = pd.concat([data.roster.iloc[:5], data.roster.iloc[[2]]], ignore_index=True)
    path = tmp_path / "r.csv"
    df.to_csv(path, index=False)
    c = check_file(path, "roster", hash_key=KEY, today=TODAY)
    assert [(i.row, i.code) for i in c.issues] == [(7, "E_ID_DUP")]
