"""The schedule and target rules, computed from plain values (no Django): who is due and why, and the share of
counties recognised against a target. The figures (cycle lengths, target shares) come from the caller, who
reads them from ``standards/data/planning.yaml`` and the province's overlay."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction


@dataclass(frozen=True)
class Span:
    """A term of office: which post (its display names) and its dates."""

    post_zh: str
    post_en: str
    start: date
    end: date


Evaluated = date | int  # an evaluation's date, or only its year when that is all that is recorded


def year_of(e: Evaluated) -> int:
    return e if isinstance(e, int) else e.year


def _within(e: Evaluated, t: Span) -> bool:
    """An evaluation inside a term; one known only by its year counts if the term covers part of that year."""
    if isinstance(e, int):
        return t.start.year <= e <= t.end.year
    return t.start <= e <= t.end


@dataclass(frozen=True)
class Reason:
    """Why an evaluation is due, as a code and a sentence in Chinese and English."""

    code: str  # never | cycle | term
    zh: str
    en: str


def years_since(year: int, evaluated: Sequence[Evaluated]) -> int | None:
    """Whole calendar years from the last evaluation to ``year`` (None: never evaluated)."""
    return year - max(year_of(e) for e in evaluated) if evaluated else None


def cycle_reasons(year: int, evaluated: Sequence[Evaluated], cycle_years: int, what_zh: str, what_en: str) -> list[Reason]:
    """Due in ``year`` when never evaluated, or when ``cycle_years`` or more have passed since the last time.

    A county last evaluated in 2021 on a 5-year cycle is due in 2026 (2026 − 2021 = 5), not in 2025.
    """
    gap = years_since(year, evaluated)
    if gap is None:
        return [Reason("never", f"尚无{what_zh}记录", f"no {what_en} on record")]
    if gap >= cycle_years:
        last = year - gap
        return [Reason("cycle", f"上次{what_zh}在 {last} 年，到 {year} 年已满 {gap} 年（周期 {cycle_years} 年）",
                       f"last {what_en} in {last}; {gap} years by {year} (cycle of {cycle_years} years)")]
    return []


def term_reasons(year: int, evaluated: Sequence[Evaluated], terms: Iterable[Span], what_zh: str, what_en: str,
                 today: date | None = None) -> list[Reason]:
    """Due in ``year`` when a term ends in that year and no evaluation falls within it (start and end included).

    A term that ended before ``today`` is still listed, marked as ended: the rule was missed for it.
    """
    out = []
    for t in sorted(terms, key=lambda t: (t.end, t.post_zh)):
        if t.end.year != year or any(_within(e, t) for e in evaluated):
            continue
        ended = today is not None and t.end < today
        out.append(Reason("term", f"{t.post_zh}任期 {t.start:%Y-%m-%d} 至 {t.end:%Y-%m-%d}，任期内尚无{what_zh}"
                          + ("（任期已结束）" if ended else ""),
                          f"the {t.post_en}'s term {t.start:%Y-%m-%d} to {t.end:%Y-%m-%d} has no {what_en} in it"
                          + (" (the term has ended)" if ended else "")))
    return out


def due(year: int, evaluated: Sequence[Evaluated], terms: Sequence[Span], cycle_years: int, what_zh: str,
        what_en: str, today: date | None = None) -> tuple[int, list[Reason]] | None:
    """The first of ``year`` and ``year + 1`` in which an evaluation is due, with every reason; None if neither.

    Next year's reasons assume no evaluation happens this year.
    """
    for y in (year, year + 1):
        reasons = (cycle_reasons(y, evaluated, cycle_years, what_zh, what_en)
                   + term_reasons(y, evaluated, terms, what_zh, what_en, today))
        if reasons:
            return y, reasons
    return None


# ---------------------------------------------------------------- targets


@dataclass(frozen=True)
class YearShare:
    year: int
    recognised: int  # counties recognised by the end of the year (cumulative)
    total: int

    @property
    def share(self) -> float | None:
        return self.recognised / self.total if self.total else None


def share_by_year(first_recognised: Iterable[int], total: int, years: Sequence[int]) -> list[YearShare]:
    """Cumulative counties recognised by the end of each year, out of ``total`` counties.

    ``first_recognised`` holds, for each recognised county, the year it first passed.
    """
    ordered = sorted(first_recognised)
    return [YearShare(y, bisect.bisect_right(ordered, y), total) for y in years]


def needed(share: float, total: int) -> int:
    """Counties that make "at least ``share``" of ``total``: ⌈share × total⌉, in exact decimal arithmetic."""
    return math.ceil(Fraction(str(share)) * total)


@dataclass(frozen=True)
class TargetStatus:
    year: int
    share: float
    total: int
    needed: int
    recognised: int  # by the target year if it has passed, else so far
    met: bool | None  # None: the target year has not ended yet and the target is not reached
    missing: int  # counties still to be recognised

    @property
    def actual_share(self) -> float | None:
        return self.recognised / self.total if self.total else None


def target_status(target_year: int, share: float, first_recognised: Iterable[int], total: int,
                  current_year: int) -> TargetStatus:
    """Whether a target is met: at the end of its year, or so far when its year has not yet ended."""
    ordered = sorted(first_recognised)
    upto = min(target_year, current_year)
    have = bisect.bisect_right(ordered, upto)
    need = needed(share, total)
    met: bool | None = have >= need if total else None
    if met is False and current_year <= target_year:
        met = None  # still open
    return TargetStatus(target_year, share, total, need, have, met, max(need - have, 0))
