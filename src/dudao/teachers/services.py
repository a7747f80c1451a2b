"""Teacher services: import, roster tables, counts against the statistics, staffing, eligibility,
rotation indicators and rotation plans. The CLI, pages and API call these."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import transaction

from dudao.engine import planner as pl
from dudao.engine import staffing as sf
from dudao.orgunits.models import OrgUnit
from dudao.schools.models import School, SchoolYear, SectionYear
from dudao.schools.validate import Collector, Issue
from dudao.standards.model import load_standard
from dudao.teachers import crypto
from dudao.teachers import eligibility as el
from dudao.teachers.errors import PlanError, TeacherDataError, TeacherFailure, TeacherWarning
from dudao.teachers.models import Rotation, RotationPlan, SchoolPlace, ServicePeriod, Teacher
from dudao.teachers.rules import TeacherRules, load_teacher_rules
from dudao.teachers.workbook import (
    SHEET_PLACES,
    SHEET_ROTATIONS,
    SHEET_SERVICE,
    SHEET_TEACHERS,
    CheckedTeachers,
    check_file,
)

BATCH = 1000
# derived from the roster → element code of the section statistics
COUNTED = {
    "teachers_fulltime": ("专任教师", "full-time teachers"),
    "teachers_above_degree": ("高于规定学历专任教师", "teachers above the required degree"),
    "teachers_key": ("县级及以上骨干教师", "county-level-or-higher key teachers"),
    "teachers_pe": ("体育专任教师", "PE teachers"),
    "teachers_music": ("音乐专任教师", "music teachers"),
    "teachers_art": ("美术专任教师", "art teachers"),
}


def rules_for(county_code: str = "") -> TeacherRules:
    return load_teacher_rules(county_code[:2] if county_code else "")


@dataclass
class TeacherImport:
    file: str
    year: int
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "year": self.year, "accepted": self.accepted, "counts": self.counts,
                "errors": [i.as_dict() for i in self.errors], "warnings": [i.as_dict() for i in self.warnings]}


def _sections_of(year: int) -> tuple[dict[str, set[str]], dict[str, str]]:
    sections: dict[str, set[str]] = defaultdict(set)
    county: dict[str, str] = {}
    for code, sec, cty in SectionYear.objects.filter(school_year__year=year).values_list(
            "school_year__school__code", "section", "school_year__county__code"):
        sections[code].add(sec)
        county[code] = cty
    return sections, county


def import_file(path: Path, year: int, actor: str, user: Any = None) -> TeacherImport:
    """Checks a teacher file and, only if it has no error, stores it (nothing of a refused file is kept).

    With ``user``, every school in the file must be in the user's area (else E_T_SCOPE, nothing stored).
    """
    from dudao.audit.services import record

    sections, county_of = _sections_of(year)
    rules = load_teacher_rules()
    checked = check_file(path, rules, year, sections)
    if user is not None:
        from dudao.accounts.permissions import scope_of

        scope, bag = scope_of(user), Collector(checked.file, checked.errors)
        for _sheet, rows in checked.rows.items():
            for rec in rows:
                code = rec.values.get("school_code")
                if code and code in county_of and not scope.covers_school(code, county_of[code]):
                    bag.add(TeacherDataError.SCOPE, value=code, **rec.location("school_code"))
    order = {name: i for i, name in enumerate((SHEET_TEACHERS, SHEET_SERVICE, SHEET_ROTATIONS, SHEET_PLACES))}
    errors = sorted(checked.errors, key=lambda e: (order.get(e.sheet, -1), e.row or 0, len(e.column), e.column))
    report = TeacherImport(path.name, year, errors=errors)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""
    if report.errors:
        record("import_refused", "teachers", path.name, {"year": year, "errors": len(report.errors), "sha256": digest})
        return report
    with transaction.atomic():
        report.counts = _store(checked, year, county_of)
    report.warnings = count_mismatches(year, {county_of[r.values["school_code"]]
                                              for r in checked.rows.get(SHEET_TEACHERS, [])})
    record("import", "teachers", path.name, {"year": year, "counts": report.counts, "sha256": digest})
    return report


def _store(checked: CheckedTeachers, year: int, county_of: dict[str, str]) -> dict[str, int]:
    schools = {s.code: s for s in School.objects.filter(code__in=set(county_of))}
    counties = {u.code: u for u in OrgUnit.objects.filter(level="county")}
    rows = checked.rows.get(SHEET_TEACHERS, [])
    digests = {r.values["id_number"]: crypto.digest(r.values["id_number"]) for r in rows}
    Teacher.objects.filter(year=year, id_digest__in=list(digests.values())).delete()
    fields = ("name", "section", "subject", "qualification", "title", "key_level", "certified", "birth_year", "sex", "post")
    teachers = []
    for r in rows:
        v = r.values
        teachers.append(Teacher(
            year=year, id_digest=digests[v["id_number"]], id_encrypted=crypto.encrypt(v["id_number"]),
            id_masked=crypto.mask(v["id_number"]), school=schools[v["school_code"]],
            county=counties[county_of[v["school_code"]]], full_time=v.get("full_time") is not False,
            mental_health_part_time=bool(v.get("mental_health_part_time")), exemption=v.get("exemption") or "",
            **{f: v[f] for f in fields}))
    Teacher.objects.bulk_create(teachers, batch_size=BATCH)
    by_digest = dict(Teacher.objects.filter(year=year, id_digest__in=list(digests.values())).values_list("id_digest", "pk"))
    service = [ServicePeriod(teacher_id=by_digest[crypto.digest(r.values["id_number"])], school_code=r.values["school_code"],
                             school_name=r.values.get("school_name") or "", start=r.values["start"], end=r.values.get("end"),
                             rural=r.values.get("rural"), weak=r.values.get("weak"), post=r.values.get("post") or "")
               for r in checked.rows.get(SHEET_SERVICE, [])]
    ServicePeriod.objects.bulk_create(service, batch_size=BATCH)
    rotations = [Rotation(teacher_id=by_digest[crypto.digest(r.values["id_number"])], kind=r.values["kind"],
                          relation_moves=r.values["relation_moves"], from_school=r.values["from_school"],
                          to_school=r.values["to_school"], start=r.values["start"], end=r.values.get("end"))
                 for r in checked.rows.get(SHEET_ROTATIONS, [])]
    Rotation.objects.bulk_create(rotations, batch_size=BATCH)
    places = 0
    for r in checked.rows.get(SHEET_PLACES, []):
        school = schools.get(r.values["school_code"]) or School.objects.filter(code=r.values["school_code"]).first()
        if school is not None:
            SchoolPlace.objects.update_or_create(school=school, defaults={"lat": r.values["lat"], "lon": r.values["lon"]})
            places += 1
    return {"teachers": len(teachers), "service_periods": len(service), "rotations": len(rotations), "places": places}


# ---------------------------------------------------------------- tables


def section_frame(year: int, counties: Iterable[str]) -> pd.DataFrame:
    qs = SectionYear.objects.filter(school_year__year=year, school_year__county__code__in=list(counties)).values_list(
        "school_year__county__code", "school_year__school__code", "school_year__name", "school_year__kind",
        "school_year__location", "school_year__rural_school", "school_year__weak_school", "section", "values")
    rows = [{"county_code": c, "school_code": s, "school_name": n, "kind": k, "location": loc, "rural_school": ru,
             "weak_school": wk, "section": sec, "students": int(v.get("students") or 0), "classes": int(v.get("classes") or 0),
             **{f"stat_{e}": v.get(e) for e in (*COUNTED, "teachers_mental_health")}}
            for c, s, n, k, loc, ru, wk, sec, v in qs if sec in ("primary", "junior")]
    return pd.DataFrame(rows, columns=[*sf.SECTION_COLUMNS, *[f"stat_{e}" for e in (*COUNTED, "teachers_mental_health")]])


def teacher_frame(year: int, counties: Iterable[str], rules: TeacherRules | None = None) -> pd.DataFrame:
    rules = rules or load_teacher_rules()
    qs = Teacher.objects.filter(year=year, county__code__in=list(counties)).values_list(
        "pk", "name", "school__code", "section", "subject", "full_time", "mental_health_part_time", "qualification",
        "key_level", "county__code", "title", "post", "sex", "birth_year", "exemption", "id_masked", "certified")
    cols = ["pk", "name", "school_code", "section", "subject", "full_time", "mental_health_part_time", "qualification",
            "key_level", "county_code", "title", "post", "sex", "birth_year", "exemption", "id_masked", "certified"]
    t = pd.DataFrame(list(qs), columns=cols)
    t["group"] = t["subject"].map(rules.group_of)
    t["above_degree"] = pd.Series([rules.above_degree(q, s) for q, s in zip(t["qualification"], t["section"], strict=True)],
                                  index=t.index, dtype=bool)
    t["key"] = t["key_level"].map(rules.key_counts).astype(bool)
    t["pe_art"] = t["group"].isin(["pe", "music", "art"]).astype(bool)
    t["full_time"] = t["full_time"].astype(bool)
    return t


def count_mismatches(year: int, counties: Iterable[str]) -> list[Issue]:
    """Each school section whose roster-derived teacher counts differ from its annual statistics."""
    counties = list(counties)
    sec = section_frame(year, counties)
    t = teacher_frame(year, counties)
    if t.empty:
        return []
    full = t[t["full_time"].astype(bool)]
    derived = {
        "teachers_fulltime": full.groupby(["school_code", "section"]).size(),
        "teachers_above_degree": full[full["above_degree"]].groupby(["school_code", "section"]).size(),
        "teachers_key": full[full["key"]].groupby(["school_code", "section"]).size(),
        "teachers_pe": full[full["group"] == "pe"].groupby(["school_code", "section"]).size(),
        "teachers_music": full[full["group"] == "music"].groupby(["school_code", "section"]).size(),
        "teachers_art": full[full["group"] == "art"].groupby(["school_code", "section"]).size(),
    }
    with_roster = set(zip(t["school_code"], t["section"], strict=True))
    out: list[Issue] = []
    names = {"primary": "小学", "junior": "初中"}
    for r in sec.itertuples(index=False):
        if (r.school_code, r.section) not in with_roster:
            continue
        for code, (zh, en) in COUNTED.items():
            reported = getattr(r, f"stat_{code}")
            got = int(derived[code].get((r.school_code, r.section), 0))
            if reported is not None and int(reported) != got:
                zh_msg, en_msg = TeacherWarning.COUNT_MISMATCH.format(
                    school=f"{r.school_name}（{r.school_code}）", section=names.get(r.section, r.section), what=zh,
                    derived=got, reported=int(reported))
                out.append(Issue("warning", TeacherWarning.COUNT_MISMATCH.code, zh_msg,
                                 en_msg.replace(zh, en), "", header=code, value=str(got)))
    return out


# ---------------------------------------------------------------- staffing


@dataclass
class StaffingResult:
    staff: pd.DataFrame
    subjects: pd.DataFrame
    summary: pd.DataFrame
    rules: TeacherRules


def staffing(year: int, counties: Sequence[str]) -> StaffingResult:
    rules = rules_for(counties[0] if counties else "")
    sec = section_frame(year, counties)
    t = teacher_frame(year, counties, rules)
    staff, subjects = sf.check(rules, sec, t)
    return StaffingResult(staff, subjects, sf.county_summary(staff, subjects, rules) if len(staff) else pd.DataFrame(), rules)


# ---------------------------------------------------------------- eligibility and indicators


def _status_lookup(codes: Iterable[str]) -> el.StatusLookup:
    status = {(c, y): (ru, wk) for c, y, ru, wk in SchoolYear.objects.filter(school__code__in=list(codes))
              .values_list("school__code", "year", "rural_school", "weak_school")}
    return lambda code, y: status.get((code, y))


def people(year: int, counties: Sequence[str]) -> tuple[list[el.Person], dict[int, Teacher]]:
    teachers = {t.pk: t for t in Teacher.objects.filter(year=year, county__code__in=list(counties)).select_related("school")}
    periods: dict[int, list[el.Period]] = defaultdict(list)
    for p in ServicePeriod.objects.filter(teacher_id__in=list(teachers)):
        periods[p.teacher_id].append(el.Period(p.school_code, p.start, p.end, p.rural, p.weak, p.school_name))
    rules = rules_for(counties[0] if counties else "")
    out = [el.Person(str(pk), t.name, t.sex, t.birth_year, t.post, t.school.code, rules.key_counts(t.key_level),
                     t.exemption, tuple(periods.get(pk, ()))) for pk, t in teachers.items()]
    return out, teachers


def eligibility(year: int, counties: Sequence[str]) -> list[tuple[Teacher, el.Verdict]]:
    rules = rules_for(counties[0] if counties else "")
    persons, teachers = people(year, counties)
    codes = {p.school_code for per in persons for p in per.periods}
    lookup = _status_lookup(codes)
    return [(teachers[int(p.key)], el.assess(p, year, rules, lookup)) for p in persons]


def rotated_in(year: int, counties: Sequence[str]) -> dict[int, Rotation]:
    """Teachers on the year's roster with a rotation starting in the school year."""
    rules = rules_for(counties[0] if counties else "")
    start = el.reference_day(rules, year)
    end = el.reference_day(rules, year + 1)
    out: dict[int, Rotation] = {}
    for r in Rotation.objects.filter(teacher__year=year, teacher__county__code__in=list(counties), start__gte=start,
                                     start__lt=end).order_by("start"):
        out.setdefault(r.teacher_id, r)
    return out


