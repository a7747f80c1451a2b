"""The rotation planner: which eligible teachers to move where, as a mixed-integer programme (HiGHS).

Units are school sections (a nine-year school is two units). For indicator r ∈ {R1, R2, R3} a unit has
a count Nᵤʳ (teachers above the required degree, county-level key teachers, PE + music + art teachers),
students Pᵤ and a threshold tʳ per 100 students; it meets r when Nᵤʳ ≥ Tᵤʳ = ⌈tʳ·Pᵤ/100⌉.

Variables: x_{i,u} ∈ {0,1} — teacher i moves to unit u (only for pairs of the same section, within the
maximum distance, among the ``candidates_per_teacher`` nearest receivers that need the teacher's subject,
fall short of an indicator the teacher adds to, or are rural/weak); f_{u,g} ∈ [0, need] — shortage of
subject group g filled at u (f ≤ inflow − outflow); z_{u,r}, y_u ∈ {0,1} — a unit short
of r (of all three) before reaches it (them) after; d_{u,r} ≥ 0 — (x_after − X̄)²; quota slacks ≥ 0.

Δᵤʳ = Σ_{i adds to r} x_{i,u} − Σ_{i at u, adds to r} Σ_v x_{i,v}

Constraints (all linear):
  each teacher moves at most once (exactly once if pinned in; to the pinned school if so; never if pinned out);
  units meeting r before still meet it after: Nᵤʳ + Δᵤʳ ≥ Tᵤʳ;  reaching: Nᵤʳ + Δᵤʳ ≥ Tᵤʳ·z_{u,r};  y_u ≤ z_{u,r};
  subject match: per unit and subject group g, inflow − outflow ≤ need_{u,g} and outflow − inflow ≤ surplus_{u,g};
  receivers mostly rural/weak: Σ_{u rural/weak} x ≥ ρ·Σ x;
  quotas: Σ x + s₁ ≥ ⌈q·eligible⌉, Σ_{key} x − q_k·Σ x + s₂ ≥ 0 (penalised slacks, reported when > 0);
  d_{u,r} ≥ 2a·(100(Nᵤʳ+Δᵤʳ)/Pᵤ − X̄ʳ) − a² for the tangent points a = X̄ʳ·(±0.2, ±0.6, ±1.5).
Objective (maximise): W_s·Σy + W_i·Σz + W_f·Σ f_{u,g} − W_cv·Σ_{c,sec,r} Σᵤ (Pᵤ/P)·d_{u,r}/(X̄ʳ)² − W_m·Σx − W_d·Σ km·x − M·(s₁+s₂).

Moves within a county leave each county mean X̄ʳ unchanged, so the CV falls exactly when the weighted
spread Σ (Pᵤ/P)(xᵤ − X̄)² falls. The objective carries Σ (Pᵤ/P)·d/X̄² — CV² — with each square replaced
by the largest of its tangents (a convex piecewise-linear lower envelope, exact at the tangent points), and
the true CVs before and after are reported.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

INDICATORS = ("R1", "R2", "R3")
QUOTA_PENALTY = 1e5
EPS = 1e-9


@dataclass
class Unit:
    school_code: str
    school_name: str
    section: str
    students: int
    rural_weak: bool
    lat: float
    lon: float
    counts: dict[str, int]
    thresholds: dict[str, float]
    need: dict[str, int] = field(default_factory=dict)  # subject group -> shortage
    surplus: dict[str, int] = field(default_factory=dict)  # subject group -> teachers beyond the need
    county: str = ""

    @property
    def key(self) -> str:
        return f"{self.school_code}/{self.section}"

    def target(self, r: str) -> int:
        return math.ceil(self.thresholds[r] * self.students / 100 - EPS) if self.students > 0 else 0

    def meets(self, r: str, delta: int = 0) -> bool:
        return self.counts[r] + delta >= self.target(r)

    def value(self, r: str, delta: int = 0) -> float:
        return 100 * (self.counts[r] + delta) / self.students if self.students else 0.0


@dataclass
class Candidate:
    key: str
    name: str
    school_code: str
    section: str
    group: str  # subject group
    adds: frozenset[str]  # indicators the teacher counts towards
    key_teacher: bool
    subject: str = ""

    @property
    def home(self) -> str:
        return f"{self.school_code}/{self.section}"


@dataclass
class Pins:
    move: set[str] = field(default_factory=set)  # teachers who must move
    stay: set[str] = field(default_factory=set)  # teachers who must not move
    to: dict[str, str] = field(default_factory=dict)  # teacher -> school code
    closed: set[str] = field(default_factory=set)  # schools that neither send nor receive


@dataclass
class Params:
    max_km: float = 40
    receiver_share: float = 0.8
    quota_rotated: float = 0.10
    quota_key: float = 0.20
    key_base: str = "rotated"
    eligible: int = 0  # size of the eligible pool the 10 % is taken of
    time_limit: float = 45
    candidates_per_teacher: int = 10
    w_school: float = 1000
    w_indicator: float = 100
    w_cv: float = 5000
    w_move: float = 5
    w_km: float = 0.01
    w_shortage: float = 10


@dataclass
class Problem:
    units: list[Unit]
    teachers: list[Candidate]
    params: Params
    pins: Pins = field(default_factory=Pins)
    group_labels: dict[str, str] = field(default_factory=dict)  # subject group -> its name in reports

    def unit(self, key: str) -> Unit:
        return self._units()[key]

    def _units(self) -> dict[str, Unit]:
        if not hasattr(self, "_by_key"):
            self._by_key = {u.key: u for u in self.units}
        return self._by_key


@dataclass
class Move:
    teacher: str
    frm: str  # unit key
    to: str  # unit key
    km: float
    reasons_zh: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)


@dataclass
class Plan:
    moves: list[Move]
    status: str
    method: str
    seconds: float
    gap: float | None = None
    objective: float | None = None
    bound: float | None = None
    variables: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)


def quota_needed(p: Params) -> int:
    x = p.quota_rotated * p.eligible
    return int(x) if x - int(x) <= EPS else int(x) + 1


def haversine(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    r = 6371.0
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def pairs(problem: Problem) -> list[tuple[int, int, float]]:
    """(teacher index, unit index, km) for every move the model may consider."""
    p, pins = problem.params, problem.pins
    units = problem.units
    index = {u.key: j for j, u in enumerate(units)}
    lat = np.array([u.lat for u in units])
    lon = np.array([u.lon for u in units])
    by_section: dict[str, np.ndarray] = {}
    for sec in {u.section for u in units}:
        by_section[sec] = np.array([j for j, u in enumerate(units) if u.section == sec and u.school_code not in pins.closed])
    short = {r: np.array([not u.meets(r) for u in units]) for r in INDICATORS}
    rural = np.array([u.rural_weak for u in units])
    out: list[tuple[int, int, float]] = []
    for i, t in enumerate(problem.teachers):
        if t.key in pins.stay or t.school_code in pins.closed or t.home not in index:
            continue
        home = index[t.home]
        cand = by_section.get(t.section, np.array([], dtype=int))
        if cand.size == 0:
            continue
        km = haversine(lat[home], lon[home], lat[cand], lon[cand])
        fixed = pins.to.get(t.key)
        if fixed is not None:
            js = [(j, d) for j, d in zip(cand, km, strict=True) if units[j].school_code == fixed and j != home]
            out += [(i, int(j), float(d)) for j, d in js]
            continue
        useful = np.array([units[j].need.get(t.group, 0) > 0 for j in cand])
        for r in t.adds:
            useful |= short[r][cand]
        ok = (cand != home) & (km <= p.max_km) & np.array([units[j].school_code != t.school_code for j in cand])
        first = np.flatnonzero(ok & useful)
        first = first[np.argsort(km[first], kind="stable")][: p.candidates_per_teacher]
        # receivers that only make a swap possible (rural or weak, nothing needed): the nearest few
        extra = np.flatnonzero(ok & ~useful & rural[cand])
        extra = extra[np.argsort(km[extra], kind="stable")][: max(1, p.candidates_per_teacher // 5)]
        out += [(i, int(cand[k]), float(km[k])) for k in (*first, *extra)]
    return out


def _deltas(problem: Problem, moves: Iterable[Move]) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """Δ per (unit, indicator) and net flow per (unit, group)."""
    teachers = {t.key: t for t in problem.teachers}
    d: dict[tuple[str, str], int] = defaultdict(int)
    g: dict[tuple[str, str], int] = defaultdict(int)
    for m in moves:
        t = teachers[m.teacher]
        for r in t.adds:
            d[(m.to, r)] += 1
            d[(m.frm, r)] -= 1
        g[(m.to, t.group)] += 1
        g[(m.frm, t.group)] -= 1
    return d, g


def violations(problem: Problem, moves: list[Move]) -> list[str]:
    """Every hard constraint a set of moves breaks (empty for a valid plan). Quotas are reported, not here."""
    out: list[str] = []
    teachers = {t.key: t for t in problem.teachers}
    units = problem._units()
    p, pins = problem.params, problem.pins
    seen: set[str] = set()
    for m in moves:
        t = teachers.get(m.teacher)
        if t is None:
            out.append(f"{m.teacher}: not an eligible teacher")
            continue
        if m.teacher in seen:
            out.append(f"{m.teacher}: moved twice")
        seen.add(m.teacher)
        u, h = units[m.to], units[t.home]
        if m.frm != t.home or u.section != t.section or u.school_code == t.school_code:
            out.append(f"{m.teacher}: section or home mismatch")
        if m.teacher in pins.stay or u.school_code in pins.closed or t.school_code in pins.closed:
            out.append(f"{m.teacher}: against a pin")
        if m.teacher in pins.to and pins.to[m.teacher] != u.school_code:
            out.append(f"{m.teacher}: not to the pinned school")
        km = float(haversine(np.array(h.lat), np.array(h.lon), np.array(u.lat), np.array(u.lon)))
        if km > p.max_km + 1e-6 and m.teacher not in pins.to:
            out.append(f"{m.teacher}: {km:.1f} km > {p.max_km}")
    for k in pins.move | set(pins.to):
        if k in teachers and k not in seen:
            out.append(f"{k}: pinned to move but not moved")
    delta, flow = _deltas(problem, moves)
    for u in problem.units:
        for r in INDICATORS:
            if u.meets(r) and not u.meets(r, delta.get((u.key, r), 0)):
                out.append(f"{u.key}: {r} was met and is no longer")
        groups = {g for (k, g) in flow if k == u.key}
        for g in groups:
            f = flow[(u.key, g)]
            if f > u.need.get(g, 0) or -f > u.surplus.get(g, 0):
                out.append(f"{u.key}: subject group {g} net flow {f} outside [-{u.surplus.get(g, 0)}, {u.need.get(g, 0)}]")
    if moves:
        rural = sum(1 for m in moves if units[m.to].rural_weak)
        if rural + 1e-9 < p.receiver_share * len(moves):
            out.append(f"only {rural} of {len(moves)} moves to rural or weak schools")
    return out


def cvs(units: list[Unit], delta: dict[tuple[str, str], int] | None = None) -> dict[tuple[str, str, str], float | None]:
    """The exact weighted CV per (county, section, indicator), after the given changes."""
    delta = delta or {}
    groups: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    for u in units:
        if u.students > 0:
            groups[(u.county, u.section)].append(u)
    out: dict[tuple[str, str, str], float | None] = {}
    for (county, sec), us in groups.items():
        p = np.array([u.students for u in us], dtype=float)
        for r in INDICATORS:
            x = np.array([u.value(r, delta.get((u.key, r), 0)) for u in us])
            mean = float((p * x).sum() / p.sum())
            out[(county, sec, r)] = float(np.sqrt((p / p.sum() * (x - mean) ** 2).sum()) / mean) if mean else None
    return out


def measure(problem: Problem, moves: list[Move]) -> dict[str, Any]:
    """Before and after: units meeting each indicator and all three, CVs, subject shortages, quotas."""
    delta, flow = _deltas(problem, moves)
    teachers = {t.key: t for t in problem.teachers}
    before_all = [u for u in problem.units if all(u.meets(r) for r in INDICATORS)]
    after_all = [u for u in problem.units if all(u.meets(r, delta.get((u.key, r), 0)) for r in INDICATORS)]
    cv0, cv1 = cvs(problem.units), cvs(problem.units, delta)
    short0: dict[str, int] = defaultdict(int)
    short1: dict[str, int] = defaultdict(int)
    for u in problem.units:
        for g in set(u.need) | {g for (k, g) in flow if k == u.key}:
            n, f = u.need.get(g, 0), flow.get((u.key, g), 0)
            short0[g] += n
            short1[g] += max(0, n - f) if f >= 0 else n + max(0, -f - u.surplus.get(g, 0))
    p = problem.params
    n_key = sum(1 for m in moves if teachers[m.teacher].key_teacher)
    needed = quota_needed(p)
    base = len(moves) if p.key_base == "rotated" else p.eligible
    needed_key = math.ceil(p.quota_key * base - EPS)
    return {
        "units": len(problem.units), "teachers": len(problem.teachers), "moves": len(moves), "key_moves": n_key,
        "eligible": p.eligible, "needed_moves": needed, "needed_key": needed_key,
        "quota_met": len(moves) >= needed, "key_quota_met": n_key >= needed_key,
        "rural_weak_moves": sum(1 for m in moves if problem.unit(m.to).rural_weak),
        "meet_all_before": len(before_all), "meet_all_after": len(after_all),
        "brought_up": len({u.key for u in after_all} - {u.key for u in before_all}),
        "meet_before": {r: sum(u.meets(r) for u in problem.units) for r in INDICATORS},
        "meet_after": {r: sum(u.meets(r, delta.get((u.key, r), 0)) for u in problem.units) for r in INDICATORS},
        "cv_before": {"|".join(k): v for k, v in cv0.items()}, "cv_after": {"|".join(k): v for k, v in cv1.items()},
        "mean_cv_change": _mean_change(cv0, cv1),
        "shortage_before": dict(short0), "shortage_after": dict(short1),
        "km_total": round(sum(m.km for m in moves), 1),
    }


def _mean_change(a: dict[Any, float | None], b: dict[Any, float | None]) -> float:
    diffs = [b[k] - v for k, v in a.items() if v is not None and b.get(k) is not None]
    return float(np.mean(diffs)) if diffs else 0.0


# ---------------------------------------------------------------- the MIP


class _Builder:
    def __init__(self) -> None:
        self.cost: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.integer: list[bool] = []
        self.rows_lo: list[float] = []
        self.rows_hi: list[float] = []
        self.entries: list[tuple[int, int, float]] = []  # row, col, value

    def var(self, cost: float, lo: float = 0, hi: float = 1, integer: bool = True) -> int:
        self.cost.append(cost)
        self.lo.append(lo)
        self.hi.append(hi)
        self.integer.append(integer)
        return len(self.cost) - 1

    def row(self, terms: dict[int, float] | list[tuple[int, float]], lo: float = -math.inf, hi: float = math.inf) -> None:
        r = len(self.rows_lo)
        items = terms.items() if isinstance(terms, dict) else terms
        for c, v in items:
            if v:
                self.entries.append((r, c, v))
        self.rows_lo.append(lo)
        self.rows_hi.append(hi)

    def solve(self, time_limit: float, warm: dict[int, float] | None = None) -> tuple[Any, np.ndarray | None, str, dict[str, Any]]:
        import highspy

        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", 1e-4)
        h.setOptionValue("random_seed", 1)
        h.setOptionValue("mip_heuristic_effort", 0.3)
        lp = highspy.HighsLp()
        n = len(self.cost)
        lp.num_col_, lp.num_row_ = n, len(self.rows_lo)
        lp.col_cost_ = np.array(self.cost, dtype=float)
        lp.col_lower_ = np.array(self.lo, dtype=float)
        lp.col_upper_ = np.array(self.hi, dtype=float)
        inf = highspy.kHighsInf
        lp.row_lower_ = np.array([-inf if math.isinf(v) else v for v in self.rows_lo], dtype=float)
        lp.row_upper_ = np.array([inf if math.isinf(v) else v for v in self.rows_hi], dtype=float)
        lp.sense_ = highspy.ObjSense.kMaximize
        e = np.array(self.entries, dtype=float).reshape(-1, 3)
        order = np.lexsort((e[:, 0], e[:, 1]))
        e = e[order]
        cols = e[:, 1].astype(np.int64)
        start = np.searchsorted(cols, np.arange(n + 1)).astype(np.int32)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = start
        lp.a_matrix_.index_ = e[:, 0].astype(np.int32)
        lp.a_matrix_.value_ = e[:, 2]
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in self.integer]
        h.passModel(lp)
        if warm:
            idx = np.array(sorted(warm), dtype=np.int32)
            h.setSolution(len(idx), idx, np.array([warm[k] for k in idx], dtype=float))
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        info = h.getInfo()
        sol = None
        if info.primal_solution_status >= 2:  # feasible
            sol = np.array(h.getSolution().col_value)
        extra = {"gap": float(info.mip_gap) if sol is not None else None,
                 "objective": float(info.objective_function_value) if sol is not None else None,
                 "bound": float(info.mip_dual_bound)}
        return h, sol, status, extra


@dataclass
class _Model:
    b: _Builder
    cand: list[tuple[int, int, float]]
    x: dict[tuple[int, int], int]
    out_var: dict[int, int]
    aux: list[tuple[int, Any]]

    def values(self, problem: Problem, moves: list[Move], t_index: dict[str, int], uidx: dict[str, int]) -> dict[int, float]:
        """Every variable's value for a set of moves (auxiliaries at their best given the moves)."""
        chosen = {(t_index[m.teacher], uidx[m.to]) for m in moves}
        vals = {v: (1.0 if k in chosen else 0.0) for k, v in self.x.items()}
        moved = {i for i, _j in chosen}
        vals.update({o: (1.0 if i in moved else 0.0) for i, o in self.out_var.items()})
        d, f = _deltas(problem, moves)
        n_key = sum(1 for i in moved if problem.teachers[i].key_teacher)
        vals.update({v: fn(d, f, len(moved), n_key) for v, fn in self.aux})
        return vals

    def objective(self, vals: dict[int, float]) -> float:
        return float(sum(self.b.cost[k] * v for k, v in vals.items()))


