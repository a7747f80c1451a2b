"""Who must rotate this year, and whether the senior-title and principal-priority conditions are met —
each answer with the service periods that decided it. Pure Python (no Django); the figures come from
``TeacherRules.rotation``.

Dates: a period runs from ``start`` (first day) to ``end`` (the day the teacher left; exclusive), an
open period to the reference day. Durations are calendar months (2018-09-01 → 2024-09-01 is exactly
72 months = 6 years). The reference day of school year Y is 1 September of Y (``rotation.reference_day``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dudao.teachers.rules import TeacherRules

StatusLookup = Callable[[str, int], tuple[bool, bool] | None]  # (school code, school year) -> (rural, weak)


@dataclass(frozen=True)
class Period:
    school_code: str
    start: dt.date
    end: dt.date | None = None
    rural: bool | None = None
    weak: bool | None = None
    school_name: str = ""


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    sex: str
    birth_year: int
    post: str
    school_code: str
    key_teacher: bool = False
    exemption: str = ""
    periods: tuple[Period, ...] = ()


@dataclass
class Piece:
    """A stretch of service that counts (or not) for a condition, with why."""

    school_code: str
    school_name: str
    start: dt.date
    end: dt.date
    months: int
    counts: bool
    why_zh: str
    why_en: str


@dataclass
class Verdict:
    key: str
    must_rotate: bool
    reasons_zh: list[str] = field(default_factory=list)
    reasons_en: list[str] = field(default_factory=list)
    age: int = 0
    in_school_since: dt.date | None = None
    years_in_school: int = 0
    needed_years: int = 0
    exempt: str = ""
    over_age: bool = False
    rural_weak_months: int = 0
    senior_title_met: bool = False
    principal_priority_met: bool = False
    evidence: list[Piece] = field(default_factory=list)


def reference_day(rules: TeacherRules, year: int) -> dt.date:
    md = int(rules.rotation.reference_day.value)
    return dt.date(year, md // 100, md % 100)


def months_between(a: dt.date, b: dt.date) -> int:
    """Completed calendar months from a to b (b exclusive)."""
    if b <= a:
        return 0
    return (b.year - a.year) * 12 + (b.month - a.month) - (1 if b.day < a.day else 0)


def _school_year(d: dt.date, ref_md: int) -> int:
    return d.year if (d.month * 100 + d.day) >= ref_md else d.year - 1


def _pieces(p: Period, until: dt.date, lookup: StatusLookup, ref_md: int) -> list[tuple[dt.date, dt.date, bool | None, str]]:
    """Splits a period at school-year starts when its status must come from the statistics."""
    end = min(p.end or until, until)
    if end <= p.start:
        return []
    if p.rural is not None or p.weak is not None:
        return [(p.start, end, bool(p.rural) or bool(p.weak), "recorded")]
    out = []
    cur = p.start
    while cur < end:
        y = _school_year(cur, ref_md)
        nxt = min(end, dt.date(y + 1, ref_md // 100, ref_md % 100))
        status = lookup(p.school_code, y)
        out.append((cur, nxt, None if status is None else (status[0] or status[1]), f"statistics {y}"))
        cur = nxt
    return out


def rural_weak_service(person: Person, until: dt.date, lookup: StatusLookup, ref_md: int) -> tuple[int, list[Piece]]:
    """Months in rural or weak schools up to ``until`` (contiguous counting pieces merged), and the evidence."""
    evidence: list[Piece] = []
    raw: list[tuple[Period, dt.date, dt.date, bool | None, str]] = []
    for p in sorted(person.periods, key=lambda p: p.start):
        for a, b, status, how in _pieces(p, until, lookup, ref_md):
            raw.append((p, a, b, status, how))
    total = 0
    run_start: dt.date | None = None
    run_end: dt.date | None = None
    for p, a, b, status, how in raw:
        if status:
            why_zh = "当时为乡村或薄弱学校（" + ("任职记录" if how == "recorded" else f"{how[-4:]} 学年学校统计") + "）"
            why_en = f"rural or weak at the time ({'as recorded' if how == 'recorded' else how})"
        elif status is None:
            why_zh, why_en = "学校当时的城乡/薄弱状态未知，不计入", "the school's status at the time is unknown; not counted"
        else:
            why_zh, why_en = "当时不是乡村或薄弱学校", "neither rural nor weak at the time"
        evidence.append(Piece(p.school_code, p.school_name, a, b, months_between(a, b), bool(status), why_zh, why_en))
        if status:
            if run_end is not None and a == run_end:
                run_end = b
            else:
                if run_start is not None and run_end is not None:
                    total += months_between(run_start, run_end)
                run_start, run_end = a, b
    if run_start is not None and run_end is not None:
        total += months_between(run_start, run_end)
    return total, evidence


def continuous_start(person: Person, until: dt.date, gap_days: int) -> dt.date | None:
    """First day of the unbroken run of service at the current school that reaches ``until``."""
    at = sorted((p for p in person.periods if p.school_code == person.school_code and p.start < until),
                key=lambda p: p.start)
    if not at:
        return None
    last = at[-1]
    if last.end is not None and (until - last.end).days > gap_days:
        return None
    start = last.start
    for prev in reversed(at[:-1]):
        if prev.end is None or (start - prev.end).days > gap_days:
            break
        start = prev.start
    return start


def assess(person: Person, year: int, rules: TeacherRules, lookup: StatusLookup) -> Verdict:
    """The teacher's rotation verdict for school year ``year``, explained."""
    r = rules.rotation
    ref = reference_day(rules, year)
    ref_md = int(r.reference_day.value)
    v = Verdict(person.key, False, age=ref.year - person.birth_year)
    months, v.evidence = rural_weak_service(person, ref, lookup, ref_md)
    v.rural_weak_months = months
    v.senior_title_met = months >= 12 * r.senior_title_years.value
    v.principal_priority_met = months >= 12 * r.principal_priority_years.value
    principal = person.post in ("principal", "vice_principal")
    v.needed_years = int(r.principal_terms.value * r.principal_term_years.value) if principal else int(r.years_in_school.value)
    v.in_school_since = continuous_start(person, ref, int(r.gap_days.value))
    v.years_in_school = months_between(v.in_school_since, ref) // 12 if v.in_school_since else 0
    limit = r.age_limit_male.value if person.sex == "M" else r.age_limit_female.value
    v.over_age = v.age >= limit
    v.exempt = person.exemption if person.exemption in r.exempt else ""
    long_enough = v.in_school_since is not None and v.years_in_school >= v.needed_years
    since = v.in_school_since.isoformat() if v.in_school_since else "—"
    what_zh = f"任校长/副校长满 {int(r.principal_terms.value)} 届（{v.needed_years} 年）" if principal \
        else f"在同一学校连续任教满 {v.needed_years} 年"
    if long_enough:
        v.reasons_zh.append(f"自 {since} 起在本校连续任职 {v.years_in_school} 年，达到“{what_zh}”")
        v.reasons_en.append(f"at this school without a break since {since}: {v.years_in_school} years ≥ {v.needed_years}")
    else:
        v.reasons_zh.append(f"自 {since} 起在本校连续任职 {v.years_in_school} 年，未达到 {v.needed_years} 年")
        v.reasons_en.append(f"at this school since {since}: {v.years_in_school} years < {v.needed_years}")
    if v.over_age:
        v.reasons_zh.append(f"{ref.year} 年 {v.age} 岁，已达年龄上限 {int(limit)} 岁，不列入交流")
        v.reasons_en.append(f"aged {v.age}, at or over the limit of {int(limit)}: not required to rotate")
    if v.exempt:
        label = rules.label("exemptions", v.exempt)
        v.reasons_zh.append(f"属于不参加交流的情形：{label}")
        v.reasons_en.append(f"exempt: {rules.label('exemptions', v.exempt, 'en')}")
    v.must_rotate = long_enough and not v.over_age and not v.exempt
    return v


