"""Shared machinery of the synthetic-data generators: vectorised numpy over schools and sections.

Both generators (``province`` and ``nation``) build the same arrays:

- schools: one entry per school (county index, kind, location, ownership, affiliation, flags);
- sections: one row per school section (学段), sorted by school, following the ``sections`` list of
  the school's kind in ``elements.yaml``;
- a latent model per section and per school (target class size, student–teacher ratio, shares of
  key / degree / PE-art teachers, and a *quality factor* ``q`` per 2017 indicator = the value the
  school is meant to reach divided by its threshold).

The quality factors make the 2017 results predictable: ``q >= 1.1`` passes (with room for the
yearly enrolment drift), ``0.85 <= q < 1`` misses a threshold but stays within the 85% clause,
``q < 0.85`` misses it outright. Facility values (floor area, sports area, equipment value,
multimedia classrooms) are school-level: the total is ``q × max(threshold / split weight) × Σ
weight × students``, so that after the weighted split of ``youzhi2017.yaml`` every compulsory section
of a combined school gets at least ``q`` times its own threshold.

The county items the 2017 standard computes from school data (music and art rooms per class, school
size, class size, certified teachers) follow a per-school design too: ``clean`` schools (the in-scope
schools of counties designed to pass) get no uncertified teacher, enough rooms, no oversized class and
a size under the limit; elsewhere a few schools miss each item. ``evaluate_2017`` recomputes every
computed part of the 2017 verdict with numpy (the check formulas of ``youzhi2017.yaml`` are evaluated
on arrays by ``vector_eval``), so that the generator knows the verdict it designed.

Thresholds, CV limits, split weights, the computed items' checks and the kinds' sections are read from
the standards files, never written here. Only ``numpy.random.default_rng(seed)`` is used, so the same
seed gives the same data.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, reduce
from typing import Any, cast

import numpy as np

from dudao.standards.formula import Formula
from dudao.standards.model import load_dictionary, load_standard

KINDS = ("primary_school", "junior_school", "nine_year", "twelve_year", "complete_secondary",
         "teaching_point", "special")
PRIMARY, JUNIOR, NINE, TWELVE, COMPLETE, TPOINT, SPECIAL = range(7)
REGULAR_KINDS = (PRIMARY, JUNIOR, NINE, TWELVE, COMPLETE, TPOINT)  # order of the mix probabilities
SECTIONS = ("primary", "junior", "senior")
LOCATIONS = ("urban", "town", "rural")
URBAN, TOWN, RURAL = range(3)
OWNERSHIPS = ("public", "private")
AFFILIATIONS = ("county", "prefecture", "province")
INDICATORS = ("R1", "R2", "R3", "R4", "R5", "R6", "R7")
FACILITIES = ("floor_area_teaching", "sports_area", "equipment_value", "multimedia_classrooms")
CATEGORY = {PRIMARY: "21", TPOINT: "21", JUNIOR: "31", NINE: "31", COMPLETE: "34", TWELVE: "34",
            SPECIAL: "51"}
GOLDEN = 0.6180339887498949
OK_MARGIN = 1.03  # teacher counts of passing sections: at least 3% above the threshold

# Designed school profiles (per candidate section)
OK, NEAR, BELOW, SEVERAL = range(4)
PROFILE_NAMES = ("ok", "near", "below", "several")
# Chance that a failing indicator is this one (R1..R7); integer indicators need enough students.
FAIL_WEIGHTS = np.array([0.08, 0.12, 0.12, 0.14, 0.26, 0.18, 0.10])
# Class-size bands of the statistics tables (element codes and their lower and upper bounds)
BANDS = (("classes_46_50", 46, 50), ("classes_51_55", 51, 55), ("classes_56_65", 56, 65),
         ("classes_66_plus", 66, 10**6))
REL_TOL = 1e-9  # as in the engine: values this close (relative) to a threshold compare as equal


@dataclass(frozen=True)
class Standards:
    """What the generator needs from the standards files, as arrays."""

    kind_sections: np.ndarray  # (kinds, 3) bool
    thresholds: np.ndarray  # (7 indicators, 3 sections), NaN for senior
    cv_limits: np.ndarray  # (7, 3), NaN for senior
    weights: np.ndarray  # (kinds, 3) split weights, 1.0 where the standard names none
    zh: tuple[str, ...]  # indicator names


@cache
def standards() -> Standards:
    """Reads the kinds' sections (elements.yaml) and the 2017 indicators (youzhi2017.yaml)."""
    d = load_dictionary()
    std = load_standard("youzhi2017")
    ks = np.zeros((len(KINDS), 3), dtype=bool)
    options = {o.code: o for o in d.enums["kind"]}
    for k, code in enumerate(KINDS):
        for s in options[code].sections or ():
            ks[k, SECTIONS.index(s)] = True
    thr = np.full((7, 3), np.nan)
    cvl = np.full((7, 3), np.nan)
    for i, code in enumerate(INDICATORS):
        ind = std.indicator(code)
        for s, v in ind.thresholds.items():
            thr[i, SECTIONS.index(s)] = v
        for s, v in ind.cv_limit.items():
            cvl[i, SECTIONS.index(s)] = v
    w = np.ones((len(KINDS), 3))
    for kind, ws in std.split.weights.items():
        if kind in KINDS:
            for s, v in ws.items():
                w[KINDS.index(kind), SECTIONS.index(s)] = v
    zh = tuple(std.indicator(c).zh for c in INDICATORS)
    return Standards(ks, thr, cvl, w, zh)


# ---- formulas on arrays ---------------------------------------------------------------------------

_VEC_ARITH = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
_VEC_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
                ast.Gt: operator.gt, ast.GtE: operator.ge}