def _model(problem: Problem, cand: list[tuple[int, int, float]], fixed: list[Move]) -> _Model:
    """The MIP over the pairs ``cand``; ``fixed`` moves are held as constants (counts, flows, quotas)."""
    p, pins = problem.params, problem.pins
    units, teachers = problem.units, problem.teachers
    uidx = {u.key: j for j, u in enumerate(units)}
    fd, ff = _deltas(problem, fixed)
    keyed = {t.key for t in teachers if t.key_teacher}
    f_key = sum(1 for m in fixed if m.teacher in keyed)
    f_rural = sum(1 for m in fixed if problem.unit(m.to).rural_weak)
    aux: list[tuple[int, Any]] = []
    b = _Builder()
    x: dict[tuple[int, int], int] = {}
    for i, j, km in cand:
        x[(i, j)] = b.var(-p.w_move - p.w_km * km)
    by_teacher: dict[int, list[int]] = defaultdict(list)
    inflow: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (i, j), v in x.items():
        by_teacher[i].append(v)
        inflow[j].append((i, v))
    out_var: dict[int, int] = {}  # o_i = Σ_u x_{i,u}: whether teacher i moves (at most once)
    outflow: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, vs in by_teacher.items():
        t = teachers[i]
        must = t.key in pins.move or t.key in pins.to
        out_var[i] = o = b.var(0.0, lo=1.0 if must else 0.0, hi=1.0, integer=False)
        b.row({**{v: 1.0 for v in vs}, o: -1.0}, lo=0.0, hi=0.0)
        outflow[uidx[t.home]].append((i, o))
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for j, u in enumerate(units):
        if u.students > 0:
            groups[(u.county, u.section)].append(j)
    zs: dict[int, dict[str, int]] = defaultdict(dict)
    for (_county, _sec), js in groups.items():
        total = sum(units[j].students for j in js)
        for r in INDICATORS:
            mean = sum(units[j].counts[r] for j in js) * 100 / total
            for j in js:
                u = units[j]
                terms: dict[int, float] = defaultdict(float)
                for i, v in inflow.get(j, []):
                    if r in teachers[i].adds:
                        terms[v] += 1
                for i, v in outflow.get(j, []):
                    if r in teachers[i].adds:
                        terms[v] -= 1
                if not terms:
                    continue
                have = u.counts[r] + fd.get((u.key, r), 0)  # with the fixed moves
                # Δ as its own variable (one row with all the moves; the rows below then have 2 entries)
                dv = b.var(0.0, lo=-math.inf, hi=math.inf, integer=False)
                held = fd.get((u.key, r), 0)
                aux.append((dv, lambda D, F, n, k, u=u, r=r, c=held: float(D.get((u.key, r), 0) - c)))
                b.row({**terms, dv: -1.0}, lo=0.0, hi=0.0)
                target = u.target(r)
                if u.meets(r):
                    b.row({dv: 1.0}, lo=target - have)
                else:
                    z = b.var(p.w_indicator)
                    aux.append((z, lambda D, F, n, k, u=u, r=r: float(u.meets(r, D.get((u.key, r), 0)))))
                    b.row({dv: 1.0, z: -float(target)}, lo=-have)
                    zs[j][r] = z
                if mean > 0:
                    # d ≥ (x_after − mean)², from below by its tangents at a = mean × TANGENTS
                    d = b.var(-p.w_cv * (u.students / total) / mean**2, lo=0, hi=math.inf, integer=False)
                    slopes = [mean * t for t in TANGENTS]
                    aux.append((d, lambda D, F, n, k, u=u, r=r, m=mean, s=slopes: _square_below(
                        u.value(r, D.get((u.key, r), 0)) - m, s)))
                    scale = 100 / u.students
                    xv = have * scale
                    for a in slopes:  # d − 2a·scale·Δ ≥ 2a(xv − mean) − a²
                        b.row({dv: -2 * a * scale, d: 1.0}, lo=2 * a * (xv - mean) - a * a)
    for j, u in enumerate(units):
        failing = [r for r in INDICATORS if not u.meets(r)]
        if zs.get(j) and all(r in zs[j] or u.meets(r, fd.get((u.key, r), 0)) for r in failing):
            y = b.var(p.w_school)
            aux.append((y, lambda D, F, n, k, u=u: float(all(u.meets(r, D.get((u.key, r), 0)) for r in INDICATORS))))
            for z in zs[j].values():
                b.row({y: 1.0, z: -1.0}, hi=0.0)
    # subject groups: inflow − outflow (with the fixed moves) within [−surplus, need]
    for j, u in enumerate(units):
        flows: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for i, v in inflow.get(j, []):
            flows[teachers[i].group][v] += 1
        for i, v in outflow.get(j, []):
            flows[teachers[i].group][v] -= 1
        for g, terms in flows.items():
            c = ff.get((u.key, g), 0)
            b.row(terms, lo=-float(u.surplus.get(g, 0)) - c, hi=float(u.need.get(g, 0)) - c)
            if u.need.get(g, 0) > 0 and not u.surplus.get(g, 0):  # shortage filled: f ≤ net inflow (≥ 0 here), f ≤ need
                f = b.var(p.w_shortage, lo=0, hi=float(u.need[g]), integer=False)
                aux.append((f, lambda D, F, n, k, u=u, g=g: float(min(u.need[g], max(0, F.get((u.key, g), 0))))))
                b.row({**{k: -c2 for k, c2 in terms.items()}, f: 1.0}, hi=float(c))
    all_x = list(x.values())
    nf = len(fixed)
    if all_x:
        rural = {v: (1.0 if units[j].rural_weak else 0.0) - p.receiver_share for (i, j), v in x.items()}
        b.row(rural, lo=p.receiver_share * nf - f_rural)
    s1 = b.var(-QUOTA_PENALTY, lo=0, hi=math.inf, integer=False)
    aux.append((s1, lambda D, F, n, k: float(max(0, quota_needed(p) - n))))
    b.row({**{v: 1.0 for v in all_x}, s1: 1.0}, lo=float(quota_needed(p) - nf))
    s2 = b.var(-QUOTA_PENALTY, lo=0, hi=math.inf, integer=False)
    if p.key_base == "rotated":
        aux.append((s2, lambda D, F, n, k: max(0.0, p.quota_key * n - k)))
        key_terms = {v: (1.0 if teachers[i].key_teacher else 0.0) - p.quota_key for (i, j), v in x.items()}
        b.row({**key_terms, s2: 1.0}, lo=p.quota_key * nf - f_key)
    else:
        needed_key = math.ceil(p.quota_key * p.eligible - EPS)
        aux.append((s2, lambda D, F, n, k: float(max(0, needed_key - k))))
        key_terms = {v: 1.0 for (i, j), v in x.items() if teachers[i].key_teacher}
        b.row({**key_terms, s2: 1.0}, lo=float(needed_key - f_key))
    return _Model(b, cand, x, out_var, aux)


