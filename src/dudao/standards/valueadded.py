"""Typed loader for ``data/valueadded.yaml``: the value-added model, its parameters, bands and file columns."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dudao.standards.model import DATA_DIR, Sourced, StandardsError, _format_validation, _read_yaml

BandCode = Literal["above", "expected", "below", "refused"]


class Described(Sourced):
    zh: str
    en: str


class ModelSpec(Described):
    id: str


class IntParam(Described):
    value: int = Field(ge=2)


class ShareParam(Described):
    value: float = Field(gt=0, lt=1)


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: BandCode
    zh: str
    en: str
    rule: str


class Covariate(Sourced):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    zh: str
    en: str
    headers: list[str]


class ValueAddedSpec(Sourced):
    """What ``dudao.engine.valueadded`` needs: model, minimum matched students, level, bands, columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: str
    model: ModelSpec
    min_students: IntParam
    confidence_level: ShareParam
    low_match_share: ShareParam
    bands: list[Band]
    bands_source: str
    bands_confidence: Literal["C", "S", "U"]
    columns: dict[Literal["student_id", "school_code", "pre", "post", "school_name", "county_code"], list[str]]
    covariates: list[Covariate] = Field(default_factory=list)

    def band(self, code: str) -> Band:
        return next(b for b in self.bands if b.code == code)


@cache
def load_valueadded(path: Path | None = None) -> ValueAddedSpec:
    """Loads and checks the value-added parameters (``valueadded.yaml`` unless another file is given)."""
    path = path or DATA_DIR / "valueadded.yaml"
    data = _read_yaml(path)
    try:
        spec = ValueAddedSpec.model_validate(data)
    except ValidationError as exc:
        raise _format_validation(path, exc, data) from None
    if {b.code for b in spec.bands} != {"above", "expected", "below", "refused"}:
        raise StandardsError(f"{path}: bands 必须恰好有 above、expected、below、refused / bands must be exactly those four")
    return spec
