"""The assessment as a JSON-ready document (the form documented in docs/assessment-json.md)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from dudao.engine.assessment import Assessment


def _num(v: Any, digits: int | None = None) -> float | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    f = float(v)
    return round(f, digits) if digits is not None else f


def _bool(v: Any) -> bool | None:
    return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else bool(v)


def build_document(a: Assessment, names: Mapping[str, str], meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Turns an assessment into plain data: counties, sections, CVs, schools, gaps."""
    std = a.standard
    doc: dict[str, Any] = {
        "standard": {"id": std.id, "version": std.version, "overlay": std.overlay or None, "name": std.name_zh},
        "year": a.year,
        "split_rule": a.split_rule,
        **(meta or {}),
        "counties": [],
    }
    composite = next((r for r in std.rules if r.kind == "cv_composite"), None)
    inds = [i.id for i in std.indicators]
    for code in sorted(a.verdicts):
        v = a.verdicts[code]
        county: dict[str, Any] = {"code": code, "name": names.get(code, code), "verdict": v.verdict,
                                  "reasons": [r.as_dict() for r in v.reasons], "sections": []}
        mine = a.schools[a.schools["county_code"] == code]
        cvs = a.cvs[a.cvs["county_code"] == code]
        for section in std.sections:
            rows = mine[mine["section"] == section]
            scoped = rows[rows["in_scope"]]
            sec_cvs = cvs[cvs["section"] == section]
            cv = {i: _num(sec_cvs.loc[sec_cvs["indicator"] == i, "cv"].max()) if (sec_cvs["indicator"] == i).any() else None
                  for i in inds}
            limits = {i.id: i.cv_limit.get(section) for i in std.indicators}
            entry: dict[str, Any] = {"section": section, "cv": cv}
            if composite is not None:
                known = [c for c in cv.values() if c is not None]
                entry["composite_cv"] = sum(known) / len(known) if len(known) == len(inds) else None
                entry["cv_limit"] = composite.limits.get(section)
            else:
                distinct = set(limits.values())
                entry["cv_limit"] = distinct.pop() if len(distinct) == 1 else limits
            entry["schools"] = [_school(r, inds) for r in scoped.to_dict("records")]
            entry["excluded"] = [{"code": r["school_code"], "name": r["school_name"], "reason": r["excluded"]}
                                 for r in rows[~rows["in_scope"]].to_dict("records")]
            county["sections"].append(entry)
        county["gaps"] = _gaps(a, code)
        doc["counties"].append(county)
    return doc


def _school(r: Mapping[str, Any], inds: list[str]) -> dict[str, Any]:
    return {
        "code": r["school_code"], "name": r["school_name"], "kind": r["kind"],
        "students": int(r["students"]) if _num(r["students"]) is not None else None,
        "share": _num(r["share"]),
        "values": {i: _num(r[i]) for i in inds},
        "passed": {i: _bool(r.get(f"{i}__pass")) for i in inds if f"{i}__pass" in r},
        "school_pass": _bool(r["school_pass"]),
    }


def _gaps(a: Assessment, code: str) -> dict[str, Any]:
    g = a.gaps[a.gaps["county_code"] == code]
    lifts = a.lifts[a.lifts["county_code"] == code]
    totals = {ind: {"addition": float(x.loc[x["counted_cost"] > 0, "addition"].sum() if x["shared"].any()
                                      else x["addition"].sum()),
                    "cost": float(x["counted_cost"].sum())}
              for ind, x in g.groupby("indicator")} if len(g) else {}
    return {
        "schools": [{k: (_num(v) if isinstance(v, float) else bool(v) if isinstance(v, np.bool_) else v)
                     for k, v in r.items()} for r in g.to_dict("records")],
        "totals": totals,
        "total_cost": float(g["counted_cost"].sum()) if len(g) else 0.0,
        "cv_lifts": [{k: (_num(v) if isinstance(v, float) else v) for k, v in r.items()} for r in lifts.to_dict("records")],
    }
