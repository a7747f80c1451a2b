"""The assessment's SQL, compiled once and reused (DuckDB).

Building the Ibis expressions of an assessment and compiling them to SQL takes longer than DuckDB takes
to run them on a whole nation, and the result depends only on the standard, the split rule, the data
dictionary and the input's schema. So on DuckDB the expressions are built once over placeholder tables,
compiled to SQL, and kept (``_PLANS``); each run binds the placeholders to its input (a temporary view)
and to its materialised school table, runs the SQL on the DuckDB connection and converts the Arrow
results to the same pandas frames Ibis would give. Other backends (Spark) run the Ibis expressions.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.schema as sch
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.types as pat

from dudao.engine.checks import computed_items, county_checks
from dudao.engine.cv import long_cvs, wide_cvs
from dudao.engine.indicators import (
    section_elements,
    shared_elements,
    with_indicators,
    with_school_rule,
    with_scope,
    with_split,
)
from dudao.standards.model import Dictionary, Standard

SCHOOL_COLUMNS = ["county_code", "school_code", "school_name", "kind", "section", "students", "share", "in_scope",
                  "excluded", "passed_count", "min_ratio", "school_pass"]
# Placeholder table names in the compiled SQL; replaced by each run's own temporary names.
INPUT, SCHOOLS, WIDE, CVS = "__dudao_input__", "__dudao_schools__", "__dudao_wide_cvs__", "__dudao_cvs__"
_PLANS: OrderedDict[tuple[Any, ...], Plan] = OrderedDict()
_KEEP = 32
_LOCK = threading.Lock()


def school_table(t: ir.Table, std: Standard, d: Dictionary, split_rule: str | None = None) -> ir.Table:
    """The Ibis expression of the per-school-section table (not materialised)."""
    split = with_scope(with_split(t, std, d, split_rule), std)
    sections = split.filter(split.section.isin(list(std.sections)))
    schools = with_school_rule(with_indicators(sections, std, d), std)
    keep = list(SCHOOL_COLUMNS)
    for ind in std.indicators:
        keep += [c for c in (ind.id, f"{ind.id}__thr", f"{ind.id}__pass", f"{ind.id}__unit") if c in schools.columns]
    return schools.select(*keep)


def summary_table(s: ir.Table) -> ir.Table:
    """Per county and section: school sections in scope, and those lacking data for the school rule."""
    return s.group_by(["county_code", "section"]).aggregate(
        in_scope=s.in_scope.cast("int64").sum(),
        missing=(s.in_scope & s.school_pass.isnull()).cast("int64").sum(),
    )


def failing_rows(s: ir.Table) -> ir.Table:
    return s.filter(s.in_scope & (s.school_pass == False))  # noqa: E712 - Ibis comparison


@dataclass(frozen=True)
class Query:
    sql: str
    schema: sch.Schema


@dataclass(frozen=True)
class Plan:
    """The compiled SQL of one assessment, over the placeholder tables."""

    schools: Query  # over INPUT
    summary: Query  # over SCHOOLS
    failing: Query  # over SCHOOLS
    wide_cvs: Query  # over SCHOOLS: the two passes of the CVs, one row per county and section
    cvs: Query  # over WIDE
    lift_rows: Query  # over SCHOOLS and CVS: in-scope rows of the (county, section) pairs with a CV over its limit
    checks: Query | None  # over INPUT; None when the standard has no computed items


def _key(schema: sch.Schema, std: Standard, d: Dictionary, split_rule: str) -> tuple[Any, ...]:
    """Everything the SQL depends on: the standard's whole content (not just its id: a standard can be
    changed in memory), the split rule, the dictionary's shared and section elements and the input schema."""
    return (std.model_dump_json(), split_rule, tuple(shared_elements(d)), tuple(section_elements(d)),
            tuple((n, str(t)) for n, t in schema.items()))


def plan_for(schema: sch.Schema, std: Standard, d: Dictionary, split_rule: str, con: Any) -> Plan:
    """The compiled plan for this input schema and standard, compiled on first use."""
    key = _key(schema, std, d, split_rule)
    with _LOCK:
        plan = _PLANS.get(key)
        if plan is not None:
            _PLANS.move_to_end(key)
            return plan
    plan = _compile(schema, std, d, split_rule, con)
    with _LOCK:
        _PLANS[key] = plan
        while len(_PLANS) > _KEEP:
            _PLANS.popitem(last=False)
    return plan


def _compile(schema: sch.Schema, std: Standard, d: Dictionary, split_rule: str, con: Any) -> Plan:
    def query(expr: ir.Table) -> Query:
        return Query(con.compile(expr), expr.schema())

    src = ibis.table(schema, name=INPUT)
    schools = school_table(src, std, d, split_rule)
    s = ibis.table(schools.schema(), name=SCHOOLS)
    wide = wide_cvs(s, std)
    cvs = long_cvs(ibis.table(wide.schema(), name=WIDE), std)
    c = ibis.table(cvs.schema(), name=CVS)
    over = c.filter(c.cv_limit.notnull() & (c.cv > c.cv_limit)).select(k_county=c.county_code, k_section=c.section)
    scoped = s.filter(s.in_scope)
    lift_rows = scoped.semi_join(over, [scoped.county_code == over.k_county, scoped.section == over.k_section])
    checks = query(county_checks(with_scope(src, std), std, d)) if computed_items(std) else None
    return Plan(query(schools), query(summary_table(s)), query(failing_rows(s)), query(wide), query(cvs),
                query(lift_rows), checks)


