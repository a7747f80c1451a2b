"""The evaluation workflow: opening rounds, moving cases through the stages, the data lock."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from dudao.accounts.models import Role
from dudao.accounts.permissions import scope_of
from dudao.assessment.models import AssessmentRun
from dudao.assessment.services import diff_runs, latest_county_result
from dudao.audit.services import record
from dudao.orgunits.models import OrgUnit
from dudao.standards.model import load_workflow
from dudao.supervision.errors import FlowError, WorkflowError
from dudao.supervision.models import Case, CaseEvent, Evidence, Round
from dudao.supervision.refusals import atomic, deny


@transaction.atomic
def open_round(province: str, title: str, standard_id: str, year: int, deadlines: tuple[dt.date, dt.date, dt.date],
               counties: list[str] | None, actor: str) -> Round:
    """Opens a round for the province's counties (all, or those listed), each with a case in self-evaluation."""
    unit = OrgUnit.objects.get(code=province, level=OrgUnit.Level.PROVINCE)
    qs = OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY, code__startswith=province[:2])
    if counties is not None:
        outside = sorted(set(counties) - set(qs.values_list("code", flat=True)))
        if outside:
            raise WorkflowError(FlowError.COUNTIES, codes="、".join(outside))
        qs = qs.filter(code__in=counties)
    rnd = Round.objects.create(province=unit, title=title, standard_id=standard_id, year=year,
                               self_evaluation_due=deadlines[0], prefecture_review_due=deadlines[1],
                               provincial_evaluation_due=deadlines[2], opened_by=actor)
    first = load_workflow().states[0].code
    Case.objects.bulk_create([Case(round=rnd, county=c, state=first) for c in qs])
    record("create", "supervision.Round", rnd.pk, {"title": title, "counties": qs.count()}, object_unit=province)
    return rnd


def allowed_actions(case: Case, user: Any) -> list[str]:
    """The steps this user may take on this case now."""
    wf = load_workflow()
    if case.round.closed_at or not scope_of(user).covers_region(case.county.code):
        return []
    return [t.action for t in wf.transitions if case.state in t.from_ and getattr(user, "role", "") in t.roles]


@atomic
def act(case: Case, user: Any, action: str, comment: str = "",
        attachments: list[dict[str, Any]] | None = None) -> CaseEvent:
    """Takes one step on a case, or raises WorkflowError saying why not.

    Submitting records on the step which self-evaluation evidence files were submitted.
    """
    wf = load_workflow()
    original = case
    case = Case.objects.select_for_update().select_related("round", "county").get(pk=case.pk)
    try:
        step = wf.transition(action)
    except KeyError:
        raise WorkflowError(FlowError.ACTION, action=action) from None
    if case.round.closed_at:
        raise WorkflowError(FlowError.CLOSED)
    if case.state not in step.from_:
        raise WorkflowError(FlowError.STATE, state=wf.state(case.state).zh, step=step.zh)
    if getattr(user, "role", "") not in step.roles:
        raise WorkflowError(FlowError.ROLE, step=step.zh, roles="、".join(str(Role(r).label) for r in step.roles))
    if not scope_of(user).covers_region(case.county.code):
        deny("supervision.Case", case.pk, {"action": action}, object_unit=case.county.code)
        raise WorkflowError(FlowError.SCOPE)
    if step.needs_comment and not comment.strip():
        raise WorkflowError(FlowError.COMMENT, step=step.zh)
    run = None
    if step.needs_assessment:
        row = latest_county_result(case.county.code, case.round.standard_id, case.round.year)
        if row is None:
            raise WorkflowError(FlowError.ASSESSMENT, year=case.round.year)
        run = row.run
        case.assessment = run
        submitted = case.evidence.filter(kind=Evidence.Kind.SELF_EVALUATION, removed_at=None).order_by("pk")
        attachments = [*(attachments or []),
                       *({"id": f.pk, "name": f.name, "size": f.size, "sha256": f.sha256} for f in submitted)]
    event = CaseEvent.objects.create(case=case, actor=user.get_username(), role=user.role, action=action,
                                     from_state=case.state, to_state=step.to, comment=comment, assessment=run,
                                     attachments=list(attachments or []))
    case.state = step.to
    case.save(update_fields=["state", "assessment", "updated_at"])
    original.state, original.assessment = case.state, case.assessment  # the caller's copy follows
    record("update", "supervision.Case", case.pk, {"action": action, "from": event.from_state, "to": step.to},
           object_unit=case.county.code)
    return event


def locked_counties(year: int, counties: list[str] | None = None) -> set[str]:
    """Counties whose data for the year are locked by a case in a locking state."""
    wf = load_workflow()
    locking = [s.code for s in wf.states if s.locked]
    qs = Case.objects.filter(round__year=year, state__in=locking)
    if counties is not None:
        qs = qs.filter(county__code__in=counties)
    return set(qs.values_list("county__code", flat=True))


def check_unlocked(county: str, year: int) -> None:
    """Raises WorkflowError when a county's data for the year are locked."""
    if locked_counties(year, [county]):
        name = OrgUnit.objects.filter(code=county).values_list("name", flat=True).first() or county
        raise WorkflowError(FlowError.LOCKED, county=name, year=year)


def resubmission_diff(case: Case) -> list[dict[str, Any]]:
    """What changed between the two latest assessments attached to a case (shown to the reviewer)."""
    runs = [e.assessment for e in case.events.exclude(assessment=None).order_by("-pk")[:2]]
    if len(runs) < 2 or runs[0] is None or runs[1] is None:
        return []
    code = case.county.code
    return diff_runs(runs[1].full_document([code]), runs[0].full_document([code]))


def timeline(case: Case) -> list[CaseEvent]:
    return list(case.events.order_by("at", "pk"))


def close_round(rnd: Round, actor: str) -> None:
    """Closes a round (no further steps)."""
    if rnd.closed_at is None:
        Round.objects.filter(pk=rnd.pk).update(closed_at=timezone.now())
        record("update", "supervision.Round", rnd.pk, {"closed_by": actor}, object_unit=rnd.province.code)


def run_of(case: Case) -> AssessmentRun | None:
    return case.assessment
