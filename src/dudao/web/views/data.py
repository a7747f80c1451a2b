"""The data page: template download, workbook upload (checked against the user's scope), import
batches, and the form that corrects one school's figures for one year."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dudao.accounts.models import User
from dudao.accounts.permissions import CHANGE_DATA, IMPORT, Scope, can, check, scope_of
from dudao.audit.services import record
from dudao.orgunits.models import OrgUnit
from dudao.orgunits.services import province_codes
from dudao.schools.edit import EditError, build_form, edit_school_year
from dudao.schools.models import ChangeRecord, ImportBatch, SchoolYear
from dudao.schools.services import ImportReport, export_year, import_file, latest_year, write_template
from dudao.schools.validate import Checked, Issue, read_file
from dudao.standards.model import load_dictionary
from dudao.web.views import labels

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}
SHEET_ORDER = {"填报说明": 0, "学校": 1, "学段": 2, "CSV": 3}
SCOPE_CODE = "E_SCOPE"


# ---------------------------------------------------------------- helpers


def current_school_year(today: dt.date | None = None) -> int:
    """The school year under way: 2024 from September 2024 to August 2025."""
    today = today or dt.date.today()
    return today.year if today.month >= 9 else today.year - 1


def default_year() -> int:
    return latest_year() or current_school_year()


FIRST_YEAR, LAST_YEAR = 1990, 2100  # school years a form may name


def _year_from(value: Any, fallback: int) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        return fallback
    return year if FIRST_YEAR <= year <= LAST_YEAR else fallback


def _scope_label(scope: Scope) -> str:
    """The user's area in Chinese, as the audit trail, the file names and the import errors record it."""
    if scope.school_code:
        return f"学校 {scope.school_code}"
    if scope.prefix is None:
        return "无"
    if scope.prefix == "":
        return "全部"
    code = scope.prefix.ljust(6, "0")
    unit = OrgUnit.objects.filter(code=code).first()
    return unit.name if unit else code


def _scope_display(scope: Scope) -> str:
    """The user's area in the page's language (a place name stays as it is)."""
    if scope.school_code:
        return _("学校 %(code)s") % {"code": scope.school_code}
    if scope.prefix is None:
        return _("无")
    if scope.prefix == "":
        return _("全部")
    return _scope_label(scope)


def school_years_in_scope(user: Any, year: int) -> Any:
    """The school-year records a user may see and correct."""
    scope = scope_of(user)
    qs = SchoolYear.objects.filter(year=year).select_related("school", "county").order_by("county__code", "school__code")
    if scope.prefix is None:
        return qs.none()
    if scope.school_code:
        return qs.filter(school__code=scope.school_code)
    return qs.filter(county__code__startswith=scope.prefix)


def batches_in_scope(user: Any, limit: int = 20) -> list[ImportBatch]:
    """Recent import batches of users in the scope, or touching schools in the scope."""
    scope = scope_of(user)
    if scope.prefix is None:
        return []
    if scope.school_code:
        actors = User.objects.filter(school_code=scope.school_code).values("username")
        touched = ChangeRecord.objects.filter(school_code=scope.school_code, batch__isnull=False).values("batch_id")
    else:
        actors = User.objects.filter(Q(org_unit__code__startswith=scope.prefix)).values("username")
        schools = SchoolYear.objects.filter(county__code__startswith=scope.prefix).values("school__code")
        touched = ChangeRecord.objects.filter(school_code__in=schools, batch__isnull=False).values("batch_id")
    qs = ImportBatch.objects.filter(Q(actor__in=actors) | Q(pk__in=touched)).order_by("-pk")
    return list(qs[:limit])