def _backend(t: ir.Table) -> Any:
    try:
        backend = t._find_backend()
    except Exception:  # unbound or mixed tables: the generic path
        return None
    return backend if getattr(backend, "name", "") == "duckdb" else None


def run_plan(t: ir.Table, std: Standard, d: Dictionary, split_rule: str | None, *, with_gaps: bool,
             with_schools: bool) -> Run | None:
    """Starts the assessment's SQL on DuckDB; None for other backends (the caller then runs Ibis).

    The school table is materialised and its summary and failing rows fetched before this returns; the
    CVs, the rows for the CV lifts (or the whole school table) and the computed county items then run on
    the connection in a worker thread while the caller works on what it has in Python (DuckDB releases
    the GIL). The caller must ``Run.wait()`` before using the connection again; ``assess`` does.
    """
    con = _backend(t)
    register = getattr(con, "_register_in_memory_tables", None)  # Ibis's own step before running SQL
    if con is None or register is None:
        return None
    plan = plan_for(t.schema(), std, d, split_rule or std.split.default_rule, con)
    raw = con.con
    tag = uuid.uuid4().hex[:16]
    names = {INPUT: f"dudao_in_{tag}", SCHOOLS: f"dudao_s_{tag}", WIDE: f"dudao_w_{tag}", CVS: f"dudao_cv_{tag}"}

    def sql(q: Query) -> str:
        text = q.sql
        for placeholder, name in names.items():
            text = text.replace(f'"{placeholder}"', f'"{name}"')
        return text

    def fetch(q: Query) -> pd.DataFrame:
        return to_pandas(raw.sql(sql(q)).to_arrow_table(), q.schema)

    def drop(*which: str) -> None:
        for name in which:
            raw.execute(f'DROP {"VIEW" if name == INPUT else "TABLE"} IF EXISTS "{names[name]}"')

    run = Run()
    register(t)
    raw.execute(f'CREATE TEMPORARY VIEW "{names[INPUT]}" AS {con.compile(t)}')
    try:
        raw.execute(f'CREATE TEMPORARY TABLE "{names[SCHOOLS]}" AS {sql(plan.schools)}')
        run.summary, run.failing = fetch(plan.summary), fetch(plan.failing)
        empty_checks = county_checks(t, std, d).execute() if plan.checks is None else None
    except BaseException:
        drop(SCHOOLS, INPUT)
        raise

    def rest() -> None:
        try:
            try:
                raw.execute(f'CREATE TEMPORARY TABLE "{names[WIDE]}" AS {sql(plan.wide_cvs)}')
                raw.execute(f'CREATE TEMPORARY TABLE "{names[CVS]}" AS {sql(plan.cvs)}')
                cvs = fetch(Query(f'SELECT * FROM "{CVS}"', plan.cvs.schema))
                if with_schools:
                    schools = fetch(Query(f'SELECT * FROM "{SCHOOLS}"', plan.schools.schema))
                    lift_rows = schools
                else:
                    schools = None
                    lift_rows = fetch(plan.lift_rows) if with_gaps else run.failing.iloc[0:0]
            finally:
                drop(CVS, WIDE, SCHOOLS)
            run.tables.set_result((cvs, schools, lift_rows))
            run.checks.set_result(fetch(plan.checks) if plan.checks is not None else empty_checks)
        except BaseException as exc:  # handed to the caller through the futures
            for future in (run.tables, run.checks):
                if not future.done():
                    future.set_exception(exc)
        finally:
            drop(INPUT)

    run.worker = threading.Thread(target=rest, name="dudao-assess", daemon=True)
    run.worker.start()
    return run


class Run:
    """An assessment's SQL in flight: ``summary`` and ``failing`` now, the rest as futures."""

    summary: pd.DataFrame
    failing: pd.DataFrame
    worker: threading.Thread | None = None

    def __init__(self) -> None:
        self.tables: Future[tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame]] = Future()  # cvs, schools, lifts
        self.checks: Future[pd.DataFrame] = Future()

    def wait(self) -> None:
        """Until the worker is done with the connection (whatever the outcome)."""
        if self.worker is not None:
            self.worker.join()


def to_pandas(table: pa.Table, schema: sch.Schema) -> pd.DataFrame:
    """The pandas frame Ibis's DuckDB ``execute`` gives for this Arrow result (same dtypes and values).

    Ibis converts each column twice (its DuckDB converter, then the generic one, a no-op on the result);
    once is enough. Lists (``collect``) are taken as Python lists directly rather than mapped element by
    element. tests/engine/test_plan.py checks the frames against Ibis's.
    """
    from ibis.backends.duckdb.converter import DuckDBPandasData

    lists = {n for n, col in zip(table.column_names, table.columns, strict=True) if pat.is_list(col.type)}
    df = pd.DataFrame({
        name: (col.to_pylist() if (pat.is_nested(col.type) or pat.is_dictionary(col.type) or col.null_count)
               else col.to_pandas())
        for name, col in zip(table.column_names, table.columns, strict=True) if name not in lists
    })
    rest = sch.Schema({n: t for n, t in schema.items() if n not in lists})
    df = DuckDBPandasData.convert_table(df, rest)
    for name in lists:
        df[name] = pd.Series(table.column(name).to_pylist(), dtype=object, index=df.index)
    return df[list(schema.names)]