TANGENTS = (-1.5, -0.6, -0.2, 0.2, 0.6, 1.5)  # where (x − mean)² is touched, × mean


def _square_below(e: float, slopes: list[float]) -> float:
    """The piecewise-linear lower approximation of e² made of the tangents at ``slopes`` (and 0)."""
    return max(0.0, *(2 * a * e - a * a for a in slopes))


LNS_UNITS = 90  # above this many units the planner improves the plan window by window (see ``solve``)
LNS_WINDOW = 30  # units per window
LNS_SHARE = 0.3  # share of the time limit given to the whole model first (its bound is the proven gap)


def solve(problem: Problem, seed: int = 1) -> Plan:
    """Solves the planning MIP from the greedy plan; stops at the time limit with the best plan found and
    the proven gap (to the bound of the whole model).

    Up to ``LNS_UNITS`` units the whole model is solved. Above, the whole model runs for ``LNS_SHARE`` of the
    time (giving the bound and often a better plan), then large-neighbourhood search: a window of the
    ``LNS_WINDOW`` units nearest a unit still short of a threshold is freed — every move from or to it may
    change, all others are held — and solved as its own MIP; a better whole plan (by the same objective) is
    kept. The plan found is feasible for the whole model; the gap is measured against the whole model's bound.
    """
    t0 = time.perf_counter()
    p = problem.params
    units = problem.units
    uidx = {u.key: j for j, u in enumerate(units)}
    t_index = {t.key: i for i, t in enumerate(problem.teachers)}
    cand = pairs(problem)
    if not cand:
        plan = Plan([], "no candidate moves", "mip", time.perf_counter() - t0, 0.0, 0.0, 0.0, 0)
        plan.metrics = measure(problem, [])
        return plan
    full = _model(problem, cand, [])
    warm = greedy(problem, explained=False, cand=cand)
    best = warm.moves
    best_obj = full.objective(full.values(problem, best, t_index, uidx))
    large = len(units) > LNS_UNITS
    budget = p.time_limit * (LNS_SHARE if large else 1.0) - (time.perf_counter() - t0)
    _h, sol, status, extra = full.b.solve(max(1.0, budget), full.values(problem, best, t_index, uidx))
    bound = extra["bound"]
    if sol is not None and extra["objective"] is not None and extra["objective"] > best_obj + 1e-6:
        best = [Move(problem.teachers[i].key, problem.teachers[i].home, units[j].key, km)
                for (i, j, km) in cand if sol[full.x[(i, j)]] > 0.5]
        best_obj = full.objective(full.values(problem, best, t_index, uidx))
    windows = 0
    proven = bound is not None and math.isfinite(bound) and bound - best_obj <= 1e-4 * max(abs(best_obj), 1.0)
    if large and not proven:
        rng = np.random.default_rng(seed)
        lat = np.array([u.lat for u in units])
        lon = np.array([u.lon for u in units])
        while p.time_limit - (time.perf_counter() - t0) > 2.0:
            delta, _f = _deltas(problem, best)
            short = [j for j, u in enumerate(units) if not all(u.meets(r, delta.get((u.key, r), 0)) for r in INDICATORS)]
            centre = int(rng.choice(short if short and rng.random() < 0.8 else np.arange(len(units))))
            km = haversine(lat[centre], lon[centre], lat, lon)
            window = set(np.argsort(km, kind="stable")[:LNS_WINDOW].tolist())
            keys = {units[j].key for j in window}
            fixed = [m for m in best if m.frm not in keys and m.to not in keys]
            held = {m.teacher for m in fixed}
            sub_cand = [(i, j, k) for (i, j, k) in cand if j in window and uidx[problem.teachers[i].home] in window
                        and problem.teachers[i].key not in held]
            if not sub_cand:
                continue
            sub = _model(problem, sub_cand, fixed)
            free_now = [m for m in best if m.teacher not in held]
            left = p.time_limit - (time.perf_counter() - t0) - 0.5
            _h, s2, _st, _ex = sub.b.solve(max(0.5, min(4.0, left)), sub.values(problem, free_now, t_index, uidx))
            windows += 1
            if s2 is None:
                continue
            moves = fixed + [Move(problem.teachers[i].key, problem.teachers[i].home, units[j].key, k)
                             for (i, j, k) in sub_cand if s2[sub.x[(i, j)]] > 0.5]
            obj = full.objective(full.values(problem, moves, t_index, uidx))
            if obj > best_obj + 1e-6 and not violations(problem, moves):
                best, best_obj = moves, obj
    if windows:
        status = f"{status}; {windows} windows"
    gap = None if bound is None or not math.isfinite(bound) else max(0.0, (bound - best_obj) / max(abs(best_obj), 1e-9))
    plan = Plan(best, status, "mip+lns" if large else "mip", time.perf_counter() - t0, gap, best_obj, bound,
                len(full.b.cost))
    plan.metrics = measure(problem, plan.moves)
    explain(problem, plan.moves)
    return plan


