"""The parameters of school-places planning, loaded from ``standards/data/places.yaml`` (no Django here).

Every figure keeps its source and confidence tag. The per-student floor-area minimum is not repeated: it
is read from the indicator of the 2017 standard that ``floor_minimum`` names.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from dudao.engine.projection import ScenarioSpec, Settings
from dudao.places.errors import PlacesError
from dudao.places.errors import PlacesMessage as M
from dudao.standards.model import DATA_DIR, Param, Sourced, _format_validation, _read_yaml, load_standard


class Labelled(Param):
    zh: str = ""


class FloorMinimum(Sourced):
    standard: str
    indicator: str
    zh: str


class Limits(Sourced):
    low: float
    high: float
    zh: str


class Scenario(Sourced):
    id: Literal["low", "medium", "high"]
    zh: str
    en: str
    births_change: float
    intake_factor: float
    migration: float


class ProjectionParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    entry_age: Labelled
    fit_years: Labelled
    backtest_years: Labelled
    births_trend_years: Labelled
    births_trend_limits: Limits
    default_progression: Labelled
    births_series: list[Literal["changzhu", "huji"]]
    births_series_source: str
    max_horizon: int


class NationalBirths(Sourced):
    millions: dict[int, float]


class PlacesParams(Sourced):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: str
    name_zh: str
    name_en: str
    class_size: dict[Literal["primary", "junior", "incomplete_primary"], Param]
    complete_primary_grades: Param
    floor_minimum: FloorMinimum
    class_bands: dict[Literal["large", "very_large"], Labelled]
    small_school: dict[Literal["students_below", "max_distance_km"], Labelled]
    projection: ProjectionParams
    scenarios: list[Scenario]
    national_births: NationalBirths

    @model_validator(mode="after")
    def _ordered(self) -> PlacesParams:
        ids = [s.id for s in self.scenarios]
        if ids != ["low", "medium", "high"]:
            raise ValueError(f"情景必须依次为 low、medium、high / scenarios must be low, medium, high: {ids}")
        for name in ("births_change", "intake_factor", "migration"):
            values = [getattr(s, name) for s in self.scenarios]
            if values != sorted(values):
                raise ValueError(f"情景参数 {name} 必须满足 低 ≤ 中 ≤ 高 / {name} must be ordered low ≤ medium ≤ high")
        return self

    def scenario(self, sid: str) -> Scenario:
        return next(s for s in self.scenarios if s.id == sid)

    def floor_minimum_m2(self) -> dict[str, float]:
        """Per-student floor-area minimum by section (m²), from the named standard's indicator."""
        std = load_standard(self.floor_minimum.standard)
        ind = next(i for i in std.indicators if i.id == self.floor_minimum.indicator)
        return {k: float(v) for k, v in ind.thresholds.items()}


@cache
def load_places(path: Path | None = None) -> PlacesParams:
    """Loads and checks ``places.yaml``."""
    path = path or DATA_DIR / "places.yaml"
    data = _read_yaml(path)
    try:
        return PlacesParams.model_validate(data)
    except ValidationError as exc:
        raise _format_validation(path, exc, data) from None


def settings_for(base_year: int, horizon: int, p: PlacesParams | None = None) -> Settings:
    p = p or load_places()
    pp = p.projection
    if not 1 <= horizon <= pp.max_horizon:
        raise PlacesError(M.HORIZON, max=pp.max_horizon)
    return Settings(base_year=base_year, horizon=horizon, fit_years=int(pp.fit_years.value), entry_age=int(pp.entry_age.value),
                    trend_years=int(pp.births_trend_years.value), trend_low=pp.births_trend_limits.low,
                    trend_high=pp.births_trend_limits.high, default_progression=pp.default_progression.value,
                    backtest_years=int(pp.backtest_years.value),
                    scenarios=tuple(ScenarioSpec(s.id, s.births_change, s.intake_factor, s.migration) for s in p.scenarios))
