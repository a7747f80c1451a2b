"""The aid rules (``standards/data/aid.yaml``), typed, and turned into the engine's small rule tables."""

from __future__ import annotations

import datetime as dt
import itertools
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dudao.standards.model import DATA_DIR, Confidence, StandardsError

Section = Literal["preschool", "primary", "junior", "senior", "vocational"]
SECTION_NAMES = {"preschool": ("学前", "pre-school"), "primary": ("小学", "primary"), "junior": ("初中", "junior secondary"),
                 "senior": ("普通高中", "general senior high"), "vocational": ("中职", "secondary vocational")}


class _Sourced(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = Field(min_length=1)
    confidence: Confidence


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str
    en: str
    starts: str = Field(pattern=r"^\d\d-\d\d$")
    ends: str = Field(pattern=r"^\d\d-\d\d$")
    school_days: int = Field(gt=0)


class Terms(_Sourced):
    spring: Term
    autumn: Term


class Category(_Sourced):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    zh: str
    en: str
    department: str
    priority: int


class Department(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str
    en: str


class Programme(_Sourced):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    zh: str
    en: str
    group: str
    who: Literal["needy", "all"]
    sections: list[Section]
    boarding: bool | None = None
    grades: list[int] | None = None
    categories: Literal["all"] | list[str] = "all"
    school_flag: Literal["", "nutrition", "public"] = ""
    per: Literal["year", "day"] = "year"
    tiered: bool = False
    amount_set_locally: bool = False
    since: dt.date | None = None


class Amount(_Sourced):
    programme: str
    region: str = Field(pattern=r"^\d{0,6}$")
    valid_from: dt.date = Field(alias="from")
    valid_to: dt.date | None = Field(None, alias="to")
    section: Section
    tier: int | None = None
    amount: float = Field(ge=0)


class Coverage(_Sourced):
    programme: str
    region: str = Field(pattern=r"^\d{0,6}$")
    max_share: float = Field(gt=0, le=1)


class Notice(_Sourced):
    days: int = Field(gt=0)
    min_days: int = Field(gt=0)


class AidRules(_Sourced):
    id: str
    version: str
    terms: Terms
    categories: list[Category]
    departments: dict[str, Department]
    programmes: list[Programme]
    tiers: dict[str, Any]
    amounts: list[Amount]
    coverage: list[Coverage]
    notice: Notice

    @model_validator(mode="after")
    def _consistent(self) -> AidRules:
        cats = {c.code for c in self.categories}
        progs = {p.id: p for p in self.programmes}
        for c in self.categories:
            if c.department not in self.departments:
                raise ValueError(f"category {c.code}: unknown department {c.department}")
        for p in self.programmes:
            if isinstance(p.categories, list) and not set(p.categories) <= cats:
                raise ValueError(f"programme {p.id}: unknown categories {sorted(set(p.categories) - cats)}")
            if p.tiered and p.id not in self.tiers:
                raise ValueError(f"programme {p.id} is tiered but has no tiers")
        for a in self.amounts:
            if a.programme not in progs:
                raise ValueError(f"amount for unknown programme {a.programme}")
            if a.valid_to is not None and a.valid_to < a.valid_from:
                raise ValueError(f"amount {a.programme} {a.section}: ends before it starts")
        for p in self.programmes:  # two rows of the same programme, region, section and tier must not overlap
            rows = sorted((a for a in self.amounts if a.programme == p.id), key=lambda a: (a.region, a.section, a.tier or 0, a.valid_from))
            for a, b in itertools.pairwise(rows):
                if (a.region, a.section, a.tier) == (b.region, b.section, b.tier) and (a.valid_to is None or a.valid_to >= b.valid_from):
                    raise ValueError(f"amounts of {p.id} {a.section} overlap at {b.valid_from}")
        return self

    def programme(self, pid: str) -> Programme:
        return next(p for p in self.programmes if p.id == pid)

    def category(self, code: str) -> Category:
        return next(c for c in self.categories if c.code == code)

    def category_by_name(self) -> dict[str, str]:
        """Both the code and the Chinese name of each category → code (a list may use either)."""
        out = {c.code: c.code for c in self.categories}
        out.update({c.zh: c.code for c in self.categories})
        return out

    def amount_for(self, programme: str, section: str, county: str, on: dt.date, tier: int | None = None) -> Amount | None:
        """The amount row in force (longest region prefix) — for display; the engine does the same in bulk."""
        rows = [a for a in self.amounts if a.programme == programme and a.section == section
                and county.startswith(a.region) and a.valid_from <= on and (a.valid_to is None or a.valid_to >= on)
                and (a.tier is None or a.tier == tier)]
        return max(rows, key=lambda a: len(a.region), default=None)


@cache
def load_aid_rules(path: Path | None = None) -> AidRules:
    path = path or DATA_DIR / "aid.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return AidRules.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise StandardsError(f"{path}: {exc}") from None


# ---------------------------------------------------------------- terms


def parse_term(term: str) -> tuple[int, str]:
    """'2024-spring' / '2024春' → (2024, 'spring'); an autumn term of year Y runs Sep Y – Jan Y+1."""
    t = term.strip()
    for suffix, half in (("-spring", "spring"), ("春", "spring"), ("-autumn", "autumn"), ("秋", "autumn")):
        if t.endswith(suffix) and t[: -len(suffix)].isdigit():
            return int(t[: -len(suffix)]), half
    raise ValueError(f"学期应写作 2024-spring 或 2024-autumn（或 2024春、2024秋）/ a term is written 2024-spring or 2024-autumn: {term!r}")


def term_key(term: str) -> str:
    year, half = parse_term(term)
    return f"{year}-{half}"


def term_start(term: str) -> dt.date:
    year, half = parse_term(term)
    mm, dd = getattr(load_aid_rules().terms, half).starts.split("-")
    return dt.date(year, int(mm), int(dd))


def term_end(term: str) -> dt.date:
    year, half = parse_term(term)
    mm, dd = getattr(load_aid_rules().terms, half).ends.split("-")
    return dt.date(year + (1 if half == "autumn" and int(mm) < 9 else 0), int(mm), int(dd))


def term_days(term: str) -> int:
    return int(getattr(load_aid_rules().terms, parse_term(term)[1]).school_days)


def term_label(term: str, english: bool = False) -> str:
    year, half = parse_term(term)
    t = getattr(load_aid_rules().terms, half)
    return f"{year} {t.en}" if english else f"{year}年{t.zh}"


# ---------------------------------------------------------------- the engine's rule tables


def rule_frames(rules: AidRules | None = None) -> dict[str, pd.DataFrame]:
    """``cats``, ``conds``, ``amounts`` and ``groups`` as small DataFrames (see ``engine.aid.eligibility``)."""
    rules = rules or load_aid_rules()
    all_cats = [c.code for c in rules.categories]
    cats, conds = [], []
    for p in rules.programmes:
        if p.who == "needy":
            codes = all_cats if p.categories == "all" else p.categories
            tiers = rules.tiers.get(p.id, {}) if p.tiered else {}
            cats += [{"programme": p.id, "category": c, "tier": int(tiers.get(c, 3)) if p.tiered else None} for c in codes]
        for s in p.sections:
            for g in p.grades or [None]:
                conds.append({"programme": p.id, "who": p.who, "section": s, "boarding": p.boarding, "grade": g,
                              "school_flag": p.school_flag, "per": p.per, "locally": p.amount_set_locally, "since": p.since})
    amounts = [{"programme": a.programme, "region": a.region, "section": a.section, "tier": a.tier,
                "valid_from": a.valid_from, "valid_to": a.valid_to, "amount": a.amount} for a in rules.amounts]
    for p in rules.programmes:  # programmes whose amount is set locally still need a row to join
        if p.amount_set_locally:
            amounts += [{"programme": p.id, "region": "", "section": s, "tier": None, "valid_from": dt.date(1900, 1, 1),
                         "valid_to": None, "amount": None} for s in p.sections]
    frames = {
        "cats": pd.DataFrame(cats, columns=["programme", "category", "tier"]).astype({"tier": "Int64"}),
        "conds": pd.DataFrame(conds).astype({"boarding": "boolean", "grade": "Int64", "locally": bool}),
        "amounts": pd.DataFrame(amounts).astype({"tier": "Int64", "amount": "float64"}),
        "groups": pd.DataFrame([{"programme": p.id, "grp": p.group} for p in rules.programmes]),
    }
    for name, col in (("conds", "since"), ("amounts", "valid_from"), ("amounts", "valid_to")):
        frames[name][col] = pd.to_datetime(frames[name][col]).dt.date
    return frames
