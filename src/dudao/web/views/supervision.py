"""The supervision pages: evaluation rounds of the user's province, a round's cases in the user's area
(with the results announcement), and a case with the county's self-evaluation (narrative and evidence
files), its timeline, its steps (the workflow's buttons, with files), the resubmission diff, the site-visit
sample and its rectification tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext as translated  # of a label marked with gettext_noop
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods

from dudao.accounts.models import Role
from dudao.accounts.permissions import VIEW, check, scope_of
from dudao.audit.services import actor_of, record
from dudao.orgunits.models import OrgUnit
from dudao.schools.models import SchoolYear
from dudao.standards.model import available_standards, load_dictionary, load_standard, load_workflow
from dudao.supervision import announcements, evidence
from dudao.supervision.errors import WorkflowError
from dudao.supervision.models import Case, Evidence, Round, Task
from dudao.supervision.rectification import INSPECTORS, raise_task, tasks_from_case
from dudao.supervision.sampling import draw_sample
from dudao.supervision.services import allowed_actions, open_round, resubmission_diff, timeline
from dudao.web.views.assess import _standard_choices, region_url
from dudao.web.views.labels import english as _english

MAX_DESCRIPTION = 4_000  # characters kept of a hand-raised task's description (a product limit)

SAMPLERS = {Role.PROVINCE_INSPECTOR, Role.PROVINCE_ADMIN}
SAMPLE_STATE = "provincial_evaluation"



def _state_names() -> dict[str, str]:
    en = _english()
    return {s.code: (s.en if en else s.zh) for s in load_workflow().states}


def _step_names() -> dict[str, str]:
    en = _english()
    return {t.action: (t.en if en else t.zh) for t in load_workflow().transitions}


def _flow_message(exc: WorkflowError) -> str:
    return exc.message_en if _english() else exc.message_zh


def _region_prefix(user: Any) -> str:
    """The user's region prefix; refuses (403, recorded) users without a region, such as school clerks."""
    scope = scope_of(user)
    if scope.prefix is None or scope.school_code:
        check(user, VIEW, region="-")  # records the refusal and raises
    check(user, VIEW)
    return scope.prefix or ""


def _round_in_province(user: Any, rnd: Round) -> str:
    prefix = _region_prefix(user)
    if not rnd.province.code.startswith(prefix[:2]):
        check(user, VIEW, region=rnd.province.code)  # outside: records the refusal and raises
    return prefix


def _open_round_form(request: Any) -> dict[str, Any]:
    user = request.user
    province = user.org_unit
    counties = OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY, code__startswith=province.code[:2]).order_by("code")
    return {"standards": _standard_choices(), "counties": list(counties)}


def _parse_open(request: Any) -> tuple[dict[str, Any], str]:
    post = request.POST
    title = post.get("title", "").strip()
    if not title:
        return {}, _("请填写轮次名称。")
    sid = post.get("standard", "")
    if sid not in available_standards():
        return {}, _("请选择评估标准。")
    try:
        year = int(post.get("year", ""))
    except ValueError:
        return {}, _("请填写学年。")
    try:
        due = tuple(dt.date.fromisoformat(post.get(k, "")) for k in ("due_self", "due_prefecture", "due_province"))
    except ValueError:
        return {}, _("请填写三个截止日期（格式 YYYY-MM-DD）。")
    counties = None
    if post.get("all_counties") != "1":
        counties = post.getlist("counties")
        if not counties:
            return {}, _("请选择全部县或至少一个县。")
    return {"title": title, "standard_id": sid, "year": year, "deadlines": due, "counties": counties}, ""


