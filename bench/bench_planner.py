"""The rotation planner on synthetic counties of 50, 300 and 1,000 schools, against the greedy baseline in the
same run: time, schools (sections) brought to all of R1–R3, the mean change of the county CVs, quotas, and the
solver's status and proven gap. Every plan is checked against every hard constraint (``violations``).

The counties come from ``dudao.synth.teachers.planning_county``: a roster of about 17 teachers per school
(5,000 teachers for 300 schools), of whom ``--eligible`` (default 35 %) are in the eligible pool.

    .venv/bin/python bench/bench_planner.py [--sizes 50,300,1000] [--time-limit 45] [--eligible 0.35]
"""

from __future__ import annotations

import argparse
import json
import os
import time


def run(schools: int, teachers: int, eligible: float, limit: float) -> dict[str, object]:
    from dudao.engine import planner as pl
    from dudao.synth.teachers import planning_county

    problem = planning_county(schools, teachers, seed=1, eligible_share=eligible, params=pl.Params(time_limit=limit))
    out: dict[str, object] = {"schools": schools, "roster": teachers, "candidates": len(problem.teachers),
                              "meet_all_before": sum(all(u.meets(r) for r in pl.INDICATORS) for u in problem.units)}
    for name, fn in (("greedy", pl.greedy), ("mip", pl.solve)):
        t0 = time.perf_counter()
        plan = fn(problem)
        wall = time.perf_counter() - t0
        m = plan.metrics
        out[name] = {"seconds": round(wall, 2), "status": plan.status, "gap": plan.gap, "moves": m["moves"],
                     "needed": m["needed_moves"], "key": m["key_moves"], "needed_key": m["needed_key"],
                     "brought_up": m["brought_up"], "meet_all_after": m["meet_all_after"],
                     "mean_cv_change": round(m["mean_cv_change"], 4),
                     "cv": {k: [round(v, 3), round(m["cv_after"][k], 3)] for k, v in m["cv_before"].items() if v},
                     "violations": len(pl.violations(problem, plan.moves))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="50,300,1000")
    ap.add_argument("--time-limit", type=float, default=45)
    ap.add_argument("--eligible", type=float, default=0.35)
    args = ap.parse_args()
    print(f"load: {os.getloadavg()}")
    for n in (int(x) for x in args.sizes.split(",")):
        res = run(n, round(n * 50 / 3), args.eligible, args.time_limit)
        print(json.dumps(res, ensure_ascii=False))


if __name__ == "__main__":
    main()
