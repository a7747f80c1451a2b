"""The straightforward pandas version of the 2017 assessment, as an analyst would write it (baseline).

Split shared resources by weighted enrolment, compute the 7 indicators per school section, the
6-of-7 school rule, the enrolment-weighted CV per county × section × indicator with groupby/apply,
and a county verdict (all schools pass and every CV within its limit). Reads the same Parquet input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dudao.standards.model import load_standard


def run(path: str) -> pd.DataFrame:
    std = load_standard("youzhi2017")
    df = pd.read_parquet(path)
    weights = {(k, s): w for k, ws in std.split.weights.items() for s, w in ws.items()}
    df["w"] = [weights.get((k, s), 1.0) for k, s in zip(df["kind"], df["section"], strict=True)]
    df["ws"] = df["students"] * df["w"]
    df["share"] = df["ws"] / df.groupby("school_code")["ws"].transform("sum")
    for col in ["floor_area_teaching", "sports_area", "equipment_value", "multimedia_classrooms"]:
        df[col] = df[col] * df["share"]
    df = df[df["section"].isin(std.sections)]
    df = df[(df["ownership"] == "public") & (df["status"] == "operating") & (df["students"] > 0)
            & (df["kind"] != "special") & (df["kind"] != "teaching_point") & (df["affiliation"] == "county")].copy()
    df["R1"] = df["teachers_above_degree"] * 100 / df["students"]
    df["R2"] = df["teachers_key"] * 100 / df["students"]
    df["R3"] = (df["teachers_pe"] + df["teachers_music"] + df["teachers_art"]) * 100 / df["students"]
    df["R4"] = df["floor_area_teaching"] / df["students"]
    df["R5"] = df["sports_area"] / df["students"]
    df["R6"] = df["equipment_value"] / df["students"]
    df["R7"] = df["multimedia_classrooms"] * 100 / df["students"]
    inds = [i.id for i in std.indicators]
    passed, ratios = [], []
    for ind in std.indicators:
        thr = df["section"].map(ind.thresholds)
        passed.append(df[ind.id] >= thr)
        ratios.append(df[ind.id] / thr)
    df["passed_count"] = sum(p.astype(int) for p in passed)
    df["min_ratio"] = pd.concat(ratios, axis=1).min(axis=1)
    df["school_pass"] = (df["passed_count"] >= 6) & (df["min_ratio"] >= 0.85)

    def cv(g: pd.DataFrame, col: str) -> float:
        p, x = g["students"], g[col]
        mean = (p * x).sum() / p.sum()
        return float(np.sqrt((p / p.sum() * (x - mean) ** 2).sum()) / mean)

    rows = []
    for (county, section), g in df.groupby(["county_code", "section"]):
        for ind in inds:
            rows.append({"county_code": county, "section": section, "indicator": ind, "cv": cv(g, ind)})
    cvs = pd.DataFrame(rows)
    limits = {(i.id, s): v for i in std.indicators for s, v in i.cv_limit.items()}
    cvs["within"] = [c <= limits[(i, s)] for c, i, s in zip(cvs["cv"], cvs["indicator"], cvs["section"], strict=True)]
    county = pd.DataFrame({
        "schools_ok": df.groupby("county_code")["school_pass"].all(),
        "cvs_ok": cvs.groupby("county_code")["within"].all(),
    })
    county["verdict"] = np.where(county["schools_ok"] & county["cvs_ok"], "pass", "fail")
    return county
