"""`dudao synth scores` and `dudao value-added` end to end (files in, files out, a stored run)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from dudao.cli import app
from dudao.quality.models import ValueAddedRun

runner = CliRunner()


def test_synth_then_value_added_to_each_format(tmp_path):
    scores = tmp_path / "成绩.csv"
    result = runner.invoke(app, ["synth", "scores", "--out", str(scores), "--schools", "30", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert scores.exists() and (tmp_path / "成绩_truth.csv").exists()
    out = tmp_path / "增值.json"
    result = runner.invoke(app, ["value-added", "--scores", str(scores), "--out", str(out), "--min-students", "25"])
    assert result.exit_code == 0, result.output
    assert "高于预期" in result.output and "不排名" in result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["params"]["min_students"] == 25 and doc["model"]["regressors"] == ["pre", "female", "ses", "migrant"]
    truth = pd.read_csv(tmp_path / "成绩_truth.csv", dtype={"school_code": str}).set_index("school_code")
    est = {s["school_code"]: s["estimate"] for s in doc["schools"] if s["estimate"] is not None}
    assert pd.Series(est).corr(truth.loc[list(est), "true_effect"]) > 0.8
    result = runner.invoke(app, ["value-added", "--scores", str(scores), "--out", str(tmp_path / "r.xlsx"),
                                 "--covariates", "none"])
    assert result.exit_code == 0 and (tmp_path / "r.xlsx").exists()


def test_bad_file_is_refused_with_its_code(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("学籍号,学校标识码,后测成绩\n1,3121000001,500\n", encoding="utf-8")
    result = runner.invoke(app, ["value-added", "--scores", str(bad), "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 2 and "E_VA_HEADER" in result.output and "前测成绩" in result.output
    assert not (tmp_path / "r.xlsx").exists()
    result = runner.invoke(app, ["value-added", "--scores", str(bad), "--out", str(tmp_path / "r.pdf")])
    assert result.exit_code == 2


@pytest.mark.django_db(transaction=True)
def test_save_stores_the_run(tmp_path):
    scores = tmp_path / "s.parquet"
    assert runner.invoke(app, ["synth", "scores", "--out", str(scores), "--schools", "12"]).exit_code == 0
    result = runner.invoke(app, ["value-added", "--scores", str(scores), "--out", str(tmp_path / "r.csv"), "--save",
                                 "--year", "2024", "--subject", "数学", "--user", "tester"])
    assert result.exit_code == 0, result.output
    run = ValueAddedRun.objects.get()
    assert run.subject == "数学" and run.actor == "tester" and run.inputs == "s.parquet" and run.schools.count() == 12
    assert f"结果编号 {run.pk}" in result.output
    assert runner.invoke(app, ["value-added", "--scores", str(scores), "--out", str(tmp_path / "r.csv"),
                               "--save"]).exit_code != 0  # --save needs --year
