"""Typed loader for the standards files (policy as data).

Every item carries its source and a confidence tag: C confirmed, S secondary, U unconfirmed.
A province overlays its own figures in ``data/overlays/<province code>.yaml`` without editing
the national files; lists of items are merged by ``id``.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dudao.standards.formula import Formula, FormulaError, parse

DATA_DIR = Path(__file__).parent / "data"
Confidence = Literal["C", "S", "U"]
SectionCode = Literal["primary", "junior", "senior"]
CONFIDENCE_ZH = {"C": "已确认", "S": "二手来源", "U": "未确认"}


class StandardsError(ValueError):
    """A standards file that is missing, malformed or inconsistent; names the file and the item."""


class Sourced(BaseModel):
    """An item with its source and confidence tag."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = Field(min_length=1)
    confidence: Confidence


class EnumOption(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    zh: str
    en: str
    sections: list[SectionCode] | None = None
    own_peer_group: bool = False  # compared only with schools of the same kind in the outlier check


class Param(Sourced):
    value: float


class Element(Sourced):
    """One data element: a column of the school data template."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    zh: str
    en: str
    unit: str = ""
    type: Literal["int", "decimal", "text", "bool", "enum", "school_code", "county_code"]
    level: Literal["school", "section"]
    storage: Literal["attribute", "value"]
    required: bool = False
    enum: str | None = None
    min: float | None = None
    max: float | None = None
    decimals: int = 0
    max_length: int | None = None
    help_zh: str = ""
    outlier: bool = False

    @property
    def header(self) -> str:
        """The template's Chinese column header, with the unit."""
        return f"{self.zh}（{self.unit}）" if self.unit else self.zh

    @property
    def numeric(self) -> bool:
        return self.type in ("int", "decimal")


class CrossRule(Sourced):
    id: str
    level: Literal["school", "section"]
    check: str
    zh: str
    en: str


class Dictionary(Sourced):
    """The element dictionary: every column, enumeration and cross-field rule of the school data."""

    id: str
    version: str
    name_zh: str
    name_en: str
    enums: dict[str, list[EnumOption]]
    validation: dict[str, Param]
    elements: list[Element]
    rules: list[CrossRule]
    formulas: dict[str, Formula] = Field(default_factory=dict, exclude=True)

    model_config = ConfigDict(extra="forbid", frozen=False, arbitrary_types_allowed=True)

    @model_validator(mode="after")
    def _consistent(self) -> Dictionary:
        codes = [e.code for e in self.elements]
        dupes = {c for c in codes if codes.count(c) > 1}
        if dupes:
            raise ValueError(f"重复的数据元素代码 / duplicate element codes: {sorted(dupes)}")
        for e in self.elements:
            if e.type == "enum" and e.enum not in self.enums:
                raise ValueError(f"元素 {e.code} 引用了不存在的枚举 {e.enum} / unknown enum")
        names = set(codes)
        for rule in self.rules:
            self.formulas[rule.id] = parse(rule.check, context=f"elements/规则 {rule.id}", known_names=names)
        return self

    def element(self, code: str) -> Element:
        return self._by_code()[code]

    def _by_code(self) -> dict[str, Element]:
        return {e.code: e for e in self.elements}

    def level_elements(self, level: str) -> list[Element]:
        return [e for e in self.elements if e.level == level]

    def enum_label(self, enum: str, code: str) -> str:
        return next((o.zh for o in self.enums[enum] if o.code == code), code)

    def param(self, name: str) -> float:
        return self.validation[name].value


class Gap(Sourced):
    """How a shortfall on an indicator is closed: which element to add, in what steps, at what cost."""

    element: str
    unit_cost: float
    cost_note: str = ""
    integer: bool = True


class Indicator(Sourced):
    id: str
    zh: str
    en: str
    formula: str
    unit: str = ""
    basis: Literal["teachers", "facilities"]
    thresholds: dict[SectionCode, float] = Field(default_factory=dict)
    cv_limit: dict[SectionCode, float] = Field(default_factory=dict)
    gap: Gap | None = None


class Exclusion(Sourced):
    id: str
    when: str
    zh: str
    en: str


class Scope(Sourced):
    include: str
    include_zh: str
    exclusions: list[Exclusion]


class Split(Sourced):
    default_rule: Literal["weighted", "enrolment"]
    weights: dict[str, dict[SectionCode, float]]
    alternative: Literal["weighted", "enrolment"]
    zh: str


class Rule(Sourced):
    id: str
    kind: Literal["k_of_n", "cv_each", "cv_composite", "provincial_standard", "score", "survey"]
    zh: str
    en: str
    k: int | None = None
    floor_ratio: float | None = None
    limits: dict[SectionCode, float] = Field(default_factory=dict)
    threshold: float | None = None


class CountyItem(Sourced):
    id: str
    zh: str
    en: str
    kind: Literal["computed", "recorded"] = "recorded"
    check: str | None = None
    level: Literal["school", "section"] | None = None
    threshold: float | None = None
    compare: Literal["ge", "le", "lt", "gt"] = "ge"
    unit: str = ""
    veto_below: bool = False


class Veto(Sourced):
    id: str
    zh: str
    en: str


class CVMethod(Sourced):
    method: Literal["enrolment_weighted_population"]
    decimals: int
    zh: str


class Prerequisite(Sourced):
    zh: str
    en: str


class Standard(Sourced):
    """A balance standard: indicators, thresholds, rules, CV limits and vetoes."""

    model_config = ConfigDict(extra="forbid", frozen=False, arbitrary_types_allowed=True)
    id: str
    version: str
    name_zh: str
    name_en: str
    sections: list[SectionCode]
    prerequisite: Prerequisite | None = None
    scope: Scope
    split: Split
    indicators: list[Indicator]
    rules: list[Rule]
    cv: CVMethod
    guarantee: list[CountyItem] = Field(default_factory=list)
    quality: list[CountyItem] = Field(default_factory=list)
    recognition: list[CountyItem] = Field(default_factory=list)
    vetoes: list[Veto] = Field(default_factory=list)
    overlay: str = ""
    formulas: dict[str, Formula] = Field(default_factory=dict, exclude=True)

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)

    def recorded_items(self) -> list[CountyItem]:
        """Items a county records with evidence (rather than the engine computing them), vetoes last.

        For a veto, ``passed`` true means the county is clear of it.
        """
        items = [CountyItem(id=r.id, zh=r.zh, en=r.en, threshold=r.threshold, source=r.source,
                            confidence=r.confidence) for r in self.rules if r.kind in ("provincial_standard", "score", "survey")]
        if self.prerequisite is not None:
            items.append(CountyItem(id="prerequisite", zh=self.prerequisite.zh, en=self.prerequisite.en,
                                    source=self.prerequisite.source, confidence=self.prerequisite.confidence))
        items += [i for i in [*self.guarantee, *self.quality, *self.recognition] if i.kind == "recorded"]
        items += [CountyItem(id=v.id, zh=f"（否决项）不存在：{v.zh}", en=f"(veto) clear of: {v.en}", source=v.source,
                             confidence=v.confidence) for v in self.vetoes]
        return items


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError:
        raise StandardsError(f"找不到标准文件 / standards file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise StandardsError(f"{path}: YAML 格式错误 / malformed YAML: {exc}") from None
    if not isinstance(data, dict):
        raise StandardsError(f"{path}: 顶层必须是映射 / the top level must be a mapping")
    return data


def _format_validation(path: Path, exc: ValidationError, data: dict[str, Any]) -> StandardsError:
    lines = []
    for err in exc.errors():
        loc, item = err["loc"], data
        named = []
        for part in loc:
            if isinstance(item, dict):
                item = item.get(part, {}) if isinstance(part, str) else {}
                named.append(str(part))
            elif isinstance(item, list) and isinstance(part, int) and part < len(item):
                item = item[part]
                ident = item.get("id") or item.get("code") if isinstance(item, dict) else None
                named.append(f"[{ident or part}]")
            else:
                named.append(str(part))
        lines.append(f"  {'.'.join(named)}: {err['msg']}")
    return StandardsError(f"{path}: 标准文件内容不合规 / invalid standards file:\n" + "\n".join(lines))


def merge_overlay(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Deep-merges ``overlay`` into a copy of ``base``; lists of items with ``id`` merge by id."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_overlay(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list) and all(
            isinstance(v, dict) and "id" in v for v in value
        ):
            items = {item.get("id"): item for item in out[key]}
            for v in value:
                items[v["id"]] = merge_overlay(items[v["id"]], v) if v["id"] in items else v
            out[key] = list(items.values())
        else:
            out[key] = copy.deepcopy(value)
    return out


@cache
def load_dictionary(path: Path | None = None) -> Dictionary:
    """Loads and checks the element dictionary."""
    path = path or DATA_DIR / "elements.yaml"
    data = _read_yaml(path)
    try:
        return Dictionary.model_validate(data)
    except ValidationError as exc:
        raise _format_validation(path, exc, data) from None
    except FormulaError as exc:
        raise StandardsError(f"{path}: {exc}") from None


def available_standards() -> list[str]:
    skip = ("elements", "codes", "workflow", "valueadded", "planning", "aid", "teachers", "places")
    return sorted(p.stem for p in DATA_DIR.glob("*.yaml") if p.stem not in skip)


def load_overlay(province: str, directory: Path | None = None) -> dict[str, Any]:
    """Reads a province's overlay file."""
    path = (directory or DATA_DIR / "overlays") / f"{province}.yaml"
    data = _read_yaml(path)
    if str(data.get("province")) != province:
        raise StandardsError(f"{path}: province 字段应为 {province} / the province field must be {province}")
    return data


@cache
def load_standard(standard_id: str, province: str = "", path: Path | None = None) -> Standard:
    """Loads a standard, with the province's overlay applied when one is named."""
    path = path or DATA_DIR / f"{standard_id}.yaml"
    if not path.exists():
        known = "、".join(available_standards())
        raise StandardsError(f"没有标准“{standard_id}”（可用：{known}）/ unknown standard '{standard_id}'")
    data = _read_yaml(path)
    if province:
        overlay = load_overlay(province).get("standards", {}).get(standard_id, {})
        data = merge_overlay(data, overlay)
        data["overlay"] = province if overlay else ""
    try:
        std = Standard.model_validate(data)
    except ValidationError as exc:
        raise _format_validation(path, exc, data) from None
    _compile_formulas(std, path)
    return std


def _compile_formulas(std: Standard, path: Path) -> None:
    dictionary = load_dictionary()
    values = {e.code for e in dictionary.elements}
    try:
        for ind in std.indicators:
            std.formulas[ind.id] = parse(ind.formula, context=f"{path.name} 指标 {ind.id}", known_names=values)
            if ind.gap and ind.gap.element not in std.formulas[ind.id].names:
                raise StandardsError(f"{path.name} 指标 {ind.id}: gap.element “{ind.gap.element}” 不在公式中 / not in the formula")
        std.formulas["scope.include"] = parse(std.scope.include, context=f"{path.name} scope", known_names=values)
        for exc in std.scope.exclusions:
            std.formulas[f"scope.{exc.id}"] = parse(exc.when, context=f"{path.name} 排除 {exc.id}", known_names=values)
        for item in [*std.guarantee, *std.quality]:
            if item.check:
                std.formulas[item.id] = parse(item.check, context=f"{path.name} {item.id}", known_names=values)
    except FormulaError as exc:
        raise StandardsError(str(exc)) from None


class CodeRules(BaseModel):
    """Rules for the 10-digit school code and 6-digit region code."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    school_pattern: str
    school_categories: dict[str, str]
    region_pattern: str


@cache
def load_code_rules() -> CodeRules:
    """Loads the code rules from ``codes.yaml``."""
    path = DATA_DIR / "codes.yaml"
    data = _read_yaml(path)
    try:
        return CodeRules(
            school_pattern=data["school_code"]["pattern"],
            school_categories={c["code"]: c["zh"] for c in data["school_code"]["categories"]},
            region_pattern=data["region_code"]["pattern"],
        )
    except (KeyError, TypeError) as exc:
        raise StandardsError(f"{path}: 缺少字段 / missing field {exc}") from None


class WorkflowState(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str
    zh: str
    en: str
    locked: bool


class Transition(Sourced):
    action: str
    from_: list[str] = Field(alias="from")
    to: str
    roles: list[str]
    zh: str
    en: str
    needs_assessment: bool = False
    needs_comment: bool = False


class Sampling(Sourced):
    """How schools are drawn for site visits."""

    min_share: float = Field(gt=0, le=1)
    min_per_stratum: int = Field(ge=0)
    strata: list[str]
    always: Literal["failing", "none"]
    zh: str


class EvidenceRules(Sourced):
    """Limits on evidence files attached to a case, a step or a rectification task."""

    max_mb: float = Field(gt=0)
    max_files: int = Field(gt=0)
    types: dict[str, str]  # extension → content type
    zh: str


class Workflow(Sourced):
    """The stages of a county's evaluation case and who moves it between them."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: str
    states: list[WorkflowState]
    transitions: list[Transition]
    sampling: Sampling
    evidence: EvidenceRules

    @model_validator(mode="after")
    def _consistent(self) -> Workflow:
        codes = {s.code for s in self.states}
        for t in self.transitions:
            unknown = ({t.to, *t.from_} - codes)
            if unknown:
                raise ValueError(f"流转 {t.action} 引用了不存在的状态 {sorted(unknown)} / unknown states")
        return self

    def state(self, code: str) -> WorkflowState:
        return next(s for s in self.states if s.code == code)

    def transition(self, action: str) -> Transition:
        found = next((t for t in self.transitions if t.action == action), None)
        if found is None:
            raise KeyError(action)
        return found


@cache
def load_workflow(path: Path | None = None) -> Workflow:
    """Loads the evaluation workflow (``workflow.yaml``)."""
    path = path or DATA_DIR / "workflow.yaml"
    data = _read_yaml(path)
    try:
        return Workflow.model_validate(data)
    except ValidationError as exc:
        raise _format_validation(path, exc, data) from None
