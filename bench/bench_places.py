"""Benchmark (issue 9): the national enrolment projection — every county-level unit (≈ 2,850), 10 years
ahead, three scenarios — through the engine on DuckDB, against a straightforward pandas version (a loop
over counties stepping the cohorts year by year) in the same run. Target: DuckDB under 10 s.
Each side runs in its own process, so that peak memory (max RSS) is its own; both results are compared.

    .venv/bin/python bench/bench_places.py [--seed 1] [--spark]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ENGINE_RUN = textwrap.dedent("""
    import json, resource, sys, time
    import pandas as pd
    from dudao.engine.backends import connect
    from dudao.engine.projection import project_totals, backtest, mape
    from dudao.places.params import settings_for
    folder, engine, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    enrol = pd.read_parquet(folder + "/enrol.parquet"); births = pd.read_parquet(folder + "/births.parquet")
    units = pd.read_parquet(folder + "/units.parquet")
    s = settings_for(2024, 10)
    con = connect(engine)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter(); out = project_totals(con, enrol, units, births, s); times.append(time.perf_counter() - t0)
    t0 = time.perf_counter(); bt = mape(backtest(con, enrol, units, births, s)); bt_s = time.perf_counter() - t0
    out.to_pandas().to_parquet(folder + f"/out_{engine}.parquet")
    print(json.dumps({"best_s": min(times), "first_s": times[0], "rows": out.num_rows, "backtest_s": bt_s,
                      "mape_median": float(bt.mape.median()), "mape_max": float(bt.mape.max()),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

PANDAS_RUN = textwrap.dedent("""
    import json, math, resource, sys, time
    import numpy as np
    import pandas as pd
    from dudao.places.params import settings_for
    folder = sys.argv[1]
    enrol = pd.read_parquet(folder + "/enrol.parquet"); births = pd.read_parquet(folder + "/births.parquet")
    s = settings_for(2024, 10)
    t0 = time.perf_counter()
    base, F, T = s.base_year, s.fit_years, s.trend_years
    fit = range(base - F + 1, base + 1)
    by_area = {a: g.set_index("year").births for a, g in births.groupby("area")}
    rows = []
    for unit, e in enrol.groupby("unit"):
        piv = e.pivot(index="year", columns="grade", values="students")
        b = by_area[unit]
        ir = piv.loc[list(fit), 1].sum() / b.loc[[y - 6 for y in fit]].sum()
        pr = {g: piv.loc[list(fit), g].sum() / piv.loc[[y - 1 for y in fit], g - 1].sum() for g in range(2, 10)}
        last = int(b.index.max())
        ch = np.log(b.loc[last - T + 1:last].to_numpy() / b.loc[last - T:last - 1].to_numpy()).mean()
        rate = min(max(math.exp(ch) - 1, s.trend_low), s.trend_high)
        for sc in s.scenarios:
            cur = piv.loc[base].to_dict()
            for h in range(1, s.horizon + 1):
                y = base + h
                by = y - 6
                bb = b[by] if by <= last else b[last] * max(1 + rate + sc.births_change, 0) ** (by - last)
                new = {1: ir * sc.intake_factor * bb}
                for g in range(2, 10):
                    new[g] = cur[g - 1] * max(pr[g] + sc.migration, 0.01)
                rows.append((unit, sc.id, y, sum(new.values())))
                cur = new
    out = pd.DataFrame(rows, columns=["unit", "scenario", "year", "students"])
    took = time.perf_counter() - t0
    out.to_parquet(folder + "/out_pandas.parquet")
    print(json.dumps({"best_s": took, "first_s": took, "rows": len(out),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--spark", action="store_true")
    args = ap.parse_args()
    import time

    import pandas as pd

    from dudao.synth.births import generate_national

    t0 = time.perf_counter()
    h = generate_national(args.seed)
    gen_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        h.enrol.to_parquet(f"{tmp}/enrol.parquet")
        h.births[h.births.series == "changzhu"][["area", "year", "births"]].to_parquet(f"{tmp}/births.parquet")
        h.units.to_parquet(f"{tmp}/units.parquet")
        print(f"synthetic nation: {h.units.unit.nunique()} counties, {len(h.enrol):,} enrolment rows "
              f"(2015–2024 × 9 grades), {len(h.births):,} births rows; generated in {gen_s:.2f} s")
        duck = run(ENGINE_RUN, tmp, "duckdb", "3")
        pand = run(PANDAS_RUN, tmp)
        a = pd.read_parquet(f"{tmp}/out_duckdb.parquet")
        b = pd.read_parquet(f"{tmp}/out_pandas.parquet")
        m = a.merge(b, on=["unit", "scenario", "year"], suffixes=("_d", "_p"))
        diff = float(((m.students_d - m.students_p).abs() / m.students_p).max())
        print(f"dudao engine on DuckDB: best {duck['best_s']:.2f} s (first {duck['first_s']:.2f} s), "
              f"{duck['rows']:,} county × scenario × year rows, peak {duck['peak_mb']:.0f} MB; "
              f"backtest of every county {duck['backtest_s']:.2f} s (MAPE median {duck['mape_median']:.2f}%, "
              f"max {duck['mape_max']:.2f}%)")
        print(f"pandas loop over counties: {pand['best_s']:.2f} s, peak {pand['peak_mb']:.0f} MB "
              f"→ DuckDB is {pand['best_s'] / duck['best_s']:.1f}× faster")
        print(f"same results: {len(m):,} rows compared, largest relative difference {diff:.2e}")
        print(f"target under 10 s: {'met' if duck['best_s'] < 10 else 'NOT met'}")
        if args.spark:
            sp = run(ENGINE_RUN, tmp, "spark", "2")
            print(f"dudao engine on Spark local[2]: best {sp['best_s']:.2f} s (first {sp['first_s']:.2f} s), "
                  f"driver peak {sp['peak_mb']:.0f} MB; backtest {sp['backtest_s']:.2f} s")


if __name__ == "__main__":
    main()
