"""Reading scores files: every refusal names the file, the row and the column; the hash identifies the file."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from dudao.quality.errors import ValueAddedError, VAMessage
from dudao.quality.scores_io import read_scores, value_added, write_results
from dudao.synth.scores import generate_scores, write_scores


@pytest.fixture(scope="module")
def scores():
    return generate_scores(40, seed=2, size_median=60)


def _code(path, **kw):
    with pytest.raises(ValueAddedError) as exc:
        read_scores(path, **kw)
    return exc.value


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_reads_each_format_with_chinese_headers(tmp_path, scores, suffix):
    path = write_scores(scores, tmp_path / f"s{suffix}")[0]
    inp = read_scores(path)
    assert inp.covariates == ["female", "ses", "migrant"]
    assert len(inp.frame) == len(scores.students)
    assert inp.frame["pre"].isna().sum() == scores.students["pre"].isna().sum()
    result = value_added(inp)
    assert result.provenance["inputs"] == path.name and len(result.provenance["inputs_hash"]) == 64


def test_hash_identifies_the_file(tmp_path, scores):
    a = write_scores(scores, tmp_path / "a.csv")[0]
    b = write_scores(scores, tmp_path / "b.csv")[0]
    assert read_scores(a).inputs_hash == read_scores(b).inputs_hash
    changed = scores.students.copy()
    changed.loc[5, "post"] = changed.loc[5, "post"] + 1 if pd.notna(changed.loc[5, "post"]) else 400.0
    c = write_scores(type(scores)(changed, scores.truth, 1, 1, 1), tmp_path / "c.csv")[0]
    assert read_scores(c).inputs_hash != read_scores(a).inputs_hash


def test_refusals_name_row_and_column(tmp_path, scores):
    frame = scores.students.rename(columns={"pre": "前测成绩", "post": "后测成绩", "student_id": "学籍号",
                                            "school_code": "学校标识码"})
    path = tmp_path / "bad.csv"
    bad = frame.astype({"后测成绩": object})
    bad.loc[3, "后测成绩"] = "缺考"
    bad.to_csv(path, index=False)
    err = _code(path)
    assert err.error is VAMessage.NUMBER and "第 5 行" in err.message_zh and "后测成绩" in err.message_zh
    assert "缺考" in err.message_zh
    frame.drop(columns=["前测成绩"]).to_csv(path, index=False)
    err = _code(path)
    assert err.error is VAMessage.HEADER and "前测成绩" in err.message_zh
    dup = frame.copy()
    dup.loc[10, "学籍号"] = dup.loc[2, "学籍号"]
    dup.to_csv(path, index=False)
    err = _code(path)
    assert err.error is VAMessage.DUP_STUDENT and "4、12" in err.message_zh
    code = frame.astype({"学校标识码": str})
    code.loc[7, "学校标识码"] = "12345"
    code.to_csv(path, index=False)
    err = _code(path)
    assert err.error is VAMessage.SCHOOL_CODE and "第 9 行" in err.message_zh
    err = _code(write_scores(scores, tmp_path / "ok.csv")[0], covariates=["no_such"])
    assert err.error is VAMessage.COVARIATE
    (tmp_path / "x.txt").write_text("a")
    assert _code(tmp_path / "x.txt").error is VAMessage.FILE_TYPE


def test_results_files(tmp_path, scores):
    inp = read_scores(write_scores(scores, tmp_path / "s.parquet")[0], covariates=[])
    result = value_added(inp)
    out = write_results(result, tmp_path / "r.json")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["model"]["regressors"] == ["pre"] and doc["provenance"]["inputs_hash"] == inp.inputs_hash
    xlsx = write_results(result, tmp_path / "r.xlsx")
    sheet = pd.read_excel(xlsx, sheet_name="学校增值")
    assert list(sheet["学校标识码"].astype(str)) == sorted(sheet["学校标识码"].astype(str))
    assert set(sheet["增值评价结果"]) <= {"高于预期", "符合预期", "低于预期", "不发布"}
    model = pd.read_excel(xlsx, sheet_name="模型与来源")
    assert inp.inputs_hash in set(model["值"].astype(str))
    csv = write_results(result, tmp_path / "r.csv")
    assert csv.with_suffix(".model.json").exists()


def test_error_codes_are_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")
    for member in VAMessage:
        assert f"`{member.code}`" in doc, member


@pytest.mark.spark
def test_the_file_path_gives_the_same_estimates_on_spark(tmp_path):
    import shutil

    pytest.importorskip("pyspark", reason="PySpark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: Spark cannot start")
    small = generate_scores(8, seed=6, size_median=40, small_share=0.0)
    inp = read_scores(write_scores(small, tmp_path / "s.csv")[0])
    duck, spark = value_added(inp, engine="duckdb"), value_added(inp, engine="spark")
    assert spark.provenance["engine"] == "spark"
    pd.testing.assert_frame_equal(duck.frame().select_dtypes("number"), spark.frame().select_dtypes("number"), rtol=1e-8)
    assert list(duck.frame().band) == list(spark.frame().band)


def test_codes_typed_as_numbers_or_padded_are_read_as_codes():
    from dudao.quality.scores_io import check_frame

    raw = pd.DataFrame({"学籍号": [1, 2, 3, 4], "学校标识码": [3121000001.0, 3121000001.0, " 3121000002", "3121000002"],
                        "前测成绩": [1, 2, 3, 4], "后测成绩": [2, 3, None, 5]}, dtype=object)
    frame = check_frame(raw, "x.xlsx").frame
    assert list(frame.school_code.astype(str)) == ["3121000001", "3121000001", "3121000002", "3121000002"]
    assert frame.post.isna().sum() == 1
