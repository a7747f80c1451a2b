"""Typed loader for evaluation frameworks and site-visit checklists (policy as data).

A framework is a tree: levels (县域 / 学校 / 学生) → areas (重点内容) → key indicators (关键指标) →
inspection points (考查要点). Every node has a weight (relative to its siblings), a source and a confidence
tag; names not confirmed by the policy texts carry ``provisional: true``. Every inspection point names a
rubric (yes/no, levels with descriptors, or a numeric scale) and the gap between two inspectors' scores above
which the pair is a disagreement. Points that the platform's data should answer (academic results, fitness,
surveys) list the data they need under ``data`` and are not scored by inspectors.

Files ship in ``data/checklists/``; a province can upload an edited copy (``dudao.inspection`` stores each
upload as a version with its hash). Checking a file returns every problem with its location: the file, the
path inside it (``levels[county].areas[C1].indicators[C1.1]``) and the rule broken.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dudao.errors import CodedError, CodedMessage
from dudao.standards.model import DATA_DIR, Confidence

CHECKLIST_DIR = DATA_DIR / "checklists"
LEVEL_IDS = ("county", "school", "student")


class ChecklistMessage(CodedMessage):
    YAML = ("E_CHECKLIST_YAML", "YAML 格式错误：{detail}", "malformed YAML: {detail}")
    TOP = ("E_CHECKLIST_TOP", "顶层必须是映射", "the top level must be a mapping")
    SCHEMA = ("E_CHECKLIST_SCHEMA", "{detail}", "{detail}")
    DUPLICATE = ("E_CHECKLIST_DUPLICATE", "编号 {id} 重复（另见 {other}）", "id {id} is used twice (also at {other})")
    RUBRIC = ("E_CHECKLIST_RUBRIC", "引用了不存在的评分标准“{rubric}”", "unknown rubric '{rubric}'")
    DATA = ("E_CHECKLIST_DATA", "引用了不存在的数据来源“{data}”", "unknown data source '{data}'")
    STRUCTURE = ("E_CHECKLIST_STRUCTURE", "应有 {expected} 个{what}，实有 {found} 个",
                 "expected {expected} {what_en}, found {found}")
    SCALE = ("E_CHECKLIST_SCALE", "数值量表须满足 min < max 且 step > 0", "a numeric scale needs min < max and step > 0")
    LEVELS = ("E_CHECKLIST_LEVELS", "等级评分须至少两个等级，且各等级代码与分值互不相同",
              "a levelled rubric needs at least two levels with distinct codes and points")
    YESNO = ("E_CHECKLIST_YESNO", "是否评分不能带等级或量表", "a yes/no rubric takes no levels or scale")
    FILE = ("E_CHECKLIST_FILE", "找不到框架文件 {name}", "framework file {name} not found")
    ID = ("E_CHECKLIST_ID", "文件中的 id “{found}” 与所选框架 “{expected}” 不一致",
          "the file's id '{found}' is not the framework '{expected}'")


@dataclass(frozen=True)
class Issue:
    """One problem of a framework file: where it is and which rule it breaks."""

    file: str
    path: str
    rule: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"{self.file} › {self.path or '（顶层）'} [{self.rule}]：{self.message_zh} / {self.message_en}"


class ChecklistError(CodedError):
    """A framework file that does not pass the checks; ``issues`` lists every problem with its location."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        first = issues[0]
        super().__init__(ChecklistMessage.SCHEMA, detail=f"{len(issues)} 处错误；第一处：{first}")
        self.message_en = f"{len(issues)} problem(s); first: {first.file} › {first.path} [{first.rule}]: {first.message_en}"

    def __str__(self) -> str:
        return "\n".join(str(i) for i in self.issues)


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = Field(min_length=1)
    confidence: Confidence


class RubricLevel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    en: str = ""
    points: float
    descriptor: str = ""


