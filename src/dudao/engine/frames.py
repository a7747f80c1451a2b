"""Building the engine's input table (one row per school section) from records or Parquet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from dudao.standards.model import Dictionary

TEXT = ("county_code", "school_code", "school_name", "kind", "location", "ownership", "affiliation", "status", "section")
FLAGS = ("boarding", "rural_school", "weak_school")


def input_columns(d: Dictionary) -> list[str]:
    return [*TEXT, *FLAGS, *[e.code for e in d.elements if e.numeric]]


def sections_frame(schools: Iterable[Mapping[str, Any]], sections: Iterable[Mapping[str, Any]], d: Dictionary) -> pd.DataFrame:
    """Joins school records and section records (the template's internal form) into the input table."""
    by_code = {s["school_code"]: s for s in schools}
    rows = [{**by_code[sec["school_code"]], **sec} for sec in sections if sec["school_code"] in by_code]
    return typed_frame(pd.DataFrame(rows), d)


def typed_frame(df: pd.DataFrame, d: Dictionary) -> pd.DataFrame:
    """Gives every input column its type (text, bool, float64), adding missing ones as nulls."""
    out = pd.DataFrame(index=df.index)
    for col in TEXT:
        out[col] = df[col].astype("string") if col in df else pd.Series(pd.NA, index=df.index, dtype="string")
    for col in FLAGS:
        out[col] = df[col].astype("boolean") if col in df else pd.Series(pd.NA, index=df.index, dtype="boolean")
    for e in d.elements:
        if e.numeric:
            out[e.code] = pd.to_numeric(df[e.code], errors="coerce").astype("float64") if e.code in df else float("nan")
    return out.reset_index(drop=True)
