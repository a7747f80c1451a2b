"""The supervision API (django-ninja router under ``/api/supervision``): rounds, a round's cases, a case with its
timeline, taking a step (the same rules as the web pages: ``supervision.services.act``), rectification tasks.

Authentication and errors are those of ``dudao.web.api``: a case or round outside the user's area answers 404
like a missing one (the refusal is audited); a refused step answers 403 (wrong role) or 409 (anything else)
with the workflow's code and both messages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja import Path as PathParam
from ninja.responses import Status

from dudao.accounts.permissions import VIEW, check, scope_of
from dudao.standards.model import load_workflow
from dudao.supervision.errors import WorkflowError
from dudao.supervision.models import Case, Evidence, Round, Task
from dudao.supervision.services import act, allowed_actions, timeline
from dudao.web.api import CODE_REGION, ERRORS, MAX_ID, ApiError, ErrorOut, _hidden, _user, not_found

router = Router(tags=["supervision"])
ROLE_CODES = {"E_FLOW_ROLE", "E_FLOW_SCOPE"}


class RoundOut(Schema):
    id: int
    title: str
    province: str = Field(..., description="省级代码 / province code")
    standard: str
    year: int = Field(..., description="学年 / school year (2024 = 2024–25)")
    self_evaluation_due: dt.date
    prefecture_review_due: dt.date
    provincial_evaluation_due: dt.date
    closed_at: dt.datetime | None = None
    states: dict[str, int] = Field(..., description="管辖范围内各状态的案卷数 / cases in your area per state")


class CaseOut(Schema):
    id: int
    round: int
    county: str
    county_name: str
    state: str = Field(..., description="workflow.yaml 中的状态代码 / state code of workflow.yaml")
    state_zh: str
    assessment: int | None = Field(None, description="所附冻结评估结果编号 / the frozen assessment run attached")
    sample_seed: int | None = None


class RoundDetail(RoundOut):
    cases: list[CaseOut]


class FileOut(Schema):
    id: int
    name: str
    size: int
    sha256: str


class EventOut(Schema):
    at: dt.datetime
    actor: str
    role: str
    action: str
    from_state: str
    to_state: str
    comment: str
    assessment: int | None = None
    attachments: list[FileOut]


class CaseDetail(CaseOut):
    narrative: str = Field(..., description="自评报告 / the self-evaluation narrative")
    evidence: list[FileOut] = Field(..., description="当前的自评佐证材料 / current self-evaluation evidence")
    timeline: list[EventOut]
    allowed_actions: list[str] = Field(..., description="您现在可以执行的步骤 / the steps you may take now")


class StepIn(Schema):
    action: str = Field(..., pattern=r"^[a-z_]{1,32}$", description="步骤代码，如 submit、pass_up / the step")
    comment: str = Field("", max_length=5000, description="意见 / comment")


class TaskOut(Schema):
    id: int
    county: str
    county_name: str
    round: int | None = None
    case: int | None = None
    source: str
    item: str
    section: str
    school_code: str
    description: str
    deadline: dt.date
    state: Literal["open", "awaiting_verification", "closed"]
    overdue: bool
    raised_unit: str
    owner_unit: str
    escalated_to: str


def _prefix(user: Any) -> str | None:
    """The user's region prefix; None for users without a region (school clerks)."""
    check(user, VIEW)
    scope = scope_of(user)
    return None if scope.prefix is None or scope.school_code else scope.prefix


def _round_out(rnd: Round, prefix: str) -> dict[str, Any]:
    states: dict[str, int] = {}
    for s in rnd.cases.filter(county__code__startswith=prefix).values_list("state", flat=True):
        states[s] = states.get(s, 0) + 1
    return {"id": rnd.pk, "title": rnd.title, "province": rnd.province.code, "standard": rnd.standard_id,
            "year": rnd.year, "self_evaluation_due": rnd.self_evaluation_due,
            "prefecture_review_due": rnd.prefecture_review_due,
            "provincial_evaluation_due": rnd.provincial_evaluation_due, "closed_at": rnd.closed_at, "states": states}


def _case_out(case: Case) -> dict[str, Any]:
    return {"id": case.pk, "round": case.round_id, "county": case.county.code, "county_name": case.county.name,
            "state": case.state, "state_zh": load_workflow().state(case.state).zh, "assessment": case.assessment_id,
            "sample_seed": case.sample_seed}


def _visible_case(user: Any, case_id: int) -> Case:
    case = Case.objects.select_related("round", "round__province", "county").filter(pk=case_id).first()
    if case is None:
        raise not_found()
    if not scope_of(user).covers_region(case.county.code):
        raise _hidden(user, region=case.county.code)
    return case


