"""Importing places data, projecting a county (county, zones, schools), capacity and risks.

``county_plan`` is the one computation behind the county page, the API, the CLI and the reports: it
projects the county as a whole and every school in it with the engine (``dudao.engine.projection``),
backtests both, and sets the projected demand against each school's capacity. Capacity of a school
section = the smaller of ``classrooms × standard class size`` and ``teaching floor area ÷ per-student
minimum`` (a combined school's floor area is shared between its sections in proportion to their
classrooms). Figures come from ``places.yaml`` (and the floor minimum from the 2017 standard).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction

from dudao.engine.backends import connect
from dudao.engine.projection import Projection, Settings, backtest, mape, project
from dudao.orgunits.models import OrgUnit
from dudao.places.errors import PlacesError
from dudao.places.errors import PlacesMessage as M
from dudao.places.models import (
    Births,
    CatchmentZone,
    Classrooms,
    GradeEnrolment,
    MigrantApplications,
    PlacesImport,
    ProjectionRun,
    SchoolSite,
)
from dudao.places.params import PlacesParams, load_places, settings_for
from dudao.places.workbook import Checked, read_workbook
from dudao.schools.models import School, SchoolYear, SectionYear
from dudao.schools.validate import Issue

SECTION_GRADES = {"primary": (1, 6), "junior": (7, 9)}


# ------------------------------------------------------------------ import


def _school_counties(codes: Iterable[str]) -> dict[str, str]:
    """Latest county of each known school."""
    out: dict[str, str] = {}
    for code, county in (SchoolYear.objects.filter(school__code__in=list(codes)).order_by("year")
                         .values_list("school__code", "county__code")):
        out[code] = county
    return out


def _school_sections(codes: Iterable[str]) -> dict[str, set[str]]:
    """The sections each known school has in the school data (any year)."""
    out: dict[str, set[str]] = {}
    for code, sec in SectionYear.objects.filter(school_year__school__code__in=list(codes)).values_list(
            "school_year__school__code", "section").distinct():
        out.setdefault(code, set()).add(sec)
    return out


def _scope_errors(checked: Checked, scope: Any) -> list[Issue]:
    """Refusals for records outside the user's area (``scope``: a permissions.Scope, or None for the CLI)."""
    if scope is None:
        return []
    errors: list[Issue] = []
    zones = dict(CatchmentZone.objects.values_list("code", "county__code"))
    zones.update({z["zone_code"]: z["county_code"] for z in checked.records.get("zones", [])})
    schools = _school_counties({r["school_code"] for k in ("grades", "rooms", "sites") for r in checked.records.get(k, [])})
    for kind, recs in checked.records.items():
        for rec in recs:
            if "school_code" in rec:
                ok = scope.covers_school(rec["school_code"], schools.get(rec["school_code"], ""))
                what = rec["school_code"]
            else:
                county = rec.get("county_code") or zones.get(rec.get("zone_code", ""), "")
                ok = scope.covers_region(county)
                what = rec.get("zone_code") or county
            if not ok:
                zh, en = M.SCOPE.format(what=what)
                errors.append(Issue("error", M.SCOPE.code, zh, en, checked.file, kind))
    return errors


def import_workbook(path: Path, actor: str, scope: Any = None) -> tuple[Checked, PlacesImport]:
    """Checks a places workbook and stores it only if it has no error at all (else nothing is stored)."""
    from dudao.audit.services import record

    known = set(OrgUnit.objects.filter(level="county").values_list("code", flat=True))
    zones = dict(CatchmentZone.objects.values_list("code", "county__code"))
    checked = read_workbook(path, known, _school_counties, zones, _school_sections)
    if not checked.errors:
        checked.errors.extend(_scope_errors(checked, scope))
    batch = PlacesImport.objects.create(filename=path.name, sha256=checked.sha256, actor=actor,
                                        accepted=not checked.errors, errors=len(checked.errors), counts=checked.counts())
    if checked.errors:
        record("import_refused", "places.import", batch.pk, {"file": path.name, "errors": len(checked.errors)})
        return checked, batch
    store(checked.records)
    record("import", "places.import", batch.pk, {"file": path.name, "counts": checked.counts()})
    return checked, batch