def vector_eval(formula: Formula, env: Mapping[str, Any]) -> Any:
    """Evaluates a parsed formula of the standards language on numpy arrays (element-wise)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return _vec(formula.tree.body, env)


def _vec(node: ast.AST, env: Mapping[str, Any]) -> Any:
    match node:
        case ast.Name(id=name):
            return env[name]
        case ast.Constant(value=value):
            return value
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return [e.value for e in elts if isinstance(e, ast.Constant)]
        case ast.BinOp(left=left, op=op, right=right):
            return _VEC_ARITH[type(op)](_vec(left, env), _vec(right, env))
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return np.negative(_vec(operand, env))
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return np.logical_not(_vec(operand, env))
        case ast.BoolOp(op=ast.And(), values=values):
            return reduce(np.logical_and, [_vec(v, env) for v in values])
        case ast.BoolOp(op=ast.Or(), values=values):
            return reduce(np.logical_or, [_vec(v, env) for v in values])
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            current, out = _vec(left, env), cast(Any, True)
            for cmp, comp in zip(ops, comparators, strict=True):
                other = _vec(comp, env)
                if isinstance(cmp, ast.In | ast.NotIn):
                    ok = np.isin(current, other)
                    ok = ok if isinstance(cmp, ast.In) else ~ok
                else:
                    ok = _VEC_COMPARE[type(cmp)](current, other)
                out, current = np.logical_and(out, ok), other
            return out
        case ast.Call(func=ast.Name(id=fname), args=args):
            vals = [_vec(a, env) for a in args]
            if fname == "where":
                return np.where(vals[0], vals[1], vals[2])
            if fname == "implies":
                return np.logical_or(np.logical_not(vals[0]), vals[1])
            if fname in ("min", "max"):
                return reduce(np.minimum if fname == "min" else np.maximum, vals)
            return np.abs(vals[0])
    raise ValueError(f"unsupported formula node {type(node).__name__}")


@dataclass(frozen=True)
class ItemLimits:
    """What the computed county items of the 2017 standard allow, found by evaluating their checks."""

    checks: tuple[tuple[str, str], ...]  # (item id, level) of every computed item
    class_cap: np.ndarray  # (3,) largest allowed class per section (inf where no band is checked)
    size_cap: np.ndarray  # (kinds,) largest allowed school (students over all its sections)
    classes_per_room: int  # classes one music room (and one art room) may serve


def _probe(item: str, env: dict[str, Any]) -> np.ndarray:
    return np.asarray(vector_eval(load_standard("youzhi2017").formulas[item], env), dtype=bool)


@cache
def item_limits() -> ItemLimits:
    """Probes the checks of G03 (rooms), G04 (school size) and G05 (class size) of ``youzhi2017.yaml``."""
    std = load_standard("youzhi2017")
    items = [i for i in [*std.guarantee, *std.quality] if i.kind == "computed" and i.check]
    checks = tuple((i.id, i.level or "section") for i in items)
    ids = {i.id for i in items}
    cap = np.full(3, np.inf)
    if "G05" in ids:
        for s, name in enumerate(SECTIONS):
            env: dict[str, Any] = {b: np.zeros(len(BANDS)) for b, _, _ in BANDS}
            for j, (b, _, _) in enumerate(BANDS):
                env[b][j] = 1
            env["section"] = np.full(len(BANDS), name)
            bad = ~_probe("G05", env)
            if bad.any():
                cap[s] = min(lo for (_, lo, _), x in zip(BANDS, bad, strict=True) if x) - 1
    size = np.full(len(KINDS), np.inf)
    if "G04" in ids:
        n = np.arange(1, 20001, dtype=np.float64)
        for k, kind in enumerate(KINDS):
            ok = _probe("G04", {"students": n, "kind": np.full(len(n), kind)})
            size[k] = n[ok].max() if ok.any() else 0.0
    per_room = 10**6
    if "G03" in ids:
        n = np.arange(1, 1001, dtype=np.float64)
        ones = np.ones(len(n))
        ok = _probe("G03", {"classes": n, "music_rooms": ones, "art_rooms": ones})
        per_room = int(n[ok].max()) if ok.any() else 1
    return ItemLimits(checks, cap, size, per_room)


@dataclass(frozen=True)
class Profile:
    """Sizes and mix of one generated region."""

    district_schools: tuple[float, float, int, int]  # median, sigma, min, max per urban district
    county_schools: tuple[float, float, int, int]  # the same per county / county-level city
    kind_p_district: tuple[float, ...]  # over REGULAR_KINDS
    kind_p_county: tuple[float, ...]
    special_p_district: float = 0.85  # chance that an urban district has a special school
    cv_county_share: float = 0.13  # counties designed to exceed a CV limit
    near: float = 0.06  # candidate sections with one indicator at 85–99% of its threshold
    below: float = 0.03  # … with one indicator below 85%
    several: float = 0.02  # … with two or three indicators below the threshold
    size: float = 1.0  # scales the enrolment of every school but teaching points


PROVINCE_PROFILE = Profile(
    district_schools=(22.0, 0.35, 10, 45),
    county_schools=(61.0, 0.25, 30, 90),
    kind_p_district=(0.58, 0.22, 0.10, 0.02, 0.05, 0.01),
    kind_p_county=(0.56, 0.18, 0.13, 0.005, 0.02, 0.09),
)
NATION_PROFILE = Profile(
    district_schools=(37.0, 0.45, 8, 160),
    county_schools=(73.0, 0.45, 15, 260),
    kind_p_district=(0.61, 0.17, 0.09, 0.02, 0.04, 0.07),
    kind_p_county=(0.60, 0.125, 0.09, 0.005, 0.02, 0.16),
    size=1.28,
)


@dataclass
class Schools:
    """One entry per school."""

    county: np.ndarray  # index into the region's county list
    kind: np.ndarray
    loc: np.ndarray
    private: np.ndarray
    affil: np.ndarray
    boarding: np.ndarray
    weak: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)


@dataclass
class Sections:
    """One row per school section, sorted by school."""

    sch: np.ndarray
    sec: np.ndarray

    def __len__(self) -> int:
        return len(self.sch)


def sample_counts(rng: np.random.Generator, is_district: np.ndarray, profile: Profile,
                  per_county: float | None = None) -> np.ndarray:
    """Number of schools per county: urban districts fewer, larger schools; counties more, smaller."""
    n = len(is_district)
    out = np.empty(n)
    for mask, (med, sig, lo, hi) in ((is_district, profile.district_schools), (~is_district, profile.county_schools)):
        out[mask] = np.clip(med * np.exp(rng.normal(0.0, sig, mask.sum())), lo, hi)
    if per_county is not None:
        out *= per_county / max(out.mean(), 1e-9)
    return np.maximum(np.rint(out), 3).astype(np.int64)


def sample_schools(rng: np.random.Generator, is_district: np.ndarray, counts: np.ndarray,
                   profile: Profile, core: np.ndarray | None = None) -> Schools:
    """Kinds, locations, ownership, affiliation and boarding of every school, grouped by county."""
    n_c = len(counts)
    has_special = ~is_district | (rng.random(n_c) < profile.special_p_district)
    regular = np.maximum(counts - has_special, 2)
    county = np.repeat(np.arange(n_c), regular)
    dist = is_district[county]
    cum = np.cumsum([profile.kind_p_county, profile.kind_p_district], axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(county))
    kind = np.asarray(REGULAR_KINDS)[(u[:, None] > cum[dist.astype(int)]).sum(axis=1)]
    county = np.concatenate([county, np.flatnonzero(has_special)])
    kind = np.concatenate([kind, np.full(int(has_special.sum()), SPECIAL)])
    order = np.lexsort((kind, county))
    county, kind = county[order], kind[order]
    dist = is_district[county]
    n = len(kind)

    # location: core city districts are urban, outer districts mixed, counties mostly rural around
    # an urban county seat
    core = np.zeros(n_c, dtype=bool) if core is None else core & is_district
    p_urban = np.where(is_district, rng.uniform(0.35, 0.75, n_c), rng.uniform(0.08, 0.2, n_c))
    p_urban = np.where(core, rng.uniform(0.85, 1.0, n_c), p_urban)
    p_town = np.where(is_district, (1 - p_urban) * np.where(core, 1.0, 0.65), rng.uniform(0.25, 0.4, n_c))
    u = rng.random(n)
    loc = np.where(u < p_urban[county], URBAN, np.where(u < (p_urban + p_town)[county], TOWN, RURAL))
    loc[kind == TPOINT] = RURAL
    loc[kind == SPECIAL] = URBAN
    loc[np.isin(kind, (TWELVE, COMPLETE)) & (loc == RURAL)] = TOWN
    loc[(kind == JUNIOR) & (loc == RURAL) & ~dist & (rng.random(n) < 0.4)] = TOWN

    # ownership: about 7% private, mostly in towns and cities
    p_private = np.array([0.12, 0.07, 0.02])[loc] * np.where(kind == TWELVE, 3.0, 1.0)
    private = (rng.random(n) < p_private) & ~np.isin(kind, (TPOINT, SPECIAL))

    # affiliation: a few city schools are directly under the prefecture or the province
    u = rng.random(n)
    affil = np.zeros(n, dtype=np.int64)
    city = dist & (loc == URBAN) & ~private
    secondary = np.isin(kind, (JUNIOR, NINE, TWELVE, COMPLETE))
    affil[city & secondary & (u < 0.15)] = 1
    affil[city & secondary & (u < 0.015)] = 2
    affil[city & (kind == PRIMARY) & (u < 0.02)] = 1
    affil[city & (kind == SPECIAL) & (u < 0.2)] = 1

    p_board = np.select(
        [kind == SPECIAL, kind == TPOINT, np.isin(kind, (TWELVE, COMPLETE)), loc == URBAN,
         np.isin(kind, (JUNIOR, NINE)) & (loc == RURAL), np.isin(kind, (JUNIOR, NINE))],
        [0.7, 0.0, 0.5, 0.04, 0.6, 0.35], default=np.where(loc == RURAL, 0.1, 0.05))
    boarding = rng.random(n) < p_board
    weak = np.zeros(n, dtype=bool)
    return Schools(county, kind, loc, private, affil, boarding, weak)


def core_districts(codes: Sequence[str]) -> np.ndarray:
    """City-centre districts: GB/T 2260 county parts 01–10 are the old urban districts."""
    return np.array([int(code[4:]) <= 10 for code in codes], dtype=bool)


def expand_sections(kind: np.ndarray) -> Sections:
    """One row per section of every school, following the kinds' section lists."""
    sch, sec = np.nonzero(standards().kind_sections[kind])
    return Sections(sch.astype(np.int64), sec.astype(np.int64))