@router.get("/rounds", response={200: list[RoundOut], **ERRORS}, summary="本省的评估轮次 / evaluation rounds of your province")
def list_rounds(request: HttpRequest) -> Any:
    prefix = _prefix(_user(request))
    if prefix is None:
        return []
    rounds = Round.objects.filter(province__code__startswith=prefix[:2]).select_related("province")
    return [_round_out(r, prefix) for r in rounds.order_by("-opened_at", "-pk")]


@router.get("/rounds/{round_id}", response={200: RoundDetail, **ERRORS},
            summary="一个轮次及管辖范围内的案卷 / a round with the cases in your area")
def get_round(request: HttpRequest, round_id: int = PathParam(..., ge=1, le=MAX_ID)) -> Any:
    user = _user(request)
    prefix = _prefix(user)
    rnd = Round.objects.select_related("province").filter(pk=round_id).first()
    if rnd is None:
        raise not_found()
    if prefix is None or not rnd.province.code.startswith(prefix[:2]):
        raise _hidden(user, region=rnd.province.code)
    cases = rnd.cases.filter(county__code__startswith=prefix).select_related("county").order_by("county__code")
    return {**_round_out(rnd, prefix), "cases": [_case_out(c) for c in cases]}


@router.get("/cases/{case_id}", response={200: CaseDetail, **ERRORS},
            summary="一个县的案卷及办理过程 / a county's case with its timeline")
def get_case(request: HttpRequest, case_id: int = PathParam(..., ge=1, le=MAX_ID)) -> Any:
    user = _user(request)
    check(user, VIEW)
    case = _visible_case(user, case_id)
    files = case.evidence.filter(kind=Evidence.Kind.SELF_EVALUATION, removed_at=None)
    return {**_case_out(case), "narrative": case.narrative,
            "evidence": [{"id": f.pk, "name": f.name, "size": f.size, "sha256": f.sha256} for f in files],
            "timeline": [{"at": e.at, "actor": e.actor, "role": e.role, "action": e.action, "from_state": e.from_state,
                          "to_state": e.to_state, "comment": e.comment, "assessment": e.assessment_id,
                          "attachments": [a for a in e.attachments if isinstance(a, dict)]} for e in timeline(case)],
            "allowed_actions": allowed_actions(case, user)}


@router.post("/cases/{case_id}/steps", response={201: CaseDetail, **ERRORS, 409: ErrorOut},
             summary="办理一步（提交、退回、复核通过等）/ take a step on a case")
def post_case_step(request: HttpRequest, body: StepIn, case_id: int = PathParam(..., ge=1, le=MAX_ID)) -> Any:
    user = _user(request)
    check(user, VIEW)
    case = _visible_case(user, case_id)
    try:
        act(case, user, body.action, body.comment)
    except WorkflowError as exc:
        status = 403 if exc.error.code in ROLE_CODES else 409
        raise ApiError(status, exc.error.code, exc.message_zh, exc.message_en) from None
    return Status(201, get_case(request, case_id))


@router.get("/tasks", response={200: list[TaskOut], **ERRORS},
            summary="管辖范围内的整改任务 / rectification tasks in your area")
def list_tasks(request: HttpRequest,
               county: str | None = Query(None, pattern=CODE_REGION, description="县级代码 / county code"),
               case: int | None = Query(None, ge=1, le=MAX_ID, description="案卷编号 / case id"),
               state: Literal["open", "awaiting_verification", "closed"] | None = None,
               overdue: bool = Query(False, description="只列逾期 / overdue only"),
               limit: int = Query(500, ge=1, le=5000), offset: int = Query(0, ge=0, le=10_000_000)) -> Any:
    user = _user(request)
    prefix = _prefix(user)
    if prefix is None:
        return []
    today = dt.date.today()
    qs = Task.objects.filter(owner_unit__startswith=prefix).select_related("county")
    if county:
        qs = qs.filter(owner_unit=county)
    if case is not None:
        qs = qs.filter(case_id=case)
    if state:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.exclude(state=Task.State.CLOSED).filter(deadline__lt=today)
    return [{"id": t.pk, "county": t.county.code, "county_name": t.county.name, "round": t.round_id, "case": t.case_id,
             "source": t.source, "item": t.item, "section": t.section, "school_code": t.school_code,
             "description": t.description, "deadline": t.deadline, "state": t.state,
             "overdue": t.state != Task.State.CLOSED and t.deadline < today, "raised_unit": t.raised_unit,
             "owner_unit": t.owner_unit, "escalated_to": t.escalated_to}
            for t in qs.order_by("deadline", "pk")[offset:offset + limit]]