@transaction.atomic
def store(records: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Stores checked records (insert or update by their keys); returns the counts."""
    counties = dict(OrgUnit.objects.filter(level="county").values_list("code", "pk"))
    codes = {r["school_code"] for k in ("grades", "rooms", "sites") for r in records.get(k, [])}
    schools = dict(School.objects.filter(code__in=codes).values_list("code", "pk"))
    for z in records.get("zones", []):
        CatchmentZone.objects.update_or_create(code=z["zone_code"], defaults={"name": z["name"],
                                                                              "county_id": counties[z["county_code"]]})
    zones = dict(CatchmentZone.objects.values_list("code", "pk"))
    Births.objects.bulk_create(
        [Births(county_id=counties[r["county_code"]], year=r["year"], series=r["series"], births=r["births"])
         for r in records.get("births", [])],
        update_conflicts=True, unique_fields=["county", "year", "series"], update_fields=["births"], batch_size=2000)
    GradeEnrolment.objects.bulk_create(
        [GradeEnrolment(school_id=schools[r["school_code"]], county_id=counties[r["county_code"]], year=r["year"],
                        grade=r["grade"], students=r["students"], classes=r.get("classes")) for r in records.get("grades", [])],
        update_conflicts=True, unique_fields=["school", "year", "grade"], update_fields=["students", "classes", "county"],
        batch_size=2000)
    Classrooms.objects.bulk_create(
        [Classrooms(school_id=schools[r["school_code"]], year=r["year"], section=r["section"], classrooms=r["classrooms"])
         for r in records.get("rooms", [])],
        update_conflicts=True, unique_fields=["school", "year", "section"], update_fields=["classrooms"], batch_size=2000)
    SchoolSite.objects.bulk_create(
        [SchoolSite(school_id=schools[r["school_code"]], longitude=r["longitude"], latitude=r["latitude"],
                    zone_id=zones.get(r.get("zone_code") or "")) for r in records.get("sites", [])],
        update_conflicts=True, unique_fields=["school"], update_fields=["longitude", "latitude", "zone"], batch_size=2000)
    MigrantApplications.objects.bulk_create(
        [MigrantApplications(zone_id=zones[r["zone_code"]], year=r["year"], grade=r["grade"], applications=r["applications"])
         for r in records.get("applications", [])],
        update_conflicts=True, unique_fields=["zone", "year", "grade"], update_fields=["applications"], batch_size=2000)
    return {k: len(v) for k, v in records.items()}


# ------------------------------------------------------------------ projection


def births_frame(county_codes: list[str], p: PlacesParams | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Births by county and year in the preferred series available for each county (area, year, births)."""
    p = p or load_places()
    rows = pd.DataFrame(list(Births.objects.filter(county__code__in=county_codes)
                             .values_list("county__code", "year", "series", "births")),
                        columns=["area", "year", "series", "births"])
    used: dict[str, str] = {}
    parts = []
    for code, grp in rows.groupby("area"):
        for series in p.projection.births_series:
            sub = grp[grp.series == series]
            if len(sub):
                used[str(code)] = series
                parts.append(sub[["area", "year", "births"]])
                break
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["area", "year", "births"])
    return out, used


def _school_info(county: OrgUnit, year: int) -> pd.DataFrame:
    """Latest record (≤ year) of each school that has enrolment by grade in the county."""
    codes = set(GradeEnrolment.objects.filter(county=county).values_list("school__code", flat=True))
    recs = {}
    for sy in (SchoolYear.objects.filter(school__code__in=codes, year__lte=year).select_related("school")
               .order_by("year")):
        recs[sy.school.code] = {"school_code": sy.school.code, "name": sy.name, "kind": sy.kind, "location": sy.location,
                                "status": sy.status, "info_year": sy.year,
                                "floor_area": (sy.values or {}).get("floor_area_teaching"), "_pk": sy.pk}
    sites = {s.school.code: s for s in SchoolSite.objects.filter(school__code__in=codes).select_related("school", "zone")}
    for code, rec in recs.items():
        s = sites.get(code)
        rec.update(longitude=s.longitude if s else None, latitude=s.latitude if s else None,
                   zone=s.zone.code if s and s.zone else "", zone_name=s.zone.name if s and s.zone else "")
    return pd.DataFrame(list(recs.values()))


