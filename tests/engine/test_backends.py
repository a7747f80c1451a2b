"""The same engine code gives the same results on DuckDB and on Spark (local mode).

Marked ``spark``: one local Spark session per test run. CI runs them; on a machine without Java or
PySpark they are skipped with the reason shown.
"""

from __future__ import annotations

import shutil

import ibis
import pandas as pd
import pytest

from dudao.engine.assessment import assess
from dudao.engine.frames import sections_frame
from dudao.standards.model import load_dictionary, load_standard
from tests.factories import dataset

pytestmark = pytest.mark.spark

pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed (pip install '.[spark]')")
if shutil.which("java") is None:
    pytest.skip("Java is not installed: Spark cannot start", allow_module_level=True)


@pytest.fixture(scope="module")
def spark_con():
    from dudao.engine.backends import connect

    return connect("spark")


@pytest.fixture(scope="module")
def frame():
    from dudao.synth.province import generate_province

    data = generate_province(3, years=(2024,), counties=6)
    year = data.years[2024]
    small = sections_frame(*dataset(), load_dictionary())
    return pd.concat([sections_frame(year.schools, year.sections, load_dictionary()), small], ignore_index=True)


@pytest.mark.parametrize("standard", ["youzhi2017", "jiben2012"])
def test_same_results_on_duckdb_and_spark(spark_con, frame, standard):
    std, d = load_standard(standard), load_dictionary()
    duck = assess(ibis.duckdb.connect().create_table("t", frame), std, d, year=2024)
    spark = assess(spark_con.create_table(f"t_{standard}", frame, overwrite=True), std, d, year=2024)
    assert {c: v.verdict for c, v in duck.verdicts.items()} == {c: v.verdict for c, v in spark.verdicts.items()}
    assert {c: [r.as_dict() for r in v.reasons] for c, v in duck.verdicts.items()} == \
        {c: [r.as_dict() for r in v.reasons] for c, v in spark.verdicts.items()}
    keys = ["county_code", "section", "indicator"]
    a = duck.cvs.sort_values(keys).reset_index(drop=True)
    b = spark.cvs.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[keys], b[keys])
    pd.testing.assert_series_equal(a["cv"], b["cv"], rtol=1e-9, check_dtype=False)
    cols = ["school_code", "section", "share", "school_pass", *[i.id for i in std.indicators]]
    sa = duck.schools[cols].sort_values(["school_code", "section"]).reset_index(drop=True)
    sb = spark.schools[cols].sort_values(["school_code", "section"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(sa, sb, check_dtype=False, rtol=1e-9)
    if len(duck.gaps):
        ga = duck.gaps.sort_values(["school_code", "section", "indicator"]).reset_index(drop=True)
        gb = spark.gaps.sort_values(["school_code", "section", "indicator"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(ga, gb, check_dtype=False, rtol=1e-9)
