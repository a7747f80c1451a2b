"""Value-added services: store a run (frozen), read a county's or a school's bands, the demo's runs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from dudao.engine.valueadded import ValueAdded
from dudao.quality.models import SchoolValueAdded, ValueAddedRun
from dudao.standards.valueadded import load_valueadded

FIGURES = ("pre_mean", "post_mean", "expected_post_mean", "raw", "shrinkage", "estimate", "se", "lower", "upper")


def save_run(result: ValueAdded, year: int, actor: str, subject: str = "", label: str = "") -> ValueAddedRun:
    """Stores a computed estimate, frozen. Schools get their county and name from the registry of that year
    (falling back to the scores file's own columns)."""
    from dudao.schools.models import SchoolYear

    codes = [s.school_code for s in result.schools]
    registry = {code: (county, name) for code, county, name in SchoolYear.objects.filter(
        year=year, school__code__in=codes).values_list("school__code", "county__code", "name")}
    plain = json.loads(json.dumps({"model": result.model, "params": result.params}, default=float))
    prov = result.provenance
    with transaction.atomic():
        run = ValueAddedRun.objects.create(
            year=year, subject=subject, label=label, model_id=result.model["id"], model=plain["model"],
            params=plain["params"], counts=result.counts(), inputs=prov.get("inputs", "")[:255],
            inputs_hash=prov.get("inputs_hash", ""), code_version=prov.get("code_version", "")[:64],
            engine=prov.get("engine", ""), actor=actor)
        rows = []
        for s in result.schools:
            county, name = registry.get(s.school_code, (s.county_code, s.school_name))
            rows.append(SchoolValueAdded(
                run=run, school_code=s.school_code, county_code=(county or "")[:6], school_name=(name or "")[:100],
                band=s.band, students=s.students, matched=s.matched, missing_pre=s.missing_pre,
                missing_post=s.missing_post, missing_covariates=s.missing_covariates, low_match=s.low_match,
                reason_zh=s.reason_zh, reason_en=s.reason_en, note_zh=s.note_zh, note_en=s.note_en,
                **{f: getattr(s, f) for f in FIGURES}))
        SchoolValueAdded.objects.bulk_create(rows, batch_size=500)
    from dudao.audit.services import record

    record("value_added", "quality.ValueAddedRun", run.pk, {"year": year, "subject": subject, "schools": len(rows),
                                                            "inputs_hash": run.inputs_hash})
    return run


def latest_runs(year: int | None = None, county_code: str | None = None, school_code: str | None = None) -> list[ValueAddedRun]:
    """The newest run of each (year, subject) — of one year if given — that holds the county or school."""
    qs = ValueAddedRun.objects.all()
    if year is not None:
        qs = qs.filter(year=year)
    if county_code is not None:
        qs = qs.filter(schools__county_code=county_code)
    if school_code is not None:
        qs = qs.filter(schools__school_code=school_code)
    picked: dict[tuple[int, str], ValueAddedRun] = {}
    for run in qs.distinct().order_by("-year", "subject", "-pk"):
        picked.setdefault((run.year, run.subject), run)
    return sorted(picked.values(), key=lambda r: (-r.year, r.subject))


def years_with_runs(county_code: str | None = None, school_code: str | None = None) -> list[int]:
    qs = SchoolValueAdded.objects.all()
    if county_code is not None:
        qs = qs.filter(county_code=county_code)
    if school_code is not None:
        qs = qs.filter(school_code=school_code)
    return sorted(set(qs.values_list("run__year", flat=True)), reverse=True)


def band_entry(row: SchoolValueAdded, english: bool = False) -> dict[str, Any]:
    """A school's result as plain data (what the pages, the reports and other apps read)."""
    spec = load_valueadded()
    band = spec.band(row.band)
    run = row.run
    return {
        "run": run.pk, "year": run.year, "subject": run.subject, "label": run.label, "school_code": row.school_code,
        "school_name": row.school_name, "county_code": row.county_code, "band": row.band,
        "band_zh": band.en if english else band.zh, "estimate": row.estimate, "lower": row.lower, "upper": row.upper,
        "se": row.se, "shrinkage": row.shrinkage, "raw": row.raw, "students": row.students, "matched": row.matched,
        "missing_pre": row.missing_pre, "missing_post": row.missing_post, "missing_covariates": row.missing_covariates,
        "pre_mean": row.pre_mean, "post_mean": row.post_mean, "expected_post_mean": row.expected_post_mean,
        "reason": row.reason_en if english else row.reason_zh, "note": row.note_en if english else row.note_zh,
        "low_match": row.low_match, "confidence_level": run.params.get("confidence_level"),
        "min_students": run.params.get("min_students"), "inputs_hash": run.inputs_hash,
        "code_version": run.code_version, "engine": run.engine, "model_id": run.model_id,
    }


def school_bands(school_code: str, year: int | None = None, english: bool = False) -> list[dict[str, Any]]:
    """The band(s) of a school — one per subject — from the newest run of the year (of the latest year with a
    run when ``year`` is None). Empty when no stored run holds the school. Each entry: band (above / expected /
    below / refused), band_zh, estimate, lower, upper, matched, reason (for a refusal), run id and provenance."""
    if year is None:
        years = years_with_runs(school_code=school_code)
        if not years:
            return []
        year = years[0]
    runs = latest_runs(year, school_code=school_code)
    rows = SchoolValueAdded.objects.filter(run__in=runs, school_code=school_code).select_related("run")
    return sorted((band_entry(r, english) for r in rows), key=lambda e: e["subject"])


def county_results(county_code: str, year: int | None = None) -> dict[str, Any]:
    """The county's schools in the newest run of each subject of the year: {year, runs: [{run, schools}]}."""
    if year is None:
        years = years_with_runs(county_code=county_code)
        if not years:
            return {"year": None, "runs": []}
        year = years[0]
    out = []
    for run in latest_runs(year, county_code=county_code):
        rows = run.schools.filter(county_code=county_code).order_by("school_code")
        out.append({"run": run, "schools": list(rows)})
    return {"year": year, "runs": out}


def run_counts(rows: Iterable[SchoolValueAdded]) -> dict[str, int]:
    out = {"above": 0, "expected": 0, "below": 0, "refused": 0}
    for r in rows:
        out[r.band] += 1
    return out


def demo_runs(year: int, actor: str, seed: int = 1, subjects: tuple[str, ...] = ("语文", "数学")) -> list[ValueAddedRun]:
    """For the demo: synthetic scores for the junior sections of every school of the year, one run per subject."""
    from dudao.quality.scores_io import check_frame, frame_hash, value_added
    from dudao.schools.models import SectionYear
    from dudao.synth.scores import School, generate_scores

    rows = (SectionYear.objects.filter(school_year__year=year, section="junior")
            .select_related("school_year__school", "school_year__county").order_by("school_year__school__code"))
    schools = [School(r.school_year.school.code, r.school_year.county.code, r.school_year.name) for r in rows]
    if not schools:
        return []
    # one grade's cohort: a third of the registered junior-section students (at least 3)
    cohorts = [max(3, int(r.values.get("students") or 0) // 3) for r in rows]
    runs = []
    for k, subject in enumerate(subjects):
        scores = generate_scores(schools, seed=seed * 100 + k, cohort_sizes=cohorts)
        inp = check_frame(scores.students, f"合成成绩_{subject}_{year}.parquet", 1)
        inp.inputs_hash = frame_hash(scores.students)
        result = value_added(inp)
        runs.append(save_run(result, year, actor, subject=subject, label=f"{year - 2} 级七年级→九年级（合成数据）"))
    return runs