def capacity_frame(info: pd.DataFrame, rooms: pd.DataFrame, grades_now: pd.DataFrame, p: PlacesParams | None = None
                   ) -> pd.DataFrame:
    """Capacity per school section: min(classrooms × class size, floor area share ÷ per-student minimum).

    ``rooms``: school_code, section, classrooms; ``grades_now``: school_code, grade, students (base year);
    ``info``: school_code, kind, floor_area.
    """
    p = p or load_places()
    size = {k: v.value for k, v in p.class_size.items()}
    floor_min = p.floor_minimum_m2()
    complete = int(p.complete_primary_grades.value)
    out = rooms.merge(info[["school_code", "kind", "floor_area"]], on="school_code", how="left")
    total_rooms = out.groupby("school_code").classrooms.transform("sum")
    grade_count = {}
    for code, grp in grades_now[grades_now.students > 0].groupby("school_code"):
        grade_count[code] = int((grp.grade <= 6).sum())
    rows = []
    for r in out.itertuples():
        incomplete = r.section == "primary" and (r.kind == "teaching_point" or grade_count.get(r.school_code, complete) < complete)
        cs = size["incomplete_primary"] if incomplete else size[r.section]
        by_rooms = r.classrooms * cs
        share = r.classrooms / total_rooms[r.Index] if total_rooms[r.Index] else 0.0
        fa = r.floor_area
        by_floor = math.floor(float(fa) * share / floor_min[r.section]) if fa is not None and not pd.isna(fa) else None
        cap = by_rooms if by_floor is None else min(by_rooms, by_floor)
        rows.append({"school_code": r.school_code, "section": r.section, "classrooms": int(r.classrooms),
                     "class_size": int(cs), "incomplete": bool(incomplete), "by_rooms": int(by_rooms),
                     "by_floor": by_floor, "capacity": int(cap),
                     "binding": "floor" if by_floor is not None and by_floor < by_rooms else "rooms"})
    return pd.DataFrame(rows, columns=["school_code", "section", "classrooms", "class_size", "incomplete", "by_rooms",
                                       "by_floor", "capacity", "binding"])


def years_text(years: Iterable[int]) -> str:
    """Years as ranges: 2025–2028、2031."""
    ys = sorted(set(int(y) for y in years))
    parts: list[str] = []
    i = 0
    while i < len(ys):
        j = i
        while j + 1 < len(ys) and ys[j + 1] == ys[j] + 1:
            j += 1
        parts.append(str(ys[i]) if i == j else f"{ys[i]}–{ys[j]}")
        i = j + 1
    return "、".join(parts)


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _section_of(grade: int) -> str:
    return "primary" if grade <= 6 else "junior"


@dataclass
class Inputs:
    county: OrgUnit
    enrol: pd.DataFrame  # school_code, year, grade, students, classes
    births: pd.DataFrame
    series: dict[str, str]
    info: pd.DataFrame
    rooms: pd.DataFrame
    base_year: int


def county_inputs(county_code: str) -> Inputs:
    county = OrgUnit.objects.filter(code=county_code, level="county").first()
    if county is None:
        raise PlacesError(M.NO_DATA, county=county_code, years="—")
    enrol = pd.DataFrame(list(GradeEnrolment.objects.filter(county=county)
                              .values_list("school__code", "year", "grade", "students", "classes")),
                         columns=["school_code", "year", "grade", "students", "classes"])
    if enrol.empty:
        raise PlacesError(M.NO_DATA, county=f"{county.name}（{county.code}）", years="—")
    births, series = births_frame([county.code])
    if births.empty:
        raise PlacesError(M.NO_BIRTHS, county=f"{county.name}（{county.code}）")
    base = int(enrol.year.max())
    info = _school_info(county, base)
    operating = list(enrol[(enrol.year == base) & (enrol.students > 0)].school_code.unique())
    rooms_all = pd.DataFrame(list(Classrooms.objects.filter(school__code__in=operating, year__lte=base)
                                  .values_list("school__code", "year", "section", "classrooms")),
                             columns=["school_code", "year", "section", "classrooms"])
    rooms = rooms_all.sort_values("year").groupby(["school_code", "section"], as_index=False).tail(1)
    return Inputs(county, enrol, births, series, info, rooms, base)


def _units(enrol: pd.DataFrame, info: pd.DataFrame, base: int) -> pd.DataFrame:
    now = enrol[(enrol.year == base) & (enrol.students > 0)]
    kinds = dict(zip(info.school_code, info.kind, strict=False)) if len(info) else {}
    rows = []
    for code, grp in now.groupby("school_code"):
        gs = set(grp.grade)
        entry = 1 if any(g <= 6 for g in gs) else 7
        last = 9 if any(g >= 7 for g in gs) else 6
        if kinds.get(code) == "teaching_point":
            last = max(gs)
        rows.append({"unit": code, "area": "", "entry_grade": entry, "last_grade": last})
    return pd.DataFrame(rows, columns=["unit", "area", "entry_grade", "last_grade"])


def _series_by_year(df: pd.DataFrame, value: str = "students") -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {}
    for r in df.itertuples():
        out.setdefault(r.scenario, {})[int(r.year)] = round(float(getattr(r, value)), 1)
    return out