# ---------------------------------------------------------------- greedy baseline


def greedy(problem: Problem, explained: bool = True, cand: list[tuple[int, int, float]] | None = None) -> Plan:
    """The baseline a clerk would follow: for each short unit (fewest teachers missing first), take the
    nearest eligible teacher who adds to the indicator and whose school stays at its thresholds; then fill
    the quota with the nearest moves to rural or weak schools that need the subject (key teachers first)."""
    t0 = time.perf_counter()
    p, pins = problem.params, problem.pins
    units = problem.units
    uidx = {u.key: j for j, u in enumerate(units)}
    cand = pairs(problem) if cand is None else cand
    options: dict[int, list[tuple[float, int, int]]] = defaultdict(list)  # unit -> (km, teacher, unit)
    by_teacher: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for i, j, km in cand:
        options[j].append((km, i, j))
        by_teacher[i].append((km, j))
    moved: dict[int, int] = {}
    delta: dict[tuple[int, str], int] = defaultdict(int)
    flow: dict[tuple[int, str], int] = defaultdict(int)
    n_rural = 0

    def feasible(i: int, j: int) -> bool:
        t = problem.teachers[i]
        h = uidx[t.home]
        if i in moved:
            return False
        if flow[(j, t.group)] + 1 > units[j].need.get(t.group, 0):
            return False
        if -(flow[(h, t.group)] - 1) > units[h].surplus.get(t.group, 0):
            return False
        for r in t.adds:
            if units[h].meets(r) and not units[h].meets(r, delta[(h, r)] - 1):
                return False
        total = len(moved) + 1
        rural = n_rural + (1 if units[j].rural_weak else 0)
        return rural + 1e-9 >= p.receiver_share * total

    def do(i: int, j: int) -> None:
        nonlocal n_rural
        t = problem.teachers[i]
        h = uidx[t.home]
        moved[i] = j
        for r in t.adds:
            delta[(j, r)] += 1
            delta[(h, r)] -= 1
        flow[(j, t.group)] += 1
        flow[(h, t.group)] -= 1
        n_rural += 1 if units[j].rural_weak else 0

    for i, opts in by_teacher.items():  # pins first
        t = problem.teachers[i]
        if t.key in pins.to or t.key in pins.move:
            for _km, j in sorted(opts):
                if feasible(i, j):
                    do(i, j)
                    break
    short = sorted((units[j].target(r) - units[j].counts[r], j, r) for j in range(len(units)) for r in INDICATORS
                    if not units[j].meets(r))
    for opts_j in options.values():
        opts_j.sort()
    for _gap, j, r in short:
        for _km, i, _ in options.get(j, []):
            if units[j].meets(r, delta[(j, r)]):
                break
            if r in problem.teachers[i].adds and feasible(i, j):
                do(i, j)
    needed = quota_needed(p)
    order = sorted(by_teacher, key=lambda i: (not problem.teachers[i].key_teacher, min(k for k, _ in by_teacher[i])))
    for i in order:
        if len(moved) >= needed:
            break
        for _km, j in sorted(by_teacher[i]):
            if units[j].rural_weak and feasible(i, j):
                do(i, j)
                break
    kms = {(i, j): km for i, j, km in cand}
    moves = [Move(problem.teachers[i].key, problem.teachers[i].home, units[j].key, kms[(i, j)]) for i, j in moved.items()]
    plan = Plan(moves, "greedy", "greedy", time.perf_counter() - t0, variables=len(cand))
    if explained:
        plan.metrics = measure(problem, moves)
        explain(problem, moves)
    return plan


