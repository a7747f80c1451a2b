"""Public results announcements (督导检查结果公告), no login: a province's announcements and one announcement.

A page is rendered only from the content frozen at publication (``Announcement.body``) and the dates and
links of the announcements themselves, never from the live cases or tasks, so a published page does not
change when the data do. The one addition a published page can get is the notice that a later, dated
correction exists ("本公告已被更正"), which links to it. No person is named: no user, no e-mail, no narrative.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from dudao.orgunits.models import OrgUnit
from dudao.reports.common import VERDICT_SHORT
from dudao.supervision.announcements import public_list
from dudao.supervision.models import Announcement, Task

SECTIONS = {"primary": "小学", "junior": "初中", "senior": "高中"}


def _province(code: str) -> OrgUnit:
    if not (len(code) == 2 and code.isdigit()):
        raise Http404
    unit = OrgUnit.objects.filter(code=f"{code}0000", level=OrgUnit.Level.PROVINCE).first()
    if unit is None:
        raise Http404
    return unit


@require_http_methods(["GET"])
def public_announcements(request: Any, province: str) -> Any:
    """The published announcements of a province, newest first."""
    unit = _province(province)
    anns = public_list(unit.code)
    corrected = {a.corrects_id for a in anns if a.corrects_id}
    return render(request, "web/supervision/public_list.html",
                  {"province": unit, "announcements": anns, "corrected": corrected})


@require_http_methods(["GET"])
def public_announcement(request: Any, pk: int) -> Any:
    """One announcement, from its frozen content."""
    ann = get_object_or_404(Announcement.objects.select_related("province", "corrects"), pk=pk)
    body = ann.body
    states = dict(Task.State.choices)
    counties = [{**c, "verdict_zh": _(VERDICT_SHORT[c["verdict"]]) if c.get("verdict") in VERDICT_SHORT else "—",
                 "state_label": _(c["state_zh"])} for c in body.get("counties", [])]
    names = {c["code"]: c["name"] for c in body.get("counties", [])}
    tasks = [{**t, "county_name": names.get(t["county"], t["county"]),
              "section_zh": _(SECTIONS[t["section"]]) if t.get("section") in SECTIONS else "",
              "state_zh": _(states[t["state"]]) if t.get("state") in states else t.get("state", "")}
             for t in body.get("open_tasks", [])]
    later = list(ann.corrections.order_by("published_at", "pk"))
    ctx = {"ann": ann, "round": body.get("round", {}), "counties": counties, "tasks": tasks,
           "correction": body.get("correction"), "later": later}
    return render(request, "web/supervision/public_announcement.html", ctx)