class Rubric(_Node):
    """How one inspection point is scored, and the gap between two scores that counts as a disagreement."""

    kind: Literal["yesno", "levels", "scale"]
    zh: str
    en: str = ""
    levels: list[RubricLevel] = Field(default_factory=list)
    min: float | None = None
    max: float | None = None
    step: float | None = None
    unit: str = ""
    gap: float = Field(ge=0)

    @property
    def low(self) -> float:
        if self.kind == "yesno":
            return 0.0
        if self.kind == "levels":
            return min(lv.points for lv in self.levels)
        return float(self.min or 0)

    @property
    def high(self) -> float:
        if self.kind == "yesno":
            return 1.0
        if self.kind == "levels":
            return max(lv.points for lv in self.levels)
        return float(self.max or 0)

    def normalise(self, raw: float) -> float:
        """A raw score on 0..1 (the rubric's lowest → 0, highest → 1)."""
        return (raw - self.low) / (self.high - self.low)

    def valid(self, raw: float) -> bool:
        if not math.isfinite(raw):
            return False
        if self.kind == "yesno":
            return raw in (0.0, 1.0)
        if self.kind == "levels":
            return any(lv.points == raw for lv in self.levels)
        assert self.min is not None and self.max is not None and self.step
        steps = (raw - self.min) / self.step
        return self.min <= raw <= self.max and abs(steps - round(steps)) < 1e-9

    def label(self, raw: float | None) -> str:
        if raw is None:
            return "—"
        if self.kind == "yesno":
            return "是" if raw == 1 else "否"
        if self.kind == "levels":
            return next((f"{lv.zh}（{lv.points:g}）" for lv in self.levels if lv.points == raw), f"{raw:g}")
        return f"{raw:g}{self.unit}"


class DataSource(BaseModel):
    """Data on the platform that a point needs (academic results, fitness scores, surveys)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str
    en: str = ""
    provider: str = ""  # the module that supplies it, when one exists


class Point(_Node):
    """An inspection point (考查要点): the unit that inspectors score."""

    id: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    en: str = ""
    weight: float = Field(gt=0)
    rubric: str
    gap: float | None = Field(default=None, ge=0)  # overrides the rubric's gap
    method_zh: str = ""  # how the inspector verifies it (核查方法)
    element: str | None = None  # a data element of the school's statistics to compare with (site visits)
    data: list[str] = Field(default_factory=list)  # platform data it needs; such points are not scored by hand
    provisional: bool = False


class Indicator(_Node):
    id: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    en: str = ""
    weight: float = Field(gt=0)
    provisional: bool = False
    points: list[Point] = Field(min_length=1)


class Area(_Node):
    id: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    en: str = ""
    weight: float = Field(gt=0)
    provisional: bool = False
    indicators: list[Indicator] = Field(min_length=1)


class Level(_Node):
    id: Literal["county", "school", "student"]
    zh: str
    en: str = ""
    areas: list[Area] = Field(min_length=1)


class Structure(BaseModel):
    """Counts the policy fixes (e.g. 5 areas and 12 key indicators per level); checked on every upload."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    areas_per_level: int | None = None
    indicators_per_level: int | None = None
    source: str = ""


class Findings(_Node):
    """Which resolved point scores count as findings that can become rectification tasks (0–100 scale)."""

    below: float = Field(ge=0, le=100)
    zh: str = ""


class Framework(_Node):
    """An evaluation framework or checklist."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = Field(min_length=1)
    kind: Literal["quality", "sitevisit"]
    name_zh: str
    name_en: str = ""
    province: str = ""
    structure: Structure = Structure()
    rubrics: dict[str, Rubric]
    data_sources: dict[str, DataSource] = Field(default_factory=dict)
    findings: Findings | None = None
    levels: list[Level] = Field(min_length=1)

    def level(self, level_id: str) -> Level:
        return next(lv for lv in self.levels if lv.id == level_id)

    def points(self, level_id: str) -> list[Point]:
        return [p for a in self.level(level_id).areas for i in a.indicators for p in i.points]

    def point(self, point_id: str) -> Point:
        return next(p for lv in self.levels for a in lv.areas for i in a.indicators for p in i.points if p.id == point_id)

    def rubric_of(self, point: Point) -> Rubric:
        return self.rubrics[point.rubric]

    def gap_of(self, point: Point) -> float:
        return point.gap if point.gap is not None else self.rubrics[point.rubric].gap


@dataclass(frozen=True)
class Loaded:
    """A checked framework with the text it came from and that text's SHA-256."""

    framework: Framework
    text: str
    sha256: str