def attachment(content: bytes, filename: str, content_type: str, ascii_name: str) -> HttpResponse:
    """A download with a Chinese file name (RFC 5987 ``filename*``) and a plain ASCII fallback."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _safe_name(name: str) -> str:
    name = Path(name.replace("\\", "/")).name
    name = re.sub(r'[\x00-\x1f<>:"/\\|?*]', "_", name).strip(" .") or "upload"
    stem, dot, suffix = name.rpartition(".")
    if dot and len(name) > 120:
        name = stem[:100] + "." + suffix[:10]
    return name[:120]


def _upload_dir() -> Path:
    path = Path(settings.CONFIG.data_dir) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------- import within scope


def scope_issues(checked: Checked, user: Any, year: int) -> list[Issue]:
    """An error for every school row (and its section rows) outside the user's scope.

    A school counts as outside when the county the file gives is outside, or when the school is
    already stored for the year under a county outside (moving another county's school is refused).
    """
    scope = scope_of(user)
    codes = list(checked.schools)
    stored = dict(SchoolYear.objects.filter(year=year, school__code__in=codes)
                  .values_list("school__code", "county__code")) if codes else {}
    names = dict(OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY).values_list("code", "name"))
    mine = _scope_label(scope)
    issues: list[Issue] = []
    refused: set[str] = set()

    def issue(rec: Any, code: str, zh: str, en: str) -> None:
        column, header = rec.where("school_code")
        issues.append(Issue("error", SCOPE_CODE, zh, en, checked.file, rec.sheet.name, rec.row, column, header, code))

    for code, rec in checked.schools.items():
        county = rec.values.get("county_code")
        if county is None:
            continue  # the missing or malformed county is already an error of its own
        now = stored.get(code)
        if scope.school_code:
            if code != scope.school_code:
                issue(rec, code, f"学校 {code} 不是您所在的学校（{scope.school_code}），不能导入它的数据",
                      f"school {code} is not your school ({scope.school_code}); its data cannot be imported")
                refused.add(code)
            elif county != (home := now or _latest_county(code) or county):
                issue(rec, code, f"学校填报员不能更改学校所在的县（现为 {home}）；请联系县教育局",
                      f"a school clerk cannot move the school to another county (now {home}); ask the county bureau")
                refused.add(code)
            continue
        if not scope.covers_school(code, county):
            issue(rec, code, f"学校 {code} 属于{names.get(county, county)}（{county}），不在您的管辖范围（{mine}）内，不能导入",
                  f"school {code} is in county {county}, outside your area; it cannot be imported")
            refused.add(code)
        elif now is not None and not scope.covers_school(code, now):
            issue(rec, code, f"学校 {code} 的 {year} 学年数据已由您管辖范围以外的单位登记，不能改动",
                  f"school {code} is registered outside your area for {year}; it cannot be changed")
            refused.add(code)
    for (code, _section), rec in checked.sections.items():
        if code in refused:
            issue(rec, code, f"学校 {code} 不在您的管辖范围内，此学段数据不能导入",
                  f"school {code} is outside your area; this section row cannot be imported")
    return issues


def _latest_county(code: str) -> str | None:
    """The county a school was last recorded in, any year."""
    return SchoolYear.objects.filter(school__code=code).order_by("-year").values_list("county__code", flat=True).first()


def _sort_key(issue: Issue) -> tuple[Any, ...]:
    return (SHEET_ORDER.get(issue.sheet, 9), issue.row or 0, len(issue.column), issue.column, issue.code)


def import_in_scope(path: Path, year: int, user: Any) -> tuple[ImportReport, int]:
    """Imports a file for a user: refused (nothing stored) if any record is outside the user's scope.

    Returns the report and the number of out-of-scope rows.
    """
    d = load_dictionary()
    counties = dict(OrgUnit.objects.values_list("code", "level"))
    checked = read_file(path, d, year, counties, province_codes())
    outside = scope_issues(checked, user, year)
    if outside:
        errors = sorted([*checked.errors, *outside], key=_sort_key)
        batch = ImportBatch.objects.create(filename=path.name, sha256="", year=year, actor=user.get_username(),
                                           status=ImportBatch.Status.REFUSED, errors=len(errors))
        return ImportReport(path.name, year, errors=errors, batch_id=batch.pk), len(outside)
    report = import_file(path, year, actor=user.get_username())
    report.errors.sort(key=_sort_key)
    return report, 0


# ---------------------------------------------------------------- views


def _page_context(request: Any, year: int) -> dict[str, Any]:
    user = request.user
    scope = scope_of(user)
    q = request.GET.get("q", "").strip()
    schools = school_years_in_scope(user, year)
    total = schools.count()
    if q:
        schools = schools.filter(Q(school__code__icontains=q) | Q(name__icontains=q))
    shown = list(schools[:60])
    d = load_dictionary()
    for sy in shown:
        sy.kind_zh = labels.enum_label(d, "kind", sy.kind)
    now = current_school_year()
    stored = set(SchoolYear.objects.values_list("year", flat=True).distinct())
    years = sorted({*stored, *range(now - 5, now + 1), year}, reverse=True)
    return {
        "year": year, "years": years, "scope_label": _scope_display(scope), "is_clerk": bool(scope.school_code),
        "schools": shown, "schools_total": total, "q": q, "can_change": can(user, CHANGE_DATA),
        "batches": batches_in_scope(user), "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
    }


@login_required
@require_GET
def data_page(request: Any) -> Any:
    check(request.user, IMPORT)
    year = _year_from(request.GET.get("year"), default_year())
    return render(request, "web/data/index.html", _page_context(request, year))


@login_required
@require_GET
def template_download(request: Any, fmt: str) -> Any:
    """The empty template (or, with ``?data=1``, the year's stored data of the user's counties)."""
    if fmt not in FORMATS:
        raise Http404("未知格式 / unknown format")
    user = request.user
    check(user, IMPORT)
    year = _year_from(request.GET.get("year"), default_year())
    with_data = request.GET.get("data") == "1"
    scope = scope_of(user)
    with tempfile.TemporaryDirectory(dir=_upload_dir()) as tmp:
        out = Path(tmp) / f"template.{fmt}"
        if with_data:
            if scope.prefix is None or scope.school_code:
                raise PermissionDenied("学校填报员不能导出全县数据 / a school clerk cannot export county data")
            counties = list(OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY, code__startswith=scope.prefix)
                            .values_list("code", flat=True))
            export_year(year, out, counties)
            name, ascii_name = f"学校基础数据_{_scope_label(scope)}_{year}学年.{fmt}", f"dudao-data-{year}.{fmt}"
        else:
            write_template(out, year)
            name, ascii_name = f"学校基础数据填报模板_{year}学年.{fmt}", f"dudao-template-{year}.{fmt}"
        content = out.read_bytes()
    record("export", "schools.template" if not with_data else "schools.data", fmt,
           {"year": year, "format": fmt, "with_data": with_data, "scope": _scope_label(scope)})
    return attachment(content, name, FORMATS[fmt], ascii_name)


@login_required
@require_POST
def upload(request: Any) -> Any:
    """Checks and imports an uploaded workbook; answers with the result (a fragment for HTMX)."""
    user = request.user
    check(user, IMPORT)
    year = _year_from(request.POST.get("year"), default_year())
    upload_file = request.FILES.get("file")
    problem = ""
    report: ImportReport | None = None
    outside = 0
    if upload_file is None:
        problem = _("请选择要上传的文件（.xlsx 或 .csv）。")
    elif upload_file.size > MAX_UPLOAD_BYTES:
        problem = _("文件太大（%(size)s MB），上限 %(max)s MB。") % {"size": f"{upload_file.size / 1048576:.1f}",
                                                               "max": MAX_UPLOAD_BYTES // 1048576}
    else:
        with tempfile.TemporaryDirectory(dir=_upload_dir()) as tmp:
            path = Path(tmp) / _safe_name(upload_file.name)
            with path.open("wb") as fh:
                for chunk in upload_file.chunks():
                    fh.write(chunk)
            report, outside = import_in_scope(path, year, user)
        record("import", "schools.ImportBatch", report.batch_id or "", {
            "file": report.file, "year": year, "accepted": report.accepted, "counts": report.counts,
            "errors": len(report.errors), "warnings": len(report.warnings), "out_of_scope_rows": outside,
        })
    context = {"report": report, "problem": problem, "outside": outside, "year": year}
    if request.htmx:  # the result, and the list of batches swapped in out of band
        context.update({"oob": True, "batches": batches_in_scope(user)})
        return render(request, "web/data/_import_result.html", context)
    page = _page_context(request, year)
    page.update(context)
    return render(request, "web/data/index.html", page)


@login_required
@require_http_methods(["GET", "POST"])
def school_edit(request: Any, code: str, year: int) -> Any:
    """Corrects one school's figures for one year; only changed values are stored and recorded."""
    sy = get_object_or_404(SchoolYear.objects.select_related("school", "county"), school__code=code, year=year)
    user = request.user
    check(user, CHANGE_DATA, school=(code, sy.county.code))
    d = load_dictionary()
    status = 200
    if request.method == "POST":
        try:
            form, changes = edit_school_year(sy, request.POST, user.get_username(), d)
        except EditError as exc:  # the county's data are locked by a submitted evaluation case
            messages.error(request, str(exc))
            form, changes = build_form(sy, d), None
            form.stale, status = False, 423
        if status == 423:
            pass
        elif form.stale:
            messages.error(request, _("保存前发现这所学校的数据已被他人修改，下面显示的是最新数据，请核对后重新填写。"))
            form, status = build_form(sy, d), 409
        elif changes is None:
            status = 422
        else:
            if changes:
                messages.success(request, ngettext("已保存 %(n)s 项修改。", "已保存 %(n)s 项修改。", len(changes))
                                 % {"n": len(changes)})
            else:
                messages.info(request, _("没有任何数值改变，未保存。"))
            return redirect("school_edit", code=code, year=year)
    else:
        form = build_form(sy, d)
    history = ChangeRecord.objects.filter(school_code=code, year=year).order_by("-at", "-pk")[:40]
    headers = {el.code: el.header for el in d.elements}
    section_names = {o.code: labels.label(o.zh) for o in d.enums["section"]}
    rows = [{"change": c, "label": headers.get(c.field, c.field), "created": c.field == ChangeRecord.CREATED,
             "section": section_names.get(c.section, pgettext("学段", "学校"))} for c in history]
    school_group, groups = form.groups[0], form.groups[1:]
    section_groups = [{"label": labels.label(g.label), "rule_errors": g.rule_errors} for g in groups]
    section_rows = []
    if groups:
        for i, first in enumerate(groups[0].fields):
            section_rows.append({"element": first.element,
                                 "cells": [{"f": g.fields[i], "label": labels.label(g.label)} for g in groups]})
    return render(request, "web/data/school_edit.html", {
        "sy": sy, "form": form, "school_group": school_group, "section_groups": section_groups,
        "section_rows": section_rows, "history": rows, "kind": labels.enum_label(d, "kind", sy.kind),
    }, status=status)
