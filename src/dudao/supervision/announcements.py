"""Results announcements (督导检查结果公告制度): published once per round, corrected only by a new announcement.

The body names counties, their verdicts and the rectification tasks still open with their deadlines; it names
no person (no user names, no actors).
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth import get_user_model

from dudao.accounts.models import Role
from dudao.assessment.models import AssessmentCounty
from dudao.audit.services import actor_of, record
from dudao.standards.model import load_workflow
from dudao.supervision.errors import FlowError, WorkflowError
from dudao.supervision.models import Announcement, Round, Task
from dudao.supervision.refusals import atomic, deny
from dudao.supervision.services import close_round


def _check_publisher(rnd: Round, user: Any) -> None:
    unit = getattr(user, "org_unit", None)
    if getattr(user, "role", "") != Role.PROVINCE_ADMIN or unit is None or unit.code != rnd.province.code:
        deny("supervision.Announcement", "", {"round": rnd.pk}, actor=actor_of(user),
               object_unit=rnd.province.code)
        raise WorkflowError(FlowError.ANN_ROLE)


def people_pattern() -> re.Pattern[str] | None:
    """One pattern matching every user's login name and full name (longest first; ASCII names as whole words)."""
    names: set[str] = set()
    for username, first, last in get_user_model().objects.values_list("username", "first_name", "last_name"):
        names |= {n for n in (username, f"{last}{first}".strip(), f"{first} {last}".strip()) if len(n) >= 2}
    if not names:
        return None
    parts = [rf"(?<![A-Za-z0-9_.-]){re.escape(n)}(?![A-Za-z0-9_.-])" if n.isascii() else re.escape(n)
             for n in sorted(names, key=len, reverse=True)]
    return re.compile("|".join(parts))


def scrub(text: str, people: re.Pattern[str] | None) -> str:
    """The text with people's names replaced by "（略）": task descriptions are written by people and may name
    inspectors (e.g. the scores of a site-visit finding); the public page names no one."""
    return people.sub("（略）", text) if people is not None else text


def build_body(rnd: Round) -> dict[str, Any]:
    """The public content: the round, each county's verdict and stage, the open tasks with deadlines."""
    wf = load_workflow()
    counties = []
    for case in rnd.cases.select_related("county").order_by("county__code"):
        verdict = None
        if case.assessment_id is not None:
            verdict = AssessmentCounty.objects.filter(run_id=case.assessment_id, county_code=case.county.code) \
                .values_list("verdict", flat=True).first()
        counties.append({"code": case.county.code, "name": case.county.name, "verdict": verdict,
                         "state": case.state, "state_zh": wf.state(case.state).zh})
    people = people_pattern()
    tasks = [{"county": t.county.code, "item": t.item, "section": t.section, "school_code": t.school_code,
              "description": scrub(t.description, people), "deadline": t.deadline.isoformat(), "state": t.state}
             for t in Task.objects.filter(round=rnd).exclude(state=Task.State.CLOSED)
             .select_related("county").order_by("county__code", "deadline", "pk")]
    return {"province": {"code": rnd.province.code, "name": rnd.province.name},
            "round": {"title": rnd.title, "standard": rnd.standard_id, "year": rnd.year},
            "counties": counties, "open_tasks": tasks}


@atomic
def publish(rnd: Round, user: Any, title: str) -> Announcement:
    """Publishes the round's results and closes the round (province administrator of that province only)."""
    rnd = Round.objects.select_related("province").get(pk=rnd.pk)
    _check_publisher(rnd, user)
    if not title.strip():
        raise WorkflowError(FlowError.ANN_TITLE)
    if rnd.announcements.exists():
        raise WorkflowError(FlowError.ANN_EXISTS)
    ann = Announcement.objects.create(province=rnd.province, round=rnd, title=title.strip(),
                                      published_by=user.get_username(), body=build_body(rnd))
    close_round(rnd, user.get_username())
    record("create", "supervision.Announcement", ann.pk, {"round": rnd.pk}, actor=actor_of(user),
           object_unit=rnd.province.code)
    return ann


@atomic
def correct(old: Announcement, user: Any, title: str, note: str) -> Announcement:
    """Publishes a correction: a new announcement with a fresh body, linked to the one it corrects."""
    rnd = Round.objects.select_related("province").get(pk=old.round_id)
    _check_publisher(rnd, user)
    if not title.strip():
        raise WorkflowError(FlowError.ANN_TITLE)
    if not note.strip():
        raise WorkflowError(FlowError.RECT_COMMENT, step="更正公告")
    body = {**build_body(rnd), "correction": {"corrects": old.pk, "note": note.strip()}}
    ann = Announcement.objects.create(province=rnd.province, round=rnd, title=title.strip(),
                                      published_by=user.get_username(), body=body, corrects=old)
    record("create", "supervision.Announcement", ann.pk, {"round": rnd.pk, "corrects": old.pk},
           actor=actor_of(user), object_unit=rnd.province.code)
    return ann


def public_list(province_code: str) -> list[Announcement]:
    """A province's announcements, newest first."""
    return list(Announcement.objects.filter(province__code=province_code).select_related("round", "corrects")
                .order_by("-published_at", "-pk"))