def _located(data: Any, loc: tuple[Any, ...]) -> str:
    """A path naming list items by their id: ``levels[county].areas[C1].weight``."""
    parts: list[str] = []
    item = data
    for part in loc:
        if isinstance(part, int) and isinstance(item, list):
            item = item[part] if part < len(item) else None
            ident = item.get("id") or item.get("code") if isinstance(item, dict) else None
            parts.append(f"[{ident or part}]")
        else:
            item = item.get(part) if isinstance(item, dict) else None
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def _semantic(fw: Framework, file: str) -> list[Issue]:
    issues: list[Issue] = []

    def add(path: str, msg: ChecklistMessage, **kw: object) -> None:
        zh, en = msg.format(**kw)
        issues.append(Issue(file, path, msg.code, zh, en))

    for key, rubric in fw.rubrics.items():
        path = f"rubrics.{key}"
        if rubric.kind == "scale" and not (rubric.min is not None and rubric.max is not None and rubric.step
                                            and rubric.min < rubric.max and rubric.step > 0):
            add(path, ChecklistMessage.SCALE)
        if rubric.kind == "levels" and (len(rubric.levels) < 2 or len({lv.code for lv in rubric.levels}) < len(rubric.levels)
                                         or len({lv.points for lv in rubric.levels}) < len(rubric.levels)):
            add(path, ChecklistMessage.LEVELS)
        if rubric.kind == "yesno" and (rubric.levels or rubric.min is not None or rubric.max is not None):
            add(path, ChecklistMessage.YESNO)
    seen: dict[str, str] = {}
    levels_seen: dict[str, str] = {}
    for lv in fw.levels:
        lpath = f"levels[{lv.id}]"
        if lv.id in levels_seen:
            add(lpath, ChecklistMessage.DUPLICATE, id=lv.id, other=levels_seen[lv.id])
        levels_seen[lv.id] = lpath
        n_ind = sum(len(a.indicators) for a in lv.areas)
        if fw.structure.areas_per_level is not None and len(lv.areas) != fw.structure.areas_per_level:
            add(lpath + ".areas", ChecklistMessage.STRUCTURE, expected=fw.structure.areas_per_level, found=len(lv.areas),
                what="重点内容（领域）", what_en="areas")
        if fw.structure.indicators_per_level is not None and n_ind != fw.structure.indicators_per_level:
            add(lpath, ChecklistMessage.STRUCTURE, expected=fw.structure.indicators_per_level, found=n_ind,
                what="关键指标", what_en="key indicators")
        for area in lv.areas:
            apath = f"{lpath}.areas[{area.id}]"
            nodes: list[tuple[str, str]] = [(area.id, apath)]
            for ind in area.indicators:
                ipath = f"{apath}.indicators[{ind.id}]"
                nodes.append((ind.id, ipath))
                for p in ind.points:
                    ppath = f"{ipath}.points[{p.id}]"
                    nodes.append((p.id, ppath))
                    if p.rubric not in fw.rubrics:
                        add(ppath + ".rubric", ChecklistMessage.RUBRIC, rubric=p.rubric)
                    for d in p.data:
                        if d not in fw.data_sources:
                            add(ppath + ".data", ChecklistMessage.DATA, data=d)
            for ident, path in nodes:
                if ident in seen:
                    add(path, ChecklistMessage.DUPLICATE, id=ident, other=seen[ident])
                else:
                    seen[ident] = path
    return issues


def parse_framework(text: str, file: str) -> Loaded:
    """Checks a framework file's text; raises ChecklistError listing every problem with its location."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        zh, en = ChecklistMessage.YAML.format(detail=f"{where} {getattr(exc, 'problem', exc)}".strip())
        raise ChecklistError([Issue(file, f"line {mark.line + 1}" if mark else "", ChecklistMessage.YAML.code, zh, en)]) from None
    if not isinstance(data, dict):
        zh, en = ChecklistMessage.TOP.format()
        raise ChecklistError([Issue(file, "", ChecklistMessage.TOP.code, zh, en)])
    try:
        fw = Framework.model_validate(data)
    except ValidationError as exc:
        issues = [Issue(file, _located(data, tuple(err["loc"])), f"{ChecklistMessage.SCHEMA.code}:{err['type']}",
                        err["msg"], err["msg"]) for err in exc.errors()]
        raise ChecklistError(issues) from None
    issues = _semantic(fw, file)
    if issues:
        raise ChecklistError(issues)
    return Loaded(fw, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def available_frameworks() -> list[str]:
    return sorted(p.stem for p in CHECKLIST_DIR.glob("*.yaml"))


def read_file(path: Path) -> Loaded:
    """Checks a framework file on disk."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        zh, en = ChecklistMessage.FILE.format(name=path.name)
        raise ChecklistError([Issue(path.name, "", ChecklistMessage.FILE.code, zh, en)]) from None
    return parse_framework(text, path.name)


@cache
def load_framework(framework_id: str) -> Loaded:
    """A shipped framework (``data/checklists/<id>.yaml``)."""
    loaded = read_file(CHECKLIST_DIR / f"{framework_id}.yaml")
    if loaded.framework.id != framework_id:
        zh, en = ChecklistMessage.ID.format(found=loaded.framework.id, expected=framework_id)
        raise ChecklistError([Issue(f"{framework_id}.yaml", "id", ChecklistMessage.ID.code, zh, en)])
    return loaded
