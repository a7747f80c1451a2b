"""Synthetic school data of the whole country for one year, as one Arrow table (for benchmarks).

``generate_nation(seed)`` covers every county-level unit of the 31 provinces (codes below 71, about
2,850 counties) with about 190,000 schools and 160 million students, drawn from the same model as
``dudao.synth.province`` (including schools designed to miss thresholds and counties designed to
exceed a CV limit), but built with vectorised numpy only: no Python loop over schools.

The table has **one row per school section**. Columns: school_code, school_name (``S<code>``),
county_code, prefecture_code, province_code, kind, location, ownership, affiliation, status,
boarding, rural_school, weak_school, section, then every numeric element of the data element
dictionary in dictionary order. School-level values (floor area, sports area, equipment value,
classrooms, computers, books, music and art rooms, public funds, rented sports area) belong to the
whole school and are **repeated on each section row of the same school**: sum them over distinct
schools, not over rows, and split them between sections with the standard's split rule.
Integers are int64, decimals float64 (2 decimals), text string, flags bool; optional values that
are not recorded are null.

Mix: the national 2024 figures (about 136,000 primary and 52,000 junior schools, combined schools
counted in both; teaching points apart) are matched with more teaching points and fewer junior-only
schools than in the province profile, which gives about 220,000 section rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dudao.orgunits.divisions import national_divisions
from dudao.standards.model import load_dictionary
from dudao.synth import common as c


def _counties() -> tuple[np.ndarray, np.ndarray]:
    divs = [d for d in national_divisions() if d.level == "county" and int(d.code[:2]) < 71]
    return np.array([d.code for d in divs]), np.array([d.name.endswith("区") for d in divs])


def _strings(labels: tuple[str, ...] | np.ndarray, idx: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(labels, dtype=object)[idx], type=pa.string())


def generate_nation(seed: int, year: int = 2024) -> pa.Table:
    """One row per school section of every county in the country; same seed, same table."""
    rng = np.random.default_rng([seed, year])
    codes, is_district = _counties()
    counts = c.sample_counts(rng, is_district, c.NATION_PROFILE)
    sc = c.sample_schools(rng, is_district, counts, c.NATION_PROFILE, c.core_districts(codes))
    se = c.expand_sections(sc.kind)
    lat = c.sample_latent(rng, sc, se, c.NATION_PROFILE.size)
    c.design_schools(rng, sc, se, lat, c.NATION_PROFILE)
    c.design_counties(rng, sc, se, lat, len(codes), c.NATION_PROFILE.cv_county_share)
    fac = c.initial_facilities(sc, se, lat)
    sec_cols, sch_cols = c.derive(sc, se, lat, lat.s0, fac, np.ones(len(sc), dtype=bool))

    # school codes: category + province + a sequence unique within the province
    county_code = codes[sc.county]
    prov = np.array([int(x[:2]) for x in codes])[sc.county]
    gaps = rng.integers(1, 4, len(sc))
    cum = np.cumsum(gaps)
    first = np.flatnonzero(np.r_[True, prov[1:] != prov[:-1]])
    seq = 1000 + cum - np.repeat(cum[first] - gaps[first], np.diff(np.r_[first, len(sc)]))
    cat = np.array([int(c.CATEGORY[k]) for k in range(len(c.KINDS))])[sc.kind]
    school_code = (cat.astype(np.int64) * 10**8 + prov * 10**6 + seq).astype(str)

    d = load_dictionary()
    rows = se.sch
    county_of_row = county_code[rows]
    cols: dict[str, pa.Array] = {
        "school_code": pa.array(school_code[rows], type=pa.string()),
        "school_name": pa.array(np.char.add("S", school_code)[rows], type=pa.string()),
        "county_code": pa.array(county_of_row, type=pa.string()),
        "prefecture_code": pa.array(np.char.add(np.char.ljust(county_of_row.astype("<U4"), 4), "00"),
                                    type=pa.string()),
        "province_code": pa.array(np.char.add(county_of_row.astype("<U2"), "0000"), type=pa.string()),
        "kind": _strings(c.KINDS, sc.kind[rows]),
        "location": _strings(c.LOCATIONS, sc.loc[rows]),
        "ownership": _strings(c.OWNERSHIPS, sc.private[rows].astype(np.int64)),
        "affiliation": _strings(c.AFFILIATIONS, sc.affil[rows]),
        "status": _strings(("operating",), np.zeros(len(rows), dtype=np.int64)),
        "boarding": pa.array(sc.boarding[rows]),
        "rural_school": pa.array(sc.loc[rows] == c.RURAL),
        "weak_school": pa.array(sc.weak[rows]),
        "section": _strings(c.SECTIONS, se.sec),
    }
    for el in d.elements:
        if not el.numeric:
            continue
        values = sch_cols[el.code][rows] if el.level == "school" else sec_cols[el.code]
        nan = np.isnan(values)
        if el.type == "int":
            arr = pa.array(np.where(nan, 0, values).astype(np.int64), mask=nan if nan.any() else None)
        else:
            arr = pa.array(np.round(values, 2), mask=nan if nan.any() else None)
        cols[el.code] = arr
    return pa.table(cols)


def write_nation(seed: int, out_dir: Path, year: int = 2024) -> Path:
    """Writes nation_<year>.parquet; same seed, same bytes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"nation_{year}.parquet"
    pq.write_table(generate_nation(seed, year), path, compression="zstd")
    return path
