"""Synthetic school data of one province over several years, in the form of the school data workbook.

``generate_province(seed)`` gives Liaoning (21): its real 14 prefectures and 100 county-level units,
about 4,000 schools, and per year the ``schools`` and ``sections`` records that
``dudao.schools.workbook.write_xlsx`` takes (element codes as keys, enum codes as values).

What is designed in (and recorded in ``ProvinceData.design`` / ``school_design`` / ``events``):

- most schools meet every 2017 threshold; some sections miss one indicator by less than 15% (they
  still pass the 6-of-7 rule), some miss one by more, some miss several;
- most counties keep every difference coefficient (CV) under its limit; about 13% of counties have a
  few "flagship" schools with several times the sports area, equipment, floor area or classrooms of
  the others, so one CV exceeds its limit;
- from year to year enrolment drifts by −5%…+3%, equipment is bought now and then; a few schools
  close (status ``closed`` for one year, then absent), merge into a neighbour (status ``merged`` with
  ``merged_into``) or move to a neighbouring county.

Every county has a design category (``ProvinceData.categories``, the same every year):

- ``model`` (about 35%): every in-scope school section meets all 7 thresholds, every CV is within its
  limit, every in-scope school has enough music and art rooms, no class above the limit, a size under
  the limit and only certified teachers, and every recorded county fact passes → verdict ``pass``;
- ``incomplete`` (about 7%): the same school data, but 1–3 recorded facts left blank → ``incomplete``;
- ``cv``: the counties designed to exceed a CV limit (above) → ``fail``;
- ``problems``: the rest, with the usual failing schools, oversized classes, schools short of music or
  art rooms, uncertified teachers and large urban schools, and now and then a failing fact → ``fail``.

The recorded facts of every county and year are in ``ProvinceData.facts`` (see ``dudao.synth.facts``),
and the verdict the design leads to, recomputed from the generated data and facts, in
``ProvinceData.expected_verdicts`` (with its reasons in ``expected_reasons``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dudao.orgunits.divisions import Division, national_divisions
from dudao.schools.workbook import write_csv, write_xlsx
from dudao.standards.model import load_dictionary
from dudao.synth import common as c
from dudao.synth import facts as cf

DEFAULT_YEARS = (2022, 2023, 2024)
CV_MARGIN = 0.08  # designed counties exceed their limit by at least this much in the first year
MOVE_DISTANCE = 1.0  # a school moves only to a county whose centre is this close (degrees)
CLEAN_CV_MARGIN = 0.12  # CVs of the clean counties stay this far under their limits in the first year
MODEL_SHARE = 0.35  # counties designed to pass the 2017 assessment
INCOMPLETE_SHARE = 0.07  # counties with passing school data and a few facts left blank


@dataclass
class YearData:
    """The records of one school year: one dict per school and one per school section."""

    year: int
    schools: list[dict[str, Any]]
    sections: list[dict[str, Any]]


@dataclass
class ProvinceData:
    """A generated province: the yearly records and what was designed into them."""

    province: str
    seed: int
    counties: dict[str, str]  # county code -> name
    years: dict[int, YearData]
    design: dict[str, list[str]] = field(default_factory=dict)  # county code -> notes (CV designed to fail)
    school_design: dict[str, list[str]] = field(default_factory=dict)  # school code -> notes
    events: list[dict[str, Any]] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)  # county code -> model | incomplete | cv | problems
    # year -> county code -> item id -> (value, passed, evidence); items left blank are absent
    facts: dict[int, dict[str, dict[str, cf.Fact]]] = field(default_factory=dict)
    expected_verdicts: dict[int, dict[str, str]] = field(default_factory=dict)  # year -> county -> verdict
    expected_reasons: dict[int, dict[str, list[str]]] = field(default_factory=dict)  # year -> county -> reasons

    def __getitem__(self, year: int) -> YearData:
        return self.years[year]


@dataclass
class _Region:
    province: Division
    counties: list[Division]
    prefectures: dict[str, str]

    @property
    def is_district(self) -> np.ndarray:
        return np.array([d.name.endswith("区") for d in self.counties])

    def label(self, i: int) -> str:
        d = self.counties[i]
        return (self.prefectures.get(d.code[:4] + "00", "") + d.name) if d.name.endswith("区") else d.name

    def prefecture(self, i: int) -> str:
        return self.prefectures.get(self.counties[i].code[:4] + "00", self.province.name)


def _region(province: str, counties: int | Sequence[str] | None) -> _Region:
    divs = [d for d in national_divisions() if d.code[:2] == province]
    prov = next((d for d in divs if d.level == "province"), None)
    if prov is None:
        raise ValueError(f"没有省级区划 {province} / unknown province code {province}")
    all_counties = [d for d in divs if d.level == "county"]
    if isinstance(counties, int):
        idx = np.unique(np.linspace(0, len(all_counties) - 1, max(1, counties)).round().astype(int))
        all_counties = [all_counties[i] for i in idx]
    elif counties is not None:
        wanted = set(counties)
        all_counties = [d for d in all_counties if d.code in wanted]
    prefectures = {d.code: d.name for d in divs if d.level == "prefecture"}
    return _Region(prov, all_counties, prefectures)


def generate_province(seed: int, province: str = "21", years: tuple[int, ...] = DEFAULT_YEARS, *,
                      counties: int | Sequence[str] | None = None,
                      schools_per_county: float | None = None) -> ProvinceData:
    """Generates a province's schools over ``years``; same seed, same data.

    ``counties`` keeps an evenly spread subset (a number) or the named county codes;
    ``schools_per_county`` rescales the number of schools (both for small, fast test data).
    """
    region = _region(province, counties)
    rng = np.random.default_rng([seed, int(province)])
    n_c = len(region.counties)
    counts = c.sample_counts(rng, region.is_district, c.PROVINCE_PROFILE, schools_per_county)
    core = c.core_districts([d.code for d in region.counties])
    sc = c.sample_schools(rng, region.is_district, counts, c.PROVINCE_PROFILE, core)
    se = c.expand_sections(sc.kind)
    lat = c.sample_latent(rng, sc, se, c.PROVINCE_PROFILE.size)
    category = _categories(rng, sc, se, n_c)
    clean = np.isin(category, ("model", "incomplete"))
    clean_schools = c.make_clean(rng, sc, se, lat, clean, len(years))
    c.design_schools(rng, sc, se, lat, c.PROVINCE_PROFILE, clean=clean_schools)
    cd = c.design_counties(rng, sc, se, lat, n_c, c.PROVINCE_PROFILE.cv_county_share, exclude=clean)
    category[cd.county] = "cv"
    cvs = _tune(sc, se, lat, cd, n_c, clean)

    codes, names = _codes_and_names(rng, sc, region, province)
    plan = _events(rng, sc, se, lat, cd, region, years, clean)
    data = ProvinceData(province, seed, {d.code: d.name for d in region.counties}, {})
    evaluations = _years(rng, data, sc, se, lat, region, codes, names, years, plan, clean_schools)
    data.design = _county_notes(cd, cvs, region, codes, years[0])
    data.school_design = _school_notes(sc, se, lat, codes, years[0])
    data.events = _event_list(plan, codes, names, region, years)
    data.categories = {d.code: str(category[i]) for i, d in enumerate(region.counties)}
    _facts_and_verdicts(np.random.default_rng([seed, int(province), 2017]), data, region, years, evaluations)
    return data


def _categories(rng: np.random.Generator, sc: c.Schools, se: c.Sections, n_c: int) -> np.ndarray:
    """``model`` and ``incomplete`` counties among those with in-scope primary and junior sections;
    the others ``problems`` (some become ``cv`` once the CV design is drawn)."""
    cand = c.candidates(sc, se)
    cnt = np.bincount(sc.county[se.sch[cand]] * 2 + se.sec[cand], minlength=2 * n_c).reshape(n_c, 2)
    eligible = np.flatnonzero((cnt >= 2).all(axis=1))
    n_model, n_inc = round(MODEL_SHARE * n_c), round(INCOMPLETE_SHARE * n_c)
    chosen = rng.permutation(eligible)[:n_model + n_inc]
    out = np.full(n_c, "problems", dtype=object)
    out[chosen[:n_model]] = "model"
    out[chosen[n_model:]] = "incomplete"
    return out


# ---- making the design come true -----------------------------------------------------------------


def _first_year_cvs(sc: c.Schools, se: c.Sections, lat: c.Latent, n_c: int) -> np.ndarray:
    fac = c.initial_facilities(sc, se, lat)
    sec_cols, sch_cols = c.derive(sc, se, lat, lat.s0, fac, np.ones(len(sc), dtype=bool))
    vals = c.indicator_values(sc, se, sec_cols, sch_cols)
    return c.county_cvs(sc.county[se.sch], se.sec, sec_cols["students"], vals, c.candidates(sc, se), n_c)


def _tune(sc: c.Schools, se: c.Sections, lat: c.Latent, cd: c.CountyDesign, n_c: int,
          clean: np.ndarray) -> np.ndarray:
    """Strengthens the designed inequalities and evens out accidental ones until the design holds
    (with a wider margin in the ``clean`` counties, which must stay within every limit every year)."""
    limits = c.standards().cv_limits[:, :2].T  # (2, 7)
    margin = np.where(clean, CLEAN_CV_MARGIN, 0.03)[:, None, None]
    designed = np.zeros((n_c, 2, 7), dtype=bool)
    designed[cd.county, cd.sec, cd.ind] = True
    cvs = _first_year_cvs(sc, se, lat, n_c)
    for _ in range(8):
        changed = False
        for i, (county, sec, ind) in enumerate(zip(cd.county, cd.sec, cd.ind, strict=True)):
            if not cvs[county, sec, ind] > limits[sec, ind] + CV_MARGIN and len(cd.flagship[i]):
                lat.q_f[cd.flagship[i], ind - 3] *= 1.3
                cd.factor[i] *= 1.3
                changed = True
        over = (cvs > limits[None] - margin) & ~designed
        for county in np.flatnonzero(over[:, :, 3:].any(axis=(1, 2))):
            ks = np.flatnonzero(over[county, :, 3:].any(axis=0))
            schools = np.flatnonzero(sc.county == county)
            for k in ks:
                keep = schools[~lat.fail_f[schools, k]]
                flagship = {s for i, f in enumerate(cd.flagship) if cd.ind[i] - 3 == k for s in f}
                keep = np.array([s for s in keep if s not in flagship], dtype=np.int64)
                if len(keep):
                    med = np.median(lat.q_f[keep, k])
                    lat.q_f[keep, k] = np.maximum(med + (lat.q_f[keep, k] - med) * 0.5, 1.1)
                    changed = True
        for county, sec, k in zip(*np.nonzero(over[:, :, :3]), strict=True):
            rows = np.flatnonzero((sc.county[se.sch] == county) & (se.sec == sec))
            lat.fail_t[rows, k] = False
            share = (lat.sh_ad, lat.sh_key, lat.sh_pma)[k]
            ratio = lat.s0[rows] / lat.t0[rows]
            share[rows] = np.median(share[rows]) + (share[rows] - np.median(share[rows])) * 0.5
            lat.t0[rows] = lat.s0[rows] / (np.median(ratio) + (ratio - np.median(ratio)) * 0.5)
            changed = True
        if not changed:
            break
        cvs = _first_year_cvs(sc, se, lat, n_c)
    return cvs


# ---- codes and names ------------------------------------------------------------------------------

_PLACE_A = "东西南北前后大小新老上下中王李张刘赵孙马杨黄高石柳杏榆桃双三五红青白金长兴太永福安平和"
_PLACE_B = ("家屯", "家窝堡", "家堡", "家沟", "台", "沟", "河", "岭", "堡", "甸子", "营子", "城子", "房身", "山",
            "岗", "泡子", "庄", "店", "岔", "峪", "楼子", "水泉", "树", "桥", "屯")
_ROADS = ("中山路", "人民路", "建设路", "解放路", "和平路", "胜利路", "文化路", "光明路", "新华路", "北京路",
          "长江路", "黄河路", "滨河路", "青年路", "团结路", "友谊路", "民主路", "工人路", "健康路", "泰山路",
          "华山路", "珠江路", "南京街", "北京街", "上海路", "天津街", "太原街", "兴工街", "保工街", "站前路")
_LIT = ("实验", "育才", "育红", "红旗", "文化", "光明", "朝阳", "新华", "东关", "西关", "南关", "北关", "启明",
        "向阳", "胜利", "团结", "友谊", "雷锋", "东方红", "和平", "阳光", "新兴", "铁路", "滨河", "明珠")
_PRIVATE = ("育英", "博文", "华英", "启智", "明德", "新世纪", "英才", "博雅", "东方", "华夏", "弘文", "致远",
            "立德", "博远", "卓越", "同文", "文华", "培英", "崇德", "求真")


def _pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _place(rng: np.random.Generator) -> str:
    return _pick(rng, _PLACE_A) + _pick(rng, _PLACE_B)


def _candidate_name(rng: np.random.Generator, kind: int, loc: int, private: bool, affil: int, label: str,
                    pref: str, prov: str, counters: dict[str, int]) -> str:
    def nth(key: str, owner: str) -> str:
        counters[key] = counters.get(key, 0) + 1
        return f"{owner}第{c.zh_number(min(counters[key], 99))}"

    if kind == c.SPECIAL:
        return (pref if affil else label) + "特殊教育学校"
    if kind == c.TPOINT:
        return f"{label}{_place(rng)}小学{_place(rng)}教学点"
    suffix = {c.PRIMARY: "小学", c.JUNIOR: "中学", c.NINE: "学校", c.TWELVE: "学校", c.COMPLETE: "中学"}[kind]
    if private:
        return f"{label}{_pick(rng, _PRIVATE)}{'外国语学校' if kind == c.TWELVE else suffix}"
    if affil == 2:
        return f"{prov}{_pick(rng, _LIT)}{suffix}"
    if affil == 1:
        return nth(f"pref{suffix}", pref) + suffix if kind in (c.PRIMARY, c.JUNIOR, c.COMPLETE) else \
            f"{pref}{_pick(rng, _LIT)}{suffix}"
    if kind in (c.JUNIOR, c.COMPLETE):
        if loc == c.URBAN:
            return nth("middle", label) + "中学" if rng.random() < 0.7 else f"{label}{_pick(rng, _LIT)}中学"
        return f"{label}{_place(rng)}{'镇中学' if loc == c.TOWN else '中学'}"
    if kind == c.PRIMARY:
        if loc == c.URBAN:
            u = rng.random()
            if u < 0.55:
                return nth("primary", label) + "小学"
            return f"{label}{_pick(rng, _ROADS if u < 0.8 else _LIT)}小学"
        return f"{label}{_place(rng)}{'镇中心小学' if loc == c.TOWN else '小学'}"
    if kind == c.NINE:
        if loc == c.URBAN:
            return f"{label}{_pick(rng, _LIT)}学校"
        return f"{label}{_place(rng)}{'九年一贯制学校' if rng.random() < 0.5 else '学校'}"
    return f"{label}{_pick(rng, _LIT)}{'外国语学校' if rng.random() < 0.4 else '学校'}"


def _codes_and_names(rng: np.random.Generator, sc: c.Schools, region: _Region,
                     province: str) -> tuple[list[str], list[str]]:
    """10-digit school codes (category + province + sequence) and names unique within each county."""
    seq = 1000 + np.cumsum(rng.integers(1, 4, len(sc)))
    codes = [f"{c.CATEGORY[int(k)]}{province}{int(s):06d}" for k, s in zip(sc.kind, seq, strict=True)]
    names: list[str] = []
    used: set[tuple[str, str]] = set()  # (owner, name): county code, or the prefecture/province for others
    counters: dict[tuple[int, str], dict[str, int]] = {}
    for i in range(len(sc)):
        ci = int(sc.county[i])
        pref = region.prefecture(ci)
        owner = region.counties[ci].code if sc.affil[i] == 0 else pref
        ctr = counters.setdefault((ci, owner), {}) if sc.affil[i] == 0 else counters.setdefault((-1, owner), {})
        for attempt in range(40):
            name = _candidate_name(rng, int(sc.kind[i]), int(sc.loc[i]), bool(sc.private[i]), int(sc.affil[i]),
                                   region.label(ci), pref, region.province.name, ctr)
            if attempt >= 20:
                name = name.replace("学校", f"第{c.zh_number(attempt - 18)}学校", 1) if "学校" in name else \
                    f"{name[:-2]}{c.zh_number(attempt - 18)}{name[-2:]}"
            if (owner, name) not in used and (region.counties[ci].code, name) not in used:
                break
        used.add((owner, name))
        used.add((region.counties[ci].code, name))
        names.append(name)
    return codes, names


# ---- closures, merges and moves -------------------------------------------------------------------


@dataclass
class _Plan:
    closed: dict[int, int] = field(default_factory=dict)  # school -> year index of closure
    merged: dict[int, tuple[int, int]] = field(default_factory=dict)  # school -> (year index, receiver)
    moved: dict[int, tuple[int, int]] = field(default_factory=dict)  # school -> (year index, new county)


def _events(rng: np.random.Generator, sc: c.Schools, se: c.Sections, lat: c.Latent, cd: c.CountyDesign,
            region: _Region, years: tuple[int, ...], clean: np.ndarray) -> _Plan:
    """Closures anywhere; merges and moves only between counties that are not ``clean`` (a receiving
    school's per-student resources drop, and a moved school keeps its own problems)."""
    plan = _Plan()
    if len(years) < 2:
        return plan
    s_school = np.bincount(se.sch, weights=lat.s0, minlength=len(sc))
    designed = np.bincount(se.sch, weights=lat.profile != c.OK, minlength=len(sc)) > 0
    designed |= lat.fail_f.any(axis=1)
    for f in cd.flagship:
        designed[f] = True
    plain = ~designed & ~sc.private & (sc.affil == 0)
    last = len(years) - 1

    small = np.flatnonzero(plain & np.isin(sc.kind, (c.PRIMARY, c.TPOINT)) & (sc.loc == c.RURAL) & (s_school < 120))
    for j, s in enumerate(rng.permutation(small)[:3]):
        plan.closed[int(s)] = 1 if j < 2 else last

    donors = np.flatnonzero(plain & ~clean[sc.county] & (sc.kind == c.PRIMARY) & (sc.loc == c.RURAL)
                            & (s_school < 250))
    taken = set(plan.closed)
    for s in rng.permutation(donors):
        if len(plan.merged) == 2:
            break
        if int(s) in taken:
            continue
        recv = np.flatnonzero(plain & (sc.county == sc.county[s]) & np.isin(sc.kind, (c.PRIMARY, c.NINE))
                              & (sc.loc != c.RURAL) & (s_school >= 5 * s_school[s]))
        recv = [int(r) for r in recv if int(r) not in taken]
        if recv:
            r = recv[int(rng.integers(len(recv)))]
            plan.merged[int(s)] = (1 if not plan.merged else last, r)
            taken |= {int(s), r}

    coords = np.array([[d.longitude or np.nan, d.latitude or np.nan] for d in region.counties])
    movers = np.flatnonzero(plain & ~clean[sc.county] & (sc.kind == c.PRIMARY) & (sc.loc != c.URBAN)
                            & ~region.is_district[sc.county])
    for s in rng.permutation(movers):
        if len(plan.moved) == 2 or len(region.counties) < 2:
            break
        if int(s) in taken:
            continue
        dist = np.hypot(*(coords - coords[sc.county[s]]).T)
        dist[sc.county[s]] = np.inf
        dist[clean] = np.inf
        if not (np.nanmin(dist, initial=np.inf) < MOVE_DISTANCE):
            continue
        plan.moved[int(s)] = (last if not plan.moved else 1, int(np.nanargmin(dist)))
        taken.add(int(s))
    return plan


# ---- the yearly records ---------------------------------------------------------------------------


def _py(values: np.ndarray, kind: str) -> list[Any]:
    """Column to Python values: int, float with 2 decimals, or None for NaN."""
    nan = np.isnan(values)
    if kind == "int":
        out: list[Any] = np.where(nan, 0, values).astype(np.int64).tolist()
    else:
        out = np.round(np.where(nan, 0.0, values), 2).tolist()
    if nan.any():
        for i in np.flatnonzero(nan):
            out[i] = None
    return out


def _years(rng: np.random.Generator, data: ProvinceData, sc: c.Schools, se: c.Sections, lat: c.Latent,
           region: _Region, codes: list[str], names: list[str], years: tuple[int, ...],
           plan: _Plan, steady: np.ndarray) -> list[c.Evaluation]:
    """Fills ``data.years``; returns the 2017 evaluation of the school data of every year."""
    evaluations = []
    d = load_dictionary()
    types = {e.code: e.type for e in d.elements}
    school_num = [e.code for e in d.level_elements("school") if e.numeric]
    section_els = [e.code for e in d.level_elements("section")]
    students = lat.s0.copy()
    fac = c.initial_facilities(sc, se, lat)
    frozen = lat.fail_f.any(axis=1)
    tp = sc.kind[se.sch] == c.TPOINT
    rows_of: dict[int, list[int]] = {}
    for r, s in enumerate(se.sch.tolist()):
        rows_of.setdefault(s, []).append(r)
    primary_row = {int(s): int(r) for r, (s, sec) in enumerate(zip(se.sch, se.sec, strict=True)) if sec == 0}
    for yi, year in enumerate(years):
        if yi > 0:
            students = np.maximum(np.rint(students * rng.uniform(0.95, 1.03, len(se))), 1)
            students = np.where(tp, np.minimum(students, 99), students)
            for s, (ym, r) in plan.merged.items():
                if ym == yi:
                    students[primary_row[r]] += students[primary_row[s]]
            fac = c.grow_facilities(rng, fac, frozen, steady)
        status = np.zeros(len(sc), dtype=np.int64)  # 0 operating, 1 closed, 2 merged, -1 gone
        for s, yc in plan.closed.items():
            status[s] = 1 if yi == yc else (-1 if yi > yc else 0)
        for s, (ym, _) in plan.merged.items():
            status[s] = 2 if yi == ym else (-1 if yi > ym else 0)
        county = sc.county.copy()
        for s, (ymv, to) in plan.moved.items():
            if yi >= ymv:
                county[s] = to
        sec_cols, sch_cols = c.derive(sc, se, lat, students, fac, status == 0)
        evaluations.append(c.evaluate_2017(sc, se, county, status == 0, sec_cols, sch_cols, len(region.counties)))
        sch_py = {k: _py(sch_cols[k], types[k]) for k in school_num}
        sec_py = {k: _py(sec_cols[k], types[k]) for k in section_els if k in sec_cols}
        order = sorted(np.flatnonzero(status >= 0).tolist(), key=lambda i: (region.counties[county[i]].code, codes[i]))
        schools, sections = [], []
        for i in order:
            rec: dict[str, Any] = {
                "school_code": codes[i], "school_name": names[i], "county_code": region.counties[county[i]].code,
                "kind": c.KINDS[sc.kind[i]], "location": c.LOCATIONS[sc.loc[i]],
                "ownership": c.OWNERSHIPS[int(sc.private[i])], "affiliation": c.AFFILIATIONS[sc.affil[i]],
                "boarding": bool(sc.boarding[i]), "rural_school": bool(sc.loc[i] == c.RURAL),
                "weak_school": bool(sc.weak[i]), "status": ("operating", "closed", "merged")[status[i]],
                "merged_into": codes[plan.merged[i][1]] if status[i] == 2 else None,
            }
            rec.update({k: sch_py[k][i] for k in school_num})
            schools.append(rec)
            for r in rows_of[i]:
                row: dict[str, Any] = {"school_code": codes[i], "school_name": names[i],
                                       "section": c.SECTIONS[se.sec[r]]}
                row.update({k: v[r] for k, v in sec_py.items()})
                sections.append(row)
        data.years[year] = YearData(year, schools, sections)
    return evaluations


# ---- county facts and the expected verdicts --------------------------------------------------------


def _computed_reasons(ev: c.Evaluation, i: int) -> tuple[list[str], list[str]]:
    """What fails, and what cannot be computed, in county ``i``'s school data."""
    st = c.standards()
    fails, missing = [], []
    n_fail = int((ev.county_of_fail == i).sum())
    if n_fail:
        fails.append(f"school_k_of_n ({n_fail} section{'s' if n_fail > 1 else ''})")
    for s, k in zip(*np.nonzero(ev.cv_over[i]), strict=True):
        fails.append(f"{c.INDICATORS[k]}.{c.SECTIONS[s]} (CV {ev.cvs[i, s, k]:.3f} > {st.cv_limits[k, s]:.2f})")
    for s in np.flatnonzero(ev.no_section[i]):
        missing.append(f"county_cv.{c.SECTIONS[s]} (no school in scope)")
    for item, counts in ev.item_fail.items():
        if counts[i]:
            fails.append(f"{item} ({counts[i]})")
        elif not ev.item_checked[item][i]:
            missing.append(f"{item} (no data)")
    return fails, missing


def _facts_and_verdicts(rng: np.random.Generator, data: ProvinceData, region: _Region, years: tuple[int, ...],
                        evaluations: list[c.Evaluation]) -> None:
    codes = [d.code for d in region.counties]
    names = [d.name for d in region.counties]
    prefectures = [region.prefecture(i) for i in range(len(codes))]
    plans = cf.plan(rng, [data.categories[code] for code in codes], years[0])
    for year, ev in zip(years, evaluations, strict=True):
        facts = cf.year_facts(rng, plans, codes, names, prefectures, year, ev.fails())
        data.facts[year] = facts
        data.expected_verdicts[year], data.expected_reasons[year] = {}, {}
        for i, code in enumerate(codes):
            verdict, reasons = cf.verdict(facts[code], *_computed_reasons(ev, i))
            data.expected_verdicts[year][code] = verdict
            data.expected_reasons[year][code] = reasons


# ---- notes on the design --------------------------------------------------------------------------


def _county_notes(cd: c.CountyDesign, cvs: np.ndarray, region: _Region, codes: list[str],
                  year: int) -> dict[str, list[str]]:
    st = c.standards()
    d = load_dictionary()
    out: dict[str, list[str]] = {}
    for i, (county, sec, ind) in enumerate(zip(cd.county, cd.sec, cd.ind, strict=True)):
        el = d.element(c.FACILITIES[ind - 3])
        limit = st.cv_limits[ind, sec]
        cv = cvs[county, sec, ind]
        flag = ", ".join(sorted(codes[s] for s in cd.flagship[i]))
        out.setdefault(region.counties[county].code, []).append(
            f"cv {c.INDICATORS[ind]} {c.SECTIONS[sec]}: {len(cd.flagship[i])} flagship school(s) with about "
            f"{cd.factor[i]:.1f}x the {el.en}; CV {cv:.3f} > {limit:.2f} in {year} / "
            f"{st.zh[ind]}（{'小学' if sec == 0 else '初中'}）差异系数 {cv:.3f} 超过 {limit:.2f}；示范学校 {flag}")
    return out


def _school_notes(sc: c.Schools, se: c.Sections, lat: c.Latent, codes: list[str], year: int) -> dict[str, list[str]]:
    st = c.standards()
    fac = c.initial_facilities(sc, se, lat)
    sec_cols, sch_cols = c.derive(sc, se, lat, lat.s0, fac, np.ones(len(sc), dtype=bool))
    vals = c.indicator_values(sc, se, sec_cols, sch_cols)
    designed = np.bincount(se.sch, weights=lat.profile != c.OK, minlength=len(sc)) > 0
    designed |= lat.fail_f.any(axis=1)
    cand = c.candidates(sc, se)
    out: dict[str, list[str]] = {}
    for r in np.flatnonzero(designed[se.sch] & cand):
        thr = st.thresholds[:, se.sec[r]]
        ratio = vals[r] / thr
        short = [f"{c.INDICATORS[k]} {vals[r, k]:.2f} < {thr[k]:g} ({ratio[k]:.0%})" for k in np.flatnonzero(ratio < 1)]
        if short:
            label = c.PROFILE_NAMES[lat.profile[r]] if lat.profile[r] != c.OK else "shared facilities"
            verdict = "passes 6 of 7" if len(short) == 1 and ratio.min() >= 0.85 else "fails the school rule"
            out.setdefault(codes[se.sch[r]], []).append(
                f"{c.SECTIONS[se.sec[r]]} ({label}, {year}): " + "; ".join(short) + f" — {verdict}")
    return out


def _event_list(plan: _Plan, codes: list[str], names: list[str], region: _Region,
                years: tuple[int, ...]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s, yi in plan.closed.items():
        out.append({"year": years[yi], "event": "closed", "school_code": codes[s], "school_name": names[s]})
    for s, (yi, r) in plan.merged.items():
        out.append({"year": years[yi], "event": "merged", "school_code": codes[s], "school_name": names[s],
                    "merged_into": codes[r]})
    for s, (yi, to) in plan.moved.items():
        out.append({"year": years[yi], "event": "moved", "school_code": codes[s], "school_name": names[s],
                    "to_county": region.counties[to].code})
    return sorted(out, key=lambda e: (e["year"], e["event"], e["school_code"]))


# ---- files ----------------------------------------------------------------------------------------


def csv_rows(year: YearData) -> Iterable[dict[str, Any]]:
    """The flat CSV form: every section row with its school's columns."""
    by_code = {s["school_code"]: s for s in year.schools}
    for sec in year.sections:
        yield {**by_code[sec["school_code"]], **sec}


def write_province(data: ProvinceData, out_dir: Path) -> list[Path]:
    """Writes province_<code>_<year>.xlsx and .csv and facts_<code>_<year>.csv for every year, and design.json.

    The facts file has the columns of the county facts import (县级行政区划代码, 县名称, 项目编号, 项目内容,
    达标值, 数值, 是否达标, 佐证材料), one row per county and recorded item of youzhi2017; blank items
    are rows with 数值, 是否达标 and 佐证材料 empty.

    design.json (sorted keys): ``counties`` (county code -> notes on the CV designed to exceed its
    limit), ``schools`` (school code -> the thresholds its sections miss in the first year), ``events``
    (closures, merges, moves), ``categories`` (county code -> model | incomplete | cv | problems),
    ``expected_verdicts`` (year -> county code -> pass | fail | incomplete under youzhi2017),
    ``expected_reasons`` (year -> county code -> what fails or is missing), ``province``, ``seed`` and
    ``years``.
    """
    d = load_dictionary()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    codes = sorted(data.counties)
    names = [data.counties[code] for code in codes]
    for year, yd in sorted(data.years.items()):
        stem = out_dir / f"province_{data.province}_{year}"
        paths.append(write_xlsx(stem.with_suffix(".xlsx"), d, year, yd.schools, yd.sections))
        paths.append(write_csv(stem.with_suffix(".csv"), d, csv_rows(yd)))
        if year in data.facts:
            paths.append(cf.write_facts(out_dir / f"facts_{data.province}_{year}.csv", codes, names, data.facts[year]))
    design = {"province": data.province, "seed": data.seed, "years": sorted(data.years),
              "counties": data.design, "schools": data.school_design, "events": data.events,
              "categories": data.categories,
              "expected_verdicts": {str(y): v for y, v in data.expected_verdicts.items()},
              "expected_reasons": {str(y): {k: r for k, r in v.items() if r} for y, v in data.expected_reasons.items()}}
    path = out_dir / "design.json"
    path.write_text(json.dumps(design, ensure_ascii=False, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    paths.append(path)
    return paths