# ---- latent model --------------------------------------------------------------------------------

# students per section: medians (urban, town, rural), sigma, min, max
_STUDENTS = {
    (PRIMARY, 0): ((1350, 700, 175), (0.38, 0.45, 0.6), 20, 3200),
    (NINE, 0): ((950, 480, 150), (0.38, 0.45, 0.55), 20, 1900),
    (NINE, 1): ((520, 270, 110), (0.38, 0.45, 0.5), 15, 1100),
    (TWELVE, 0): ((1000, 600, 400), (0.35, 0.35, 0.35), 100, 1800),
    (TWELVE, 1): ((600, 380, 260), (0.35, 0.35, 0.35), 60, 1200),
    (TWELVE, 2): ((700, 450, 300), (0.35, 0.35, 0.35), 60, 1600),
    (COMPLETE, 1): ((950, 700, 420), (0.35, 0.35, 0.35), 80, 2200),
    (COMPLETE, 2): ((1300, 1000, 700), (0.35, 0.35, 0.35), 100, 3000),
    (JUNIOR, 1): ((1250, 820, 320), (0.35, 0.4, 0.5), 40, 2800),
    (TPOINT, 0): ((28, 28, 28), (0.65, 0.65, 0.65), 3, 95),
    (SPECIAL, 0): ((60, 60, 60), (0.45, 0.45, 0.45), 10, 220),
    (SPECIAL, 1): ((30, 30, 30), (0.5, 0.5, 0.5), 5, 120),
}
# mean class size (urban, town, rural) by section; teaching points and special schools apart
_CLASS = {0: ((39, 2.5), (36, 3.0), (27, 6.0)), 1: ((43, 2.5), (41, 3.0), (35, 5.0)),
          2: ((46, 2.5), (45, 2.5), (44, 3.0))}
# students per full-time teacher (urban, town, rural) by section
_STR = {0: (18.0, 16.2, 12.0), 1: (13.6, 12.6, 10.2), 2: (12.5, 12.0, 11.5)}
# quality factor medians (urban, town, rural) for R4 floor, R5 sports, R6 equipment, R7 multimedia
_Q_FACILITY = np.array([[1.30, 1.40, 1.55], [1.22, 1.45, 1.65], [1.55, 1.40, 1.30], [1.35, 1.30, 1.35]])


