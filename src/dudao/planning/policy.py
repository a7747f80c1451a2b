"""The targets, cycles and term rule as data (``standards/data/planning.yaml`` plus a province's overlay).

A province's overlay may override the cycles under ``planning: {cycles: ...}`` and records its own targets
under ``targets:``; nothing here holds a figure of its own.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dudao.standards.model import (
    DATA_DIR,
    Sourced,
    _format_validation,
    _read_yaml,
    load_overlay,
    merge_overlay,
)


class Target(Sourced):
    """A share of counties that should pass by the end of a year."""

    id: str
    year: int = Field(ge=1990, le=2100)
    share: float = Field(gt=0, le=1)
    zh: str
    en: str
    note_zh: str = ""
    note_en: str = ""


class Cycle(Sourced):
    """How often an evaluation must recur: the figure in force and the range the policy allows."""

    years: int = Field(ge=1)
    min_years: int = Field(ge=1)
    max_years: int = Field(ge=1)
    zh: str
    en: str
    counts: list[str] = Field(default_factory=list)  # quality: the evaluation kinds that count as an evaluation

    @model_validator(mode="after")
    def _in_range(self) -> Cycle:
        if not self.min_years <= self.years <= self.max_years:
            raise ValueError(f"周期 {self.years} 年不在 {self.min_years}–{self.max_years} 年之间 / "
                             f"cycle of {self.years} years outside {self.min_years}-{self.max_years}")
        return self


class Post(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=r"^[a-z_]+$")
    level: Literal["county", "school"]
    zh: str
    en: str


class TermRule(Sourced):
    zh: str
    en: str
    posts: list[Post]


class Cycles(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    supervision: Cycle
    quality: Cycle


class Planning(Sourced):
    """The planning data in force for a province (national data with the province's overlay applied)."""

    id: str
    version: str
    targets: list[Target]
    cycles: Cycles
    terms: TermRule
    province: str = ""
    province_targets: list[Target] = Field(default_factory=list)

    def post(self, code: str) -> Post:
        found = next((p for p in self.terms.posts if p.code == code), None)
        if found is None:
            raise KeyError(code)
        return found

    def posts(self, level: str) -> list[Post]:
        return [p for p in self.terms.posts if p.level == level]


@cache
def load_planning(province: str = "", path: Path | None = None) -> Planning:
    """The national planning data, with the province's cycles and targets when a province is named."""
    path = path or DATA_DIR / "planning.yaml"
    data = _read_yaml(path)
    if province:
        has_file = (DATA_DIR / "overlays" / f"{province}.yaml").exists()
        overlay = load_overlay(province) if has_file else {}  # no overlay file: the national figures apply
        data = merge_overlay(data, overlay.get("planning") or {})
        data["province"] = province
        data["province_targets"] = overlay.get("targets") or []
    try:
        return Planning.model_validate(data)
    except ValidationError as exc:
        raise _format_validation(path, exc, data) from None