@login_required
@require_http_methods(["GET", "POST"])
def rounds(request: Any) -> Any:
    """The rounds of the user's province with the cases per state in the user's area; a province admin opens one."""
    user = request.user
    prefix = _region_prefix(user)
    is_admin = user.role == Role.PROVINCE_ADMIN and user.org_unit is not None
    if request.method == "POST":
        if not is_admin:
            check(user, "open_round")  # no role has it: records the refusal and raises
        fields, error = _parse_open(request)
        if not error:
            try:
                rnd = open_round(user.org_unit.code, actor=user.get_username(), **fields)
            except WorkflowError as exc:
                error = _flow_message(exc)
            else:
                messages.success(request, _("已开启评估轮次“%(title)s”，共 %(n)s 个县。")
                                 % {"title": rnd.title, "n": rnd.cases.count()})
                return redirect("round_detail", pk=rnd.pk)
        messages.error(request, error)
    names = _state_names()
    rows = []
    for rnd in Round.objects.filter(province__code__startswith=prefix[:2]).order_by("-opened_at", "-pk"):
        counts: dict[str, int] = {}
        for state in rnd.cases.filter(county__code__startswith=prefix).values_list("state", flat=True):
            counts[state] = counts.get(state, 0) + 1
        rows.append({"round": rnd, "counts": [(names[s], counts.get(s, 0)) for s in names],
                     "total": sum(counts.values())})
    unit = user.org_unit
    ctx: dict[str, Any] = {"rows": rows, "states": list(names.values()), "is_admin": is_admin, "province": prefix[:2],
                           "show_dashboard": unit is not None and unit.level != OrgUnit.Level.COUNTY}
    if is_admin:
        ctx.update(_open_round_form(request))
        ctx["year"] = dt.date.today().year - 1
    return render(request, "web/supervision/rounds.html", ctx)


@login_required
@require_http_methods(["GET"])
def round_detail(request: Any, pk: int) -> Any:
    """The cases of a round in the user's area; its results announcements; the publish form for its admin."""
    rnd = get_object_or_404(Round.objects.select_related("province"), pk=pk)
    prefix = _round_in_province(request.user, rnd)
    names = _state_names()
    steps = _step_names()
    cases = []
    for case in rnd.cases.filter(county__code__startswith=prefix).select_related("county").order_by("county__code"):
        last = case.events.order_by("-at", "-pk").first()
        cases.append({"case": case, "state": names.get(case.state, case.state), "due": stage_due(case),
                      "last": steps.get(last.action, last.action) if last else "", "at": last.at if last else None})
    user = request.user
    is_publisher = user.role == Role.PROVINCE_ADMIN and user.org_unit is not None \
        and user.org_unit.code == rnd.province.code
    open_states = {s.code for s in load_workflow().states[:3]}
    pending = [c for c in cases if c["case"].state in open_states]
    anns = list(rnd.announcements.order_by("published_at", "pk"))
    ctx = {"round": rnd, "cases": cases, "is_publisher": is_publisher, "announcements": anns,
           "pending": pending, "default_title": _("%(title)s 结果公告") % {"title": rnd.title},
           "public_list": reverse("public_announcements", kwargs={"province": rnd.province.code[:2]})}
    return render(request, "web/supervision/round.html", ctx)


@login_required
@require_http_methods(["POST"])
def round_publish(request: Any, pk: int) -> Any:
    """The province administrator publishes the round's results (closing it), or a correction of them."""
    rnd = get_object_or_404(Round.objects.select_related("province"), pk=pk)
    user = request.user
    _round_in_province(user, rnd)
    if user.role != Role.PROVINCE_ADMIN:
        check(user, "publish_announcement")  # no role has it: records the refusal and raises
    title = request.POST.get("title", "")
    corrects = request.POST.get("corrects", "")
    try:
        if corrects:
            old = get_object_or_404(rnd.announcements, pk=int(corrects) if corrects.isdigit() else 0)
            ann = announcements.correct(old, user, title, request.POST.get("note", ""))
        else:
            ann = announcements.publish(rnd, user, title)
    except WorkflowError as exc:
        messages.error(request, _flow_message(exc))
        return redirect("round_detail", pk=rnd.pk)
    messages.success(request, _("已发布“%(title)s”，公众无需登录即可查看。") % {"title": ann.title})
    return redirect("public_announcement", pk=ann.pk)


RAISE_STATES = {"provincial_evaluation", "recognised", "not_recognised", "national_checked"}
SECTION_NAMES = {"primary": gettext_noop("小学"), "junior": gettext_noop("初中"), "senior": gettext_noop("高中")}
VERDICTS = {"pass": gettext_noop("达标"), "fail": gettext_noop("未达标"), "incomplete": gettext_noop("数据不全")}


def _number(value: Any) -> Any:
    return f"{value:,.4g}" if isinstance(value, float) else value


