"""Browsing the append-only audit trail (province administrators). Read only: no view here, or
anywhere, changes or deletes an audit event."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from dudao.accounts.permissions import AUDIT, check, scope_of
from dudao.audit.models import AuditEvent

PER_PAGE = 50
ROLE_ZH = {"province_admin": gettext_lazy("省级管理员"), "province_inspector": gettext_lazy("省级督导人员"),
           "prefecture_inspector": gettext_lazy("市级督导人员"), "county_bureau": gettext_lazy("县教育局"),
           "school_clerk": gettext_lazy("学校填报员"), "expert_inspector": gettext_lazy("督学")}


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        return None


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def readable(detail: Any) -> dict[str, Any]:
    """The detail of an event as rows: changes (field, before, after), or key/value pairs."""
    if not isinstance(detail, dict) or not detail:
        return {"kind": "empty", "rows": [], "json": ""}
    pretty = json.dumps(detail, ensure_ascii=False, indent=2, sort_keys=True)
    changes = detail.get("changes")
    if isinstance(changes, dict):
        rows: list[tuple[str, ...]] = []
        for k, v in changes.items():
            if not isinstance(v, dict):
                rows.append((k, "", _text(v)))
                continue
            old, new = v.get("old"), v.get("new")
            if isinstance(old, dict) and isinstance(new, dict):  # a map of values: only the keys that differ
                rows += [(f"{k}.{key}", _text(old.get(key)), _text(new.get(key)))
                         for key in sorted(old.keys() | new.keys(), key=str) if old.get(key) != new.get(key)]
            else:
                rows.append((k, _text(old), _text(new)))
        return {"kind": "changes", "rows": rows, "json": pretty}
    for key, label in (("before", _("删除前")), ("after", _("新建后"))):
        if isinstance(detail.get(key), dict) and len(detail) == 1:
            return {"kind": "state", "label": label, "rows": [(k, _text(v)) for k, v in detail[key].items()], "json": pretty}
    return {"kind": "pairs", "rows": [(k, _text(v)) for k, v in detail.items()], "json": pretty}


@login_required
@require_GET
def audit_page(request: Any) -> Any:
    user = request.user
    check(user, AUDIT)
    scope = scope_of(user)
    qs = AuditEvent.objects.all()
    if scope.prefix:  # a province admin sees its province's users and the events of nobody in particular
        qs = qs.filter(Q(org_unit__startswith=scope.prefix) | Q(object_unit__startswith=scope.prefix)
                       | (Q(org_unit="") & Q(object_unit="")))
    g = request.GET
    action, actor, object_type = g.get("action", "").strip(), g.get("actor", "").strip(), g.get("object_type", "").strip()
    start, end = _date(g.get("start", "")), _date(g.get("end", ""))
    if action:
        qs = qs.filter(action=action)
    if actor:
        qs = qs.filter(actor__icontains=actor)
    if object_type:
        qs = qs.filter(object_type=object_type)
    tz = timezone.get_current_timezone()
    if start:
        qs = qs.filter(at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz))
    if end:
        qs = qs.filter(at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    qs = qs.order_by("-at", "-pk")
    page = Paginator(qs, PER_PAGE).get_page(g.get("page"))
    events = [{"e": e, "detail": readable(e.detail), "role": ROLE_ZH.get(e.role, e.role)} for e in page.object_list]
    filters = {k: v for k, v in (("action", action), ("actor", actor), ("object_type", object_type),
                                 ("start", start.isoformat() if start else ""), ("end", end.isoformat() if end else "")) if v}
    types = sorted(t for t in AuditEvent.objects.values_list("object_type", flat=True).distinct() if t)
    return render(request, "web/audit/index.html", {
        "page": page, "events": events, "actions": AuditEvent.Action.choices, "types": types,
        "f": {"action": action, "actor": actor, "object_type": object_type, "start": filters.get("start", ""),
              "end": filters.get("end", "")},
        "query": urlencode(filters), "total": page.paginator.count,
    })
