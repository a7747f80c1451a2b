"""The compiled-SQL path on DuckDB (dudao.engine.plan) gives what the Ibis expressions give.

Every table the assessment returns and every verdict with its reasons are compared between the two paths,
on a slice of the synthetic nation with holes punched into it (missing values, zero students, schools out
of scope), under both standards and both split rules. Row order is not part of the result (DuckDB does
not fix it) and DuckDB's parallel sums may differ in the last bit between any two runs, so floats are
compared to 1e-12 relative; everything else exactly.
"""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from dudao.engine import assessment as engine
from dudao.engine import plan
from dudao.engine.assessment import Fact, assess
from dudao.standards.model import load_dictionary, load_standard
from dudao.synth.nation import generate_nation

D = load_dictionary()
KEYS = {"schools": ["school_code", "section"], "cvs": ["county_code", "section", "indicator"],
        "checks": ["county_code", "item"], "gaps": ["county_code", "school_code", "section", "indicator"],
        "lifts": ["county_code", "section", "indicator", "school_code"]}


@pytest.fixture(scope="module")
def holes() -> pa.Table:
    """40 counties of the synthetic nation, with missing values, zero students and private schools."""
    nation = generate_nation(3)
    counties = sorted(set(nation.column("county_code").to_pylist()))[::70][:40]
    t = nation.filter(pa.compute.is_in(nation.column("county_code"), pa.array(counties))).to_pandas()
    rng = np.random.default_rng(5)
    n = len(t)
    for col in ("teachers_key", "sports_area", "music_rooms", "classes", "teachers_certified"):
        t[col] = t[col].astype(float).mask(rng.random(n) < 0.02)
    t.loc[rng.random(n) < 0.01, "students"] = 0
    t.loc[rng.random(n) < 0.02, "ownership"] = "private"
    return pa.Table.from_pandas(t, preserve_index=False)


def _both(monkeypatch: pytest.MonkeyPatch, data: pa.Table, std_id: str, **kw):  # type: ignore[no-untyped-def]
    con = ibis.duckdb.connect()
    t = con.create_table("t", data)
    std = load_standard(std_id)
    first = sorted(set(data.column("county_code").to_pylist()))[:2]
    facts = {c: {"G06": Fact(passed=True), "G07": Fact(value=5000.0), "V01": Fact(passed=False)} for c in first}
    fast = assess(t, std, D, year=2024, facts=facts, **kw)
    with monkeypatch.context() as m:
        m.setattr(engine, "run_plan", lambda *a, **k: None)
        slow = assess(t, std, D, year=2024, facts=facts, **kw)
    return fast, slow, con


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    if len(a) and keys[0] in a:
        a, b = a.sort_values(keys).reset_index(drop=True), b.sort_values(keys).reset_index(drop=True)
    if "failing" in a:  # lists collected in no fixed order
        a = a.assign(failing=a["failing"].map(lambda v: v if v is None else sorted(v)))
        b = b.assign(failing=b["failing"].map(lambda v: v if v is None else sorted(v)))
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12, atol=0, check_index_type=False)


@pytest.mark.parametrize(("std_id", "kw"), [
    ("youzhi2017", {}), ("youzhi2017", {"with_schools": False}), ("youzhi2017", {"split_rule": "enrolment"}),
    ("jiben2012", {}), ("youzhi2017", {"with_schools": False, "with_gaps": False}),
])
def test_compiled_sql_gives_what_ibis_gives(monkeypatch, holes, std_id, kw):
    fast, slow, con = _both(monkeypatch, holes, std_id, **kw)
    assert len(fast.verdicts) == 40
    seen = {(r.part, r.status) for v in fast.verdicts.values() for r in v.reasons}
    assert ("resource", "missing") in seen
    if std_id == "youzhi2017":
        assert seen >= {("resource", "fail"), ("veto", "fail"), ("veto", "missing"), ("guarantee", "fail"), ("guarantee", "missing")}
    assert list(fast.verdicts) == list(slow.verdicts)
    assert {c: (v.verdict, [r.as_dict() for r in v.reasons]) for c, v in fast.verdicts.items()} == \
        {c: (v.verdict, [r.as_dict() for r in v.reasons]) for c, v in slow.verdicts.items()}
    for name, keys in KEYS.items():
        _same(getattr(fast, name), getattr(slow, name), keys)
    assert fast.schools["school_pass"].isna().any() or not kw.get("with_schools", True)
    # nothing of the run is left in the connection, and it is free for the next query
    left = con.raw_sql("SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'dudao_%'").fetchall()
    assert left == []


def test_plan_is_compiled_once_and_follows_the_standard(holes):
    con = ibis.duckdb.connect()
    t = con.create_table("t", holes)
    std = load_standard("youzhi2017")
    p1 = plan.plan_for(t.schema(), std, D, "weighted", con)
    assert plan.plan_for(t.schema(), load_standard("youzhi2017"), D, "weighted", con) is p1
    assert plan.plan_for(t.schema(), std, D, "enrolment", con) is not p1
    changed = std.model_copy(deep=True)  # load_standard is cached: never change its object
    changed.indicators[0].thresholds["primary"] = 99.0  # a standard changed in memory gets its own SQL
    p2 = plan.plan_for(t.schema(), changed, D, "weighted", con)
    assert p2 is not p1 and "99.0" in p2.schools.sql and "99.0" not in p1.schools.sql
    a = assess(t, changed, D, year=2024, with_schools=False)
    assert a.verdicts and all(v.verdict == "fail" for v in a.verdicts.values())


def test_a_failing_query_leaves_the_connection_usable(monkeypatch, holes):
    con = ibis.duckdb.connect()
    t = con.create_table("t", holes)
    std = load_standard("youzhi2017")
    good = plan.plan_for(t.schema(), std, D, "weighted", con)
    broken = plan.Plan(**{**good.__dict__, "checks": plan.Query("SELECT no_such_column FROM \"__dudao_input__\"",
                                                               good.checks.schema)})  # type: ignore[union-attr]
    monkeypatch.setattr(plan, "plan_for", lambda *a, **k: broken)
    with pytest.raises(Exception, match="no_such_column"):
        assess(t, std, D, year=2024)
    monkeypatch.undo()
    assert assess(t, std, D, year=2024, with_schools=False).verdicts
    assert con.raw_sql("SELECT count(*) FROM duckdb_views() WHERE view_name LIKE 'dudao_%'").fetchone() == (0,)