def county_plan(county_code: str, horizon: int = 10, scenario: str = "medium") -> dict[str, Any]:
    """Projection, backtest, capacity and risks of one county: a JSON-able document."""
    p = load_places()
    if scenario not in {s.id for s in p.scenarios}:
        raise PlacesError(M.SCENARIO, value=scenario)
    inp = county_inputs(county_code)
    s = settings_for(inp.base_year, horizon, p)
    area = inp.county.code
    con = connect()

    # the county as one unit and every school operating in the base year, in one engine run
    enrol = inp.enrol
    cty = enrol.groupby(["year", "grade"], as_index=False).students.sum().assign(unit=area)
    cunits = pd.DataFrame([{"unit": area, "area": area, "entry_grade": 1, "last_grade": 9}])
    units = _units(enrol, inp.info, inp.base_year).assign(area=area)
    sch_enrol = enrol.rename(columns={"school_code": "unit"})[["unit", "year", "grade", "students"]]
    all_enrol = pd.concat([cty[["unit", "year", "grade", "students"]], sch_enrol], ignore_index=True)
    all_units = pd.concat([cunits, units], ignore_index=True)
    both = project(con, all_enrol, all_units, inp.births, s)
    bt = backtest(con, all_enrol, all_units, inp.births, s)
    is_c = both.students.unit == area
    cp = Projection(students=both.students[is_c], intake=both.intake[both.intake.unit == area],
                    progression=both.progression[both.progression.unit == area], births_trend=both.births_trend,
                    births=both.births)
    sp = Projection(students=both.students[~is_c], intake=both.intake[both.intake.unit != area],
                    progression=both.progression[both.progression.unit != area], births_trend=both.births_trend,
                    births=both.births)
    cbt = bt[bt.unit == area]
    smape = mape(bt[bt.unit != area])

    history = cty.groupby("year").students.sum()
    by_section_hist = cty.assign(section=cty.grade.map(_section_of)).groupby(["section", "year"]).students.sum()
    proj_sec = cp.students.assign(section=cp.students.grade.map(_section_of)).groupby(
        ["section", "scenario", "year"], as_index=False).students.sum()

    now = enrol[enrol.year == inp.base_year]
    cap = capacity_frame(inp.info, inp.rooms, now.rename(columns={}), p) if len(inp.rooms) else capacity_frame(
        inp.info, pd.DataFrame(columns=["school_code", "section", "classrooms"]), now, p)
    sp_sec = sp.students.assign(section=sp.students.grade.map(_section_of))
    demand = sp_sec.groupby(["unit", "section", "scenario", "year"], as_index=False).students.sum()

    county_capacity = {sec: int(cap[cap.section == sec].capacity.sum()) for sec in SECTION_GRADES}
    sections = {}
    for sec in SECTION_GRADES:
        hist = {int(y): float(v) for y, v in by_section_hist.get(sec, pd.Series(dtype=float)).items()}
        proj = _series_by_year(proj_sec[proj_sec.section == sec])
        sections[sec] = {"history": hist, "projection": proj, "capacity": county_capacity[sec],
                         "gap": {sc: {y: round(county_capacity[sec] - v, 1) for y, v in ys.items()} for sc, ys in proj.items()}}

    info = inp.info.set_index("school_code") if len(inp.info) else pd.DataFrame()
    schools = _school_rows(inp, info, cap, demand, now, sp_sec, s, p, scenario, smape)
    zone_of = {r["code"]: r["zone"] for r in schools}
    zbt = bt[bt.unit != area].assign(zone=lambda d: d.unit.map(zone_of)).groupby(["zone", "year"], as_index=False)[
        ["projected", "actual"]].sum()
    zbt = zbt[zbt.actual > 0].assign(ape=lambda d: (d.projected - d.actual).abs() / d.actual * 100)
    zone_mape = {str(z): round(float(g.ape.mean()), 2) for z, g in zbt.groupby("zone")}
    intake_of = dict(zip(sp.intake.unit, sp.intake.intake_ratio, strict=False))
    for r in schools:
        ir = intake_of.get(r["code"])
        r["intake_ratio"] = None if ir is None or pd.isna(ir) else round(float(ir), 4)
    zones = _zone_rows(schools, inp, s, scenario, zone_mape)
    small = _small_schools(schools, enrol, p, scenario)

    intake = cp.intake.iloc[0].to_dict() if len(cp.intake) else {}
    if pd.isna(intake.get("intake_ratio", float("nan"))):  # no births for the fit years: grade 1 cannot be projected
        lo, hi = s.base_year - s.fit_years + 1 - s.entry_age, s.base_year - s.entry_age
        raise PlacesError(M.NO_BIRTHS, county=f"{inp.county.name}（{inp.county.code}，{lo}–{hi} 年）")
    recorded: dict[str, int] = {}
    for r in schools:
        for k, v in r["recorded_bands"].items():
            recorded[k] = recorded.get(k, 0) + v
    class_risk = {"recorded": recorded,
                  "now": {b: sum(1 for r in schools if r["band_now"] == b) for b in ("over", "large", "very_large")},
                  "projected": {b: sum(1 for r in schools if r["band_projected"] == b) for b in ("over", "large", "very_large")}}
    doc = {
        "county": {"code": inp.county.code, "name": inp.county.name},
        "base_year": inp.base_year, "horizon": horizon, "scenario": scenario,
        "years": list(range(inp.base_year + 1, inp.base_year + horizon + 1)),
        "births_series": inp.series.get(area, ""),
        "births": {int(r.year): int(r.births) for r in inp.births.itertuples()},
        "births_projected": {sc: {int(r.year): round(float(r.births)) for r in grp[grp.projected].itertuples()}
                             for sc, grp in cp.births.groupby("scenario")},
        "history": {int(y): float(v) for y, v in history.items()},
        "projection": _series_by_year(cp.students.groupby(["scenario", "year"], as_index=False).students.sum()),
        "by_grade": {int(r.year): {} for r in cp.students.itertuples()},
        "sections": sections,
        "parameters": {
            "intake_ratio": round(float(intake.get("intake_ratio", float("nan"))), 4),
            "fit_students": float(intake.get("fit_students", 0)), "fit_births": float(intake.get("fit_births", 0)),
            "progression": {int(r.grade): {"ratio": round(float(r.ratio), 4), "fitted": bool(r.fitted)}
                            for r in cp.progression.itertuples()},
            "births_trend": round(float(cp.births_trend.trend.iloc[0]), 4) if len(cp.births_trend) else None,
            "births_last_year": int(cp.births_trend.last_year.iloc[0]) if len(cp.births_trend) else None,
            "fit_years": s.fit_years, "entry_age": s.entry_age, "trend_years": s.trend_years,
            "scenarios": [{"id": x.id, "zh": x.zh, "births_change": x.births_change, "intake_factor": x.intake_factor,
                           "migration": x.migration, "source": x.source, "confidence": x.confidence} for x in p.scenarios],
        },
        "backtest": {"as_of": inp.base_year - s.backtest_years,
                     "rows": [{"year": int(r.year), "projected": round(float(r.projected), 1), "actual": float(r.actual),
                               "ape": round(float(r.ape), 2)} for r in cbt.itertuples()],
                     "mape": round(float(cbt.ape.mean()), 2) if len(cbt) else None,
                     "schools_mape_median": round(float(smape.mape.median()), 2) if len(smape) else None,
                     "schools": len(smape)},
        "schools": schools, "zones": zones, "small_schools": small, "class_risk": class_risk,
    }
    for r in cp.students[cp.students.scenario == scenario].itertuples():
        doc["by_grade"][int(r.year)][int(r.grade)] = round(float(r.students), 1)
    return doc