def _diff_rows(case: Case) -> list[dict[str, Any]]:
    """The resubmission diff with names: sections, schools, indicators, verdicts; numbers to 4 significant digits."""
    rows = resubmission_diff(case)
    if not rows:
        return []
    indicators = {i.id: i.zh for i in load_standard(case.round.standard_id).indicators}
    schools = dict(SchoolYear.objects.filter(year=case.round.year, county=case.county)
                   .values_list("school__code", "name"))
    out = []
    for d in rows:
        what = d.get("what", "")
        if what == "verdict":
            label = _("县级结论")
            old, new = (translated(VERDICTS[v]) if v in VERDICTS else v for v in (d.get("old"), d.get("new")))
        else:
            code = what.removeprefix("cv.")
            name = f"{code} {indicators[code]}" if code in indicators else code
            label = _("%(name)s 差异系数") % {"name": name} if what.startswith("cv.") else name
            old, new = _number(d.get("old")), _number(d.get("new"))
        school = d.get("school") or ""
        out.append({"section": translated(SECTION_NAMES[d["section"]]) if d.get("section") in SECTION_NAMES else "",
                    "school": f"{schools.get(school, '')} {school}".strip(), "what": label, "old": old, "new": new})
    return out


def _sample_rows(case: Case) -> list[dict[str, Any]]:
    """The drawn sample with section and urban/rural names (from the element dictionary) instead of codes."""
    d = load_dictionary()
    english = _english()

    def part(code: str) -> str:
        if code in SECTION_NAMES:
            return translated(SECTION_NAMES[code])
        option = next((o for o in d.enums.get("location", []) if o.code == code), None)
        return (option.en if english else option.zh) if option else code

    return [{"s": s, "section": part(s.section), "stratum": " · ".join(part(p) for p in s.stratum.split("/"))}
            for s in case.sample.all()]


STAGE_DUE = {"self_evaluation": "self_evaluation_due", "submitted": "prefecture_review_due",
             "provincial_evaluation": "provincial_evaluation_due"}


def stage_due(case: Case) -> dt.date | None:
    """The deadline of the stage the case is in (None past the provincial evaluation)."""
    field = STAGE_DUE.get(case.state)
    return getattr(case.round, field) if field else None


def _files(request: Any, field: str) -> list[tuple[str, bytes]]:
    return [evidence.read_upload(f) for f in request.FILES.getlist(field)]


def _raise_one(request: Any, case: Case, deadline: dt.date) -> str:
    """A single task written by hand, e.g. a finding of the site visit (optionally at a sampled school)."""
    description = request.POST.get("description", "").strip()
    if not description:
        messages.error(request, _("请填写整改事项。"))
        return "rectification"
    school = request.POST.get("school", "")
    if school and not case.sample.filter(school_code=school).exists():
        school = ""
    taken = set(case.tasks.filter(source=Task.Source.SITE_VISIT).values_list("item", flat=True))
    number = next(n for n in range(1, len(taken) + 2) if f"SV{n}" not in taken)
    raise_task(case.county.code, case.round.year, request.user, Task.Source.SITE_VISIT, f"SV{number}",
               description[:MAX_DESCRIPTION], deadline, school_code=school, case=case)
    messages.success(request, _("已下达整改任务。"))
    return "rectification"


