"""Student aid at scale: a 10-million-student roster against 3 million department-list rows.

Identification (ID checks, keyed hash, exact matches, fallback proposals) and coverage (eligibility, amounts,
payments compared) on DuckDB through the product's own pipeline (``dudao.aid.pipeline.run``, the same code as
``dudao aid coverage``), against a straightforward pandas version (``bench/pandas_aid.py``) in the same run. Each
side runs in its own process so that its peak memory (VmHWM) is its own. If pandas cannot finish at the full
size, both are compared at the largest size pandas finishes.

    .venv/bin/python bench/bench_aid.py [--students 10000000] [--lists 3000000] [--chunks 10] [--skip-pandas]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TERM = "2024-spring"
KEY = "bench-key-" + "x" * 32

CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
kind, folder, n = sys.argv[1], Path(sys.argv[3]), int(sys.argv[4])
chunks = sorted(p for p in folder.iterdir() if p.is_dir())[:n]
roster = [c / "roster.parquet" for c in chunks]
lists = [c / f"list_{d}.parquet" for c in chunks for d in ("civil", "rural", "disability")]
pays = [c / "payments.parquet" for c in chunks]
key = sys.argv[5].encode()
t0 = time.perf_counter()
if kind == "duckdb":
    from dudao.aid.pipeline import run
    r = run(roster, lists, pays, "2024-spring", hash_key=key)
    assert r.ok, [i for c in r.checked for i in c.issues[:3]]
    findings = {}
    for f in r.lines.column("finding").to_pylist():
        findings[f] = findings.get(f, 0) + 1
    out = {"exact": r.exact.num_rows, "proposals": r.proposals.num_rows, "lines": r.lines.num_rows,
           "findings": findings, "timings": r.timings,
           "rows": {"roster": sum(c.rows for c in r.checked if c.kind == "roster"),
                    "lists": sum(c.rows for c in r.checked if c.kind == "list"),
                    "payments": sum(c.rows for c in r.checked if c.kind == "payments")}}
else:
    from pandas_aid import run
    out = run(roster, lists, pays, "2024-spring", key)
out["seconds"] = time.perf_counter() - t0
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
out["peak_mb"] = int(hwm.split()[1]) / 1024
print(json.dumps(out))
"""


def prepare(folder: Path, students: int, list_rows: int, chunks: int) -> None:
    """One folder per chunk: a county of Liaoning with ``students / chunks`` students, its lists padded with
    adults of the county up to ``list_rows / chunks`` rows, and its payments with the planted errors."""
    from dudao.orgunits.divisions import national_divisions
    from dudao.synth.students import generate_students, write_students

    counties = [d.code for d in national_divisions() if d.code.startswith("21") and d.level == "county"][:chunks]
    per = students // chunks
    for i, county in enumerate(counties):
        out = folder / f"{i:02d}-{county}"
        if (out / "truth.json").exists():
            continue
        t0 = time.perf_counter()
        schools = max(3, per // 800)
        codes = [f"{'21' if j % 3 else '31'}21{i:02d}{j:04d}" for j in range(schools)]
        # about 11.5% of students are on a list; the rest of the list rows are adults of their households
        adults = max(0, list_rows // chunks - int(per * 0.115))
        data = generate_students(county, TERM, students=per, seed=100 + i, school_codes=codes, adults=adults,
                                 plants={"unpaid": 50, "not_eligible": 50, "twice_school": 20, "twice_group": 20,
                                         "amount": 30, "proposals": 20, "moved": 50, "two_categories": 30})
        write_students(data, out, "parquet")
        print(f"  generated {out.name}: {per:,} students in {time.perf_counter() - t0:.1f} s", flush=True)


MAX_RSS_GB = 15.5  # the machine is shared: a side growing past this is stopped and counted as not fitting


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS"))
    except (OSError, StopIteration):
        return 0


def child(kind: str, folder: Path, chunks: int, max_rss_gb: float = MAX_RSS_GB) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with subprocess.Popen([sys.executable, "-c", CHILD, kind, str(ROOT / "bench"), str(folder), str(chunks), KEY],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _rss_kb(proc.pid))
            if peak > max_rss_gb * 1024 * 1024:
                proc.kill()
                proc.communicate()
                return {"failed": True, "reason": f"stopped at {peak / 1024 / 1024:.1f} GB RSS (limit {max_rss_gb} GB)"}
            time.sleep(1)
        out, err = proc.communicate()
    if proc.returncode != 0:
        return {"failed": True, "returncode": proc.returncode, "stderr": err[-1500:]}
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=10_000_000)
    ap.add_argument("--lists", type=int, default=3_000_000)
    ap.add_argument("--chunks", type=int, default=10)
    ap.add_argument("--folder", type=Path, default=ROOT / "var" / "bench" / "aid")
    ap.add_argument("--skip-pandas", action="store_true")
    ap.add_argument("--max-rss-gb", type=float, default=MAX_RSS_GB, help="stop a pandas run growing past this")
    args = ap.parse_args()
    folder = args.folder / f"{args.students}-{args.lists}"
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    prepare(folder, args.students, args.lists, args.chunks)
    print(f"data ready in {time.perf_counter() - t0:.0f} s: {folder}", flush=True)
    results: dict[str, dict] = {}
    results["duckdb"] = child("duckdb", folder, args.chunks, max_rss_gb=1e9)
    print("duckdb", json.dumps(results["duckdb"], ensure_ascii=False), flush=True)
    if not args.skip_pandas:
        n = args.chunks
        while n >= 1:
            results[f"pandas@{n}"] = child("pandas", folder, n, args.max_rss_gb)
            print(f"pandas@{n}", json.dumps(results[f"pandas@{n}"], ensure_ascii=False)[:2000], flush=True)
            if not results[f"pandas@{n}"].get("failed"):
                break
            n //= 2
        if n != args.chunks and n >= 1:
            results[f"duckdb@{n}"] = child("duckdb", folder, n, max_rss_gb=1e9)
            print(f"duckdb@{n}", json.dumps(results[f"duckdb@{n}"]), flush=True)
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    summary = {"students": args.students, "list_rows": args.lists, "chunks": args.chunks, "load": load, **results}
    (folder / "results.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
