"""School data services: import, export, template and summaries. The CLI, web and API call these."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction

from dudao.orgunits.models import OrgUnit
from dudao.orgunits.services import province_codes
from dudao.schools.errors import DataWarning
from dudao.schools.models import ChangeRecord, ImportBatch, School, SchoolYear, SectionYear
from dudao.schools.validate import Checked, Collector, Issue, Located, read_file
from dudao.schools.workbook import write_csv, write_xlsx
from dudao.standards.model import Dictionary, load_dictionary

BATCH = 500
ATTR_FIELDS = {  # element code -> SchoolYear field
    "school_name": "name", "kind": "kind", "location": "location", "ownership": "ownership",
    "affiliation": "affiliation", "boarding": "boarding", "rural_school": "rural_school",
    "weak_school": "weak_school", "status": "status", "merged_into": "merged_into",
}


@dataclass
class ImportReport:
    """The outcome of one import: refused with every error, or accepted with its counts and warnings."""

    file: str
    year: int
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    batch_id: int | None = None

    @property
    def accepted(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "year": self.year, "accepted": self.accepted, "counts": self.counts,
                "batch": self.batch_id, "errors": [i.as_dict() for i in self.errors],
                "warnings": [i.as_dict() for i in self.warnings]}


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def import_file(path: Path, year: int, actor: str) -> ImportReport:
    """Checks a file and, only if it has no error, stores it; every changed value is recorded."""
    d = load_dictionary()
    counties = dict(OrgUnit.objects.values_list("code", "level"))
    checked = read_file(path, d, year, counties, province_codes())
    _check_locks(checked, year)
    report = ImportReport(path.name, year, errors=checked.errors)
    digest = _sha256(path) if path.exists() else ""
    if report.errors:
        batch = ImportBatch.objects.create(filename=path.name, sha256=digest, year=year, actor=actor,
                                           status=ImportBatch.Status.REFUSED, errors=len(report.errors))
        report.batch_id = batch.pk
        return report
    report.warnings = _warnings(checked, d, year)
    with transaction.atomic():
        batch = ImportBatch.objects.create(filename=path.name, sha256=digest, year=year, actor=actor,
                                           status=ImportBatch.Status.ACCEPTED, warnings=len(report.warnings))
        report.counts = _store(checked, d, year, actor, batch)
        batch.counts = report.counts
        batch.save(update_fields=["counts"])
    report.batch_id = batch.pk
    return report


def _check_locks(checked: Checked, year: int) -> None:
    """A school whose county (in the file, or as stored for the year) has a submitted case cannot change."""
    from dudao.supervision.errors import FlowError
    from dudao.supervision.services import locked_counties

    stored = {sy.school.code: sy.county.code for sy in _in_chunks(
        SchoolYear.objects.select_related("school", "county").filter(year=year), "school__code__in", list(checked.schools))}
    wanted = {r.values.get("county_code") for r in checked.schools.values()} | set(stored.values())
    locked = locked_counties(year, [c for c in wanted if c])
    if not locked:
        return
    bag = Collector(checked.file, checked.errors)
    for code, rec in checked.schools.items():
        for county in {rec.values.get("county_code"), stored.get(code)} & locked:
            column, header = rec.where("county_code")
            bag.add(FlowError.LOCKED, sheet=rec.sheet.name, row=rec.row, column=column, header=header,
                    value=county, county=county, year=year)


def _school_payload(rec: Located, d: Dictionary, present: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    attrs = {f: rec.values.get(code) for code, f in ATTR_FIELDS.items() if code in present}
    if "merged_into" in attrs:
        attrs["merged_into"] = attrs["merged_into"] or ""
    values = {el.code: rec.values.get(el.code) for el in d.level_elements("school")
              if el.storage == "value" and el.code in present}
    return attrs, values


def _store(checked: Checked, d: Dictionary, year: int, actor: str, batch: ImportBatch) -> dict[str, int]:
    counts = {"schools": len(checked.schools), "sections": len(checked.sections), "created": 0,
              "changed_values": 0, "unchanged_records": 0}
    codes = list(checked.schools)
    schools = {s.code: s for s in _in_chunks(School.objects, "code__in", codes)}
    new_schools = [School(code=c, name=checked.schools[c].values["school_name"]) for c in codes if c not in schools]
    School.objects.bulk_create(new_schools, batch_size=BATCH)
    schools.update({s.code: s for s in _in_chunks(School.objects, "code__in", [s.code for s in new_schools])})
    counties = {u.code: u for u in OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY)}
    existing = {sy.school.code: sy for sy in _in_chunks(
        SchoolYear.objects.select_related("school", "county").filter(year=year), "school__code__in", codes)}
    changes: list[ChangeRecord] = []
    to_create, to_update, renamed = [], [], []

    def log(code: str, section: str, fld: str, old: Any, new: Any) -> None:
        changes.append(ChangeRecord(batch=batch, school_code=code, year=year, section=section, field=fld,
                                    old_value=old, new_value=new, actor=actor))

    for code, rec in checked.schools.items():
        attrs, values = _school_payload(rec, d, checked.present)
        county = counties[rec.values["county_code"]]
        sy = existing.get(code)
        if sy is None:
            sy = SchoolYear(school=schools[code], year=year, county=county, values=values, **attrs)
            to_create.append(sy)
            log(code, "", ChangeRecord.CREATED, None, year)
            counts["created"] += 1
            continue
        dirty = False
        if sy.county_id != county.pk:
            log(code, "", "county_code", sy.county.code, county.code)
            sy.county, dirty = county, True
        for fld, new in attrs.items():
            old = getattr(sy, fld)
            if old != new:
                log(code, "", _code_of(fld), old, new)
                setattr(sy, fld, new)
                dirty = True
        merged = dict(sy.values)
        for k, new in values.items():
            if merged.get(k) != new:
                log(code, "", k, merged.get(k), new)
                merged[k] = new
                dirty = True
        if dirty:
            sy.values = merged
            to_update.append(sy)
        else:
            counts["unchanged_records"] += 1
        if schools[code].name != rec.values["school_name"]:
            schools[code].name = rec.values["school_name"]
            renamed.append(schools[code])
    SchoolYear.objects.bulk_create(to_create, batch_size=BATCH)
    fields = ["county", "values", *ATTR_FIELDS.values()]
    SchoolYear.objects.bulk_update(to_update, fields, batch_size=BATCH)
    School.objects.bulk_update(renamed, ["name"], batch_size=BATCH)
    _store_sections(checked, d, year, counts, log)
    ChangeRecord.objects.bulk_create(changes, batch_size=BATCH * 4)
    counts["changed_values"] = sum(1 for c in changes if c.field != ChangeRecord.CREATED)
    return counts


def _store_sections(checked: Checked, d: Dictionary, year: int, counts: dict[str, int], log: Any) -> None:
    codes = list(checked.schools)
    years = {sy.school.code: sy for sy in _in_chunks(
        SchoolYear.objects.select_related("school").filter(year=year), "school__code__in", codes)}
    existing = {(s.school_year.school.code, s.section): s for s in _in_chunks(
        SectionYear.objects.select_related("school_year__school").filter(school_year__year=year),
        "school_year__school__code__in", codes)}
    section_codes = [el.code for el in d.level_elements("section") if el.storage == "value" and el.code in checked.present]
    to_create, to_update = [], []
    for (code, section), rec in checked.sections.items():
        values = {k: rec.values.get(k) for k in section_codes}
        sec = existing.get((code, section))
        if sec is None:
            to_create.append(SectionYear(school_year=years[code], section=section, values=values))
            log(code, section, ChangeRecord.CREATED, None, year)
            continue
        merged, dirty = dict(sec.values), False
        for k, new in values.items():
            if merged.get(k) != new:
                log(code, section, k, merged.get(k), new)
                merged[k], dirty = new, True
        if dirty:
            sec.values = merged
            to_update.append(sec)
        else:
            counts["unchanged_records"] += 1
    SectionYear.objects.bulk_create(to_create, batch_size=BATCH)
    SectionYear.objects.bulk_update(to_update, ["values"], batch_size=BATCH)


def _code_of(fld: str) -> str:
    return next((c for c, f in ATTR_FIELDS.items() if f == fld), fld)


def _in_chunks(qs: Any, lookup: str, keys: list[str], size: int = 900) -> Iterable[Any]:
    for i in range(0, len(keys), size):
        yield from qs.filter(**{lookup: keys[i:i + size]})


# ---------------------------------------------------------------- warnings


def _warnings(checked: Checked, d: Dictionary, year: int) -> list[Issue]:
    out: list[Issue] = []
    bag = Collector(checked.file, out)
    _change_warnings(checked, d, year, bag)
    _outlier_warnings(checked, d, bag)
    return out


def _change_warnings(checked: Checked, d: Dictionary, year: int, bag: Collector) -> None:
    limit, min_abs = d.param("change_warning_ratio"), d.param("change_warning_min_abs")
    codes = list(checked.schools)
    prev_school = {sy.school.code: sy.values for sy in _in_chunks(
        SchoolYear.objects.select_related("school").filter(year=year - 1), "school__code__in", codes)}
    prev_section = {(s.school_year.school.code, s.section): s.values for s in _in_chunks(
        SectionYear.objects.select_related("school_year__school").filter(school_year__year=year - 1),
        "school_year__school__code__in", codes)}
    numeric = {el.code for el in d.elements if el.numeric}
    pairs = [(rec, prev_school.get(code)) for code, rec in checked.schools.items()]
    pairs += [(rec, prev_section.get(key)) for key, rec in checked.sections.items()]
    for rec, prev in pairs:
        if not prev:
            continue
        for k in numeric & rec.values.keys():
            old, new = prev.get(k), rec.values[k]
            if old and new is not None and abs(new - old) / abs(old) > limit and abs(new - old) >= min_abs:
                column, header = rec.where(k)
                bag.add(DataWarning.CHANGED, severity="warning", sheet=rec.sheet.name, row=rec.row, column=column,
                        header=header, value=new, old=old, pct=f"{(new - old) / old:+.0%}", limit=f"{limit:.0%}")


def _outlier_warnings(checked: Checked, d: Dictionary, bag: Collector) -> None:
    """Modified z-score (Iglewicz–Hoaglin) of log per-student values within county and section.

    Only elements marked ``outlier: true`` in the dictionary (the resources behind the indicators) are
    checked; the logarithm keeps small schools' naturally higher ratios from being flagged.
    """
    threshold, min_n = d.param("outlier_modified_z"), int(d.param("outlier_min_schools"))
    own = {o.code for o in d.enums["kind"] if o.own_peer_group}

    def peer(school: Located) -> str:
        kind = school.values.get("kind")
        return f"{school.values.get('county_code')}/{kind if kind in own else 'regular'}"

    school_values = [el.code for el in d.level_elements("school") if el.numeric and el.outlier]
    section_values = [el.code for el in d.level_elements("section") if el.numeric and el.outlier]
    rows: list[tuple[Any, ...]] = []
    totals: dict[str, float] = {}
    for (code, section), rec in checked.sections.items():
        school = checked.schools.get(code)
        if school is None:
            continue
        students = rec.values.get("students") or 0
        totals[code] = totals.get(code, 0) + students
        rows += [(peer(school), section, k, rec.values.get(k), students, id(rec)) for k in section_values]
    for code, school in checked.schools.items():
        rows += [(peer(school), "school", k, school.values.get(k), totals.get(code, 0), id(school))
                 for k in school_values]
    if not rows:
        return
    located = {id(r): r for r in [*checked.sections.values(), *checked.schools.values()]}
    df = pd.DataFrame(rows, columns=["county", "section", "element", "value", "students", "rec"])
    df = df[(df["students"] > 0) & (df["value"] > 0)].copy()
    df["ratio"] = df["value"].astype(float) / df["students"]
    df["log"] = np.log(df["ratio"])
    grp = df.groupby(["county", "section", "element"])["log"]
    df["n"] = grp.transform("size")
    df["median"] = grp.transform("median")
    df["mad"] = (df["log"] - df["median"]).abs().groupby([df["county"], df["section"], df["element"]]).transform("median")
    df = df[(df["n"] >= min_n) & (df["mad"] > 0)]
    df["z"] = 0.6745 * (df["log"] - df["median"]) / df["mad"]
    for row in df[np.abs(df["z"]) > threshold].itertuples():
        rec = located[row.rec]
        column, header = rec.where(row.element)
        bag.add(DataWarning.OUTLIER, severity="warning", sheet=rec.sheet.name, row=rec.row, column=column,
                header=header, value=row.value, ratio=f"{row.ratio:.3g}", z=f"{row.z:.1f}")


# ---------------------------------------------------------------- export and template


def year_records(year: int, county_codes: list[str] | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The school and section records of a year, in the template's internal form."""
    d = load_dictionary()
    qs = SchoolYear.objects.filter(year=year).select_related("school", "county").order_by("school__code")
    if county_codes is not None:
        qs = qs.filter(county__code__in=county_codes)
    schools, sections = [], []
    school_value_codes = [el.code for el in d.level_elements("school") if el.storage == "value"]
    section_value_codes = [el.code for el in d.level_elements("section") if el.storage == "value"]
    by_id: dict[int, dict[str, Any]] = {}
    for sy in qs:
        rec: dict[str, Any] = {"school_code": sy.school.code}
        rec.update({code: sy.attribute(code) for code in SchoolYear.ATTRIBUTES})
        rec.update({k: sy.values.get(k) for k in school_value_codes})
        schools.append(rec)
        by_id[sy.pk] = rec
    order = {"primary": 0, "junior": 1, "senior": 2}
    secs = SectionYear.objects.filter(school_year__in=list(by_id)) if len(by_id) < 900 else \
        SectionYear.objects.filter(school_year__year=year)
    for sec in sorted(secs, key=lambda s: (by_id.get(s.school_year_id, {}).get("school_code", ""), order.get(s.section, 9))):
        school = by_id.get(sec.school_year_id)
        if school is None:
            continue
        row = {"school_code": school["school_code"], "school_name": school["school_name"], "section": sec.section}
        row.update({k: sec.values.get(k) for k in section_value_codes})
        sections.append(row)
    return schools, sections


