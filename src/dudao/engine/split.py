"""Splitting a combined school's shared resources between its sections.

Weighted rule: each section's share is proportional to its students times the section's weight
(九年一贯制 primary : junior = 1 : 1.1; 完全中学 junior : senior = 1 : 1.2; 十二年一贯制 1 : 1.1 : 1.32 —
the weights come from the standard's ``split`` data). Enrolment rule: plain student shares.
"""

from __future__ import annotations

from collections.abc import Mapping

SECTIONS = ("primary", "junior", "senior")
DEFAULT_WEIGHTS: Mapping[str, float] | None = None


def section_weights(rule: str, kind_weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """The per-student weight of each section under a rule."""
    if rule == "enrolment":
        return dict.fromkeys(SECTIONS, 1.0)
    if rule != "weighted":
        raise ValueError(f"未知的分摊规则“{rule}”（weighted 或 enrolment）/ unknown split rule '{rule}'")
    if kind_weights is None:
        from dudao.standards.model import load_standard

        kind_weights = load_standard("youzhi2017").split.weights["twelve_year"]
    return {s: float(kind_weights.get(s, 1.0)) for s in SECTIONS}


def split_shared(
    amount: float, primary_students: float, junior_students: float, senior_students: float = 0,
    rule: str = "weighted", weights: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Each section's share of a shared amount; the shares add up to the amount.

    ``weights`` defaults to the 2017 standard's twelve-year weights (1 : 1.1 : 1.32), which contain the
    nine-year ratio (1 : 1.1); pass the complete-secondary weights for 完全中学 (junior 1, senior 1.2).
    """
    w = section_weights(rule, weights)
    students = {"primary": primary_students, "junior": junior_students, "senior": senior_students}
    if any(v < 0 for v in students.values()):
        raise ValueError("学生数不能为负 / students cannot be negative")
    weighted = {s: students[s] * w[s] for s in SECTIONS}
    total = sum(weighted.values())
    if total == 0:
        return dict.fromkeys(SECTIONS, 0.0)
    return {s: amount * weighted[s] / total for s in SECTIONS}