def _bands(size: float, standard: float, p: PlacesParams) -> str:
    if size >= p.class_bands["very_large"].value:
        return "very_large"
    if size >= p.class_bands["large"].value:
        return "large"
    if size > standard:
        return "over"
    return ""


def _school_rows(inp: Inputs, info: pd.DataFrame, cap: pd.DataFrame, demand: pd.DataFrame, now: pd.DataFrame,
                 sp_sec: pd.DataFrame, s: Settings, p: PlacesParams, scenario: str, smape: pd.DataFrame) -> list[dict[str, Any]]:
    sizes = {k: v.value for k, v in p.class_size.items()}
    band_counts = _recorded_bands(inp)
    mp = dict(zip(smape.unit, smape.mape, strict=False))
    rows = []
    horizon_year = s.base_year + s.horizon
    dem_by = {k: g for k, g in demand.groupby(["unit", "section"])}
    sp_by = {k: g for k, g in sp_sec[sp_sec.scenario == scenario].groupby(["unit", "section"])}
    cap_by = {k: g for k, g in cap.groupby(["school_code", "section"])}
    empty_d, empty_c = demand.iloc[0:0], cap.iloc[0:0]
    for (code, sec), grp in now.assign(section=now.grade.map(_section_of)).groupby(["school_code", "section"]):
        students_now = int(grp.students.sum())
        classes_now = int(grp.classes.fillna(0).sum())
        c = cap_by.get((code, sec), empty_c)
        capacity = int(c.capacity.iloc[0]) if len(c) else None
        std = sizes["incomplete_primary"] if len(c) and bool(c.incomplete.iloc[0]) else sizes[sec]
        d = dem_by.get((code, sec), empty_d)
        by_year = {sc: {int(r.year): round(float(r.students), 1) for r in g.itertuples()} for sc, g in d.groupby("scenario")}
        peak = max(by_year.get(scenario, {}).values(), default=0.0)
        # class sizes now (recorded) and projected, if the grade keeps today's number of classes
        now_sizes = {int(r.grade): round(r.students / r.classes, 1) for r in grp.itertuples() if r.classes}
        pg = sp_by.get((code, sec), sp_sec.iloc[0:0])
        classes_g = dict(zip(grp.grade, grp.classes.fillna(0), strict=False))
        proj_max = 0.0
        needed_classes = {}
        for y, gy in pg.groupby("year"):
            needed_classes[int(y)] = int(sum(math.ceil(v / std) for v in gy.students if v > 0))
            for r in gy.itertuples():
                k = classes_g.get(r.grade) or 0
                if k:
                    proj_max = max(proj_max, r.students / k)
        rec = info.loc[code] if code in info.index else None
        rows.append({
            "code": code, "name": str(rec["name"]) if rec is not None else code, "section": sec,
            "kind": str(rec["kind"]) if rec is not None else "", "location": str(rec["location"]) if rec is not None else "",
            "zone": str(rec["zone"]) if rec is not None else "", "zone_name": str(rec["zone_name"]) if rec is not None else "",
            "longitude": _num(rec["longitude"]) if rec is not None else None,
            "latitude": _num(rec["latitude"]) if rec is not None else None,
            "students": students_now, "classes": classes_now, "standard_class_size": int(std),
            "capacity": capacity, "by_rooms": int(c.by_rooms.iloc[0]) if len(c) else None,
            "by_floor": _num(c.by_floor.iloc[0]) if len(c) else None, "binding": str(c.binding.iloc[0]) if len(c) else "",
            "classrooms": int(c.classrooms.iloc[0]) if len(c) else None,
            "demand": by_year, "peak": round(peak, 1),
            "gap_now": None if capacity is None else capacity - students_now,
            "gap_horizon": None if capacity is None else round(capacity - by_year.get(scenario, {}).get(horizon_year, 0.0), 1),
            "shortage_years": [y for y, v in by_year.get(scenario, {}).items() if capacity is not None and v > capacity],
            "classes_needed": needed_classes,
            "class_sizes_now": now_sizes, "largest_now": max(now_sizes.values(), default=0.0),
            "band_now": _bands(max(now_sizes.values(), default=0.0), std, p),
            "recorded_bands": band_counts.get((code, sec), {}),
            "largest_projected": round(proj_max, 1), "band_projected": _bands(proj_max, std, p),
            "mape": round(float(mp[code]), 2) if code in mp and not pd.isna(mp[code]) else None,
        })
    return rows


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _recorded_bands(inp: Inputs) -> dict[tuple[str, str], dict[str, int]]:
    """Classes by size band as recorded in the annual statistics (dudao.schools) for the base year."""
    out = {}
    keys = ("classes_46_50", "classes_51_55", "classes_56_65", "classes_66_plus")
    for code, sec, values in SectionYear.objects.filter(
            school_year__county=inp.county, school_year__year=inp.base_year).values_list(
            "school_year__school__code", "section", "values"):
        out[(code, sec)] = {k: int((values or {}).get(k) or 0) for k in keys}
    return out


