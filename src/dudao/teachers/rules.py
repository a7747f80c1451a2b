"""Typed loader of ``standards/data/teachers.yaml`` (no Django: the engine reads it too).

A province overrides any figure in ``overlays/<province>.yaml`` under ``standards: {teachers: …}``.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from dudao.standards.model import (
    DATA_DIR,
    Confidence,
    Param,
    StandardsError,
    _format_validation,
    _read_yaml,
    load_overlay,
    merge_overlay,
)

SECTIONS = ("primary", "junior", "senior")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Frozen):
    code: str
    zh: str
    en: str


class Subject(Option):
    group: str


class Qualification(Option):
    rank: int


class Title(Option):
    senior: bool


class KeyLevel(Option):
    counts: bool


class SubjectGroup(_Frozen):
    id: str
    zh: str
    en: str
    rule: Literal["lessons", "per_school", "remainder"]
    lessons: dict[str, float] = {}
    min_per_school: int = 0
    per_school: int = 0
    part_time_counts: bool = False
    kinds: list[str] | None = None
    source: str
    confidence: Confidence


class SmallSchool(_Frozen):
    max_students: Param
    applies_to_locations: list[str]
    applies_to_kinds: list[str]
    class_ratio: Param
    combine: Literal["max", "sum"]


class Staffing(_Frozen):
    ratios: dict[str, Param]
    small_school: SmallSchool
    teacher_share_of_staff: Param


class Rotation(_Frozen):
    years_in_school: Param
    principal_terms: Param
    principal_term_years: Param
    age_limit_male: Param
    age_limit_female: Param
    exempt: list[str]
    exemption_source: Param
    gap_days: Param
    reference_day: Param
    quota_rotated: Param
    quota_key: Param
    key_base: Literal["rotated", "eligible"]
    senior_title_years: Param
    principal_priority_years: Param


class Planner(_Frozen):
    max_distance_km: Param
    receiver_rural_weak_share: Param
    time_limit_s: Param
    candidates_per_teacher: Param
    weight_school: Param
    weight_indicator: Param
    weight_cv: Param
    weight_move: Param
    weight_shortage: Param
    weight_distance: Param


class TeacherRules(_Frozen):
    id: str
    version: str
    name_zh: str
    name_en: str
    source: str
    confidence: Confidence
    staffing: Staffing
    subjects: list[Subject]
    subject_groups: list[SubjectGroup]
    teaching_load: dict[str, Param]
    mental_health_target: Param
    qualifications: list[Qualification]
    above_degree_rank: dict[str, Param]
    titles: list[Title]
    key_levels: list[KeyLevel]
    posts: list[Option]
    rotation_kinds: list[Option]
    exemptions: list[Option]
    rotation: Rotation
    planner: Planner
    overlay: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> TeacherRules:
        groups = {g.id for g in self.subject_groups}
        for s in self.subjects:
            if s.group not in groups:
                raise ValueError(f"学科 {s.code} 的学科组 {s.group} 不存在 / unknown subject group")
        codes = {e.code for e in self.exemptions}
        if not set(self.rotation.exempt) <= codes:
            raise ValueError(f"rotation.exempt 含未知情形 {sorted(set(self.rotation.exempt) - codes)}")
        return self

    # ---- lookups
    def group_of(self, subject: str) -> str:
        return next((s.group for s in self.subjects if s.code == subject), "general")

    def options(self, name: str) -> list[Option]:
        return list(getattr(self, name))

    def label(self, name: str, code: str, lang: str = "zh") -> str:
        for o in getattr(self, name):
            key = getattr(o, "code", None) or getattr(o, "id", None)
            if key == code:
                return str(getattr(o, lang))
        return code

    def above_degree(self, qualification: str, section: str) -> bool:
        rank = next((q.rank for q in self.qualifications if q.code == qualification), 0)
        need = self.above_degree_rank.get(section)
        return need is not None and rank >= need.value

    def key_counts(self, level: str) -> bool:
        return any(k.code == level and k.counts for k in self.key_levels)

    def senior_title(self, title: str) -> bool:
        return any(t.code == title and t.senior for t in self.titles)


@cache
def load_teacher_rules(province: str = "") -> TeacherRules:
    """The teacher rules, with the province's overlay applied when it has one."""
    path = DATA_DIR / "teachers.yaml"
    data = _read_yaml(path)
    if province:
        try:
            overlay = load_overlay(province).get("standards", {}).get("teachers", {})
        except StandardsError:
            overlay = {}
        if overlay:
            data = merge_overlay(data, overlay)
            data["overlay"] = province
    try:
        return TeacherRules.model_validate(data)
    except ValidationError as exc:
        raise _format_validation(path, exc, data) from None
