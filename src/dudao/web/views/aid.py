"""Student aid pages: dashboards per level (province, prefecture, county), a school's students with masked or
(for roles with the personal-data capability, audited) unmasked names and ID numbers, proposed matches to
confirm, the school's public notice (公示) and watermarked exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from dudao.accounts.permissions import CHANGE_DATA, PERSONAL, VIEW, can, check, scope_of
from dudao.aid.errors import AidError
from dudao.aid.labels import category_label, english, finding_label, programme_label, section_label
from dudao.aid.models import AidLine, AidNotice, AidPerson, AidProposal
from dudao.aid.rules import load_aid_rules, term_end, term_key, term_label, term_start
from dudao.aid.services import (
    FINDING_ORDER,
    by_unit,
    create_notice,
    current_runs,
    decide,
    export_xlsx,
    notice_rows,
    reveal_many,
    summary,
    terms_with_runs,
)
from dudao.audit.services import actor_of
from dudao.orgunits.models import OrgUnit
from dudao.web.views.pages import guarded

PAGE = 100  # lines per school page (problems first, then the needy programmes)


def _term(request: Any, prefix: str) -> str:
    """The term asked for (``?term=``), else the newest term with a check in the area."""
    raw = request.GET.get("term", "")
    if raw:
        try:
            return term_key(raw)
        except ValueError:
            raise Http404(raw) from None
    terms = terms_with_runs(prefix)
    return terms[0] if terms else ""


def _terms_ctx(prefix: str, term: str) -> list[dict[str, str]]:
    terms = terms_with_runs(prefix)
    if term and term not in terms:
        terms.insert(0, term)
    return [{"key": t, "label": term_label(t, english()), "on": t == term} for t in terms]


def crumbs(user: Any, unit: OrgUnit | None) -> list[dict[str, str]]:
    """Province › prefecture › county, each linked to its aid page where the user may see it."""
    chain: list[OrgUnit] = []
    while unit is not None:
        chain.insert(0, unit)
        unit = unit.parent
    scope = scope_of(user)
    return [{"name": u.name, "url": reverse("aid_region", kwargs={"code": u.code}) if scope.covers_region(u.code) else ""}
            for u in chain]


def _totals_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "label": programme_label(r["programme"])} for r in rows]


@guarded
def home(request: Any) -> HttpResponse:
    """The user's own level: a school clerk's school, everyone else's region."""
    scope = scope_of(request.user)
    check(request.user, VIEW)
    if scope.school_code:
        return redirect("aid_school", code=scope.school_code)
    if scope.prefix is None or request.user.org_unit is None:
        raise PermissionDenied
    return redirect("aid_region", code=request.user.org_unit.code)


@guarded
def region(request: Any, code: str) -> HttpResponse:
    check(request.user, VIEW, region=code)
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise Http404(code)
    prefix = {"province": code[:2], "prefecture": code[:4], "county": code}[unit.level]
    term = _term(request, prefix)
    runs = current_runs(prefix, term) if term else []
    level = "school" if unit.level == OrgUnit.Level.COUNTY else "county"
    units = by_unit(runs, level) if runs else []
    if level == "school":
        names = dict(AidPerson.objects.filter(run__in=runs).exclude(school_name="").values_list("school_code", "school_name"))
        for u in units:
            u["name"], u["url"] = names.get(u["code"], ""), reverse("aid_school", kwargs={"code": u["code"]}) + f"?term={term}"
    else:
        if unit.level == OrgUnit.Level.PROVINCE:
            level, units = "prefecture", _by_prefecture(units)
        for u in units:
            u["name"] = u.get("run__county__name") or u.get("name", "")
            u["url"] = reverse("aid_region", kwargs={"code": u["code"]}) + f"?term={term}"
    pending = (AidProposal.objects.filter(run__in=runs, status=AidProposal.Status.PENDING).count() if runs else 0)
    ctx = {
        "unit": unit, "crumbs": crumbs(request.user, unit.parent), "term": term, "terms": _terms_ctx(prefix, term),
        "term_name": term_label(term, english()) if term else "", "totals": _totals_rows(summary(runs)), "units": units,
        "level": level, "runs": runs, "students": sum(r.students for r in runs), "pending": pending,
        "counties_checked": len(runs), "is_county": unit.level == OrgUnit.Level.COUNTY,
        "can_personal": can(request.user, PERSONAL),
        "findings": [(f, finding_label(f)) for f in FINDING_ORDER if f != "ok"],
    }
    return render(request, "web/aid/region.html", ctx)


