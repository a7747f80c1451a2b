"""The value-added API (django-ninja router under ``/api/quality``): a county's stored value-added runs with
their provenance and each school's estimate, interval and band (school-code order, never ranked), and one
school's results by year and subject.

Scope follows the pages (``dudao.web.views.quality``): a county outside the user's area answers 404 like a
missing one (the refusal is audited, decisions D15); a school is judged by the county it is registered under
in its latest year, and only results from years it spent inside the user's area are shown. Nothing is
estimated here: every figure is read from the frozen runs.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja import Path as PathParam

from dudao.accounts.permissions import VIEW, check, scope_of
from dudao.orgunits.models import OrgUnit
from dudao.quality.models import SchoolValueAdded, ValueAddedRun
from dudao.standards.valueadded import load_valueadded
from dudao.web.api import CODE_REGION, CODE_SCHOOL, ERRORS, YEAR_MAX, YEAR_MIN, _hidden, _user, not_found
from dudao.web.views.quality import _school_county

router = Router(tags=["quality"])

Band = Literal["above", "expected", "below", "refused"]


class Provenance(Schema):
    model_id: str = Field(..., description="模型 / model fitted")
    model: dict[str, Any] = Field(..., description="拟合结果：回归变量、β、σ²、τ²、人数 / regressors, β, σ², τ², counts")
    params: dict[str, Any] = Field(..., description="min_students、confidence_level、low_match_share")
    inputs: str = Field(..., description="成绩文件 / scores file")
    inputs_hash: str = Field(..., description="成绩数据的哈希 / hash of the scores")
    code_version: str
    engine: str
    actor: str
    created_at: str


class SchoolResult(Schema):
    code: str = Field(..., description="学校标识码 / school code")
    name: str
    students: int
    matched: int = Field(..., description="前后测均匹配的学生数 / students with both scores")
    estimate: float | None = Field(None, description="增值估计（分）/ value-added in points")
    lower: float | None = Field(None, description="95% 区间下限 / interval lower bound")
    upper: float | None = Field(None, description="95% 区间上限 / interval upper bound")
    se: float | None = None
    band: Band
    band_zh: str
    low_match: bool
    reason: str = Field(..., description="不发布的原因（中文）/ why refused, Chinese")
    reason_en: str
    note: str
    note_en: str


class CountyRun(Schema):
    run: int = Field(..., description="冻结结果编号 / stored run id")
    year: int
    subject: str = Field(..., description="科目；空为综合 / subject; blank: composite")
    label: str
    latest: bool = Field(..., description="该学年该科目的最新结果（网页显示的那一次）/ newest of its year and subject")
    provenance: Provenance
    counts: dict[str, int] = Field(..., description="本县各档学校数 / this county's schools per band")
    schools: list[SchoolResult] = Field(..., description="按学校标识码排序，不排名 / in school-code order, never ranked")


class CountyOut(Schema):
    code: str
    name: str
    runs: list[CountyRun]


class SchoolEntry(Schema):
    year: int
    subject: str
    run: int
    county: str = Field(..., description="该次结果中学校所属县 / the school's county in that run")
    label: str
    provenance: Provenance
    result: SchoolResult


class SchoolOut(Schema):
    code: str
    name: str
    results: list[SchoolEntry] = Field(..., description="每学年每科目的最新结果，新学年在前 / newest run per year and subject")


BANDS = ("above", "expected", "below", "refused")


def _provenance(run: ValueAddedRun) -> dict[str, Any]:
    return {"model_id": run.model_id, "model": run.model, "params": run.params, "inputs": run.inputs,
            "inputs_hash": run.inputs_hash, "code_version": run.code_version, "engine": run.engine,
            "actor": run.actor, "created_at": run.created_at.isoformat()}


def _result(r: SchoolValueAdded) -> dict[str, Any]:
    return {"code": r.school_code, "name": r.school_name, "students": r.students, "matched": r.matched,
            "estimate": r.estimate, "lower": r.lower, "upper": r.upper, "se": r.se, "band": r.band,
            "band_zh": load_valueadded().band(r.band).zh, "low_match": r.low_match, "reason": r.reason_zh, "reason_en": r.reason_en,
            "note": r.note_zh, "note_en": r.note_en}


@router.get("/value-added/{county}", response={200: CountyOut, **ERRORS},
            summary="一个县的增值评价结果（含来源），按学校标识码排序、不排名 / a county's value-added runs")
def get_county_value_added(request: HttpRequest, county: str = PathParam(..., pattern=CODE_REGION),
                           year: int | None = Query(None, ge=YEAR_MIN, le=YEAR_MAX),
                           subject: str | None = Query(None, max_length=32, description="科目 / subject")) -> Any:
    user = _user(request)
    check(user, VIEW)
    unit = OrgUnit.objects.filter(code=county).first()
    if unit is None:
        raise not_found()
    if not scope_of(user).covers_region(county):
        raise _hidden(user, region=county)
    if unit.level != OrgUnit.Level.COUNTY:
        raise not_found()
    runs = ValueAddedRun.objects.filter(schools__county_code=county).distinct()
    if year is not None:
        runs = runs.filter(year=year)
    if subject is not None:
        runs = runs.filter(subject=subject)
    seen: set[tuple[int, str]] = set()
    out = []
    for run in runs.order_by("-year", "subject", "-pk"):
        rows = list(run.schools.filter(county_code=county).order_by("school_code"))
        counts = dict.fromkeys(BANDS, 0)
        for r in rows:
            counts[r.band] += 1
        out.append({"run": run.pk, "year": run.year, "subject": run.subject, "label": run.label,
                    "latest": (run.year, run.subject) not in seen, "provenance": _provenance(run),
                    "counts": counts, "schools": [_result(r) for r in rows]})
        seen.add((run.year, run.subject))
    return {"code": unit.code, "name": unit.name, "runs": out}


@router.get("/value-added/school/{code}", response={200: SchoolOut, **ERRORS},
            summary="一所学校各学年、各科目的增值评价结果 / one school's value-added by year and subject")
def get_school_value_added(request: HttpRequest, code: str = PathParam(..., pattern=CODE_SCHOOL)) -> Any:
    user = _user(request)
    check(user, VIEW)
    county, name = _school_county(code)
    if not county:
        raise not_found()
    scope = scope_of(user)
    if not scope.covers_school(code, county):
        raise _hidden(user, school=(code, county))
    latest: dict[tuple[int, str], SchoolValueAdded] = {}
    for r in (SchoolValueAdded.objects.filter(school_code=code).select_related("run")
              .order_by("-run__year", "run__subject", "-run__pk")):
        if scope.covers_school(code, r.county_code):  # the years it spent inside the user's area only
            latest.setdefault((r.run.year, r.run.subject), r)
    results = [{"year": y, "subject": s, "run": r.run.pk, "county": r.county_code, "label": r.run.label,
                "provenance": _provenance(r.run), "result": _result(r)}
               for (y, s), r in sorted(latest.items(), key=lambda kv: (-kv[0][0], kv[0][1]))]
    return {"code": code, "name": name, "results": results}