def assess_all(people: Sequence[Person], year: int, rules: TeacherRules, lookup: StatusLookup) -> list[Verdict]:
    return [assess(p, year, rules, lookup) for p in people]


@dataclass
class Indicators:
    eligible: int
    rotated: int
    rotated_key: int
    key_eligible: int
    rate: float | None
    key_rate: float | None
    needed_rotated: int
    needed_key: int
    rate_met: bool
    key_met: bool


def quota(eligible: int, rotated: int, rotated_key: int, rules: TeacherRules) -> Indicators:
    """Rotated / eligible ≥ quota_rotated; key teachers ≥ quota_key of those rotated (or of eligible,
    ``key_base: eligible``). ``needed_*`` are the smallest whole numbers meeting each quota."""
    r = rules.rotation
    base = rotated if r.key_base == "rotated" else eligible
    needed = _ceil(r.quota_rotated.value * eligible)
    needed_key = _ceil(r.quota_key.value * base)
    rate = rotated / eligible if eligible else None
    key_rate = rotated_key / base if base else None
    return Indicators(eligible, rotated, rotated_key, 0, rate, key_rate, needed, needed_key,
                      rotated >= needed, rotated_key >= needed_key)


def _ceil(x: float) -> int:
    """The smallest integer ≥ x, ignoring floating-point noise (0.1 × 30 = 3.0000000000000004 → 3)."""
    n = int(x)
    return n if x - n <= 1e-9 else n + 1
