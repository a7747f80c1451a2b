"""Benchmark (issue 6): value-added of 10 million students in 20,000 schools on DuckDB.

Each contender runs in its own process (peak memory = that process's maximum resident set):

- ``duckdb``: ``dudao.engine.valueadded.estimate`` on the Parquet file read by DuckDB (the engine path);
- ``cli``: the whole ``dudao value-added`` path: read and check the file with pandas, load DuckDB, estimate;
- ``pandas``: the same estimator written straightforwardly in pandas/numpy (bench/pandas_valueadded.py);
- ``mixedlm``: statsmodels MixedLM (REML) with predicted random intercepts — too slow for 10 million rows,
  so it and DuckDB are also timed on a smaller file that both can run (``--small``).

    .venv/bin/python bench/bench_valueadded.py [--students 10000000 --schools 20000 --small 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COVS = ["female", "ses", "migrant"]

WORKER = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, sys.argv[3])
    kind, path = sys.argv[1], sys.argv[2]
    covs = ["female", "ses", "migrant"]
    if kind == "duckdb":
        from dudao.engine.backends import connect
        from dudao.engine.valueadded import Params, estimate
        t0 = time.perf_counter()
        con = connect("duckdb")
        r = estimate(con.read_parquet(path), covs, Params(min_students=20))
        out = {"schools": len(r.schools), "tau2": r.model["tau2"], "beta_pre": r.model["beta"]["pre"],
               "estimates": {s.school_code: s.estimate for s in r.schools[:2000]}}
    elif kind == "cli":
        from dudao.engine.valueadded import Params
        from dudao.quality.scores_io import read_scores, value_added
        import dudao.engine.backends, ibis.backends.duckdb
        t0 = time.perf_counter()
        inp = read_scores(path, covs)
        t1 = time.perf_counter()
        r = value_added(inp, Params(min_students=20))
        out = {"schools": len(r.schools), "tau2": r.model["tau2"], "read_s": t1 - t0}
    elif kind == "pandas":
        from pandas_valueadded import estimate_pandas
        t0 = time.perf_counter()
        r = estimate_pandas(path, covs, 20)
        out = {"schools": len(r), "tau2": float(r.attrs["tau2"]), "beta_pre": float(r.attrs["beta"][0]),
               "estimates": {k: (None if v != v else float(v)) for k, v in r["estimate"].head(2000).items()}}
    else:
        import pandas as pd
        import statsmodels.formula.api as smf
        t0 = time.perf_counter()
        df = pd.read_parquet(path).dropna(subset=["pre", "post", *covs])
        df["school_code"] = df["school_code"].astype(str)
        m = smf.mixedlm("post ~ pre + female + ses + migrant", df, groups=df["school_code"]).fit(reml=True)
        out = {"schools": len(m.random_effects), "tau2": float(m.cov_re.iloc[0, 0]),
               "beta_pre": float(m.fe_params["pre"])}
    out["seconds"] = time.perf_counter() - t0
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec
    hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
    out["peak_mb"] = int(hwm.split()[1]) / 1024
    print(json.dumps(out))
""")


def make_file(students: int, schools: int, out: Path, seed: int = 1) -> Path:
    import numpy as np

    from dudao.synth.scores import generate_scores, synthetic_schools, write_scores

    if out.exists():
        return out
    rng = np.random.default_rng(seed)
    raw = rng.lognormal(0.0, 0.6, schools)
    sizes = np.maximum(1, np.round(raw / raw.sum() * students)).astype(np.int64)
    sizes[: int(0.05 * schools)] = rng.integers(3, 20, int(0.05 * schools))  # some small schools
    sizes[-1] += students - sizes.sum()
    data = generate_scores(synthetic_schools(schools, "21", seed), seed=seed, cohort_sizes=sizes)
    write_scores(data, out, chinese_headers=False)
    out.with_name(out.stem + "_truth.csv").unlink(missing_ok=True)
    return out


def run(kind: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-c", WORKER, kind, str(path), str(ROOT / "bench")], capture_output=True,
                          text=True, check=False, env=env)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def agreement(a: dict, b: dict) -> float:
    """Largest absolute difference between two contenders' estimates (score points) on the first schools."""
    ea, eb = a.get("estimates") or {}, b.get("estimates") or {}
    diffs = [abs(ea[k] - eb[k]) for k in ea if k in eb and ea[k] is not None and eb[k] is not None]
    return max(diffs) if diffs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=10_000_000)
    ap.add_argument("--schools", type=int, default=20_000)
    ap.add_argument("--small", type=int, default=200_000, help="students in the file MixedLM can run")
    ap.add_argument("--small-schools", type=int, default=1_000)
    ap.add_argument("--dir", type=Path, default=ROOT / "var" / "bench")
    ap.add_argument("--skip", default="", help="contenders to skip, comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="runs of duckdb and pandas (best time kept)")
    args = ap.parse_args()
    skip = set(args.skip.split(","))
    args.dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    big = make_file(args.students, args.schools, args.dir / f"scores_{args.students}_{args.schools}.parquet")
    small = make_file(args.small, args.small_schools, args.dir / f"scores_{args.small}_{args.small_schools}.parquet")
    print(f"files ready in {time.perf_counter() - t0:.1f} s: {big.stat().st_size / 1e6:.0f} MB, "
          f"{small.stat().st_size / 1e6:.1f} MB; load {os.getloadavg()}")
    results: dict[str, dict] = {}
    for size, path in (("big", big), ("small", small)):
        for kind in ("duckdb", "cli", "pandas", "mixedlm"):
            if kind in skip or (size == "big" and kind == "mixedlm"):
                continue
            runs = [run(kind, path) for _ in range(1 if kind in ("mixedlm", "cli") else args.repeat)]
            ok = [x for x in runs if "seconds" in x] or runs
            r = min(ok, key=lambda x: x.get("seconds", float("inf")))  # best time; memory of that run
            r["times"] = [round(x["seconds"], 3) for x in ok if "seconds" in x]
            results[f"{kind}/{size}"] = r
            shown = {k: v for k, v in r.items() if k != "estimates"}
            print(f"{kind:8s} {size:5s} {json.dumps(shown)}  load {os.getloadavg()[0]:.2f}", flush=True)
    for size in ("big", "small"):
        d = results.get(f"duckdb/{size}", {})
        for other in ("pandas", "mixedlm", "cli"):
            o = results.get(f"{other}/{size}", {})
            if "seconds" in d and "seconds" in o:
                print(f"{size}: {other} / duckdb = {o['seconds'] / d['seconds']:.1f}× time, "
                      f"{o['peak_mb'] / d['peak_mb']:.1f}× memory"
                      + (f"; max |Δ estimate| {agreement(d, o):.2e}" if other == "pandas" else ""))
    print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "estimates"} for k, v in results.items()}))


if __name__ == "__main__":
    main()