@dataclass
class Latent:
    """The latent model of every section and school; the yearly data derive from it."""

    s0: np.ndarray  # students in the first year
    avg: np.ndarray  # target mean class size
    csd: np.ndarray  # relative spread of class sizes
    phase: np.ndarray  # fixes the pattern of class sizes from year to year
    t0: np.ndarray  # full-time teachers in the first year (float)
    sh_ad: np.ndarray  # share of teachers above the required degree
    sh_key: np.ndarray
    sh_pma: np.ndarray  # PE + music + art share
    sh_mid: np.ndarray
    cert_short: np.ndarray  # full-time teachers without a certificate
    mental: np.ndarray
    staff_f: np.ndarray
    mig_sh: np.ndarray
    board_sh: np.ndarray
    ent_f: np.ndarray
    grad_f: np.ndarray
    visiting: np.ndarray  # -1 = not recorded
    q_t: np.ndarray  # (sections, 3) quality factors of R1..R3
    fail_t: np.ndarray  # (sections, 3) designed to miss R1..R3
    q_f: np.ndarray  # (schools, 4) quality factors of R4..R7
    fail_f: np.ndarray  # (schools, 4) designed to miss R4..R7
    comp_rate: np.ndarray  # computers per 100 students (school)
    book_rate: np.ndarray  # books per student (school)
    rooms_short: np.ndarray  # (schools, 2) music / art rooms below one per 12 classes
    funds_f: np.ndarray  # public funds top-up factor; NaN = not recorded
    rented_f: np.ndarray  # rented sports venue as a share of the sports area; NaN = none
    profile: np.ndarray  # designed profile per section (OK, NEAR, BELOW, SEVERAL)
    cap: np.ndarray  # largest allowed class per section; inf = no limit


def _lookup_students(rng: np.random.Generator, kind: np.ndarray, sec: np.ndarray, loc: np.ndarray) -> np.ndarray:
    med = np.zeros(len(kind))
    sig = np.zeros(len(kind))
    lo = np.zeros(len(kind))
    hi = np.zeros(len(kind))
    for (k, s), (m, sg, a, b) in _STUDENTS.items():
        mask = (kind == k) & (sec == s)
        med[mask] = np.asarray(m)[loc[mask]]
        sig[mask] = np.asarray(sg)[loc[mask]]
        lo[mask], hi[mask] = a, b
    return np.clip(med * np.exp(rng.normal(0.0, 1.0, len(kind)) * sig), lo, hi)


def sample_latent(rng: np.random.Generator, sc: Schools, se: Sections, size: float = 1.0) -> Latent:
    """Draws the latent model of every section and school."""
    n, m = len(se), len(sc)
    kind, loc = sc.kind[se.sch], sc.loc[se.sch]
    sec, private = se.sec, sc.private[se.sch]
    tp, sp = kind == TPOINT, kind == SPECIAL
    s0 = _lookup_students(rng, kind, sec, loc) * np.where(private, rng.uniform(0.5, 1.2, n), 1.0)
    s0 = np.maximum(np.rint(np.where(tp, s0, s0 * size)), 1)

    mu = np.array([[c[0] for c in _CLASS[s]] for s in range(3)])[sec, loc]
    sd = np.array([[c[1] for c in _CLASS[s]] for s in range(3)])[sec, loc]
    avg = np.clip(rng.normal(mu, sd), 10, np.where(sec == 0, 46, 49))
    avg = np.where(tp, rng.uniform(6, 20, n), np.where(sp, rng.uniform(6, 11, n), avg))
    csd = np.where(loc == RURAL, 0.12, 0.05)
    u = rng.random(n)
    crowd = (loc != RURAL) & ~tp & ~sp & (u < 0.004)
    avg = np.where(crowd, rng.uniform(50, 58, n), avg)
    very = (loc != RURAL) & ~tp & ~sp & (u > 0.999)
    avg = np.where(very, rng.uniform(58, 64, n), avg)
    csd = np.where(crowd | very, 0.08, csd)

    ratio = np.array([_STR[s] for s in range(3)])[sec, loc] * np.exp(rng.normal(0, 0.1, n))
    ratio = np.where(tp, rng.uniform(6, 12, n), np.where(sp, rng.uniform(2.8, 4.2, n), ratio))
    t0 = s0 / ratio

    sh_ad = np.select([sec == 0, sec == 1], [rng.uniform(0.95, 1.0, n), rng.uniform(0.84, 0.98, n)],
                      rng.uniform(0.9, 1.0, n))
    sh_pma = np.select([sec == 0, sec == 1], [rng.uniform(0.14, 0.22, n), rng.uniform(0.12, 0.18, n)],
                       rng.uniform(0.10, 0.16, n))
    cert_short = np.where(rng.random(n) < 0.06, rng.integers(1, 3, n), 0)
    mental = np.select([s0 >= 1000, s0 >= 300, tp], [rng.integers(2, 4, n), rng.integers(1, 3, n), 0],
                       (rng.random(n) < 0.6).astype(np.int64))
    boarding = sc.boarding[se.sch]
    board_sh = np.where(boarding, np.where(sec == 0, rng.uniform(0.2, 0.6, n), rng.uniform(0.4, 0.9, n)), 0.0)
    mig_sh = np.array([0.14, 0.05, 0.01])[loc] * rng.uniform(0.2, 1.8, n) * np.where(private, 2.0, 1.0)
    per_year = np.array([1 / 6, 1 / 3, 1 / 3])[sec]
    ent_f = per_year * np.where(sec == 0, rng.uniform(0.82, 1.05, n), rng.uniform(0.95, 1.05, n))
    grad_f = per_year * rng.uniform(0.95, 1.1, n)
    small_rural = ((loc == RURAL) & (s0 < 200)) | tp
    visiting = np.where(small_rural & (rng.random(n) < np.where(tp, 0.5, 0.25)), rng.integers(1, 3, n), -1)

    # school level
    sloc = sc.loc
    q_f = _Q_FACILITY[:, sloc].T * np.exp(rng.normal(0, 0.16, (m, 4)))
    q_f = np.where(sc.kind[:, None] == SPECIAL, q_f * np.array([3.0, 1.5, 2.5, 2.0]), q_f)
    q_f = np.clip(q_f, 1.1, 3.5)
    comp_rate = rng.uniform(10, 22, m) + np.where(np.isin(sc.kind, (JUNIOR, COMPLETE)), 5, 0)
    book_rate = rng.uniform(22, 40, m) + np.where(np.isin(sc.kind, (JUNIOR, COMPLETE)), 12, 0)
    rooms_short = (rng.random((m, 2)) < np.where(sc.kind == TPOINT, 0.5, 0.04)[:, None]).astype(np.int64)
    funds_f = np.where(sc.private, np.where(rng.random(m) < 0.3, np.nan, rng.uniform(0.2, 0.6, m)),
                       rng.uniform(1.0, 1.25, m))
    rented_f = np.where((sc.loc == URBAN) & ~sc.private & (rng.random(m) < 0.06), rng.uniform(0.1, 0.4, m), np.nan)

    return Latent(
        s0=s0, avg=avg, csd=csd, phase=rng.random(n), t0=t0, sh_ad=sh_ad,
        sh_key=rng.uniform(0.17, 0.33, n), sh_pma=sh_pma, sh_mid=rng.uniform(0.35, 0.62, n),
        cert_short=cert_short, mental=mental, staff_f=rng.uniform(1.05, 1.3, n), mig_sh=mig_sh,
        board_sh=board_sh, ent_f=ent_f, grad_f=grad_f, visiting=visiting,
        q_t=np.ones((n, 3)), fail_t=np.zeros((n, 3), dtype=bool), q_f=q_f, fail_f=np.zeros((m, 4), dtype=bool),
        comp_rate=comp_rate, book_rate=book_rate, rooms_short=rooms_short, funds_f=funds_f,
        rented_f=rented_f, profile=np.zeros(n, dtype=np.int64), cap=np.full(n, np.inf),
    )


