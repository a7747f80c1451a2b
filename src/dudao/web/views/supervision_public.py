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
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as translated  # of a label marked with gettext_noop
from django.views.decorators.http import require_http_methods

from dudao.orgunits.models import OrgUnit
from dudao.standards.model import load_workflow
from dudao.supervision.announcements import public_list
from dudao.supervision.models import Announcement

SECTIONS = {"primary": gettext_noop("小学"), "junior": gettext_noop("初中"), "senior": gettext_noop("高中")}
VERDICTS = {"pass": gettext_noop("达标"), "fail": gettext_noop("未达标"), "incomplete": gettext_noop("数据不全")}
STATES = {"open": gettext_noop("整改中"), "awaiting_verification": gettext_noop("待复核"), "closed": gettext_noop("已销号")}


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
    english = (get_language() or "").startswith("en")
    wf = {s.code: s.en for s in load_workflow().states}
    counties = [{**c, "verdict_zh": translated(VERDICTS[c["verdict"]]) if c.get("verdict") in VERDICTS else "—",
                 "state_label": wf.get(c["state"], c["state_zh"]) if english else c["state_zh"]}
                for c in body.get("counties", [])]
    names = {c["code"]: c["name"] for c in body.get("counties", [])}
    tasks = [{**t, "county_name": names.get(t["county"], t["county"]),
              "section_zh": translated(SECTIONS[t["section"]]) if t.get("section") in SECTIONS else "",
              "state_zh": translated(STATES[t["state"]]) if t.get("state") in STATES else t.get("state", "")}
             for t in body.get("open_tasks", [])]
    later = list(ann.corrections.order_by("published_at", "pk"))
    province = body.get("province") or {"code": ann.province.code, "name": ann.province.name}
    ctx = {"ann": ann, "province": province, "round": body.get("round", {}), "counties": counties, "tasks": tasks,
           "correction": body.get("correction"), "later": later}
    return render(request, "web/supervision/public_announcement.html", ctx)