def _zone_rows(schools: list[dict[str, Any]], inp: Inputs, s: Settings, scenario: str,
               zone_mape: dict[str, float]) -> list[dict[str, Any]]:
    apps = {}
    for z, y, g, n in MigrantApplications.objects.filter(zone__county=inp.county).values_list("zone__code", "year", "grade",
                                                                                             "applications"):
        apps.setdefault(z, {}).setdefault(int(y), {})[int(g)] = int(n)
    zones: dict[tuple[str, str], dict[str, Any]] = {}
    for r in schools:
        key = (r["zone"] or "—", r["section"])
        z = zones.setdefault(key, {"zone": r["zone"] or "", "name": r["zone_name"] or "未划学区", "section": r["section"],
                                   "schools": 0, "students": 0, "capacity": 0, "demand": {}})
        z["schools"] += 1
        z["students"] += r["students"]
        z["capacity"] += r["capacity"] or 0
        for sc, ys in r["demand"].items():
            for y, v in ys.items():
                z["demand"].setdefault(sc, {}).setdefault(y, 0.0)
                z["demand"][sc][y] = round(z["demand"][sc][y] + v, 1)
    out = []
    for z in zones.values():
        med = z["demand"].get(scenario, {})
        z["peak"] = max(med.values(), default=0.0)
        z["gap_horizon"] = round(z["capacity"] - med.get(s.base_year + s.horizon, 0.0), 1)
        z["shortage_years"] = [y for y, v in med.items() if v > z["capacity"]]
        low, high = SECTION_GRADES[z["section"]]
        z["mape"] = zone_mape.get(z["zone"])
        z["applications"] = {y: {g: n for g, n in gs.items() if low <= g <= high}
                             for y, gs in apps.get(z["zone"], {}).items() if any(low <= g <= high for g in gs)}
        out.append(z)
    return sorted(out, key=lambda z: (z["section"] != "primary", z["zone"]))


