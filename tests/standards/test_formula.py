"""The formula language: safe parsing, located errors, the same answers in Python and on DuckDB."""

from __future__ import annotations

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dudao.standards.formula import FormulaError, parse

NAMES = {"a", "b", "c", "kind"}


@pytest.mark.parametrize("text,record,expected", [
    ("a * 100 / b", {"a": 3, "b": 60}, 5.0),
    ("(a + b) * 2 - c", {"a": 1, "b": 2, "c": 1}, 5),
    ("a <= b", {"a": 2, "b": 2}, True),
    ("implies(a > 0, b > 0)", {"a": 0, "b": 0}, True),
    ("implies(a > 0, b > 0)", {"a": 1, "b": 0}, False),
    ("where(kind in ['nine_year', 'twelve_year'], 2500, 2000)", {"kind": "nine_year"}, 2500),
    ("where(kind in ['nine_year', 'twelve_year'], 2500, 2000)", {"kind": "primary_school"}, 2000),
    ("kind != 'special' and not a < 0", {"kind": "x", "a": 1}, True),
    ("min(a, b) + max(a, b) + abs(-c)", {"a": 1, "b": 5, "c": 2}, 8),
    ("0 < a < 10", {"a": 5}, True),
    ("a / b", {"a": 1, "b": 0}, None),
    ("a + b", {"a": 1, "b": None}, None),
])
def test_evaluate(text, record, expected):
    assert parse(text, context="t", known_names=NAMES).evaluate(record) == expected


@pytest.mark.parametrize("text,position,fragment", [
    ("a + unknown_name", 4, "unknown_name"),
    ("a +* b", 3, "语法错误"),
    ("__import__('os')", 0, "__import__"),
    ("a.b", 0, "不允许"),
    ("a ** 2", 0, "运算符"),
    ("[x for x in a]", 0, "不允许"),
    ("min()", 0, "参数个数"),
    ("a if b else c", 0, "不允许"),
    ("a in [b]", 5, "常量"),
])
def test_errors_name_context_and_position(text, position, fragment):
    with pytest.raises(FormulaError) as info:
        parse(text, context="youzhi2017 指标 R9", known_names=NAMES)
    err = info.value
    assert err.position == position
    assert "youzhi2017 指标 R9" in str(err) and fragment in str(err)


values = st.integers(min_value=-1000, max_value=1000)


CON = ibis.duckdb.connect()


@settings(deadline=None, max_examples=60)
@given(a=values, b=values, c=values)
def test_python_and_duckdb_agree(a, b, c):
    texts = ["a * 100 / where(b == 0, 1, b)", "implies(a > 0, b >= c) and not c == 3", "max(a, b, c) - min(a, c)"]
    table = ibis.memtable({"a": [a], "b": [b], "c": [c]})
    con = CON
    for text in texts:
        f = parse(text, context="t", known_names=NAMES)
        got = con.execute(table.select(v=f.to_ibis(table)))["v"].iloc[0]
        assert got == pytest.approx(f.evaluate({"a": a, "b": b, "c": c}))
