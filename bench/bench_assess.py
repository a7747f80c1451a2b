"""Benchmark (issue 3): the whole 2017 assessment of the synthetic nation.

Target on the 2-core machine: DuckDB under 2 s and under 2 GB; at least 5× faster than the
straightforward pandas version (bench/pandas_assess.py) in the same run; within 10× of a DuckDB scan of
the same input columns (the floor), in wall time. CPU time is printed too: on a shared machine it moves
less with the others' load. Spark local mode is timed too (--spark). Each run in its own process.

    .venv/bin/python bench/bench_assess.py [--seed 1] [--spark]
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
    from dudao.engine.backends import connect
    from dudao.engine.assessment import assess
    from dudao.standards.model import load_dictionary, load_standard
    path, engine = sys.argv[1], sys.argv[2]
    d, std = load_dictionary(), load_standard("youzhi2017")
    con = connect(engine)
    t = con.read_parquet(path)
    times, cpu = [], []
    for _ in range(int(sys.argv[3])):
        t0, c0 = time.perf_counter(), time.process_time(); a = assess(t, std, d, year=2024, with_schools=False)
        times.append(time.perf_counter() - t0); cpu.append(time.process_time() - c0)
    print(json.dumps({"best_s": min(times), "first_s": times[0], "cpu_s": min(cpu), "counties": len(a.verdicts),
                      "sections": int(len(a.schools)), "gaps": int(len(a.gaps)), "lifts": int(len(a.lifts)),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

SCAN_RUN = textwrap.dedent("""
    import json, resource, sys, time
    import duckdb
    from dudao.engine.frames import input_columns
    from dudao.standards.model import load_dictionary
    cols = [c for c in input_columns(load_dictionary())]
    con = duckdb.connect()
    names = {r[0] for r in con.sql(f"DESCRIBE SELECT * FROM read_parquet('{sys.argv[1]}')").fetchall()}
    types = dict(r[:2] for r in con.sql(f"DESCRIBE SELECT * FROM read_parquet('{sys.argv[1]}')").fetchall())
    exprs = ", ".join((f"sum(\\"{c}\\")" if types[c] in ("DOUBLE", "BIGINT") else f"max(length(\\"{c}\\"::VARCHAR))")
                      for c in cols if c in names)
    times, cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        con.sql(f"SELECT {exprs} FROM read_parquet('{sys.argv[1]}')").fetchall()
        times.append(time.perf_counter() - t0); cpu.append(time.process_time() - c0)
    print(json.dumps({"best_s": min(times), "cpu_s": min(cpu),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

PANDAS_RUN = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, sys.argv[2])
    from pandas_assess import run
    t0 = time.perf_counter(); out = run(sys.argv[1]); t1 = time.perf_counter()
    print(json.dumps({"best_s": t1 - t0, "counties": len(out),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def _run(code: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spark", action="store_true", help="also time Spark local mode")
    args = parser.parse_args()
    from dudao.synth.nation import write_nation

    with tempfile.TemporaryDirectory() as tmp:
        path = str(write_nation(args.seed, Path(tmp)))
        duck = _run(ENGINE_RUN, path, "duckdb", "3")
        scan = _run(SCAN_RUN, path)
        base = _run(PANDAS_RUN, path, str(ROOT / "bench"))
        spark = _run(ENGINE_RUN, path, "spark", "2") if args.spark else None
    print(f"input: the synthetic nation, {duck['counties']:.0f} counties")
    print(f"dudao on DuckDB (indicators, school rule, CVs, computed items, verdicts, gaps, CV lifts): "
          f"best {duck['best_s']:.2f} s (first {duck['first_s']:.2f} s), peak {duck['peak_mb']:.0f} MB; "
          f"{duck['gaps']:.0f} school gaps, {duck['lifts']:.0f} lift rows")
    print(f"DuckDB scan of the same input columns (floor): {scan['best_s']:.3f} s")
    print(f"CPU time (all threads; less sensitive to other load on the machine): dudao {duck['cpu_s']:.2f} s, "
          f"scan {scan['cpu_s']:.3f} s, ratio {duck['cpu_s'] / scan['cpu_s']:.1f}×")
    print(f"pandas baseline: {base['best_s']:.2f} s, peak {base['peak_mb']:.0f} MB")
    if spark:
        print(f"dudao on Spark local[2]: best {spark['best_s']:.2f} s (first {spark['first_s']:.2f} s), "
              f"driver peak {spark['peak_mb']:.0f} MB")
    speedup, floor = base["best_s"] / duck["best_s"], duck["best_s"] / scan["best_s"]
    print(f"speed-up over pandas: {speedup:.1f}× (target ≥ 5×); ratio to the scan floor: {floor:.1f}× (target ≤ 10×)")
    ok = duck["best_s"] < 2 and duck["peak_mb"] < 2048 and speedup >= 5 and floor <= 10
    print(f"targets: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
