"""Staffing against the standards: staff required by the student–staff ratios (small schools by the
combined student–teacher and class–teacher rule), staff in post, and shortages by subject group.

Inputs are plain tables (pandas), one row per school section and one per teacher; no Django. The
figures come from ``standards/data/teachers.yaml`` (``TeacherRules``).

- required (ratio)  = students / ratio[section]
- small school (whole school < ``small_school.max_students`` students, of the listed kinds and locations):
  required = max(students / ratio, classes × class_ratio) (``combine: max``) or their sum
- in post           = full-time teachers of the section on the roster
- subject group g (``rule: lessons``): required_g = classes × lessons_g[section] / load[section], needed
  = max(min_per_school, round-half-up(required_g)) when the section has classes; (``rule: per_school``):
  ``per_school`` per school (of the listed kinds), part-time teachers counting when allowed
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from dudao.teachers.rules import TeacherRules

SECTION_COLUMNS = ("county_code", "school_code", "school_name", "kind", "location", "rural_school", "weak_school",
                   "section", "students", "classes")
TEACHER_COLUMNS = ("school_code", "section", "subject", "full_time", "mental_health_part_time")


def half_up(x: float) -> int:
    return math.floor(x + 0.5 + 1e-9)


def required_staff(rules: TeacherRules, sections: pd.DataFrame) -> pd.DataFrame:
    """Adds ``small``, ``required_ratio``, ``required_class`` and ``required`` to the section rows."""
    st = rules.staffing
    out = sections.copy()
    school_students = out.groupby("school_code")["students"].transform("sum")
    ratio = out["section"].map({k: p.value for k, p in st.ratios.items()}).astype(float)
    out["required_ratio"] = out["students"].astype(float) / ratio
    small = (school_students < st.small_school.max_students.value) & out["kind"].isin(st.small_school.applies_to_kinds) \
        & out["location"].isin(st.small_school.applies_to_locations)
    out["small"] = small
    out["required_class"] = np.where(small, out["classes"].astype(float) * st.small_school.class_ratio.value, 0.0)
    if st.small_school.combine == "max":
        req = np.where(small, np.maximum(out["required_ratio"], out["required_class"]), out["required_ratio"])
    else:
        req = np.where(small, out["required_ratio"] + out["required_class"], out["required_ratio"])
    out["required"] = np.round(req * st.teacher_share_of_staff.value, 2)
    return out


def check(rules: TeacherRules, sections: pd.DataFrame, teachers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staffing per school section, and subject-group needs per school section (per school for
    ``per_school`` groups, section ""): (staffing, subjects)."""
    staff = required_staff(rules, sections)
    t = teachers.copy()
    t["group"] = t["subject"].map(rules.group_of)
    full = t[t["full_time"].astype(bool)]
    in_post = full.groupby(["school_code", "section"]).size().rename("in_post")
    staff = staff.join(in_post, on=["school_code", "section"]).fillna({"in_post": 0})
    staff["in_post"] = staff["in_post"].astype(int)
    staff["required_whole"] = staff["required"].map(lambda r: math.ceil(r - 1e-9))
    staff["shortage"] = (staff["required_whole"] - staff["in_post"]).clip(lower=0)
    staff["surplus"] = (staff["in_post"] - staff["required_whole"]).clip(lower=0)
    rows: list[dict[str, Any]] = []
    by_sec = full.groupby(["school_code", "section", "group"]).size().to_dict()
    by_school = full.groupby(["school_code", "group"]).size().to_dict()
    part_time = t[t["mental_health_part_time"].astype(bool) & (t["group"] != "mental_health")] \
        .groupby("school_code").size().to_dict()
    load = {k: p.value for k, p in rules.teaching_load.items()}
    schools = staff.drop_duplicates("school_code")
    for g in rules.subject_groups:
        if g.rule == "lessons":
            for r in staff.itertuples(index=False):
                lessons = g.lessons.get(r.section)
                if lessons is None or r.section not in load:
                    continue
                raw = float(r.classes) * lessons / load[r.section]
                need = max(g.min_per_school, half_up(raw)) if r.classes > 0 else 0
                have = int(by_sec.get((r.school_code, r.section, g.id), 0))
                rows.append({"school_code": r.school_code, "section": r.section, "group": g.id,
                             "required": round(raw, 2), "needed": need, "in_post": have, "part_time": 0,
                             "shortage": max(0, need - have)})
        elif g.rule == "per_school":
            for r in schools.itertuples(index=False):
                if g.kinds is not None and r.kind not in g.kinds:
                    continue
                have = int(by_school.get((r.school_code, g.id), 0))
                extra = int(part_time.get(r.school_code, 0)) if g.part_time_counts else 0
                rows.append({"school_code": r.school_code, "section": "", "group": g.id, "required": float(g.per_school),
                             "needed": g.per_school, "in_post": have, "part_time": extra,
                             "shortage": max(0, g.per_school - have - extra)})
    subjects = pd.DataFrame(rows, columns=["school_code", "section", "group", "required", "needed", "in_post",
                                           "part_time", "shortage"])
    specialist = subjects[subjects["group"].isin([g.id for g in rules.subject_groups if g.rule == "lessons"])]
    spec_need = specialist.groupby(["school_code", "section"])["needed"].sum()
    general_have = full[full["group"] == "general"].groupby(["school_code", "section"]).size()
    gen = staff[["school_code", "section", "required_whole"]].set_index(["school_code", "section"])
    gen["needed"] = (gen["required_whole"] - spec_need.reindex(gen.index).fillna(0)).clip(lower=0).astype(int)
    gen["in_post"] = general_have.reindex(gen.index).fillna(0).astype(int)
    gen = gen.reset_index()
    gen_rows = pd.DataFrame({"school_code": gen["school_code"], "section": gen["section"], "group": "general",
                             "required": gen["needed"].astype(float), "needed": gen["needed"], "in_post": gen["in_post"],
                             "part_time": 0, "shortage": (gen["needed"] - gen["in_post"]).clip(lower=0)})
    subjects = pd.concat([subjects, gen_rows], ignore_index=True)
    return staff, subjects


def county_summary(staff: pd.DataFrame, subjects: pd.DataFrame, rules: TeacherRules) -> pd.DataFrame:
    """Per county: schools, students, required, in post, shortage (sum over short sections), and
    schools without a mental-health teacher and their share."""
    s = staff.groupby("county_code").agg(schools=("school_code", "nunique"), students=("students", "sum"),
                                         required=("required", "sum"), in_post=("in_post", "sum"),
                                         shortage=("shortage", "sum"),
                                         short_sections=("shortage", lambda x: int((x > 0).sum())))
    county_of = staff.drop_duplicates("school_code").set_index("school_code")["county_code"]
    mh = subjects[subjects["group"] == "mental_health"].copy()
    mh["county_code"] = mh["school_code"].map(county_of)
    lacking = mh[mh["shortage"] > 0].groupby("county_code").size()
    s["no_mental_health"] = lacking.reindex(s.index).fillna(0).astype(int)
    s["mental_health_share"] = 1 - s["no_mental_health"] / s["schools"]
    s["mental_health_target"] = rules.mental_health_target.value
    sub = subjects.copy()
    sub["county_code"] = sub["school_code"].map(county_of)
    pivot = sub.pivot_table(index="county_code", columns="group", values="shortage", aggfunc="sum", fill_value=0)
    for col in pivot.columns:
        s[f"short_{col}"] = pivot[col].reindex(s.index).fillna(0).astype(int)
    s["required"] = s["required"].round(1)
    return s.reset_index()