def _case_post(request: Any, case: Case, may_sample: bool, may_raise: bool) -> str:
    """Handles one POST on the case page; returns the anchor to go back to."""
    user, post = request.user, request.POST
    action = post.get("action", "")
    if action == "save_narrative":
        evidence.save_narrative(case, user, post.get("narrative", ""))
        messages.success(request, _("自评报告已保存。"))
        return "self-evaluation"
    if action == "upload_evidence":
        files = _files(request, "files")
        if not files:
            messages.error(request, _("请选择要上传的文件。"))
        else:
            stored = evidence.add_evidence(case, user, files)
            messages.success(request, _("已上传 %(n)s 个文件。") % {"n": len(stored)})
        return "self-evaluation"
    if action == "remove_evidence":
        try:
            ev = evidence.remove_evidence(case, user, int(post.get("evidence", "0")))
        except (ValueError, Evidence.DoesNotExist):
            raise Http404 from None
        messages.success(request, _("已撤回文件“%(name)s”。") % {"name": ev.name})
        return "self-evaluation"
    if action == "draw_sample":
        if not may_sample:
            messages.error(request, _("只有省级督导人员或省级管理员可在省级评估阶段抽取实地核查学校。"))
        else:
            rows = draw_sample(case)
            messages.success(request, _("已抽取 %(n)s 所（学段）学校，随机种子 %(seed)s。")
                             % {"n": len(rows), "seed": case.sample_seed})
        return "site-visit"
    if action in ("raise_tasks", "raise_one"):
        if not may_raise:
            messages.error(request, _("整改任务须由管辖本县的市级或省级督导人员在案卷进入省级评估、附有评估结果后下达。"))
            return "rectification"
        try:
            deadline = dt.date.fromisoformat(post.get("deadline", ""))
        except ValueError:
            messages.error(request, _("请填写整改期限（格式 YYYY-MM-DD）。"))
            return "rectification"
        if deadline <= dt.date.today():
            messages.error(request, _("整改期限须晚于今天。"))
            return "rectification"
        if action == "raise_one":
            return _raise_one(request, case, deadline)
        before = case.tasks.count()
        tasks = tasks_from_case(case, deadline, user)
        messages.success(request, _("已由未达标项生成 %(new)s 项整改任务（共 %(n)s 项）。")
                         % {"new": case.tasks.count() - before, "n": len(tasks)})
        return "rectification"
    evidence.act_with_files(case, user, action, post.get("comment", ""), _files(request, "step_files"))
    messages.success(request, _("已完成“%(step)s”。") % {"step": _step_names().get(action, action)})
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def case_detail(request: Any, pk: int) -> Any:
    """A case: its state, the self-evaluation, assessment, timeline, steps, diff, sample and rectification."""
    case = get_object_or_404(Case.objects.select_related("round", "round__province", "county", "assessment"), pk=pk)
    user = request.user
    check(user, VIEW, region=case.county.code)
    may_sample = user.role in SAMPLERS and case.state == SAMPLE_STATE and not case.round.closed_at
    may_raise = user.role in INSPECTORS and case.assessment_id is not None and user.org_unit is not None \
        and case.state in RAISE_STATES
    if request.method == "POST":
        try:
            anchor = _case_post(request, case, may_sample, may_raise)
        except WorkflowError as exc:
            messages.error(request, _flow_message(exc))
            anchor = ""
        url = reverse("case_detail", kwargs={"pk": case.pk})
        return redirect(f"{url}#{anchor}" if anchor else url)
    names, steps = _state_names(), _step_names()
    roles = dict(Role.choices)
    files = {f.pk: f for f in case.evidence.all()}
    events = [{"e": e, "role": roles.get(e.role, e.role), "step": steps.get(e.action, e.action),
               "to": names.get(e.to_state, e.to_state),
               "files": [{"a": a, "live": a.get("id") in files} for a in e.attachments if isinstance(a, dict)]}
              for e in timeline(case)]
    task_counts = case.tasks.aggregate(n=Count("pk"), open=Count("pk", filter=~Q(state=Task.State.CLOSED)),
                                       overdue=Count("pk", filter=~Q(state=Task.State.CLOSED)
                                                     & Q(deadline__lt=dt.date.today())))
    rules = evidence.rules()
    due = stage_due(case)
    ctx = {
        "case": case, "state": names.get(case.state, case.state), "events": events, "due": due,
        "late": due is not None and due < dt.date.today() and not case.round.closed_at,
        "actions": [(a, steps.get(a, a)) for a in allowed_actions(case, user)],
        "needs_assessment": user.role == Role.COUNTY_BUREAU and evidence.editable(case),
        "diff": _diff_rows(case), "sample": _sample_rows(case), "may_sample": may_sample,
        "region": region_url(case.county.code), "round_url": reverse("round_detail", kwargs={"pk": case.round.pk}),
        "may_edit": evidence.may_edit(case, user), "editable": evidence.editable(case),
        "files": evidence.active_evidence(case), "rules": rules, "accept": ",".join(f".{e}" for e in rules.types),
        "may_raise": may_raise, "tasks": task_counts, "default_deadline": dt.date.today() + dt.timedelta(days=90),
        "tasks_url": reverse("tasks") + f"?case={case.pk}",
    }
    return render(request, "web/supervision/case.html", ctx)


@login_required
@require_http_methods(["GET"])
def evidence_download(request: Any, pk: int) -> Any:
    """An evidence file, to users whose area covers its county (audited as an export)."""
    ev = get_object_or_404(Evidence, pk=pk)
    user = request.user
    check(user, VIEW, region=ev.county)
    path = evidence.file_path(ev)
    if not path.is_file():
        raise Http404
    record("export", "supervision.Evidence", ev.pk, {"name": ev.name}, actor=actor_of(user), object_unit=ev.county)
    return FileResponse(path.open("rb"), as_attachment=True, filename=ev.name, content_type=ev.content_type)
