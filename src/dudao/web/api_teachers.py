"""The teachers API (django-ninja router under ``/api/teachers``): a county's staffing and subject shortages,
its eligibility list (masked ID numbers), the rotation indicators of the counties in the user's area, and
rotation plans (make one, read one).

Authentication and errors are those of ``dudao.web.api``: a county or plan outside the user's area answers
404 like a missing one (the refusal is audited); making a plan needs the ``assess`` capability (403).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path as PathParam
from ninja import Query, Router, Schema

from dudao.accounts.permissions import ASSESS, VIEW, check, scope_of
from dudao.orgunits.models import OrgUnit
from dudao.teachers import services
from dudao.teachers.errors import TeacherFailure
from dudao.teachers.models import RotationPlan
from dudao.web.api import CODE_REGION, ERRORS, YEAR_MAX, YEAR_MIN, ApiError, _hidden, _user, not_found

router = Router(tags=["teachers"])


def _county(request: HttpRequest, code: str) -> OrgUnit:
    user = _user(request)
    check(user, VIEW)
    unit = OrgUnit.objects.filter(code=code, level=OrgUnit.Level.COUNTY).first()
    if unit is None:
        raise not_found()
    if not scope_of(user).covers_region(code):
        raise _hidden(user, region=code)
    return unit


def _records(df: Any) -> list[dict[str, Any]]:
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in df.to_dict("records")]


@router.get("/counties/{code}/staffing", response={200: dict[str, Any], **ERRORS},
            summary="县的教师配备：各校应配与在岗、学科缺口、无心理健康教师的学校 / a county's staffing")
def get_teacher_staffing(request: HttpRequest, code: str = PathParam(..., pattern=CODE_REGION),
                 year: int | None = Query(None, ge=YEAR_MIN, le=YEAR_MAX, description="学年；默认有名册的最新学年 / default: latest with a roster")) -> Any:
    _county(request, code)
    year = year or services.latest_year(code)
    res = services.staffing(year, [code])
    return {"county": code, "year": year, "summary": _records(res.summary)[0] if not res.summary.empty else None,
            "schools": _records(res.staff.drop(columns=[c for c in res.staff.columns if c.startswith("stat_")])),
            "subjects": _records(res.subjects),
            "mismatches": [i.as_dict() for i in services.count_mismatches(year, [code])]}


@router.get("/counties/{code}/eligibility", response={200: dict[str, Any], **ERRORS},
            summary="县的交流轮岗资格：应交流的教师、理由、职称与校长任职条件及其任职依据 / rotation eligibility")
def get_teacher_eligibility(request: HttpRequest, code: str = PathParam(..., pattern=CODE_REGION),
                    year: int | None = Query(None, ge=YEAR_MIN, le=YEAR_MAX, description="学年；默认有名册的最新学年 / default: latest with a roster"), all: bool = Query(False)) -> Any:
    _county(request, code)
    year = year or services.latest_year(code)
    rows = services.eligibility(year, [code])
    ind = services.indicators(year, [code])[code]
    out = []
    for t, v in rows:
        if not (v.must_rotate or all):
            continue
        out.append({"id": t.pk, "name": t.name, "id_masked": t.id_masked, "school": t.school.code, "section": t.section,
                    "subject": t.subject, "must_rotate": v.must_rotate, "years_in_school": v.years_in_school,
                    "in_school_since": v.in_school_since, "age": v.age, "exempt": v.exempt, "over_age": v.over_age,
                    "reasons": v.reasons_zh, "reasons_en": v.reasons_en, "rural_weak_months": v.rural_weak_months,
                    "senior_title_met": v.senior_title_met, "principal_priority_met": v.principal_priority_met,
                    "evidence": [p.__dict__ for p in v.evidence]})
    return {"county": code, "year": year, "indicators": ind.__dict__, "teachers": out}


@router.get("/indicators", response={200: list[dict[str, Any]], **ERRORS},
            summary="交流轮岗指标：各县已交流 / 符合条件（≥10%）、骨干教师占比（≥20%）/ rotation indicators")
def get_rotation_indicators(request: HttpRequest, year: int | None = Query(None, ge=YEAR_MIN, le=YEAR_MAX, description="学年；默认有名册的最新学年 / default: latest with a roster")) -> Any:
    user = _user(request)
    check(user, VIEW)
    scope = scope_of(user)
    if scope.prefix is None or scope.school_code:
        return []
    year = year or services.latest_year(scope.prefix)
    counties = services.counties_with_roster(year, scope.prefix)
    return [{"county": c, **ind.__dict__} for c, ind in services.indicators(year, counties).items()]


class PlanIn(Schema):
    county: str
    year: int
    move: list[str] = []
    stay: list[str] = []
    to: dict[str, str] = {}
    closed: list[str] = []
    time_limit: float | None = None
    max_km: float | None = None


@router.post("/plans", response={201: dict[str, Any], **ERRORS},
             summary="编制交流轮岗方案（混合整数规划，HiGHS）/ make a rotation plan")
def post_rotation_plan(request: HttpRequest, body: PlanIn) -> Any:
    user = _user(request)
    check(user, ASSESS)
    if not scope_of(user).covers_region(body.county):
        check(user, ASSESS, region=body.county)  # records the refusal, 403
    limit = min(55.0, body.time_limit) if body.time_limit else None
    req = services.PlanRequest(body.county, body.year, set(body.move), set(body.stay), dict(body.to), set(body.closed),
                               limit, body.max_km)
    try:
        saved = services.make_plan(req, user.username)
    except TeacherFailure as exc:
        raise ApiError(422, exc.error.code, exc.message_zh, exc.message_en) from None
    return 201, {"id": saved.pk, "county": body.county, "year": body.year, **saved.result}


@router.get("/plans/{plan_id}", response={200: dict[str, Any], **ERRORS}, summary="一个轮岗方案 / one plan")
def get_rotation_plan(request: HttpRequest, plan_id: int) -> Any:
    user = _user(request)
    check(user, VIEW)
    plan = RotationPlan.objects.select_related("county").filter(pk=plan_id).first()
    if plan is None:
        raise not_found()
    if not scope_of(user).covers_region(plan.county.code):
        raise _hidden(user, region=plan.county.code)
    return {"id": plan.pk, "county": plan.county.code, "year": plan.year, "actor": plan.actor,
            "created_at": plan.created_at, "params": plan.params, **plan.result}
