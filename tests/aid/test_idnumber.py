"""Resident ID numbers: one at a time (Python) and a whole column (engine) agree; masks; the keyed hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dudao.aid.idnumber import check_char, id_problem, known_regions, mask_id, mask_name
from dudao.engine import aid as engine

TODAY = dt.date(2026, 1, 1)
GOOD = "11010519491231002X"  # the standard's example: 北京市朝阳区, 1949-12-31, check character X


def _with_check(first17: str) -> str:
    return first17 + check_char(first17)


def test_good_number():
    assert check_char(GOOD[:17]) == "X"
    assert id_problem(GOOD, TODAY) is None
    assert id_problem(GOOD.lower(), TODAY) is None  # a lower-case x is accepted and normalised


@pytest.mark.parametrize(("value", "rule"), [
    ("110105194912310021", "check"),  # right form, wrong check character
    (_with_check("11010519490230002"), "date"),  # 30 February
    (_with_check("11010520270101002"), "date"),  # born in the future
    (_with_check("11010518991231002"), "date"),  # before 1900
    (_with_check("99010519491231002"), "region"),  # no such division
    (_with_check("11019919491231002"), "region"),
    ("1101051949123100", "format"),  # 16 characters
    ("11010519491231002Y", "format"),
    ("", "format"),
])
def test_bad_numbers(value, rule):
    assert id_problem(value, TODAY) == rule


def test_leap_day():
    assert id_problem(_with_check("11010520000229002"), TODAY) is None
    assert id_problem(_with_check("11010519000229002"), TODAY) == "date"  # 1900 was not a leap year


def test_masks():
    assert mask_id(GOOD) == "1101**********002X"
    assert mask_name("张小三") == "张*三"
    assert mask_name("王五") == "王*"
    assert mask_name("欧阳娜娜") == "欧**娜"
    assert mask_name("李") == "李"


regions = sorted(known_regions())
ids = st.builds(
    lambda region, days, seq, tamper: (lambda s: s if tamper is None else s[:17] + tamper)(
        _with_check(f"{region}{(dt.date(1950, 1, 1) + dt.timedelta(days=days)):%Y%m%d}{seq:03d}")),
    st.sampled_from([*regions[:50], "990000", "110199"]), st.integers(0, 30000), st.integers(0, 999),
    st.one_of(st.none(), st.sampled_from(list("0123456789X"))),
)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.one_of(ids, st.text("0123456789X", min_size=0, max_size=19)), min_size=1, max_size=60))
def test_engine_agrees_with_python(values):
    con = ibis.duckdb.connect()
    t = con.create_table("t", pa.table({"row": list(range(len(values))), "id_number": values}))
    reg = con.create_table("r", pa.table({"code": regions}))
    got = {r["row"]: r["rule"] for r in engine.id_problems(t, "id_number", reg, TODAY).to_pyarrow().to_pylist()}
    want = {i: id_problem(v, TODAY) for i, v in enumerate(values) if v and id_problem(v, TODAY)}
    assert got == want


def test_keyed_hash_is_hmac_sha256():
    key = b"a test key that is long enough!!"
    values = [GOOD, "210521201310140009", "中文"]
    con = ibis.duckdb.connect()
    t = con.create_table("t", pa.table({"v": values}))
    got = t.select(h=engine.keyed_hash(t.v, key)).to_pyarrow()["h"].to_pylist()
    assert got == [hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values]
    long_key = b"k" * 100  # longer than a block: hashed first, as HMAC says
    got = t.select(h=engine.keyed_hash(t.v, long_key)).to_pyarrow()["h"].to_pylist()
    assert got[0] == hmac.new(long_key, GOOD.encode(), hashlib.sha256).hexdigest()


def test_every_aid_error_code_is_documented():
    from pathlib import Path

    from dudao.aid.errors import AidMessage

    doc = (Path(__file__).resolve().parents[2] / "docs" / "errors.md").read_text(encoding="utf-8")
    assert all(f"`{m.code}`" in doc for m in AidMessage)
