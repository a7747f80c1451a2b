"""The same engine code on Spark: the keyed hash equals Python's HMAC, and a synthetic county's coverage lines
equal DuckDB's."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from dudao.aid.pipeline import run
from dudao.engine import aid as engine
from dudao.engine.backends import connect
from tests.aid.test_engine import COUNTY, KEY

pytestmark = pytest.mark.spark


def test_spark_matches_duckdb(synthetic_small):
    paths = synthetic_small
    args = ([paths["roster"]], [paths[f"list_{k}"] for k in ("civil", "rural", "disability")], [paths["payments"]],
            "2024-spring")
    duck = run(*args, hash_key=KEY, county=COUNTY)
    spark = run(*args, hash_key=KEY, county=COUNTY, engine_name="spark")
    key = ["id_hash", "programme"]
    cols = ["id_hash", "programme", "school_code", "categories", "due", "paid", "finding"]
    a = duck.lines.to_pandas()[cols].sort_values(key).reset_index(drop=True)
    b = spark.lines.to_pandas()[cols].sort_values(key).reset_index(drop=True)
    assert a.equals(b)
    assert sorted(duck.proposals.column("id_hash").to_pylist()) == sorted(spark.proposals.column("id_hash").to_pylist())
    con = connect("spark")
    t = con.create_table("ids", duck.checked[0].data.select(["id_number"]).slice(0, 5).to_pandas(), overwrite=True)
    got = t.select(h=engine.keyed_hash(t.id_number, KEY, "pyspark")).to_pandas()["h"].tolist()
    want = [hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest() for v in t.to_pandas()["id_number"]]
    assert got == want


@pytest.fixture(scope="module")
def synthetic_small(tmp_path_factory):
    from dudao.synth.students import generate_students, write_students

    data = generate_students(COUNTY, "2024-spring", students=400, schools=3, seed=2)
    return write_students(data, tmp_path_factory.mktemp("spark"), "csv")