def indicators(year: int, counties: Sequence[str]) -> dict[str, el.Indicators]:
    """Rotation indicators per county: rotated / eligible, key teachers among the rotated."""
    out: dict[str, el.Indicators] = {}
    for county in counties:
        rules = rules_for(county)
        verdicts = eligibility(year, [county])
        rotated = rotated_in(year, [county])
        teachers = {t.pk: t for t, _v in verdicts}
        eligible = sum(1 for _t, v in verdicts if v.must_rotate)
        key = sum(1 for pk in rotated if pk in teachers and rules.key_counts(teachers[pk].key_level))
        ind = el.quota(eligible, len(rotated), key, rules)
        ind.key_eligible = sum(1 for t, v in verdicts if v.must_rotate and rules.key_counts(t.key_level))
        out[county] = ind
    return out


# ---------------------------------------------------------------- planning


@dataclass
class PlanRequest:
    county: str
    year: int
    move: set[str] = field(default_factory=set)  # teacher ids (pk) that must move
    stay: set[str] = field(default_factory=set)
    to: dict[str, str] = field(default_factory=dict)  # teacher id -> school code
    closed: set[str] = field(default_factory=set)  # school codes
    time_limit: float | None = None
    max_km: float | None = None


def build_problem(req: PlanRequest) -> tuple[pl.Problem, dict[str, Teacher], list[str]]:
    """The county's planning problem: its school sections (with coordinates) and its eligible teachers."""
    rules = rules_for(req.county)
    std = load_standard("youzhi2017", req.county[:2])
    result = staffing(req.year, [req.county])
    if result.staff.empty or not Teacher.objects.filter(year=req.year, county__code=req.county).exists():
        raise TeacherFailure(PlanError.NO_TEACHERS, county=req.county, year=req.year)
    t = teacher_frame(req.year, [req.county], rules)
    places = {p.school.code: (p.lat, p.lon) for p in SchoolPlace.objects.filter(
        school__code__in=result.staff["school_code"].unique().tolist()).select_related("school")}
    counts = t[t["full_time"].astype(bool)].groupby(["school_code", "section"]).agg(
        R1=("above_degree", "sum"), R2=("key", "sum"), R3=("pe_art", "sum"))
    need: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    surplus: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for r in result.subjects.itertuples(index=False):
        if not r.section:
            continue
        need[(r.school_code, r.section)][r.group] = int(r.shortage)
        surplus[(r.school_code, r.section)][r.group] = max(0, int(r.in_post) - int(r.needed))
    thresholds = {ind.id: ind.thresholds for ind in std.indicators if ind.id in pl.INDICATORS}
    units, missing = [], []
    for r in result.staff.itertuples(index=False):
        if r.school_code not in places:
            missing.append(r.school_code)
            continue
        c = counts.loc[(r.school_code, r.section)] if (r.school_code, r.section) in counts.index else None
        units.append(pl.Unit(r.school_code, r.school_name, r.section, int(r.students), bool(r.rural_school or r.weak_school),
                             places[r.school_code][0], places[r.school_code][1],
                             {k: int(c[k]) if c is not None else 0 for k in pl.INDICATORS},
                             {k: float(thresholds[k][r.section]) for k in pl.INDICATORS},
                             need[(r.school_code, r.section)], surplus[(r.school_code, r.section)], req.county))
    verdicts = eligibility(req.year, [req.county])
    pool = {str(tch.pk): tch for tch, v in verdicts if v.must_rotate and tch.full_time}
    pinned = req.move | set(req.to)
    by_pk = {str(tch.pk): tch for tch, _v in verdicts}
    for key in pinned | req.stay:
        if key not in by_pk:
            raise TeacherFailure(PlanError.PIN_UNKNOWN, value=key)
        if key in pinned:  # a pinned teacher joins the pool even when not (yet) required to rotate
            pool.setdefault(key, by_pk[key])
    school_codes = {u.school_code for u in units}
    for code in set(req.to.values()) | req.closed:
        if code not in school_codes:
            raise TeacherFailure(PlanError.PIN_UNKNOWN, value=code)
    row = t.set_index(t["pk"].astype(str))
    cands = []
    for key, tch in pool.items():
        info = row.loc[key]
        adds = frozenset(k for k, flag in (("R1", info["above_degree"]), ("R2", info["key"]), ("R3", info["pe_art"])) if flag)
        cands.append(pl.Candidate(key, tch.name, tch.school.code, tch.section, str(info["group"]), adds, bool(info["key"]),
                                  tch.subject))
    p = rules.planner
    params = pl.Params(max_km=req.max_km or p.max_distance_km.value, receiver_share=p.receiver_rural_weak_share.value,
                       quota_rotated=rules.rotation.quota_rotated.value, quota_key=rules.rotation.quota_key.value,
                       key_base=rules.rotation.key_base, eligible=sum(1 for _t, v in verdicts if v.must_rotate),
                       time_limit=req.time_limit or p.time_limit_s.value,
                       candidates_per_teacher=int(p.candidates_per_teacher.value), w_school=p.weight_school.value,
                       w_indicator=p.weight_indicator.value, w_cv=p.weight_cv.value, w_move=p.weight_move.value,
                       w_km=p.weight_distance.value, w_shortage=p.weight_shortage.value)
    labels = {g.id: g.zh for g in rules.subject_groups}
    problem = pl.Problem(units, cands, params, pl.Pins(set(req.move), set(req.stay), dict(req.to), set(req.closed)), labels)
    return problem, {k: by_pk[k] for k in pool}, sorted(set(missing))