def make_clean(rng: np.random.Generator, sc: Schools, se: Sections, lat: Latent, clean: np.ndarray,
               years: int = 1) -> np.ndarray:
    """Makes the in-scope schools of the ``clean`` counties meet every computed item of the 2017 standard.

    No uncertified teacher, enough music and art rooms, no class above the limit, and a school size
    under the limit with room for ``years`` of enrolment growth (at most 3% a year). Returns the
    clean schools.
    """
    lim = item_limits()
    cand = candidates(sc, se)
    in_scope = np.bincount(se.sch, weights=cand, minlength=len(sc)) > 0
    schools = in_scope & clean[sc.county]
    rows = schools[se.sch] & cand
    lat.cert_short[rows] = 0
    lat.rooms_short[schools] = 0
    lat.cap[rows] = lim.class_cap[se.sec[rows]]
    total = np.bincount(se.sch, weights=lat.s0, minlength=len(sc))
    allowed = lim.size_cap[sc.kind] * 0.97 / 1.03 ** max(years - 1, 0)
    f = np.where(schools & (total > allowed), allowed * rng.uniform(0.75, 1.0, len(sc)) / np.maximum(total, 1), 1.0)
    f = f[se.sch]
    lat.s0 = np.maximum(np.floor(lat.s0 * f), 1)
    lat.t0 = lat.t0 * f
    return schools


def candidates(sc: Schools, se: Sections) -> np.ndarray:
    """Sections that count in the county computation (public, county-run, regular compulsory kinds)."""
    k = sc.kind[se.sch]
    return (~sc.private[se.sch] & (sc.affil[se.sch] == 0) & np.isin(k, (PRIMARY, JUNIOR, NINE, TWELVE, COMPLETE))
            & (se.sec < 2))


