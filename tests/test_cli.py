"""The dudao command line, end to end on a real database file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dudao.cli import app
from dudao.schools.workbook import write_xlsx
from tests.factories import dataset

pytestmark = pytest.mark.django_db(transaction=True)
runner = CliRunner()


def test_template_import_export_roundtrip(tmp_path, liaoning, dictionary):
    result = runner.invoke(app, ["template", "--out", str(tmp_path / "t.xlsx"), "--year", "2024"])
    assert result.exit_code == 0 and (tmp_path / "t.xlsx").exists()
    data = write_xlsx(tmp_path / "d.xlsx", dictionary, 2024, *dataset())
    result = runner.invoke(app, ["import", str(data), "--year", "2024", "--user", "县教育局张三"])
    assert result.exit_code == 0, result.output
    assert "已导入" in result.output and "学校 9 所" in result.output
    result = runner.invoke(app, ["export", "--year", "2024", "--out", str(tmp_path / "e.xlsx")])
    assert result.exit_code == 0
    result = runner.invoke(app, ["import", str(tmp_path / "e.xlsx"), "--year", "2024", "--format", "json"])
    report = json.loads(result.output)
    assert report["accepted"] and report["counts"]["changed_values"] == 0


def test_import_with_errors_exits_1_and_lists_them(tmp_path, liaoning, dictionary):
    schools, sections = dataset()
    sections[0]["students"] = -1
    data = write_xlsx(tmp_path / "bad.xlsx", dictionary, 2024, schools, sections)
    result = runner.invoke(app, ["import", str(data), "--year", "2024"])
    assert result.exit_code == 1
    assert "E_RANGE" in result.output and "第 3 行" in result.output and "未导入" in result.output


def test_missing_file_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["import", str(tmp_path / "nope.xlsx"), "--year", "2024"])
    assert result.exit_code == 2 and "找不到文件" in result.output


def test_standards_show(tmp_path):
    result = runner.invoke(app, ["standards", "show", "youzhi2017"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("R1", "每百名学生拥有高于规定学历教师数", "4.2", "5.3", "0.50/0.45", "教督〔2017〕6号", "一票否决"):
        assert text in result.output
    result = runner.invoke(app, ["standards", "show", "nope"])
    assert result.exit_code == 2 and "没有标准" in result.output
    result = runner.invoke(app, ["standards", "show", "elements"], env={"COLUMNS": "200"})
    assert "X02" in result.output and "students" in result.output


def test_assess_table_and_json(tmp_path, liaoning, dictionary):
    data = write_xlsx(tmp_path / "d.xlsx", dictionary, 2024, *dataset())
    assert runner.invoke(app, ["import", str(data), "--year", "2024"]).exit_code == 0
    result = runner.invoke(app, ["assess", "--standard", "youzhi2017"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "本溪满族自治县" in result.output and "未达标" in result.output and "输入哈希" in result.output
    out = tmp_path / "a.json"
    result = runner.invoke(app, ["assess", "--county", "210521", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["standard"]["id"] == "youzhi2017" and doc["year"] == 2024
    assert [c["code"] for c in doc["counties"]] == ["210521"]
    county = doc["counties"][0]
    assert county["verdict"] in ("pass", "fail", "incomplete")
    section = county["sections"][0]
    assert {"section", "cv", "cv_limit", "schools"} <= set(section)
    assert {"code", "name", "students", "values", "school_pass"} <= set(section["schools"][0])
    result = runner.invoke(app, ["assess", "--county", "999999"])
    assert result.exit_code == 2 and "不是地市或县级代码" in result.output


def test_an_uninitialised_database_is_named_not_a_traceback(tmp_path):
    """A command on a data folder that `dudao init` never saw says what to run, in both languages."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DUDAO_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "dudao.web.settings"}
    env.pop("DUDAO_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "dudao.cli", "planning", "targets", "--province", "21"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "dudao init" in done.stderr and "数据库尚未初始化" in done.stderr
    assert "Traceback" not in done.stderr