def make_plan(req: PlanRequest, actor: str) -> RotationPlan:
    """Builds and solves the plan, stores it with everything the pages and the export show."""
    from dudao.audit.services import record

    problem, teachers, missing = build_problem(req)
    plan = pl.solve(problem)
    units = {u.key: u for u in problem.units}
    moves = []
    for m in plan.moves:
        tch = teachers[m.teacher]
        moves.append({"teacher": m.teacher, "name": tch.name, "id_masked": tch.id_masked, "subject": tch.subject,
                      "section": tch.section, "key_level": tch.key_level, "title": tch.title,
                      "from_code": units[m.frm].school_code, "from_name": units[m.frm].school_name,
                      "to_code": units[m.to].school_code, "to_name": units[m.to].school_name,
                      "to_rural_weak": units[m.to].rural_weak, "km": round(m.km, 1),
                      "reasons_zh": m.reasons_zh, "reasons_en": m.reasons_en})
    delta, _flow = pl._deltas(problem, plan.moves)
    unit_rows = [{"school_code": u.school_code, "school_name": u.school_name, "section": u.section, "students": u.students,
                  "rural_weak": u.rural_weak,
                  **{f"{r}_before": round(u.value(r), 2) for r in pl.INDICATORS},
                  **{f"{r}_after": round(u.value(r, delta.get((u.key, r), 0)), 2) for r in pl.INDICATORS},
                  **{f"{r}_threshold": u.thresholds[r] for r in pl.INDICATORS}}
                 for u in problem.units]
    result = {"status": plan.status, "gap": plan.gap, "seconds": round(plan.seconds, 2), "objective": plan.objective,
              "bound": plan.bound, "variables": plan.variables, "metrics": plan.metrics, "moves": moves,
              "units": unit_rows, "schools_without_coordinates": missing,
              "violations": pl.violations(problem, plan.moves)}
    params = {"move": sorted(req.move), "stay": sorted(req.stay), "to": req.to, "closed": sorted(req.closed),
              "time_limit": problem.params.time_limit, "max_km": problem.params.max_km}
    saved = RotationPlan.objects.create(county=OrgUnit.objects.get(code=req.county), year=req.year, actor=actor,
                                        params=params, result=result)
    record("plan", "rotation_plan", saved.pk, {"county": req.county, "year": req.year, "moves": len(moves),
                                               "status": plan.status}, object_unit=req.county)
    return saved