def school_weights(sc: Schools, se: Sections, students: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split weight of every section and Σ weight × students of every school."""
    w = standards().weights[sc.kind[se.sch], se.sec]
    return w, np.bincount(se.sch, weights=w * students, minlength=len(sc))


def binding(sc: Schools, se: Sections) -> np.ndarray:
    """(schools, 4): max over a school's compulsory sections of threshold / split weight, R4..R7."""
    st = standards()
    w = st.weights[sc.kind[se.sch], se.sec]
    vals = st.thresholds[3:, se.sec].T / w[:, None]  # NaN for senior
    starts = np.flatnonzero(np.r_[True, se.sch[1:] != se.sch[:-1]])
    return np.fmax.reduceat(vals, starts, axis=0)


def design_schools(rng: np.random.Generator, sc: Schools, se: Sections, lat: Latent, profile: Profile,
                   clean: np.ndarray | None = None) -> None:
    """Marks some candidate sections to miss one or several thresholds (sets q < 1 and fail flags).

    Sections of ``clean`` schools are left to meet every threshold.
    """
    st = standards()
    n = len(se)
    cand = candidates(sc, se)
    if clean is not None:
        cand &= ~clean[se.sch]
    u = rng.random(n)
    prof = np.select([u < profile.several, u < profile.several + profile.below,
                      u < profile.several + profile.below + profile.near], [SEVERAL, BELOW, NEAR], OK)
    prof = np.where(cand, prof, OK)
    thr = st.thresholds[:, se.sec].T  # (n, 7)
    # integer indicators (teacher counts, classrooms) need enough students for a fine enough step
    counts = thr * lat.s0[:, None] / 100.0
    elig = np.ones((n, 7), dtype=bool)
    elig[:, [0, 1, 2, 6]] = counts[:, [0, 1, 2, 6]] >= 12
    logw = np.where(elig, np.log(FAIL_WEIGHTS)[None, :], -np.inf)
    keys = logw + rng.gumbel(size=(n, 7))
    order = np.argsort(-keys, axis=1)
    n_fail = np.select([prof == SEVERAL, prof != OK], [rng.integers(2, 4, n), 1], 0)
    q = np.select([prof == NEAR, prof == BELOW], [rng.uniform(0.87, 0.97, n), rng.uniform(0.55, 0.8, n)], 0.0)
    for j in range(3):
        rows = np.flatnonzero(n_fail > j)
        ind = order[rows, j]
        qj = np.where(prof[rows] == SEVERAL, rng.uniform(0.6, 0.95, len(rows)), q[rows])
        t = ind < 3
        lat.q_t[rows[t], ind[t]] = qj[t]
        lat.fail_t[rows[t], ind[t]] = True
        f = ~t
        schools = se.sch[rows[f]]
        lat.q_f[schools, ind[f] - 3] = qj[f]
        lat.fail_f[schools, ind[f] - 3] = True
    lat.profile = prof
    failing = np.bincount(se.sch, weights=(prof >= BELOW), minlength=len(sc)) > 0
    sc.weak[:] = (failing & (rng.random(len(sc)) < 0.7)) | (
        (sc.loc[:] != URBAN) & ~sc.private & (rng.random(len(sc)) < 0.03))


@dataclass
class CountyDesign:
    """Counties designed to exceed one CV limit: which section and indicator, and the boosted schools."""

    county: np.ndarray
    sec: np.ndarray
    ind: np.ndarray  # 3..6 (facility indicators)
    factor: np.ndarray
    flagship: list[np.ndarray]  # school indices per designed county


def design_counties(rng: np.random.Generator, sc: Schools, se: Sections, lat: Latent, n_counties: int,
                    share: float, exclude: np.ndarray | None = None) -> CountyDesign:
    """Gives a few 'flagship' schools of some counties (not ``exclude``) several times the facilities
    of the others."""
    cand = candidates(sc, se) & (lat.profile == OK) & ~lat.fail_f[se.sch].any(axis=1)
    cnt = np.bincount(sc.county[se.sch[cand]] * 2 + se.sec[cand], minlength=2 * n_counties)
    cnt = cnt.reshape(n_counties, 2)
    ok = (cnt >= 4).any(axis=1) if exclude is None else (cnt >= 4).any(axis=1) & ~exclude
    eligible = np.flatnonzero(ok)
    n_pick = min(len(eligible), max(1, round(share * n_counties))) if n_counties >= 3 else 0
    chosen = np.sort(rng.permutation(eligible)[:n_pick])
    sec = np.where(cnt[chosen, 0] >= 4, 0, 1)
    sec = np.where((cnt[chosen, 1] >= 4) & (rng.random(len(chosen)) < 0.25), 1, sec)
    ind = rng.choice([3, 4, 5, 6], size=len(chosen), p=[0.15, 0.35, 0.35, 0.15])
    target = rng.uniform(0.25, 0.4, len(chosen))
    factor = rng.uniform(3.2, 4.2, len(chosen))
    # vectorised flagship choice: candidate sections of the chosen (county, section), random order
    gid = np.full(n_counties * 2, -1)
    gid[chosen * 2 + sec] = np.arange(len(chosen))
    g = np.where(se.sec < 2, gid[sc.county[se.sch] * 2 + np.minimum(se.sec, 1)], -1)
    rows = np.flatnonzero(cand & (g >= 0))
    rows = rows[np.lexsort((rng.random(len(rows)), g[rows]))]
    if not len(rows):
        return CountyDesign(chosen, sec, ind, factor, [np.zeros(0, dtype=np.int64) for _ in chosen])
    grow = g[rows]
    s = lat.s0[rows]
    starts = np.flatnonzero(np.r_[True, grow[1:] != grow[:-1]])
    sizes = np.diff(np.r_[starts, len(rows)])
    cs = np.cumsum(s)
    cum_before = cs - s - np.repeat(cs[starts] - s[starts], sizes)
    total = np.repeat(np.add.reduceat(s, starts), sizes)
    rank = np.arange(len(rows)) - np.repeat(starts, sizes)
    flag = (cum_before < target[grow] * total) & (rank < np.repeat(sizes, sizes) - 2)
    flag_rows = rows[flag]
    boost = np.ones((len(sc), 4))
    np.multiply.at(boost, (se.sch[flag_rows], ind[g[flag_rows]] - 3), factor[g[flag_rows]])
    lat.q_f *= boost
    flagship = [np.unique(se.sch[flag_rows[g[flag_rows] == i]]) for i in range(len(chosen))]
    return CountyDesign(chosen, sec, ind, factor, flagship)


# ---- derivation of one year ----------------------------------------------------------------------


@dataclass
class Facilities:
    """School-level resources, carried from year to year."""

    floor: np.ndarray
    sports: np.ndarray
    equipment: np.ndarray
    multimedia: np.ndarray
    computers: np.ndarray
    books: np.ndarray
    rented: np.ndarray  # NaN = none


def initial_facilities(sc: Schools, se: Sections, lat: Latent) -> Facilities:
    """Facility totals of the first year from the quality factors (see the module docstring)."""
    _, wsum = school_weights(sc, se, lat.s0)
    level = lat.q_f * binding(sc, se)
    total = level * wsum[:, None]
    mm = np.where(lat.fail_f[:, 3], np.floor(total[:, 3] / 100), np.ceil(total[:, 3] / 100 - 1e-9))
    s_school = np.bincount(se.sch, weights=lat.s0, minlength=len(sc))
    sports = total[:, 1]
    return Facilities(
        floor=total[:, 0], sports=sports, equipment=total[:, 2], multimedia=np.maximum(mm, 1),
        computers=np.rint(s_school * lat.comp_rate / 100) + 2, books=np.rint(s_school * lat.book_rate),
        rented=sports * lat.rented_f,
    )


def grow_facilities(rng: np.random.Generator, fac: Facilities, frozen: np.ndarray,
                    steady: np.ndarray | None = None) -> Facilities:
    """One year of purchases and building; ``frozen`` schools (designed to fail) barely change, and
    ``steady`` schools (of counties designed to pass) make smaller purchases, so that their CVs hold."""
    m = len(fac.floor)
    u = rng.random((m, 5))
    equip = fac.equipment * (1 + rng.uniform(0, 0.02, m))
    bought = rng.uniform(0.1, 0.35, m)
    if steady is not None:
        bought = np.where(steady, bought * 0.4, bought)
    equip = np.where(u[:, 0] < 0.1, fac.equipment * (1 + bought), equip)
    big = u[:, 0] > 0.99 if steady is None else (u[:, 0] > 0.99) & ~steady
    equip = np.where(big, fac.equipment * (1 + rng.uniform(0.6, 1.0, m)), equip)
    equip = np.where(frozen, fac.equipment * (1 + rng.uniform(0, 0.01, m)), equip)
    floor = np.where((u[:, 1] < 0.02) & ~frozen, fac.floor * (1 + rng.uniform(0.1, 0.3, m)), fac.floor)
    sports = np.where((u[:, 2] < 0.01) & ~frozen, fac.sports * (1 + rng.uniform(0.1, 0.5, m)), fac.sports)
    mm = np.where((u[:, 3] < 0.08) & ~frozen, fac.multimedia + np.maximum(1, np.rint(fac.multimedia * rng.uniform(0.05, 0.2, m))),
                  fac.multimedia)
    comp = np.where(u[:, 4] < 0.1, np.rint(fac.computers * (1 + rng.uniform(0.1, 0.3, m))), fac.computers)
    books = np.rint(fac.books * (1 + rng.uniform(0, 0.03, m)))
    return Facilities(floor, sports, equip, mm, comp, books, fac.rented)


def _class_sizes(students: np.ndarray, classes: np.ndarray, avg_csd: np.ndarray,
                 phase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sizes of every class (sum = students exactly), with the section index of each class."""
    total = int(classes.sum())
    owner = np.repeat(np.arange(len(classes)), classes)
    starts = np.cumsum(classes) - classes
    j = np.arange(total) - starts[owner]
    e = avg_csd[owner] * np.sqrt(3.0) * (2.0 * np.mod(phase[owner] + j * GOLDEN, 1.0) - 1.0)
    raw = 1.0 + e
    rsum = np.bincount(owner, weights=raw, minlength=len(classes))
    with np.errstate(divide="ignore", invalid="ignore"):
        f = raw * (students / rsum)[owner]
    fl = np.floor(f + 1e-9)
    rem = students - np.bincount(owner, weights=fl, minlength=len(classes))
    sizes = fl + (j < rem[owner])
    return sizes.astype(np.int64), owner


def _need(thr: np.ndarray, s: np.ndarray) -> np.ndarray:
    return np.ceil(np.nan_to_num(thr) * OK_MARGIN * s / 100.0 - 1e-9)


def _fail_count(q: np.ndarray, thr: np.ndarray, s: np.ndarray) -> np.ndarray:
    thr = np.nan_to_num(thr)
    return np.maximum(np.minimum(np.floor(q * thr * s / 100.0 + 0.5), np.ceil(thr * s / 100.0 - 1e-9) - 1), 0)


def derive(sc: Schools, se: Sections, lat: Latent, students: np.ndarray, fac: Facilities,
           active: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every section and school value of one year (NaN = not recorded); inactive schools get zeros."""
    st = standards()
    kind, sec = sc.kind[se.sch], se.sec
    tp, sp = kind == TPOINT, kind == SPECIAL
    s = np.where(active[se.sch], students, 0).astype(np.float64)

    # classes
    c = np.rint(s / lat.avg)
    minc = np.select([(sec == 0) & (s >= 60), sec == 0], [6, np.minimum(6, np.ceil(s / 10))],
                     np.where(s >= 45, 3, np.ceil(s / 15)))
    c = np.maximum(c, minc)
    c = np.where(tp, np.clip(np.ceil(s / lat.avg), 1, 4), np.where(sp, np.ceil(s / lat.avg), c))
    capped = np.isfinite(lat.cap) & (s > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(capped, np.maximum(c, np.ceil(s * (1 + np.sqrt(3.0) * lat.csd) / lat.cap)), c)
    c = np.where(s > 0, np.clip(c, 1, 300), 0).astype(np.int64)
    for _ in range(20):  # sections with a class-size limit: one more class until the largest fits
        sizes, owner = _class_sizes(s, c, lat.csd, lat.phase)
        mx = np.zeros(len(se))
        has = c > 0
        if has.any():
            mx[has] = np.maximum.reduceat(sizes, (np.cumsum(c) - c)[has])
        over = capped & (mx > lat.cap) & (c < 300)
        if not over.any():
            break
        c = c + over
    bands = [np.bincount(owner, weights=(sizes >= lo) & (sizes <= hi), minlength=len(se)) for _, lo, hi in BANDS]

    # teachers
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.rint(lat.t0 * np.where(lat.s0 > 0, s / lat.s0, 0) ** 0.6)
    mint = np.select([tp, sp, sec == 0], [c, np.ceil(1.5 * c), np.ceil(1.3 * c)], np.ceil(2.2 * c))
    t = np.maximum(t, mint)
    thr = st.thresholds[:3, sec].T  # (n, 3)
    exempt = tp | sp
    nums = []
    for i, share in enumerate((lat.sh_ad, lat.sh_key, lat.sh_pma)):
        natural = np.rint(t * share)
        need = np.where(exempt & (i > 0), 0, _need(thr[:, i], s))
        ok = np.maximum(natural, need)
        nums.append(np.where(lat.fail_t[:, i], _fail_count(lat.q_t[:, i], thr[:, i], s), ok))
    above, key, pma = nums
    t = np.maximum.reduce([t, above, key, pma])
    t = np.where(s > 0, t, 0)
    pe = np.where(pma > 0, np.maximum(1, np.floor(pma * 0.45 + 0.5)), 0)
    music = np.ceil((pma - pe) / 2)
    art = pma - pe - music
    active_s = s > 0
    sec_cols = {
        "students": s,
        "entrants": np.minimum(np.rint(s * lat.ent_f), s),
        "graduates": np.minimum(np.rint(s * lat.grad_f), s),
        "boarders": np.rint(s * lat.board_sh),
        "migrant_students": np.rint(s * np.minimum(lat.mig_sh, 0.9)),
        "classes": c.astype(np.float64),
        "classes_46_50": bands[0], "classes_51_55": bands[1], "classes_56_65": bands[2], "classes_66_plus": bands[3],
        "max_class_size": np.where(active_s, mx, np.nan),
        "staff_total": np.ceil(t * lat.staff_f - 1e-9),
        "teachers_fulltime": t,
        "teachers_above_degree": above * active_s,
        "teachers_mid_title": np.minimum(np.rint(t * lat.sh_mid), t),
        "teachers_key": key * active_s,
        "teachers_pe": pe * active_s, "teachers_music": music * active_s, "teachers_art": art * active_s,
        "teachers_pe_art_visiting": np.where(lat.visiting >= 0, lat.visiting * active_s, np.nan),
        "teachers_mental_health": np.minimum(lat.mental, t),
        "teachers_certified": np.maximum(t - lat.cert_short, 0),
    }

    # school level
    m = len(sc)
    s_school = np.bincount(se.sch, weights=s, minlength=m)
    c_school = np.bincount(se.sch, weights=c, minlength=m)
    rooms = np.maximum(np.ceil(c_school / item_limits().classes_per_room)[:, None] - lat.rooms_short, 0)
    rate = np.select([sp, sec == 0, sec == 1], [6000.0, 720.0, 940.0], 1100.0)
    base = np.bincount(se.sch, weights=s * rate, minlength=m)
    base = np.where((s_school > 0) & (s_school < 100), base * 100 / np.maximum(s_school, 1), base)
    base += 300.0 * np.bincount(se.sch, weights=sec_cols["boarders"], minlength=m)
    funds = np.where(active, base * lat.funds_f, np.nan)
    sch_cols = {
        "floor_area_teaching": fac.floor, "sports_area": fac.sports, "sports_area_rented": fac.rented,
        "equipment_value": fac.equipment, "multimedia_classrooms": fac.multimedia,
        "computers": fac.computers, "books": fac.books,
        "music_rooms": rooms[:, 0], "art_rooms": rooms[:, 1], "public_funds": funds,
    }
    return sec_cols, sch_cols


# ---- indicators and difference coefficients (used to check the design) --------------------------


def indicator_values(sc: Schools, se: Sections, sec_cols: dict[str, np.ndarray],
                     sch_cols: dict[str, np.ndarray]) -> np.ndarray:
    """(sections, 7) values of R1..R7 after the weighted split; NaN where a section has no students."""
    s = sec_cols["students"]
    w, wsum = school_weights(sc, se, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        per = w / wsum[se.sch]
        out = np.stack([
            sec_cols["teachers_above_degree"] * 100 / s,
            sec_cols["teachers_key"] * 100 / s,
            (sec_cols["teachers_pe"] + sec_cols["teachers_music"] + sec_cols["teachers_art"]) * 100 / s,
            sch_cols["floor_area_teaching"][se.sch] * per,
            sch_cols["sports_area"][se.sch] * per,
            sch_cols["equipment_value"][se.sch] * per,
            sch_cols["multimedia_classrooms"][se.sch] * per * 100,
        ], axis=1)
    out[s <= 0] = np.nan
    return out


def county_cvs(county: np.ndarray, sec: np.ndarray, students: np.ndarray, values: np.ndarray,
               in_scope: np.ndarray, n_counties: int) -> np.ndarray:
    """(counties, 2, 7) enrolment-weighted population CV (standards §2.2); NaN without schools."""
    mask = in_scope & (sec < 2) & (students > 0)
    g = county[mask] * 2 + sec[mask]
    p = students[mask]
    x = values[mask]
    ptot = np.bincount(g, weights=p, minlength=2 * n_counties)
    out = np.full((2 * n_counties, 7), np.nan)
    for k in range(7):
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.bincount(g, weights=p * x[:, k], minlength=2 * n_counties) / ptot
            var = np.bincount(g, weights=p * (x[:, k] - mean[g]) ** 2, minlength=2 * n_counties) / ptot
            out[:, k] = np.sqrt(var) / mean
    return out.reshape(n_counties, 2, 7)


@dataclass
class Evaluation:
    """The computed parts of the 2017 verdict for one year, per county (see ``evaluate_2017``)."""

    in_scope: np.ndarray  # (sections,) section counts in the county computation
    values: np.ndarray  # (sections, 7) R1..R7
    school_fail: np.ndarray  # (sections,) in scope and failing the k-of-n school rule
    county_of_fail: np.ndarray  # county of each failing section
    cvs: np.ndarray  # (counties, 2, 7)
    cv_over: np.ndarray  # (counties, 2, 7) above the limit
    no_section: np.ndarray  # (counties, 2) no in-scope section of primary / junior
    item_fail: dict[str, np.ndarray]  # computed item -> (counties,) failing schools or sections
    item_checked: dict[str, np.ndarray]  # computed item -> (counties,) schools or sections checked

    def fails(self) -> np.ndarray:
        """(counties,) whether anything computed fails."""
        bad = np.bincount(self.county_of_fail, minlength=len(self.cv_over)) > 0
        bad |= self.cv_over.any(axis=(1, 2))
        for counts in self.item_fail.values():
            bad |= counts > 0
        return bad

    def missing(self) -> np.ndarray:
        """(counties,) whether anything computed cannot be decided."""
        out = self.no_section.any(axis=1)
        for counts in self.item_checked.values():
            out |= counts == 0
        return out


def rounded(cols: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Values as they are written: decimals to 2 places (see the element dictionary)."""
    types = {e.code: e.type for e in load_dictionary().elements}
    return {k: np.round(v, 2) if types.get(k) == "decimal" else v for k, v in cols.items()}


def evaluate_2017(sc: Schools, se: Sections, county: np.ndarray, active: np.ndarray,
                  sec_cols: Mapping[str, np.ndarray], sch_cols: Mapping[str, np.ndarray],
                  n_counties: int) -> Evaluation:
    """Recomputes, with numpy, what the 2017 assessment computes from school data: the school rule,
    the difference coefficients and the computed county items, on the values as written."""
    st = standards()
    std = load_standard("youzhi2017")
    sec_cols, sch_cols = rounded(sec_cols), rounded(sch_cols)
    s = sec_cols["students"]
    regular = ~sc.private & (sc.affil == 0) & ~np.isin(sc.kind, (TPOINT, SPECIAL)) & active
    scoped_row = regular[se.sch] & (s > 0)  # every section, senior included
    in_scope = scoped_row & (se.sec < 2)
    vals = indicator_values(sc, se, sec_cols, sch_cols)
    thr = st.thresholds[:, se.sec].T
    rule = next(r for r in std.rules if r.kind == "k_of_n")
    with np.errstate(invalid="ignore"):
        passed = (vals >= thr * (1 - REL_TOL)).sum(axis=1)
        ratio = np.where(np.isnan(thr) | np.isnan(vals), np.inf, vals / thr).min(axis=1)
    k = rule.k if rule.k is not None else 7
    floor = rule.floor_ratio if rule.floor_ratio is not None else 1.0
    school_fail = in_scope & ~((passed >= k) & (ratio >= floor * (1 - REL_TOL)))
    sec_county = county[se.sch]
    cvs = county_cvs(sec_county, se.sec, s, vals, in_scope, n_counties)
    with np.errstate(invalid="ignore"):
        cv_over = cvs > st.cv_limits[:, :2].T[None] * (1 + REL_TOL)
    has = np.bincount(sec_county[in_scope] * 2 + se.sec[in_scope], minlength=2 * n_counties).reshape(n_counties, 2)

    m = len(sc)
    school_in = np.bincount(se.sch, weights=scoped_row, minlength=m) > 0
    kind_names = np.asarray(KINDS)[sc.kind]
    school_env: dict[str, Any] = {k: np.bincount(se.sch, weights=v, minlength=m) for k, v in sec_cols.items()}
    school_env.update(sch_cols)
    school_env["kind"] = kind_names
    section_env: dict[str, Any] = {k: v[se.sch] for k, v in sch_cols.items()}
    section_env.update(sec_cols)
    section_env["kind"] = kind_names[se.sch]
    section_env["section"] = np.asarray(SECTIONS)[se.sec]
    item_fail, item_checked = {}, {}
    for item, level in item_limits().checks:
        ok = np.asarray(vector_eval(std.formulas[item], school_env if level == "school" else section_env), dtype=bool)
        mask, where = (school_in, county) if level == "school" else (in_scope, sec_county)
        item_fail[item] = np.bincount(where[mask & ~ok], minlength=n_counties)
        item_checked[item] = np.bincount(where[mask], minlength=n_counties)
    return Evaluation(in_scope, vals, school_fail, sec_county[school_fail], cvs, cv_over, has == 0, item_fail,
                      item_checked)


def zh_number(n: int) -> str:
    """Chinese numeral for 1–99 (第三, 第十二, 第二十一)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")
