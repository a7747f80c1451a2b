"""Evaluations scored by inspectors: framework versions, creating evaluations, assigning points, scoring with
evidence, submitting (the lock), flagging disagreements, reconciling them, and rolling the scores up.

Who may do what (every refusal is recorded as a ``denied`` audit event, every change as an audit event):

* a **self**-evaluation is created by the county bureau of the county (county or school target) or by the
  school clerk of the school; its scorers are the county bureau's and the school's own users;
* an **external** or **site-visit** evaluation is created by province or prefecture inspectors whose area
  covers the target; its scorers are inspectors (province, prefecture, 督学) whose area covers it;
* the creator is the **lead** unless another lead is named; only the lead assigns points and reconciles;
* an inspector scores only the points assigned to them, and once they submit, their scores are locked.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from django.db import transaction
from django.db.models import Max

from dudao.accounts.models import Role, User
from dudao.accounts.permissions import VIEW, check, scope_of
from dudao.audit.services import actor_of, current_actor, record
from dudao.inspection.errors import InspectionError
from dudao.inspection.errors import InspectionMessage as M
from dudao.inspection.models import (
    Assignment,
    Evaluation,
    Evidence,
    FrameworkVersion,
    Reconciliation,
    Score,
    Submission,
    section_label,
)
from dudao.orgunits.models import OrgUnit
from dudao.schools.models import SchoolYear
from dudao.standards.checklists import (
    ChecklistError,
    ChecklistMessage,
    Framework,
    Issue,
    Point,
    available_frameworks,
    load_framework,
    parse_framework,
)
from dudao.supervision.models import Case

CREATORS_EXTERNAL = {Role.PROVINCE_INSPECTOR, Role.PREFECTURE_INSPECTOR}
INSPECTORS = {Role.PROVINCE_INSPECTOR, Role.PREFECTURE_INSPECTOR, Role.EXPERT_INSPECTOR}
SELF_SCORERS = {Role.COUNTY_BUREAU, Role.SCHOOL_CLERK}
EVIDENCE_MAX_MB = 10
ACADEMIC = "academic_scores"


def _audit(user: Any, action: str, object_type: str, object_id: object, detail: dict[str, Any], unit: str) -> None:
    """Records an event as the given user (the request's actor, with its address, when it is that user)."""
    who = current_actor()
    actor = who if who.username and who.username == user.get_username() else actor_of(user)
    record(action, object_type, object_id, detail, actor=actor, object_unit=unit)


def _refuse(user: Any, error: M, unit: str = "", **kw: object) -> InspectionError:
    """Records the refusal (outside any transaction that the error would roll back) and returns the error."""
    _audit(user, "denied", "inspection", unit, {"code": error.code}, unit)
    return InspectionError(error, **kw)


# ------------------------------------------------------------------ framework versions


def builtin_version(framework_id: str) -> FrameworkVersion:
    """The shipped file as a stored version (a new number whenever the shipped file's hash changes)."""
    if framework_id not in available_frameworks():
        raise InspectionError(M.FRAMEWORK, framework=framework_id)
    loaded = load_framework(framework_id)
    with transaction.atomic():
        found = FrameworkVersion.objects.filter(framework_id=framework_id, province="", sha256=loaded.sha256).first()
        if found:
            return found
        number = (FrameworkVersion.objects.filter(framework_id=framework_id, province="")
                  .aggregate(n=Max("number"))["n"] or 0) + 1
        return FrameworkVersion.objects.create(
            framework_id=framework_id, province="", number=number, label=loaded.framework.version,
            sha256=loaded.sha256, text=loaded.text, filename=f"{framework_id}.yaml", uploaded_by="system")


def current_version(framework_id: str, province: str = "") -> FrameworkVersion:
    """The province's latest uploaded version of a framework, else the shipped one."""
    if province:
        found = FrameworkVersion.objects.filter(framework_id=framework_id, province=province[:2] + "0000").first()
        if found:
            return found
    return builtin_version(framework_id)


def upload_version(user: Any, framework_id: str, filename: str, text: str) -> FrameworkVersion:
    """Checks an edited framework file and stores it as the province's next version (nothing stored if bad)."""
    if getattr(user, "role", "") != Role.PROVINCE_ADMIN or user.org_unit is None:
        raise _refuse(user, M.UPLOAD_ROLE)
    if framework_id not in available_frameworks():
        raise InspectionError(M.FRAMEWORK, framework=framework_id)
    loaded = parse_framework(text, filename)
    if loaded.framework.id != framework_id:
        zh, en = ChecklistMessage.ID.format(found=loaded.framework.id, expected=framework_id)
        raise ChecklistError([Issue(filename, "id", ChecklistMessage.ID.code, zh, en)])
    province = user.org_unit.code[:2] + "0000"
    with transaction.atomic():
        number = (FrameworkVersion.objects.select_for_update().filter(framework_id=framework_id, province=province)
                  .aggregate(n=Max("number"))["n"] or 0) + 1
        fv = FrameworkVersion.objects.create(
            framework_id=framework_id, province=province, number=number, label=loaded.framework.version,
            sha256=loaded.sha256, text=text, filename=filename[:200], uploaded_by=user.get_username())
    _audit(user, "create", "inspection.FrameworkVersion", fv.pk,
           {"framework": framework_id, "number": number, "sha256": loaded.sha256}, province)
    return fv


@lru_cache(maxsize=32)
def _parsed(sha256: str, text: str) -> Framework:
    return parse_framework(text, sha256[:12]).framework


def framework_of(version: FrameworkVersion) -> Framework:
    return _parsed(version.sha256, version.text)


def scored_points(fw: Framework, level: str) -> list[Point]:
    """The points inspectors score by hand (not those answered by platform data)."""
    return [p for p in fw.points(level) if not p.data]


# ------------------------------------------------------------------ creating evaluations


def _target_allowed(user: Any, county: str, school: str) -> bool:
    scope = scope_of(user)
    return scope.covers_school(school, county) if school else scope.covers_region(county)


def may_create(user: Any, kind: str, county: str, school: str) -> bool:
    role = getattr(user, "role", "")
    if kind == Evaluation.Kind.SELF:
        if role == Role.SCHOOL_CLERK:
            return bool(school) and scope_of(user).covers_school(school, county)
        return role == Role.COUNTY_BUREAU and _target_allowed(user, county, school)
    return role in CREATORS_EXTERNAL and _target_allowed(user, county, school)


def may_score_in(user: Any, ev: Evaluation) -> bool:
    """Whether a user may be assigned to score points of this evaluation."""
    role = getattr(user, "role", "")
    if not getattr(user, "is_active", False):
        return False
    if ev.kind == Evaluation.Kind.SELF:
        return role in SELF_SCORERS and _target_allowed(user, ev.county.code, ev.school_code)
    return role in INSPECTORS and scope_of(user).covers_region(ev.county.code)


def assignable_users(ev: Evaluation) -> list[User]:
    roles = SELF_SCORERS if ev.kind == Evaluation.Kind.SELF else INSPECTORS
    qs = User.objects.filter(role__in=roles, is_active=True).select_related("org_unit").order_by("username")
    return [u for u in qs if may_score_in(u, ev)]


def _school_year(code: str, year: int) -> SchoolYear:
    sy = SchoolYear.objects.select_related("county").filter(school__code=code, year=year).first()
    if sy is None:
        raise InspectionError(M.TARGET, code=code, year=year)
    return sy


def create_evaluation(user: Any, *, framework_id: str, level: str, kind: str, year: int, county: str = "",
                      school_code: str = "", section: str = "", case: Case | None = None,
                      sampled: Any = None, lead: Any = None, title: str = "") -> Evaluation:
    """Creates an evaluation on the current version of the framework for the user's province (pinned)."""
    if kind not in Evaluation.Kind.values:
        raise InspectionError(M.KIND, framework=framework_id, kind=kind, kind_en=kind)
    school_name = ""
    if school_code:
        sy = _school_year(school_code, year)
        county, school_name = sy.county.code, sy.name
        if may_create_role(user, kind) and not may_create(user, kind, county, school_code):
            # a school outside the user's area answers like a missing one (its existence is not disclosed)
            raise _refuse(user, M.TARGET, county, code=school_code, year=year)
        if section and not sy.sections.filter(section=section).exists():
            raise InspectionError(M.TARGET, code=f"{school_code}（{section}）", year=year)
    unit = OrgUnit.objects.filter(code=county, level=OrgUnit.Level.COUNTY).first()
    if unit is None:
        raise InspectionError(M.SCOPE)
    if not may_create(user, kind, county, school_code):
        roles = "县教育局或学校填报员" if kind == Evaluation.Kind.SELF else "省级或市级督导人员"
        roles_en = "the county bureau or the school clerk" if kind == Evaluation.Kind.SELF else "province or prefecture inspectors"
        label = str(Evaluation.Kind(kind).label)
        if may_create_role(user, kind):
            raise _refuse(user, M.SCOPE, county)
        raise _refuse(user, M.CREATE_ROLE, county, kind=label, roles=roles, kind_en=kind, roles_en=roles_en)
    version = current_version(framework_id, county)
    fw = framework_of(version)
    if (fw.kind == "sitevisit") != (kind == Evaluation.Kind.SITE_VISIT):
        raise InspectionError(M.KIND, framework=fw.name_zh, kind=str(Evaluation.Kind(kind).label), kind_en=kind)
    if level not in {lv.id for lv in fw.levels} or (level == "county") == bool(school_code):
        raise InspectionError(M.LEVEL, framework=fw.name_zh, level=level)
    lead_user = lead or user
    if lead_user != user and not may_score_in(lead_user, Evaluation(kind=kind, county=unit, school_code=school_code)):
        raise InspectionError(M.ASSIGNEE, user=lead_user.get_username())
    level_zh = fw.level(level).zh
    with transaction.atomic():
        ev = _create(version, level, kind, unit, school_code, school_name, section, year, case, sampled, lead_user,
                     user, title or f"{school_name or unit.name} {year} {level_zh}（{Evaluation.Kind(kind).label}）")
    return ev


def _create(version: FrameworkVersion, level: str, kind: str, unit: OrgUnit, school_code: str, school_name: str,
            section: str, year: int, case: Case | None, sampled: Any, lead_user: Any, user: Any,
            title: str) -> Evaluation:
    ev = Evaluation.objects.create(
        framework=version, level=level, kind=kind, county=unit, school_code=school_code, school_name=school_name,
        section=section, year=year, case=case, sampled_school=sampled, lead=lead_user,
        created_by=user.get_username(), title=title)
    _audit(user, "create", "inspection.Evaluation", ev.pk,
           {"kind": kind, "level": level, "target": ev.target, "framework": str(version), "sha256": version.sha256},
           unit.code)
    return ev


def may_create_role(user: Any, kind: str) -> bool:
    """Whether the user's role creates this kind at all (the area is checked separately)."""
    role = getattr(user, "role", "")
    return role in SELF_SCORERS if kind == Evaluation.Kind.SELF else role in CREATORS_EXTERNAL


def create_site_visits(user: Any, case: Case, inspectors: list[Any], lead: Any = None) -> list[Evaluation]:
    """One site-visit evaluation per sampled school of a case, every scored point given to two inspectors.

    Schools that already have a site-visit evaluation on this case are skipped.
    """
    check(user, VIEW, region=case.county.code)
    sample = list(case.sample.all())
    if not sample:
        raise InspectionError(M.CASE)
    if len(inspectors) != 2 or inspectors[0] == inspectors[1]:
        raise InspectionError(M.SAME)
    if not may_create(user, Evaluation.Kind.SITE_VISIT, case.county.code, ""):
        raise _refuse(user, M.CREATE_ROLE, case.county.code, kind="实地核查", roles="省级或市级督导人员",
                      kind_en="site-visit", roles_en="province or prefecture inspectors")
    with transaction.atomic():
        return _site_visits(user, case, sample, inspectors, lead)


def _site_visits(user: Any, case: Case, sample: list[Any], inspectors: list[Any], lead: Any) -> list[Evaluation]:
    done = set(Evaluation.objects.filter(case=case, kind=Evaluation.Kind.SITE_VISIT)
               .values_list("sampled_school__school_code", "sampled_school__section"))
    out = []
    for s in sample:
        if (s.school_code, s.section) in done:
            continue
        ev = create_evaluation(user, framework_id="sitevisit2017", level="school", kind=Evaluation.Kind.SITE_VISIT,
                               year=case.round.year, school_code=s.school_code, section=s.section, case=case,
                               sampled=s, lead=lead,
                               title=f"{s.school_name}（{section_label(s.section)}）实地核查 · {case.round.title}")
        assign_all(ev, user, inspectors)
        out.append(ev)
    return out


# ------------------------------------------------------------------ assignments


def _lead_only(ev: Evaluation, user: Any, what: str, what_en: str) -> None:
    if getattr(user, "pk", None) != ev.lead_id:
        raise _refuse(user, M.LEAD, ev.county.code, lead=ev.lead.get_username(), what=what, what_en=what_en)


def _submitted(ev: Evaluation, inspector: Any) -> bool:
    return Submission.objects.filter(evaluation=ev, inspector=inspector).exists()


def assign(ev: Evaluation, user: Any, point_id: str, inspectors: list[Any]) -> list[Assignment]:
    """Gives one point to one or two inspectors (replacing earlier assignees who have not scored it)."""
    _lead_only(ev, user, "分配评分任务", "assign points")
    with transaction.atomic():
        return _assign(ev, user, point_id, inspectors)


def _assign(ev: Evaluation, user: Any, point_id: str, inspectors: list[Any]) -> list[Assignment]:
    fw = framework_of(ev.framework)
    if point_id not in {p.id for p in scored_points(fw, ev.level)}:
        raise InspectionError(M.POINT, point=point_id)
    if not 1 <= len(inspectors) <= 2:
        raise InspectionError(M.SLOTS)
    if len(inspectors) == 2 and inspectors[0] == inspectors[1]:
        raise InspectionError(M.SAME)
    for person in inspectors:
        if not may_score_in(person, ev):
            raise InspectionError(M.ASSIGNEE, user=person.get_username())
    existing = {a.slot: a for a in Assignment.objects.filter(evaluation=ev, point_id=point_id).select_related("inspector")}
    out = []
    for slot, person in enumerate(inspectors, start=1):
        old = existing.get(slot)
        if old is not None and old.inspector_id == person.pk:
            out.append(old)
            continue
        if old is not None:
            if hasattr(old, "score") or _submitted(ev, old.inspector):
                raise InspectionError(M.LOCKED)
            old.delete()
        out.append(Assignment.objects.create(evaluation=ev, point_id=point_id, slot=slot, inspector=person,
                                             assigned_by=user.get_username()))
    for slot in set(existing) - set(range(1, len(inspectors) + 1)):
        old = existing[slot]
        if hasattr(old, "score") or _submitted(ev, old.inspector):
            raise InspectionError(M.LOCKED)
        old.delete()
    _audit(user, "update", "inspection.Evaluation", ev.pk,
           {"assign": point_id, "inspectors": [p.get_username() for p in inspectors]}, ev.county.code)
    return out


def assign_all(ev: Evaluation, user: Any, inspectors: list[Any]) -> int:
    """Gives every hand-scored point to the same one or two inspectors."""
    points = scored_points(framework_of(ev.framework), ev.level)
    for p in points:
        assign(ev, user, p.id, inspectors)
    return len(points)


# ------------------------------------------------------------------ scoring, evidence, submission


def my_assignments(ev: Evaluation, user: Any) -> list[Assignment]:
    return list(Assignment.objects.filter(evaluation=ev, inspector=user).select_related("score"))


def save_score(ev: Evaluation, user: Any, point_id: str, value: float, comment: str = "",
               files: list[tuple[str, str, bytes]] | None = None) -> Score:
    """Records (or changes, before submission) the user's score on an assigned point, with evidence files."""
    if not Assignment.objects.filter(evaluation=ev, point_id=point_id, inspector=user).exists():
        raise _refuse(user, M.NOT_ASSIGNED, ev.county.code, point=point_id)
    if _submitted(ev, user):
        raise _refuse(user, M.LOCKED, ev.county.code)
    fw = framework_of(ev.framework)
    point = fw.point(point_id)
    rubric = fw.rubric_of(point)
    if not rubric.valid(value):
        raise InspectionError(M.VALUE, point=point_id, value=f"{value:g}", rubric=rubric.zh)
    for name, _ctype, data in files or []:
        if len(data) > EVIDENCE_MAX_MB * 1024 * 1024:
            raise InspectionError(M.EVIDENCE, name=name, mb=EVIDENCE_MAX_MB)
    with transaction.atomic():
        a = Assignment.objects.select_for_update().get(evaluation=ev, point_id=point_id, inspector=user)
        if _submitted(ev, user):  # submitted meanwhile
            raise InspectionError(M.LOCKED)
        score, created = Score.objects.update_or_create(assignment=a, defaults={"value": value, "comment": comment})
        for name, ctype, data in files or []:
            Evidence.objects.create(score=score, name=name[:200], content_type=ctype[:100], size=len(data),
                                    sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_by=user.get_username())
        _audit(user, "create" if created else "update", "inspection.Score", score.pk,
               {"evaluation": ev.pk, "point": point_id, "value": value, "evidence": [f[0] for f in files or []]},
               ev.county.code)
    return score


def submit(ev: Evaluation, user: Any) -> Submission:
    """Submits the user's form: every assigned point must be scored; afterwards nothing of it can change."""
    mine = my_assignments(ev, user)
    if not mine:
        raise _refuse(user, M.NOTHING, ev.county.code)
    if _submitted(ev, user):
        raise InspectionError(M.LOCKED)
    missing = [a.point_id for a in mine if not hasattr(a, "score")]
    if missing:
        raise InspectionError(M.INCOMPLETE, n=len(missing), points="、".join(missing[:8]))
    with transaction.atomic():
        sub = Submission.objects.create(evaluation=ev, inspector=user)
        _audit(user, "update", "inspection.Evaluation", ev.pk, {"submitted_by": user.get_username(), "points": len(mine)},
               ev.county.code)
    return sub


# ------------------------------------------------------------------ disagreements and reconciliation


@dataclass(frozen=True)
class Flag:
    """Two submitted scores on a point that differ by more than the point's gap."""

    point_id: str
    zh: str
    scores: tuple[tuple[str, float], ...]  # (inspector, raw score)
    difference: float
    gap: float
    reconciliation: Reconciliation | None


def _submitted_scores(ev: Evaluation) -> dict[str, list[Score]]:
    submitted = set(Submission.objects.filter(evaluation=ev).values_list("inspector_id", flat=True))
    out: dict[str, list[Score]] = {}
    for s in (Score.objects.filter(assignment__evaluation=ev).select_related("assignment", "assignment__inspector")
              .prefetch_related("evidence").order_by("assignment__point_id", "assignment__slot")):
        if s.assignment.inspector_id in submitted:
            out.setdefault(s.assignment.point_id, []).append(s)
    return out


def flags(ev: Evaluation) -> list[Flag]:
    fw = framework_of(ev.framework)
    rec = {r.point_id: r for r in ev.reconciliations.all()}
    out = []
    for pid, scores in _submitted_scores(ev).items():
        if len(scores) == 2:
            diff = abs(scores[0].value - scores[1].value)
            point = fw.point(pid)
            if diff > fw.gap_of(point):
                out.append(Flag(pid, point.zh, tuple((s.assignment.inspector.get_username(), s.value) for s in scores),
                                diff, fw.gap_of(point), rec.get(pid)))
    return out


def reconcile(ev: Evaluation, user: Any, point_id: str, value: float, reason: str) -> Reconciliation:
    """The lead's agreed score on a flagged point, with a reason; recorded once and never changed."""
    _lead_only(ev, user, "协调分歧", "reconcile disagreements")
    flag = next((f for f in flags(ev) if f.point_id == point_id), None)
    if flag is None:
        raise InspectionError(M.NO_FLAG, point=point_id)
    if flag.reconciliation is not None:
        raise InspectionError(M.RECONCILED, point=point_id)
    if not reason.strip():
        raise InspectionError(M.REASON)
    fw = framework_of(ev.framework)
    rubric = fw.rubric_of(fw.point(point_id))
    if not rubric.valid(value):
        raise InspectionError(M.VALUE, point=point_id, value=f"{value:g}", rubric=rubric.zh)
    with transaction.atomic():
        rec = Reconciliation.objects.create(evaluation=ev, point_id=point_id, value=value, reason=reason.strip(),
                                            by=user.get_username())
        _audit(user, "update", "inspection.Evaluation", ev.pk,
               {"reconcile": point_id, "value": value, "scores": list(flag.scores), "reason": reason.strip()},
               ev.county.code)
    return rec


# ------------------------------------------------------------------ roll-up


@dataclass
class ScoreRef:
    """One submitted score behind a point's figure."""

    inspector: str
    raw: float
    label: str
    comment: str
    evidence: list[tuple[int, str]]  # (evidence id, file name)


@dataclass
class Node:
    """One figure of the roll-up and what it was computed from.

    ``value`` is on 0–100: for a point, the rubric score scaled from the rubric's lowest (0) to highest (100);
    for any other node, ``Σ shareᵢ·valueᵢ / Σ shareᵢ`` over the children that have a value, where
    ``shareᵢ = weightᵢ / Σ weights of the siblings``. ``coverage`` is the share of the node's weight (down to
    the points) that has a value: ``Σ shareᵢ·coverageᵢ`` over all children (1 for a point with a value, else 0).
    A node without any valued child has ``value`` None ("no data" or "not scored"). ``flags`` lists the
    unreconciled disagreements beneath it (their points get no value until the lead reconciles them).
    """

    kind: Literal["total", "area", "indicator", "point"]
    id: str
    zh: str
    weight: float
    share: float
    value: float | None
    coverage: float
    provisional: bool = False
    flags: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    # points only
    basis: str = ""  # reconciled | mean | single | disagreement | not_scored | no_data
    raw: float | None = None
    rubric: str = ""
    gap: float | None = None
    scores: list[ScoreRef] = field(default_factory=list)
    reconciliation: str = ""
    data_needed: list[str] = field(default_factory=list)
    band: str = ""  # the value-added band, shown (never scored) on academic points when dudao.quality has it


@dataclass
class Rollup:
    """The roll-up of one evaluation: the tree from the total down to every point, on a pinned framework."""

    evaluation: int
    framework_id: str
    framework_version: int
    framework_label: str
    sha256: str
    level: str
    total: Node

    def nodes(self) -> list[Node]:
        out: list[Node] = []

        def walk(n: Node) -> None:
            out.append(n)
            for c in n.children:
                walk(c)

        walk(self.total)
        return out

    def lacking_data(self) -> list[Node]:
        return [n for n in self.nodes() if n.kind == "point" and n.basis == "no_data"]


def school_band(school_code: str, year: int) -> str:
    """The value-added band from ``dudao.quality.services.school_bands`` when that module exists, else ""."""
    if not school_code:
        return ""
    try:
        mod = importlib.import_module("dudao.quality.services")
    except ImportError:
        return ""
    fn = getattr(mod, "school_bands", None)
    if fn is None:
        return ""
    try:
        result = fn(school_code, year)
    except Exception:
        return ""
    if not result:
        return ""
    return "；".join(_band_text(r) for r in (result if isinstance(result, list | tuple) else [result]))


def _band_text(entry: Any) -> str:
    """One subject's band as shown: band, estimate and interval, the run it comes from (or why refused)."""
    if not isinstance(entry, dict):
        return str(entry)
    head = f"{entry.get('subject', '')} {entry.get('band_zh') or entry.get('band', '')}".strip()
    if entry.get("band") == "refused":
        return f"{head}（{entry.get('reason', '')}）"
    try:
        interval = f"{entry['estimate']:+.2f}，95% 区间 {entry['lower']:+.2f}～{entry['upper']:+.2f}"
    except (KeyError, TypeError, ValueError):
        interval = ""
    run = f"运行 #{entry['run']}" if entry.get("run") is not None else ""
    detail = "，".join(x for x in (interval, run) if x)
    return f"{head}（{detail}）" if detail else head


def _combine(kind: Literal["total", "area", "indicator"], ident: str, zh: str, weight: float, share: float,
             provisional: bool, children: list[Node]) -> Node:
    valued = [c for c in children if c.value is not None]
    denom = sum(c.share for c in valued)
    value = sum(c.share * c.value for c in valued if c.value is not None) / denom if valued else None
    return Node(kind, ident, zh, weight, share, value, sum(c.share * c.coverage for c in children), provisional,
                [f for c in children for f in c.flags], children)


def rollup(ev: Evaluation) -> Rollup:
    """Rolls submitted scores up from inspection points to key indicators, areas and the total (see Node)."""
    fw = framework_of(ev.framework)
    scores = _submitted_scores(ev)
    rec = {r.point_id: r for r in ev.reconciliations.all()}
    band = school_band(ev.school_code, ev.year) if ev.school_code else ""

    def point_node(p: Point, share: float) -> Node:
        rubric = fw.rubric_of(p)
        gap = fw.gap_of(p)
        refs = [ScoreRef(s.assignment.inspector.get_username(), s.value, rubric.label(s.value), s.comment,
                         [(e.pk, e.name) for e in s.evidence.all()]) for s in scores.get(p.id, [])]
        node = Node("point", p.id, p.zh, p.weight, share, None, 0.0, p.provisional, rubric=rubric.zh, gap=gap,
                    scores=refs, data_needed=list(p.data))
        if p.data:
            node.basis = "no_data"
            if ACADEMIC in p.data:
                node.band = band
            return node
        raw: float | None = None
        if p.id in rec:
            raw, node.basis, node.reconciliation = rec[p.id].value, "reconciled", rec[p.id].reason
        elif len(refs) == 2 and abs(refs[0].raw - refs[1].raw) > gap:
            node.basis, node.flags = "disagreement", [p.id]
        elif len(refs) == 2:
            raw, node.basis = (refs[0].raw + refs[1].raw) / 2, "mean"
        elif len(refs) == 1:
            raw, node.basis = refs[0].raw, "single"
        else:
            node.basis = "not_scored"
        if raw is not None:
            node.raw, node.value, node.coverage = raw, 100 * rubric.normalise(raw), 1.0
        return node

    level = fw.level(ev.level)
    a_total = sum(a.weight for a in level.areas)
    areas = []
    for a in level.areas:
        i_total = sum(i.weight for i in a.indicators)
        inds = []
        for i in a.indicators:
            p_total = sum(p.weight for p in i.points)
            inds.append(_combine("indicator", i.id, i.zh, i.weight, i.weight / i_total, i.provisional,
                                 [point_node(p, p.weight / p_total) for p in i.points]))
        areas.append(_combine("area", a.id, a.zh, a.weight, a.weight / a_total, a.provisional, inds))
    total = _combine("total", level.id, level.zh, 1.0, 1.0, False, areas)
    v = ev.framework
    return Rollup(ev.pk, v.framework_id, v.number, v.label, v.sha256, ev.level, total)


# ------------------------------------------------------------------ viewing


def may_view(user: Any, ev: Evaluation) -> bool:
    scope = scope_of(user)
    from dudao.accounts.permissions import can

    if not can(user, VIEW):
        return False
    if ev.school_code:
        return scope.covers_school(ev.school_code, ev.county.code)
    return scope.covers_region(ev.county.code)


def check_view(user: Any, ev: Evaluation) -> None:
    """Raises PermissionDenied (recorded) unless the user may see the evaluation."""
    if ev.school_code:
        check(user, VIEW, school=(ev.school_code, ev.county.code))
    else:
        check(user, VIEW, region=ev.county.code)


# ------------------------------------------------------------------ site-visit findings → rectification


def findings(ev: Evaluation) -> list[Node]:
    """Points whose resolved score is below the framework's finding line (none when the framework has none)."""
    fw = framework_of(ev.framework)
    if fw.findings is None:
        return []
    return [n for n in rollup(ev).nodes() if n.kind == "point" and n.value is not None and n.value < fw.findings.below]


def raise_finding(ev: Evaluation, user: Any, point_id: str, deadline: Any) -> Any:
    """Raises a rectification task (source: site visit) for a finding, through the supervision workflow's rules."""
    from django.db import IntegrityError

    from dudao.supervision.models import Task
    from dudao.supervision.rectification import raise_task

    fw = framework_of(ev.framework)
    node = next((n for n in findings(ev) if n.id == point_id), None)
    if node is None:
        raise InspectionError(M.NOT_FINDING, point=point_id, below=fw.findings.below if fw.findings else "—")
    label = " / ".join(f"{s.inspector}：{s.label}" for s in node.scores)
    if node.basis == "reconciled":
        label = f"协调结果 {fw.rubric_of(fw.point(point_id)).label(node.raw)}"
    where = f"{ev.school_name}（{ev.section_label}）" if ev.school_code else ev.county.name
    description = f"实地核查发现：{where} {point_id} {node.zh} —— {label}（评价 #{ev.pk}）"
    try:
        with transaction.atomic():
            task = raise_task(ev.county.code, ev.year, user, Task.Source.SITE_VISIT, point_id, description, deadline,
                              school_code=ev.school_code, case=ev.case)
    except IntegrityError:
        raise InspectionError(M.RAISED, point=point_id) from None
    return task