def _by_prefecture(counties: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """County rows added up per prefecture (the province's dashboard)."""
    out: dict[str, dict[str, Any]] = {}
    for c in counties:
        code = c["code"][:4] + "00"
        acc = out.setdefault(code, {"code": code, "eligible": 0, "due": 0, "paid": 0, "problems": 0,
                                    **dict.fromkeys(FINDING_ORDER, 0)})
        for k in ("eligible", "due", "paid", "problems", *FINDING_ORDER):
            acc[k] += c[k] or 0
    names = dict(OrgUnit.objects.filter(code__in=out).values_list("code", "name"))
    return [{**v, "name": names.get(k, k)} for k, v in sorted(out.items())]


def _school_county(code: str, term: str | None = None) -> tuple[str, str]:
    """The county of a school in the newest current check (and that check's term)."""
    qs = AidLine.objects.filter(school_code=code, run__current=True)
    if term:
        qs = qs.filter(run__term=term)
    line = qs.select_related("run__county").order_by("-run__created_at").first()
    if line is None:
        raise Http404(code)
    return line.run.county.code, line.run.term


def _school_access(request: Any, code: str, action: str = VIEW) -> tuple[str, str]:
    raw = request.GET.get("term", "") or request.POST.get("term", "")
    try:
        wanted = term_key(raw) if raw else None
    except ValueError:
        raise Http404(raw) from None
    scope = scope_of(request.user)
    if scope.school_code and scope.school_code != code:
        check(request.user, action, school=(code, "-"))  # a clerk of another school: refused before any look-up
    county, term = _school_county(code, wanted)
    check(request.user, action, school=(code, county))
    return county, term


def _everyone() -> list[str]:
    return [p.id for p in load_aid_rules().programmes if p.who == "all"]


@guarded
def school(request: Any, code: str) -> HttpResponse:
    county, term = _school_access(request, code)
    finding = request.GET.get("finding", "")
    lines = (AidLine.objects.filter(run__current=True, run__term=term, school_code=code)
             .select_related("person", "run__county"))
    lines = lines.annotate(_ok=Case(When(finding="ok", then=1), default=0, output_field=IntegerField()),
                           _all=Case(When(programme__in=_everyone(), then=1), default=0, output_field=IntegerField())
                           ).order_by("_ok", "_all", "person__grade", "person__name_mask", "programme")
    if finding in FINDING_ORDER:
        lines = lines.filter(finding=finding)
    lines = list(lines[:PAGE])
    unmask = request.GET.get("unmask") == "1"
    plain: dict[int, Any] = {}
    if unmask:
        check(request.user, PERSONAL, school=(code, county))
        people = list({ln.person_id: ln.person for ln in lines}.values())
        plain = reveal_many(people, actor_of(request.user), f"school page {code}")
    rows = []
    for ln in lines:
        shown = plain.get(ln.person_id)
        rows.append({"line": ln, "name": shown.name if shown else ln.person.name_mask,
                     "id": shown.id_number if shown else ln.person.id_mask, "section": section_label(ln.person.section),
                     "programme": programme_label(ln.programme), "finding": finding_label(ln.finding),
                     "categories": "、".join(category_label(c) for c in ln.categories.split(",") if c)})
    unit = OrgUnit.objects.get(code=county)
    counts = {f: AidLine.objects.filter(run__current=True, run__term=term, school_code=code, finding=f).count()
              for f in FINDING_ORDER}
    name = AidPerson.objects.filter(run__current=True, school_code=code).exclude(school_name="").values_list(
        "school_name", flat=True).first() or ""
    ctx = {"code": code, "name": name, "term": term, "term_name": term_label(term, english()), "rows": rows,
           "unmask": unmask, "can_personal": can(request.user, PERSONAL) and scope_of(request.user).covers_school(code, county),
           "crumbs": crumbs(request.user, unit), "finding": finding,
           "counts": [(f, finding_label(f), counts[f]) for f in FINDING_ORDER], "more": len(lines) >= PAGE}
    return render(request, "web/aid/school.html", ctx)


@guarded
def export(request: Any, code: str) -> HttpResponse:
    """A school's (10-digit code) or a county's (6-digit code) lines as a watermarked workbook (audited)."""
    unmask = request.GET.get("unmask") == "1"
    if len(code) == 10:
        _county, term = _school_access(request, code, PERSONAL)
        lines = AidLine.objects.filter(run__current=True, run__term=term, school_code=code)
    else:
        check(request.user, PERSONAL, region=code)
        unit = OrgUnit.objects.filter(code=code, level=OrgUnit.Level.COUNTY).first()
        if unit is None:
            raise Http404(code)
        term = _term(request, code)
        lines = AidLine.objects.filter(run__current=True, run__term=term, run__county=unit)
    finding = request.GET.get("finding", "")
    if finding in FINDING_ORDER:
        lines = lines.filter(finding=finding)
    rows = list(lines.select_related("person", "run__county").order_by("school_code", "person__name_mask", "programme"))
    if not rows:
        raise Http404(code)
    title = f"学生资助核查 {code} {term_label(term)}"
    body = export_xlsx(rows, actor_of(request.user), unmask, title)
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="aid-{code}-{term}.xlsx"'
    return response


@guarded
def proposals(request: Any, code: str) -> HttpResponse:
    """A county's proposed matches (same name and birth date in the county, no ID match): a person compares the
    roster entry with the list row and confirms or rejects each. Shown unmasked to the roles that decide."""
    check(request.user, PERSONAL, region=code)
    unit = OrgUnit.objects.filter(code=code, level=OrgUnit.Level.COUNTY).first()
    if unit is None:
        raise Http404(code)
    term = _term(request, code)
    items = list(AidProposal.objects.filter(run__county=unit, run__term=term, run__current=True)
                 .select_related("person", "run__county").order_by("status", "pk"))
    pending = [p for p in items if p.status == AidProposal.Status.PENDING]
    plain = reveal_many([p.person for p in pending], actor_of(request.user), "proposed matches")
    rows = [{"p": p, "name": plain[p.person.pk].name if p.person.pk in plain else p.person.name_mask,
             "id": plain[p.person.pk].id_number if p.person.pk in plain else p.person.id_mask,
             "category": category_label(p.category)} for p in items]
    return render(request, "web/aid/proposals.html", {
        "unit": unit, "term": term, "term_name": term_label(term, english()) if term else "", "rows": rows,
        "crumbs": crumbs(request.user, unit), "can_decide": can(request.user, CHANGE_DATA)})


@guarded
@require_POST
def proposal_decide(request: Any, pk: int) -> HttpResponse:
    proposal = get_object_or_404(AidProposal.objects.select_related("run__county"), pk=pk)
    county = proposal.run.county.code
    check(request.user, PERSONAL, region=county)
    check(request.user, CHANGE_DATA, region=county)
    action = request.POST.get("action", "")
    if action not in ("confirm", "reject"):
        messages.error(request, _("请选择确认或否决。"))
    else:
        try:
            decide(proposal, action == "confirm", actor_of(request.user), request.POST.get("comment", ""))
            messages.success(request, _("已确认匹配，已按类别重新计算资助。") if action == "confirm" else _("已否决该建议匹配。"))
        except AidError as exc:
            messages.error(request, exc.message_en if english() else exc.message_zh)
    return redirect(reverse("aid_proposals", kwargs={"code": county}) + f"?term={proposal.run.term}")


@guarded
@require_http_methods(["GET", "POST"])
def notice(request: Any, code: str) -> HttpResponse:
    """The school's public notice (公示): masked names and ID numbers and the programme; never the category."""
    county, term = _school_access(request, code)
    unit = OrgUnit.objects.get(code=county)
    may_post = can(request.user, CHANGE_DATA) and scope_of(request.user).covers_school(code, county)
    form_error = ""
    if request.method == "POST":
        check(request.user, CHANGE_DATA, school=(code, county))
        try:
            starts = dt.date.fromisoformat(request.POST.get("starts", ""))
            ends = dt.date.fromisoformat(request.POST.get("ends", ""))
            create_notice(unit, code, term, starts, ends, actor_of(request.user))
            return redirect(reverse("aid_notice", kwargs={"code": code}) + f"?term={term}")
        except ValueError:
            form_error = _("请填写有效的开始和结束日期。")
        except AidError as exc:
            form_error = exc.message_en if english() else exc.message_zh
    period = AidNotice.objects.filter(school_code=code, term=term).first()
    rows = [{**r, "section": section_label(r["section"]), "programme": programme_label(r["programme"])}
            for r in notice_rows(code, term)]
    name = AidPerson.objects.filter(run__current=True, school_code=code).exclude(school_name="").values_list(
        "school_name", flat=True).first() or code
    days = load_aid_rules().notice.days
    suggested = max(dt.date.today(), term_start(term))
    return render(request, "web/aid/notice.html", {
        "code": code, "name": name, "term": term, "term_name": term_label(term, english()), "rows": rows, "period": period,
        "may_post": may_post, "form_error": form_error, "crumbs": crumbs(request.user, unit),
        "suggest_start": suggested.isoformat(), "suggest_end": (suggested + dt.timedelta(days=days - 1)).isoformat(),
        "min_days": load_aid_rules().notice.min_days, "term_end": term_end(term)}, status=400 if form_error else 200)