def plan_workbook(plan: RotationPlan, path: Path) -> Path:
    """The plan as an Excel workbook for the county's decision: moves with reasons, before/after, summary."""
    import xlsxwriter

    res = plan.result
    m = res["metrics"]
    wb = xlsxwriter.Workbook(str(path))
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet("交流方案")
    cols = ["序号", "姓名", "身份证号（脱敏）", "学段", "学科", "骨干级别", "派出学校", "派出学校标识码", "接收学校",
            "接收学校标识码", "接收校乡村/薄弱", "距离（公里）", "理由"]
    for c, h in enumerate(cols):
        ws.write_string(0, c, h, head)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 11, 14)
    ws.set_column(12, 12, 80)
    rules = rules_for(plan.county.code)
    for i, mv in enumerate(res["moves"], start=1):
        vals = [i, mv["name"], mv["id_masked"], {"primary": "小学", "junior": "初中"}.get(mv["section"], mv["section"]),
                rules.label("subjects", mv["subject"]), rules.label("key_levels", mv["key_level"]), mv["from_name"],
                mv["from_code"], mv["to_name"], mv["to_code"], "是" if mv["to_rural_weak"] else "否", mv["km"],
                "；".join(mv["reasons_zh"])]
        for c, v in enumerate(vals):
            ws.write_string(i, c, v, wrap) if isinstance(v, str) else ws.write(i, c, v)
    ws2 = wb.add_worksheet("交流前后指标")
    ucols = ["学校标识码", "学校名称", "学段", "在校生", "乡村/薄弱", *[f"{r}{w}" for r in pl.INDICATORS
                                                           for w in ("标准", "交流前", "交流后")]]
    for c, h in enumerate(ucols):
        ws2.write_string(0, c, h, head)
    for i, u in enumerate(res["units"], start=1):
        vals = [u["school_code"], u["school_name"], u["section"], u["students"], "是" if u["rural_weak"] else "否",
                *[u[f"{r}_{w}"] for r in pl.INDICATORS for w in ("threshold", "before", "after")]]
        for c, v in enumerate(vals):
            ws2.write(i, c, v)
    ws3 = wb.add_worksheet("汇总")
    rows = [("县", f"{plan.county.name}（{plan.county.code}）"), ("学年", plan.year),
            ("求解状态", res["status"]), ("已证明的最优性差距", "" if res["gap"] is None else f"{res['gap']:.4%}"),
            ("求解用时（秒）", res["seconds"]), ("符合交流条件教师", m["eligible"]), ("交流人数", m["moves"]),
            ("应交流人数（10%）", m["needed_moves"]), ("其中骨干教师", m["key_moves"]), ("骨干教师应达（20%）", m["needed_key"]),
            ("流向乡村/薄弱学校", m["rural_weak_moves"]), ("R1–R3 全部达标学校（学段）交流前", m["meet_all_before"]),
            ("R1–R3 全部达标学校（学段）交流后", m["meet_all_after"])]
    rows += [(f"差异系数 {k.replace('|', ' ')} 交流前→后", f"{v:.3f} → {m['cv_after'][k]:.3f}")
             for k, v in m["cv_before"].items() if v is not None and m["cv_after"].get(k) is not None]
    rows += [(f"学科缺口 {rules.label('subject_groups', g)} 交流前→后", f"{n} → {m['shortage_after'].get(g, 0)}")
             for g, n in m["shortage_before"].items()]
    for i, (k, v) in enumerate(rows):
        ws3.write_string(i, 0, k, head)
        ws3.write(i, 1, v)
    ws3.set_column(0, 0, 36)
    ws3.set_column(1, 1, 30)
    wb.close()
    return path


