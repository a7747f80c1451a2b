"""One aid check from files to results, with no Django: read and check every file, identify, work out
eligibility and amounts, compare with payments. Used by the CLI, the services (which then store the results)
and the benchmark."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from dudao.aid.files import Checked, check_file
from dudao.aid.rules import rule_frames, term_days, term_start
from dudao.engine import aid as engine
from dudao.engine.backends import connect


@dataclass
class Result:
    term: str
    checked: list[Checked]
    exact: pa.Table | None = None
    proposals: pa.Table | None = None
    lines: pa.Table | None = None
    totals: pa.Table | None = None
    roster: pa.Table | None = None  # the current roster rows of the students in ``lines`` or ``proposals``
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checked)


def _concat(tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]


def run(roster: list[Path], lists: list[Path], payments: list[Path], term: str, *, hash_key: bytes,
        county: str | None = None, confirmed: list[tuple[str, str]] = (), engine_name: str = "duckdb",  # type: ignore[assignment]
        today: dt.date | None = None, con: Any = None) -> Result:
    """Checks the files (nothing further when one has an error) and computes the term's coverage.

    ``confirmed``: (id_hash, category) pairs of proposed matches a person confirmed earlier.
    """
    import time

    t0 = time.perf_counter()
    con = con or connect(engine_name)
    if getattr(con, "name", "") == "duckdb":
        con.raw_sql("SET preserve_insertion_order = false")
    # reading and checking files is always local (DuckDB), one connection per file so that its memory goes with it
    checked = [check_file(p, "roster", today=today, county=county, hash_key=hash_key) for p in roster]
    checked += [check_file(p, "list", today=today, hash_key=hash_key) for p in lists]
    checked += [check_file(p, "payments", today=today, hash_key=hash_key) for p in payments]
    result = Result(term, checked)
    result.timings["read_check"] = time.perf_counter() - t0
    if not result.ok:
        return result
    t1 = time.perf_counter()
    files_roster = [c.data for c in checked if c.kind == "roster"]
    list_tables = []
    for c in checked:
        if c.kind == "list":
            assert c.data is not None
            list_tables.append(c.data.append_column("file", pa.array([c.file] * c.data.num_rows, pa.string())))
    pay_tables = [c.data for c in checked if c.kind == "payments"]
    r = _table(con, "aid_roster", _concat(files_roster))  # type: ignore[arg-type]
    lst = _table(con, "aid_lists", _concat(list_tables))
    pay = _table(con, "aid_payments", _concat(pay_tables)) if pay_tables else None  # type: ignore[arg-type]
    frames = {k: _table(con, f"aid_rule_{k}", pa.Table.from_pandas(v, preserve_index=False)) for k, v in rule_frames().items()}
    start = term_start(term)
    exact, proposals = engine.identify(r, lst, start)
    exact_t = con.to_pyarrow(exact)
    proposals_t = con.to_pyarrow(proposals)
    result.timings["identify"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    matched = exact_t.select(["id_hash", "category"])
    if confirmed:
        matched = pa.concat_tables([matched, pa.table({"id_hash": [h for h, _ in confirmed], "category": [c for _, c in confirmed]})])
    m = _table(con, "aid_matched", matched)
    due = engine.eligibility(r, m, frames, start, term_days(term))
    if pay is None:
        pay = _table(con, "aid_payments", pa.table({"row": pa.array([], pa.int64()), "school_code": pa.array([], pa.string()),
                                                   "id_hash": pa.array([], pa.string()), "programme": pa.array([], pa.string()),
                                                   "amount": pa.array([], pa.float64())}))
    lines = engine.coverage(due, pay, frames["groups"])
    result.lines = con.to_pyarrow(lines)
    result.totals = con.to_pyarrow(engine.totals(_table(con, "aid_lines", result.lines)))
    result.exact, result.proposals = exact_t, proposals_t
    result.timings["coverage"] = time.perf_counter() - t2
    return result


def _table(con: Any, name: str, data: pa.Table) -> Any:
    if getattr(con, "name", "") == "pyspark":  # typed through Ibis's schema: an all-null column keeps its type
        return con.create_table(name, ibis.memtable(data), overwrite=True)
    return ibis.memtable(data)  # DuckDB scans the Arrow table in place


def roster_rows(result: Result, hashes: set[str]) -> list[dict[str, Any]]:
    """The current roster rows (name, ID number, school, ...) of the given students, for storing them."""
    tables = [c.data for c in result.checked if c.kind == "roster" and c.data is not None]
    if not tables or not hashes:
        return []
    con = ibis.duckdb.connect()
    cur = engine.current_roster(con.create_table("r", _concat(tables)), term_start(result.term))
    wanted = con.create_table("w", pa.table({"h": sorted(hashes)}))
    return cur.inner_join(wanted, cur.id_hash == wanted.h).drop("h").to_pyarrow().to_pylist()