# ---------------------------------------------------------------- explanations


def explain(problem: Problem, moves: list[Move]) -> None:
    """Fills each move's reasons: what it does for the receiving and the sending school."""
    delta, _flow = _deltas(problem, moves)
    teachers = {t.key: t for t in problem.teachers}
    for m in moves:
        t, u, h = teachers[m.teacher], problem.unit(m.to), problem.unit(m.frm)
        zh, en = [], []
        for r in sorted(t.adds):
            d_after, d_home = delta.get((u.key, r), 0), delta.get((h.key, r), 0)
            reached = not u.meets(r) and u.meets(r, d_after)
            zh.append(f"接收校 {r} {u.value(r):.2f}→{u.value(r, d_after):.2f}" + ("（达标）" if reached else "")
                      + f"（标准 {u.thresholds[r]}）")
            en.append(f"receiver {r} {u.value(r):.2f}→{u.value(r, d_after):.2f}" + (" (reaches the threshold)" if reached else ""))
            zh.append(f"派出校 {r} {h.value(r):.2f}→{h.value(r, d_home):.2f}" + ("（仍达标）" if h.meets(r, d_home) else ""))
            en.append(f"sender {r} {h.value(r):.2f}→{h.value(r, d_home):.2f}" + (" (still meets it)" if h.meets(r, d_home) else ""))
        if u.need.get(t.group, 0) > 0:
            label = problem.group_labels.get(t.group, t.group)
            zh.append(f"接收校缺{label}教师 {u.need[t.group]} 名")
            en.append(f"the receiver is short of {u.need[t.group]} {t.group} teacher(s)")
        if u.rural_weak:
            zh.append("接收校为乡村或薄弱学校")
            en.append("the receiver is a rural or weak school")
        if t.key_teacher:
            zh.append("骨干教师（计入 20% 骨干比例）")
            en.append("a key teacher (counts towards the 20 % share)")
        if t.key in problem.pins.to or t.key in problem.pins.move:
            zh.append("按指定安排")
            en.append("pinned by the user")
        zh.append(f"距离 {m.km:.1f} 公里")
        en.append(f"{m.km:.1f} km")
        m.reasons_zh, m.reasons_en = zh, en