def export_year(year: int, out: Path, county_codes: list[str] | None = None) -> Path:
    """Writes a year's data in the template's form (.xlsx, or the flat .csv)."""
    d = load_dictionary()
    schools, sections = year_records(year, county_codes)
    if out.suffix.lower() == ".csv":
        by_code = {s["school_code"]: s for s in schools}
        return write_csv(out, d, ({**by_code[sec["school_code"]], **sec} for sec in sections))
    return write_xlsx(out, d, year, schools, sections)


def write_template(out: Path, year: int | None = None) -> Path:
    """Writes an empty template generated from the element dictionary."""
    d = load_dictionary()
    if out.suffix.lower() == ".csv":
        return write_csv(out, d)
    return write_xlsx(out, d, year)


def latest_year() -> int | None:
    """The latest school year with data."""
    return SchoolYear.objects.order_by("-year").values_list("year", flat=True).first()


def summary(year: int) -> list[dict[str, Any]]:
    """Schools, sections, students and teachers per prefecture for a year."""
    rows: dict[str, dict[str, Any]] = {}
    names = dict(OrgUnit.objects.values_list("code", "name"))
    for sec in SectionYear.objects.filter(school_year__year=year).select_related("school_year__county"):
        county = sec.school_year.county.code
        pref = county[:4] + "00" if county[:4] + "00" in names else county[:2] + "0000"
        r = rows.setdefault(pref, {"code": pref, "name": names.get(pref, pref), "schools": set(), "sections": 0,
                                   "students": 0, "teachers": 0})
        r["schools"].add(sec.school_year_id)
        r["sections"] += 1
        r["students"] += sec.values.get("students") or 0
        r["teachers"] += sec.values.get("teachers_fulltime") or 0
    out = []
    for r in sorted(rows.values(), key=lambda x: x["code"]):
        r["schools"] = len(r["schools"])
        out.append(r)
    return out
