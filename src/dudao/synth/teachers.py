"""Synthetic teachers consistent with the synthetic province's school statistics.

For every school section of a year of ``generate_province`` it makes exactly ``teachers_fulltime``
teachers, of whom exactly ``teachers_above_degree`` hold the required degree, ``teachers_key`` are county-
level-or-higher key teachers, ``teachers_pe`` / ``teachers_music`` / ``teachers_art`` teach those subjects,
``teachers_mental_health`` teach mental health and ``teachers_certified`` hold a certificate — so the
counts derived from the roster equal the statistics (the import reports no mismatch).

Service histories: tenure at the present school is drawn so that about a third of teachers have spent 6
or more years there (and must rotate unless over age or exempt); many earlier periods are at rural or weak
schools, some recorded with the status, some left for the statistics to tell; a few have a break. About
2 % are exempt (pregnancy, breastfeeding, illness). Some teachers of the year rotated (rotation records
starting 1 September), below the 10 % quota in some counties. School coordinates: around the county's
centre, urban schools within ~5 km, rural ones up to ~30 km.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dudao.orgunits.divisions import national_divisions
from dudao.synth.province import ProvinceData, YearData
from dudao.teachers.crypto import with_check

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彬鑫宇浩凯健俊帆帅旭宁琳晨辰雪欣怡梓涵子轩"
GENERAL = ("chinese", "math", "english", "moral", "it", "labour", "other")
GENERAL_W = (0.34, 0.30, 0.14, 0.08, 0.05, 0.04, 0.05)
SCIENCE = {"primary": ("science",), "junior": ("physics", "chemistry", "biology", "history", "geography")}
BELOW = {"primary": "secondary", "junior": "associate"}
ABOVE = {"primary": ("associate", "bachelor", "bachelor", "postgraduate"), "junior": ("bachelor", "bachelor", "postgraduate")}


@dataclass
class TeacherData:
    year: int
    teachers: list[dict[str, Any]] = field(default_factory=list)
    service: list[dict[str, Any]] = field(default_factory=list)
    rotations: list[dict[str, Any]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)

    def sheets(self) -> dict[str, list[dict[str, Any]]]:
        from dudao.teachers.workbook import SHEET_PLACES, SHEET_ROTATIONS, SHEET_SERVICE, SHEET_TEACHERS

        return {SHEET_TEACHERS: self.teachers, SHEET_SERVICE: self.service, SHEET_ROTATIONS: self.rotations,
                SHEET_PLACES: self.places}


def generate_teachers(data: ProvinceData | YearData, year: int, seed: int = 1,
                      counties: Sequence[str] | None = None) -> TeacherData:
    """The teachers of the province's schools in ``year`` (only ``counties`` if given)."""
    rng = np.random.default_rng([seed, year, 8])
    yd = data if isinstance(data, YearData) else data[year]
    wanted = set(counties) if counties is not None else None
    schools = {s["school_code"]: s for s in yd.schools
               if s["status"] == "operating" and (wanted is None or s["county_code"] in wanted)}
    centres = {d.code: (d.latitude, d.longitude) for d in national_divisions() if d.code in {s["county_code"] for s in schools.values()}}
    out = TeacherData(year)
    for code, s in schools.items():
        clat, clon = centres.get(s["county_code"]) or (41.8, 123.4)
        spread = {"urban": 0.04, "town": 0.12, "rural": 0.25}[s["location"]]
        out.places.append({"school_code": code, "lat": round(float(clat + rng.normal(0, spread * 0.6)), 5),
                           "lon": round(float(clon + rng.normal(0, spread * 0.8)), 5)})
    by_county: dict[str, list[str]] = defaultdict(list)
    for code, s in schools.items():
        by_county[s["county_code"]].append(code)
    serial = 0
    used: set[str] = set()
    principal_done: set[str] = set()
    for sec in yd.sections:
        code = sec["school_code"]
        school = schools.get(code)
        if school is None or sec["section"] not in ("primary", "junior"):
            continue
        n = int(sec.get("teachers_fulltime") or 0)
        if n == 0:
            continue
        section = sec["section"]
        counts = {k: min(n, int(sec.get(k) or 0)) for k in ("teachers_pe", "teachers_music", "teachers_art",
                                                             "teachers_mental_health")}
        subjects: list[str] = []
        for key, subj in (("teachers_pe", "pe"), ("teachers_music", "music"), ("teachers_art", "art"),
                          ("teachers_mental_health", "mental_health")):
            subjects += [subj] * max(0, min(counts[key], n - len(subjects)))
        rest = n - len(subjects)
        n_sci = min(rest, round(rest * (0.08 if section == "primary" else 0.3)))
        subjects += list(rng.choice(SCIENCE[section], n_sci))
        subjects += list(rng.choice(GENERAL, rest - n_sci, p=GENERAL_W))
        above = _exactly(rng, n, int(sec.get("teachers_above_degree") or 0))
        key = _exactly(rng, n, int(sec.get("teachers_key") or 0))
        cert_n = sec.get("teachers_certified")
        cert = _exactly(rng, n, n if cert_n is None else int(cert_n))
        for k in range(n):
            serial += 1
            female = rng.random() < (0.78 if section == "primary" else 0.65)
            age = int(np.clip(rng.normal(41, 9), 22, 59))
            born = year - age
            birthday = dt.date(born, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
            seq = serial % 1000
            ident = with_check(f"{school['county_code']}{birthday:%Y%m%d}{seq:03d}")
            while ident in used:  # same county, birthday and sequence: take the next sequence number
                seq = (seq + 1) % 1000
                ident = with_check(f"{school['county_code']}{birthday:%Y%m%d}{seq:03d}")
            used.add(ident)
            post = "teacher"
            if code not in principal_done:
                post, age = "principal", max(age, 38)
                principal_done.add(code)
            title = ("senior" if age > 45 and rng.random() < 0.45 else "first") if age > 35 else \
                ("second" if age > 26 else "none")
            rec = {"id_number": ident, "name": _name(rng), "school_code": code, "section": section,
                   "subject": str(subjects[k]),
                   "qualification": str(rng.choice(ABOVE[section])) if above[k] else BELOW[section],
                   "title": title,
                   "key_level": str(rng.choice(("county", "county", "prefecture", "province"))) if key[k] else
                   str(rng.choice(("none", "none", "school"))),
                   "certified": bool(cert[k]), "birth_year": born, "sex": "F" if female else "M", "post": post,
                   "full_time": True, "mental_health_part_time": bool(subjects[k] == "moral" and rng.random() < 0.3),
                   "exemption": str(rng.choice(("pregnancy", "breastfeeding", "illness"))) if rng.random() < 0.02 else None}
            out.teachers.append(rec)
            _history(rng, out, rec, school, by_county[school["county_code"]], schools, year, age)
    return out


def _exactly(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    flags = np.zeros(n, dtype=bool)
    flags[rng.choice(n, size=min(max(k, 0), n), replace=False)] = True
    return flags


def _name(rng: np.random.Generator) -> str:
    return SURNAMES[int(rng.integers(len(SURNAMES)))] + "".join(
        GIVEN[int(i)] for i in rng.integers(len(GIVEN), size=int(rng.integers(1, 3))))


def _history(rng: np.random.Generator, out: TeacherData, rec: dict[str, Any], school: dict[str, Any],
             county_schools: list[str], schools: dict[str, dict[str, Any]], year: int, age: int) -> None:
    """Service periods ending at the present school; some rotations in the year."""
    career_start = year - max(0, age - 22)
    tenure = int(min(year - career_start, rng.choice(np.arange(0, 16), p=_TENURE)))
    start_here = dt.date(year - tenure, 9, 1)
    periods: list[dict[str, Any]] = []
    cursor = start_here
    while cursor.year > career_start + 1 and len(periods) < 3:
        length = int(rng.integers(1, 7))
        begin = dt.date(max(career_start, cursor.year - length), 9, 1)
        if begin >= cursor:
            break
        other = schools[str(rng.choice(county_schools))] if rng.random() < 0.8 else None
        rural = bool(rng.random() < 0.5) if other is None else None
        if other is not None and rng.random() < 0.4:  # status as recorded by the teacher's school
            rural = bool(other["rural_school"] or other["weak_school"])
        end = cursor if rng.random() > 0.1 else dt.date(cursor.year, 1, 15)  # a few breaks
        periods.append({"id_number": rec["id_number"], "school_code": other["school_code"] if other else "2121999999",
                        "school_name": other["school_name"] if other else "（已撤并学校）", "start": begin, "end": end,
                        "rural": rural, "weak": None if rural is None else False, "post": "teacher"})
        cursor = begin
    periods.reverse()
    periods.append({"id_number": rec["id_number"], "school_code": rec["school_code"], "school_name": school["school_name"],
                    "start": start_here, "end": None, "rural": None, "weak": None, "post": rec["post"]})
    out.service += periods
    if tenure >= 6 and rec["exemption"] is None and rng.random() < 0.09:
        others = [c for c in county_schools if c != rec["school_code"] and schools[c]["rural_school"]]
        if others:
            out.rotations.append({"id_number": rec["id_number"], "kind": str(rng.choice(("exchange", "supported", "itinerant",
                                                                                      "group", "paired"))),
                                  "relation_moves": bool(rng.random() < 0.3), "from_school": rec["school_code"],
                                  "to_school": str(rng.choice(others)), "start": dt.date(year, 9, 1),
                                  "end": dt.date(year + int(rng.integers(1, 4)), 7, 31)})


_TENURE = np.array([8, 8, 8, 8, 8, 8, 7, 7, 6, 6, 6, 5, 5, 4, 3, 7], dtype=float)
_TENURE = _TENURE / _TENURE.sum()


def write_teachers(td: TeacherData, path: Path) -> Path:
    from dudao.teachers.rules import load_teacher_rules
    from dudao.teachers.workbook import write_workbook

    return write_workbook(path, load_teacher_rules(), td.sheets())


# ---------------------------------------------------------------- planning instances (tests and benchmarks)


def planning_county(n_schools: int, n_teachers: int, seed: int = 1, eligible_share: float = 0.35,
                    params: Any = None) -> Any:
    """A synthetic county as the rotation planner sees it: ``n_schools`` primary/junior school sections with
    coordinates (urban ones near the centre, rural ones up to ~30 km), a roster of about ``n_teachers``
    whose counts (R1–R3, subject groups) are those of the units, and the eligible share of it as candidates.
    Indicator thresholds are the 2017 ones; subject needs and surpluses follow the roster."""
    from dudao.engine import planner as pl

    rng = np.random.default_rng([seed, n_schools, n_teachers])
    thresholds = {"primary": {"R1": 4.2, "R2": 1.0, "R3": 0.9}, "junior": {"R1": 5.3, "R2": 1.0, "R3": 0.9}}
    sections = rng.choice(["primary", "junior"], n_schools, p=[0.7, 0.3])
    rural = rng.random(n_schools) < 0.55
    weight = np.where(rural, rng.uniform(0.3, 1.0, n_schools), rng.uniform(1.0, 3.0, n_schools))
    sizes = np.maximum(3, np.round(weight / weight.sum() * n_teachers)).astype(int)
    groups = ("general", "pe", "music", "art", "science", "moral", "it")
    share = np.array([0.62, 0.09, 0.05, 0.05, 0.09, 0.06, 0.04])
    units, cands = [], []
    for s in range(n_schools):
        sec, n = str(sections[s]), int(sizes[s])
        ratio = rng.uniform(11, 19) if sec == "primary" else rng.uniform(9, 14)
        students = max(30, round(n * ratio))
        r_km = rng.uniform(0, 30) if rural[s] else rng.uniform(0, 6)
        ang = rng.uniform(0, 2 * np.pi)
        lat, lon = 41.0 + r_km * np.sin(ang) / 111, 123.0 + r_km * np.cos(ang) / 84
        quality = rng.uniform(0.55, 1.0) if rural[s] else rng.uniform(0.8, 1.3)
        g_of = rng.choice(groups, n, p=share / share.sum())
        above = rng.random(n) < min(0.98, 0.06 * ratio * quality)
        key = rng.random(n) < 0.011 * ratio * quality
        counts = {"R1": int(above.sum()), "R2": int(key.sum()), "R3": int(np.isin(g_of, ("pe", "music", "art")).sum())}
        want = {g: round(n * share[i] / (1.0 if not rural[s] else rng.uniform(0.8, 1.2))) for i, g in enumerate(groups)}
        have = {g: int((g_of == g).sum()) for g in groups}
        code = f"{s:010d}"
        units.append(pl.Unit(code, f"学校{s}", sec, students, bool(rural[s] or rng.random() < 0.1), float(lat), float(lon),
                             counts, thresholds[sec], need={g: max(0, want[g] - have[g]) for g in groups},
                             surplus={g: max(0, have[g] - want[g]) for g in groups}, county="C"))
        for k in range(n):
            if rng.random() < eligible_share:
                adds = frozenset(r for r, flag in (("R1", above[k]), ("R2", key[k]),
                                                   ("R3", g_of[k] in ("pe", "music", "art"))) if flag)
                cands.append(pl.Candidate(f"{code}-{k}", f"教师{s}-{k}", code, sec, str(g_of[k]), adds, bool(key[k])))
    eligible = len(cands)
    p = params or pl.Params()
    p.eligible = eligible
    return pl.Problem(units, cands, p)


DEMO_COUNTIES = 6


def load_demo(year: int, actor: str, out_dir: Path, counties: int = DEMO_COUNTIES, seed: int = 1) -> dict[str, Any]:
    """`make demo`: teachers for a few counties of the imported province (evenly spread), generated from the
    stored school statistics of ``year``, written as a teacher workbook and imported through the checks;
    then one rotation plan for the one with the most rural or weak schools."""
    from dudao.schools.models import SchoolYear, SectionYear
    from dudao.teachers import services

    codes = sorted(set(SchoolYear.objects.filter(year=year).values_list("county__code", flat=True)))
    if not codes:
        return {"teachers": 0}
    picked = [codes[int(i)] for i in np.unique(np.linspace(0, len(codes) - 1, min(counties, len(codes))).round())]
    if "210521" in codes and "210521" not in picked:
        picked[-1] = "210521"  # keep picked[0], the first county: the demo accounts' county (accounts.services)
    schools = [{"school_code": sy.school.code, "school_name": sy.name, "county_code": sy.county.code,
                "location": sy.location, "rural_school": sy.rural_school, "weak_school": sy.weak_school,
                "status": sy.status} for sy in SchoolYear.objects.filter(year=year, county__code__in=picked)
               .select_related("school", "county")]
    sections = [{"school_code": code, "section": sec, **values} for code, sec, values in SectionYear.objects.filter(
        school_year__year=year, school_year__county__code__in=picked).values_list("school_year__school__code", "section",
                                                                                  "values")]
    td = generate_teachers(YearData(year, schools, sections), year, seed)
    path = write_teachers(td, out_dir / f"teachers_{year}.xlsx")
    report = services.import_file(path, year, actor)
    if not report.accepted:
        raise RuntimeError(f"{path.name}: {report.errors[0].message_zh}")
    rural = {c: sum(1 for x in schools if x["county_code"] == c and (x["rural_school"] or x["weak_school"])) for c in picked}
    example = max(picked, key=lambda c: (rural[c], c))  # the plan needs rural or weak receivers
    plan = services.make_plan(services.PlanRequest(example, year, time_limit=15), actor)
    return {**report.counts, "counties": len(picked), "plan": plan.pk, "moves": len(plan.result["moves"]),
            "mismatches": len(report.warnings)}