def _small_schools(schools: list[dict[str, Any]], enrol: pd.DataFrame, p: PlacesParams, scenario: str) -> list[dict[str, Any]]:
    """Schools under the small-school size, their trend, and the nearest school that could take the students."""
    limit = p.small_school["students_below"].value
    max_km = p.small_school["max_distance_km"].value
    totals = enrol.groupby(["school_code", "year"]).students.sum()
    by_school: dict[str, dict[str, Any]] = {}
    for r in schools:
        b = by_school.setdefault(r["code"], {"code": r["code"], "name": r["name"], "kind": r["kind"], "location": r["location"],
                                             "students": 0, "sections": [], "lon": r["longitude"], "lat": r["latitude"],
                                             "projected": {}})
        b["students"] += r["students"]
        b["sections"].append(r["section"])
        for y, v in r["demand"].get(scenario, {}).items():
            b["projected"][y] = round(b["projected"].get(y, 0.0) + v, 1)
    spare = {}
    for r in schools:
        if r["capacity"] is not None:
            spare[(r["code"], r["section"])] = r["capacity"] - max(r["students"], r["peak"])
    out = []
    for code, b in by_school.items():
        if b["students"] >= limit:
            continue
        trend = {int(y): int(v) for y, v in totals.get(code, pd.Series(dtype=float)).items()}
        candidates = []
        if b["lon"] is not None:
            for other in by_school.values():
                if other["code"] == code or other["lon"] is None or other["students"] < limit:
                    continue
                if not all(spare.get((other["code"], sec), -1) >= 0 for sec in b["sections"]):
                    continue
                room = min(spare.get((other["code"], sec), 0) for sec in b["sections"])
                if room < b["students"]:
                    continue
                km = haversine_km(b["lon"], b["lat"], other["lon"], other["lat"])
                candidates.append({"code": other["code"], "name": other["name"], "km": round(km, 1), "spare": int(room)})
        candidates.sort(key=lambda c: c["km"])
        nearest = candidates[0] if candidates else None
        out.append({**{k: b[k] for k in ("code", "name", "kind", "location", "students", "sections")},
                    "trend": trend, "projected": b["projected"],
                    "nearest": nearest, "within_limit": bool(nearest and nearest["km"] <= max_km),
                    "max_km": max_km})
    return sorted(out, key=lambda x: x["students"])


def save_run(doc: dict[str, Any], actor: str) -> ProjectionRun:
    county = OrgUnit.objects.get(code=doc["county"]["code"])
    return ProjectionRun.objects.create(county=county, actor=actor, base_year=doc["base_year"], horizon=doc["horizon"],
                                        document=_jsonable(doc))


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(float(v)) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


# ------------------------------------------------------------------ province


def region_prefix(code: str) -> str:
    """The county-code prefix of a province (2 digits), prefecture (4) or county (6) code."""
    if code.endswith("0000"):
        return code[:2]
    return code[:4] if code.endswith("00") else code


def _empty_region(code: str, horizon: int, scenario: str, without: list[str]) -> dict[str, Any]:
    missing = [{"code": c, "name": n} for c, n in OrgUnit.objects.filter(code__in=without).values_list("code", "name")]
    return {"code": code, "counties": [], "years": [], "horizon": horizon, "scenario": scenario, "without_births": missing}