def counties_with_roster(year: int, prefix: str = "") -> list[str]:
    return sorted(set(Teacher.objects.filter(year=year, county__code__startswith=prefix)
                      .values_list("county__code", flat=True).distinct()))


@dataclass
class FactOutcome:
    county: str
    recorded: bool
    value: float | None
    passed: bool | None
    evidence: str
    reason: str = ""


def record_rotation_fact(year: int, counties: Sequence[str], actor: str, item: str = "G11") -> list[FactOutcome]:
    """Writes the rotation indicator computed from the roster into the assessment's recorded county item G11
    (value = rotated / eligible; passed = both quotas met), with the figures as evidence. A county whose data are
    locked by a submitted case, or without a roster, is left as it is and said so."""
    from dudao.assessment.models import CountyFact
    from dudao.audit.services import record
    from dudao.supervision.services import locked_counties

    locked = locked_counties(year, list(counties))
    out = []
    for county, ind in indicators(year, counties).items():
        evidence = (f"教师名册计算（dudao teachers）：符合交流条件 {ind.eligible} 人，本学年交流 {ind.rotated} 人"
                    f"（{'—' if ind.rate is None else f'{ind.rate:.1%}'}，应 ≥ {ind.needed_rotated} 人），其中骨干教师 "
                    f"{ind.rotated_key} 人（{'—' if ind.key_rate is None else f'{ind.key_rate:.1%}'}，应 ≥ {ind.needed_key} 人）")
        passed = ind.rate_met and ind.key_met if ind.eligible else None
        if county in locked:
            out.append(FactOutcome(county, False, ind.rate, passed, evidence, "locked"))
            continue
        if not Teacher.objects.filter(year=year, county__code=county).exists():
            out.append(FactOutcome(county, False, None, None, evidence, "no roster"))
            continue
        CountyFact.objects.update_or_create(
            county=OrgUnit.objects.get(code=county), year=year, item=item,
            defaults={"value": ind.rate, "passed": passed, "evidence": evidence, "actor": actor})
        record("fact", "county_fact", f"{county}/{year}/{item}", {"value": ind.rate, "passed": passed}, object_unit=county)
        out.append(FactOutcome(county, True, ind.rate, passed, evidence))
    return out


def latest_year(prefix: str = "", default: int = 2024) -> int:
    """The latest school year with a roster in the region (``default`` when there is none)."""
    year = Teacher.objects.filter(county__code__startswith=prefix).order_by("-year").values_list("year", flat=True).first()
    return int(year) if year else default
