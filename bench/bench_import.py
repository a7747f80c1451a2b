"""Benchmark (issue 2): importing the 4,000-school synthetic province workbook.

Target: under 20 s and under 1 GB peak memory on the 2-core machine. Each measurement runs in its own
process so that its peak resident memory is its own. The straightforward pandas version
(bench/pandas_import.py) runs in the same session for comparison.

    .venv/bin/python bench/bench_import.py [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DUDAO_RUN = textwrap.dedent("""
    import json, resource, sys, time
    import django
    django.setup()
    from pathlib import Path
    from django.core.management import call_command
    from dudao.orgunits.services import load_divisions
    from dudao.schools.services import import_file
    call_command("migrate", verbosity=0)
    load_divisions("21")
    path = Path(sys.argv[1])
    t0 = time.perf_counter(); first = import_file(path, int(sys.argv[2]), "bench"); t1 = time.perf_counter()
    again = import_file(path, int(sys.argv[2]), "bench"); t2 = time.perf_counter()
    assert first.accepted and again.counts["changed_values"] == 0, first.errors[:3]
    print(json.dumps({"first_s": t1 - t0, "again_s": t2 - t1, "schools": first.counts["schools"],
                      "sections": first.counts["sections"], "warnings": len(first.warnings),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")

PANDAS_RUN = textwrap.dedent("""
    import json, resource, sys, time
    sys.path.insert(0, sys.argv[3])
    from pathlib import Path
    from pandas_import import run
    t0 = time.perf_counter(); errors = run(Path(sys.argv[1]), Path(sys.argv[2])); t1 = time.perf_counter()
    print(json.dumps({"first_s": t1 - t0, "errors": errors,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""")


def _run(code: str, args: list[str], env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--postgres", default="", help="also import into this PostgreSQL server, e.g. "
                        "postgres://postgres@127.0.0.1:5432 (database dudao_bench is dropped and re-created)")
    args = parser.parse_args()
    from dudao.synth.province import generate_province, write_province

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        write_province(generate_province(args.seed, years=(args.year,)), tmpdir)
        workbook = tmpdir / f"province_21_{args.year}.xlsx"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dudao.web.settings", "DUDAO_DATA_DIR": str(tmpdir / "db"),
               "DUDAO_DATABASE_URL": ""}
        dudao = _run(DUDAO_RUN, [str(workbook), str(args.year)], env)
        pg = None
        if args.postgres:
            import psycopg

            with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as con:
                con.execute("DROP DATABASE IF EXISTS dudao_bench")
                con.execute("CREATE DATABASE dudao_bench")
            pg = _run(DUDAO_RUN, [str(workbook), str(args.year)], {**env, "DUDAO_DATABASE_URL": f"{args.postgres}/dudao_bench"})
        base = _run(PANDAS_RUN, [str(workbook), str(tmpdir / "pandas.sqlite3"), str(ROOT / "bench")], env)
        size_mb = workbook.stat().st_size / 1e6
    print(f"workbook: {dudao['schools']:.0f} schools, {dudao['sections']:.0f} sections ({size_mb:.1f} MB)")
    print(f"dudao import (check every cell, locate errors, warnings, store, change log): "
          f"{dudao['first_s']:.2f} s, peak {dudao['peak_mb']:.0f} MB, {dudao['warnings']:.0f} warnings")
    print(f"dudao re-import of the same file (no change):                             {dudao['again_s']:.2f} s")
    if pg:
        print(f"dudao import into PostgreSQL:                                             "
              f"{pg['first_s']:.2f} s (re-import {pg['again_s']:.2f} s), peak {pg['peak_mb']:.0f} MB")
    print(f"pandas baseline (read_excel + column checks + to_sql):                     "
          f"{base['first_s']:.2f} s, peak {base['peak_mb']:.0f} MB")
    ok = dudao["first_s"] < 20 and dudao["peak_mb"] < 1024
    print(f"target < 20 s and < 1 GB: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
