"""Correcting one school's figures for one year by hand (the web form), with the import's rules.

The fields are the element dictionary's statistics (``storage: value``): the school-level ones once,
the section-level ones for each of the school's sections. A value is checked with the same type and
range rules as a cell of the import file, and each record with the same cross-field rules. Saving
writes only the values that changed, each with a ``ChangeRecord`` (via ``"form"``), in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from dudao.schools.errors import DataError
from dudao.schools.models import ChangeRecord, SchoolYear, SectionYear
from dudao.schools.validate import _CellError, _convert
from dudao.standards.model import Dictionary, Element, load_dictionary

SCHOOL = ""  # the "section" of school-level values
SECTION_ORDER = {"primary": 0, "junior": 1, "senior": 2}


class EditError(Exception):
    """The school year to edit does not exist, or the values were changed meanwhile."""


@dataclass
class Field:
    """One input of the form: an element of the school or of one section."""

    element: Element
    section: str  # "" for school level
    value: Any  # the stored value (None when empty)
    raw: str = ""  # what the user typed (shown back after an error)
    error: str = ""
    error_en: str = ""

    @property
    def name(self) -> str:
        return f"{self.section or 'school'}__{self.element.code}"


@dataclass
class Group:
    """The fields of the school or of one of its sections."""

    section: str
    label: str
    fields: list[Field]
    rule_errors: list[tuple[str, str]] = field(default_factory=list)  # (zh, en) of failed cross-field rules


@dataclass
class EditForm:
    """The form for one school year: its groups of fields and whether what was entered is valid."""

    school_year: SchoolYear
    groups: list[Group]
    stale: bool = False  # the stored values changed since the form was shown

    @property
    def fingerprint(self) -> str:
        """A digest of the stored values the form was built from (sent back with the form)."""
        stored = {g.section: {f.element.code: f.value for f in g.fields} for g in self.groups}
        return hashlib.sha256(json.dumps(stored, sort_keys=True, default=str).encode()).hexdigest()[:32]

    @property
    def fields(self) -> list[Field]:
        return [f for g in self.groups for f in g.fields]

    @property
    def valid(self) -> bool:
        return not self.stale and not any(f.error for f in self.fields) and not any(g.rule_errors for g in self.groups)

    @property
    def error_count(self) -> int:
        return sum(1 for f in self.fields if f.error) + sum(len(g.rule_errors) for g in self.groups)


def _editable(d: Dictionary, level: str) -> list[Element]:
    return [el for el in d.level_elements(level) if el.storage == "value"]


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def build_form(sy: SchoolYear, d: Dictionary | None = None) -> EditForm:
    """The form filled with the stored values."""
    d = d or load_dictionary()
    groups = [Group(SCHOOL, "学校（各学段共用）", [Field(el, SCHOOL, sy.values.get(el.code), _display(sy.values.get(el.code)))
                                             for el in _editable(d, "school")])]
    for sec in sorted(sy.sections.all(), key=lambda s: SECTION_ORDER.get(s.section, 9)):
        groups.append(Group(sec.section, d.enum_label("section", sec.section),
                            [Field(el, sec.section, sec.values.get(el.code), _display(sec.values.get(el.code)))
                             for el in _editable(d, "section")]))
    return EditForm(sy, groups)


def _plain(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x}"


def _message(err: DataError, **kw: Any) -> tuple[str, str]:
    return err.zh.format(**kw), err.en.format(**kw)


def check_form(form: EditForm, data: Mapping[str, Any], d: Dictionary | None = None) -> dict[str, dict[str, Any]]:
    """Reads the submitted values into the form; returns section → {code: new value}.

    Every field gets its own error (type, range, required); each record is then checked with the
    dictionary's cross-field rules, the error shown next to the rule's first field.
    """
    d = d or load_dictionary()
    parsed: dict[str, dict[str, Any]] = {}
    for group in form.groups:
        values: dict[str, Any] = {}
        for f in group.fields:
            raw = data.get(f.name, "")
            raw = "" if raw is None else str(raw).strip()
            f.raw, f.error, f.error_en = raw, "", ""
            if raw == "":
                values[f.element.code] = None
                if f.element.required:
                    f.error, f.error_en = _message(DataError.REQUIRED, header=f.element.header)
                continue
            try:
                values[f.element.code] = _convert(f.element, raw, d)
            except _CellError as exc:
                kw = dict(exc.kw)
                if exc.error is DataError.OUT_OF_RANGE:  # whole numbers written out: 0–5000000, not 0–5e+06
                    kw.update(low=_plain(f.element.min), high=_plain(f.element.max))
                f.error, f.error_en = _message(exc.error, value=raw, header=f.element.header, **kw)
                values[f.element.code] = None
        parsed[group.section] = values
        level = "school" if group.section == SCHOOL else "section"
        by_code = {f.element.code: f for f in group.fields}
        group.rule_errors = []
        for rule in d.rules:
            if rule.level != level:
                continue
            formula = d.formulas[rule.id]
            if formula.evaluate(values) is False:
                zh, en = _message(DataError.RULE, zh=rule.zh, en=rule.en, rule=rule.id, check=rule.check)
                group.rule_errors.append((zh, en))
                first = sorted(formula.names, key=lambda n: rule.check.find(n))[0]
                target = by_code.get(first)
                if target is not None and not target.error:
                    target.error, target.error_en = zh, en
    return parsed


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    if isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) == float(new)
    return bool(old == new)


@transaction.atomic
def save_values(school_code: str, year: int, values: Mapping[str, Mapping[str, Any]], actor: str) -> list[ChangeRecord]:
    """Stores the changed values of one school year and records each change; returns the records.

    ``values`` maps "" (school level) or a section code to {element code: new value}; values equal to
    the stored ones are left alone. The values are not checked here (``check_form`` does that).
    """
    sy = SchoolYear.objects.select_for_update().filter(school__code=school_code, year=year).first()
    if sy is None:
        raise EditError(f"没有学校 {school_code} 的 {year} 学年数据 / no data for school {school_code} in {year}")
    from dudao.supervision.errors import WorkflowError
    from dudao.supervision.services import check_unlocked

    try:
        check_unlocked(sy.county.code, year)
    except WorkflowError as exc:
        raise EditError(str(exc)) from None
    sections = {s.section: s for s in SectionYear.objects.select_for_update().filter(school_year=sy)}
    unknown = set(values) - {SCHOOL, *sections}
    if unknown:
        raise EditError(f"学校 {school_code} 没有学段 {sorted(unknown)} / no such section")
    changes: list[ChangeRecord] = []
    targets: list[tuple[str, Any]] = [(SCHOOL, sy), *sections.items()]
    for section, obj in targets:
        new_values = values.get(section)
        if new_values is None:
            continue
        merged, dirty = dict(obj.values), False
        for code, new in new_values.items():
            old = merged.get(code)
            if _same(old, new):
                continue
            merged[code], dirty = new, True
            changes.append(ChangeRecord(school_code=school_code, year=year, section=section, field=code,
                                        old_value=old, new_value=new, actor=actor, via="form"))
        if dirty:
            obj.values = merged
            obj.save(update_fields=["values"])
    ChangeRecord.objects.bulk_create(changes)
    return changes


def edit_school_year(sy: SchoolYear, data: Mapping[str, Any], actor: str,
                     d: Dictionary | None = None) -> tuple[EditForm, list[ChangeRecord] | None]:
    """Checks the submitted form and, when valid, saves what changed. Returns the form and the changes
    (None when the form has errors or the stored values changed since it was shown; nothing saved).

    ``data`` may carry ``fingerprint``, the digest the form was shown with: when the stored values
    differ from it (someone else saved meanwhile) nothing is saved and ``form.stale`` is set.
    """
    form = build_form(sy, d)
    shown = data.get("fingerprint")
    form.stale = bool(shown) and shown != form.fingerprint
    parsed = check_form(form, data, d)
    if not form.valid:
        return form, None
    return form, save_values(sy.school.code, sy.year, parsed, actor)