def province_plan(code: str, horizon: int = 10, scenario: str = "medium") -> dict[str, Any]:
    """Every county of a province (or prefecture) with data: projected students against capacity, by section."""
    p = load_places()
    if scenario not in {s.id for s in p.scenarios}:
        raise PlacesError(M.SCENARIO, value=scenario)
    enrol = pd.DataFrame(list(GradeEnrolment.objects.filter(county__code__startswith=region_prefix(code))
                              .values_list("county__code", "year", "grade", "students")),
                         columns=["unit", "year", "grade", "students"])
    if enrol.empty:
        return _empty_region(code, horizon, scenario, [])
    enrol = enrol.groupby(["unit", "year", "grade"], as_index=False).students.sum()
    base = int(enrol.year.max())
    births, _used = births_frame(sorted(enrol.unit.unique()), p)
    have = set(births.area)
    without = sorted(set(enrol.unit) - have)
    enrol = enrol[enrol.unit.isin(have)]
    units = pd.DataFrame({"unit": sorted(enrol.unit.unique())}).assign(area=lambda d: d.unit, entry_grade=1, last_grade=9)
    if units.empty:
        return _empty_region(code, horizon, scenario, without)
    s = settings_for(base, horizon, p)
    con = connect()
    pr = project(con, enrol, units, births, s)
    no_fit = set(pr.intake[pr.intake.intake_ratio.isna()].unit) | (set(units.unit) - set(pr.intake.unit))
    if no_fit:  # births missing for the fit years: grade 1 cannot be projected, the county is left out and named
        without = sorted(set(without) | no_fit)
        units = units[~units.unit.isin(no_fit)]
        pr.students = pr.students[~pr.students.unit.isin(no_fit)]
        if units.empty:
            return _empty_region(code, horizon, scenario, without)
    bt = mape(backtest(con, enrol, units, births, s))
    proj = pr.students.assign(section=pr.students.grade.map(_section_of)).groupby(
        ["unit", "section", "scenario", "year"], as_index=False).students.sum()
    # capacity by county: latest classrooms per school section, against the school's latest floor area
    schools = GradeEnrolment.objects.filter(county__code__in=list(units.unit), year=base)
    codes = set(schools.values_list("school__code", flat=True))
    county_of = dict(schools.values_list("school__code", "county__code"))
    rooms = pd.DataFrame(list(Classrooms.objects.filter(school__code__in=codes, year__lte=base)
                              .values_list("school__code", "year", "section", "classrooms")),
                         columns=["school_code", "year", "section", "classrooms"])
    rooms = rooms.sort_values("year").groupby(["school_code", "section"], as_index=False).tail(1)
    info_rows = {}
    for c_, kind, values in SchoolYear.objects.filter(school__code__in=codes, year__lte=base).order_by("year").values_list(
            "school__code", "kind", "values"):
        info_rows[c_] = {"school_code": c_, "kind": kind, "floor_area": (values or {}).get("floor_area_teaching")}
    info = pd.DataFrame(list(info_rows.values()), columns=["school_code", "kind", "floor_area"])
    now = pd.DataFrame(list(GradeEnrolment.objects.filter(school__code__in=codes, year=base)
                            .values_list("school__code", "grade", "students")), columns=["school_code", "grade", "students"])
    cap = capacity_frame(info, rooms, now, p) if len(rooms) else pd.DataFrame(columns=["school_code", "section", "capacity"])
    cap["county"] = cap.school_code.map(county_of)
    capsum = cap.groupby(["county", "section"]).capacity.sum()
    names = dict(OrgUnit.objects.filter(code__in=list(units.unit)).values_list("code", "name"))
    hist = enrol.assign(section=enrol.grade.map(_section_of)).groupby(["unit", "section", "year"]).students.sum()
    mp = dict(zip(bt.unit, bt.mape, strict=False))
    limit = p.small_school["students_below"].value
    before = base - int(p.projection.backtest_years.value)
    sizes = pd.DataFrame(list(GradeEnrolment.objects.filter(county__code__in=list(units.unit), year__in=[before, base])
                              .values_list("county__code", "school__code", "year", "students")),
                         columns=["county", "school", "year", "students"]).groupby(["county", "school", "year"]).students.sum()
    small = sizes[(sizes > 0) & (sizes < limit)].reset_index().groupby(["county", "year"]).school.count()
    counties = []
    last = base + horizon
    for u in units.unit:
        row: dict[str, Any] = {"code": u, "name": names.get(u, u), "mape": round(float(mp.get(u, float("nan"))), 2),
                               "sections": {}, "small_now": int(small.get((u, base), 0)),
                               "small_before": int(small.get((u, before), 0))}
        for sec in SECTION_GRADES:
            d = proj[(proj.unit == u) & (proj.section == sec)]
            ys = {sc: {int(r.year): round(float(r.students), 1) for r in g.itertuples()} for sc, g in d.groupby("scenario")}
            capacity = int(capsum.get((u, sec), 0))
            now_students = float(hist.get((u, sec, base), 0.0))
            med = ys.get(scenario, {})
            row["sections"][sec] = {"now": now_students, "capacity": capacity, "projection": ys,
                                    "history": {int(y): float(v) for (uu, ss, y), v in hist.items() if uu == u and ss == sec},
                                    "peak": max(med.values(), default=0.0), "at_horizon": med.get(last, 0.0),
                                    "gap_horizon": round(capacity - med.get(last, 0.0), 1),
                                    "shortage_years": [y for y, v in med.items() if v > capacity]}
        counties.append(row)
    missing = [{"code": c, "name": n} for c, n in OrgUnit.objects.filter(code__in=without).values_list("code", "name")]
    return {"code": code, "base_year": base, "horizon": horizon, "scenario": scenario, "small_before_year": before,
            "years": list(range(base + 1, last + 1)), "counties": counties, "without_births": missing}
