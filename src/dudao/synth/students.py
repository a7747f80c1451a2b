"""Synthetic student rosters, department lists and payment records for student aid, with planted errors.

Vectorised numpy (10 million students in well under a minute); the same seed gives the same files. Every
ID number is valid (region = a county of the province, real birth date from the grade, MOD 11-2 check
character). The payments are built from the amounts in ``aid.yaml`` (read with ``AidRules.amount_for``), then
the planted errors are applied and recorded in ``truth``: exactly these must come back from the coverage report.

Only primary and junior schools are generated (living subsidies and the nutrition meal subsidy); senior,
vocational and pre-school programmes are covered by the unit tests on small hand-made tables.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dudao.engine.aid import ID_CHECK, ID_WEIGHTS

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力雪梅林燕鑫宇浩然子轩欣怡梓涵一诺佳琪博文思远晨阳雨萱若曦俊熙")
DEPARTMENT_CATS = {"civil": ["dibao", "tekun", "guer", "wurenfuyang"], "rural": ["tuopin", "jiance"], "disability": ["canji"]}
CAT_SHARE = {"dibao": 0.035, "tekun": 0.004, "guer": 0.003, "wurenfuyang": 0.003, "tuopin": 0.05, "jiance": 0.012, "canji": 0.008}
PLANTS = ("unpaid", "not_eligible", "twice_school", "twice_group", "amount", "proposals", "moved", "two_categories")


@dataclass
class StudentData:
    roster: pd.DataFrame
    lists: dict[str, pd.DataFrame]
    payments: pd.DataFrame
    truth: dict[str, Any] = field(default_factory=dict)


def id_numbers(region: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> pa.Array:
    """Valid 18-character ID numbers from region codes (int), birth dates (datetime64[D]) and 3-digit sequences."""
    ymd = pd.DatetimeIndex(birth)
    body = region.astype(np.int64) * 10**11 + (ymd.year.values.astype(np.int64) * 10000 + ymd.month.values * 100
                                               + ymd.day.values) * 1000 + seq.astype(np.int64)
    total = np.zeros(len(body), dtype=np.int64)
    rest = body.copy()
    for w in reversed(ID_WEIGHTS):
        total += (rest % 10) * w
        rest //= 10
    check = np.array(list(ID_CHECK))[total % 11]
    return pc.binary_join_element_wise(pa.array(body).cast(pa.string()), pa.array(check), "")


def _names(rng: np.random.Generator, n: int) -> pa.Array:
    s = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    g1 = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    g2 = np.where(rng.random(n) < 0.6, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)], "")
    return pc.binary_join_element_wise(pa.array(s), pa.array(g1), pa.array(g2), "")


def generate_students(county: str, term: str = "2024-spring", *, students: int = 3000, schools: int = 12, seed: int = 1,
                      plants: dict[str, int] | None = None, counties: list[str] | None = None,
                      school_codes: list[str] | None = None, adults: int = 0) -> StudentData:
    """A roster of ``students`` over ``schools`` primary/junior schools of ``county`` (or spread over ``counties``),
    the three departments' lists, and payment records for the term with the planted errors."""
    from dudao.aid.rules import load_aid_rules, parse_term, term_days, term_start

    rules = load_aid_rules()
    plants = {**dict.fromkeys(PLANTS, 3), **(plants or {})}
    rng = np.random.default_rng(seed)
    year, half = parse_term(term)
    school_year = year if half == "autumn" else year - 1
    start = term_start(term)
    county_list = counties or [county]
    # schools: 2/3 primary, 1/3 junior; about 70% in the nutrition programme
    if school_codes:  # given codes: 21… primary, anything else junior
        schools = len(school_codes)
        kinds = np.array(["primary" if c.startswith("21") else "junior" for c in school_codes])
        codes = np.array(school_codes)
    else:
        n_junior = max(1, schools // 3)
        kinds = np.array(["primary"] * (schools - n_junior) + ["junior"] * n_junior)
        prov = county_list[0][:2]
        codes = np.array([f"{'21' if k == 'primary' else '31'}{prov}{i + 1:06d}" for i, k in enumerate(kinds)])
    school_county = np.array(county_list)[np.arange(schools) % len(county_list)]
    nutrition = rng.random(schools) < 0.7
    # students
    sidx = rng.integers(0, schools, students)
    section = kinds[sidx]
    grade = np.where(section == "primary", rng.integers(1, 7, students), rng.integers(7, 10, students))
    boarding = rng.random(students) < np.where(section == "junior", 0.4, 0.1)
    age_days = ((grade + 5) * 365.25 + rng.integers(0, 365, students)).astype(np.int64)
    birth = (np.datetime64(f"{school_year}-09-01") - age_days.astype("timedelta64[D]")).astype("datetime64[D]")
    born_region = np.where(rng.random(students) < 0.9, np.array(school_county)[sidx], county_list[0]).astype(np.int64)
    # the 3-digit sequence numbers people born on one day in one county (unique ID numbers)
    seq = pd.DataFrame({"r": born_region, "b": birth}).groupby(["r", "b"], sort=False).cumcount().to_numpy() % 1000
    ids = id_numbers(born_region, birth, seq)
    ids_np = np.asarray(ids.to_pylist() if students < 200_000 else ids.to_numpy(zero_copy_only=False), dtype=object)
    names = _names(rng, students)
    enrolled = np.datetime64(f"{school_year}-09-01") - (grade % 6 * 365).astype("timedelta64[D]")
    roster = pd.DataFrame({
        "姓名": names.to_numpy(zero_copy_only=False), "身份证号": ids_np, "区县代码": np.array(school_county)[sidx],
        "学校标识码": codes[sidx], "学校名称": [f"合成{'小学' if k == 'primary' else '初中'}{c[-4:]}" for k, c in
                                       zip(kinds[sidx], codes[sidx], strict=True)] if students < 200_000 else codes[sidx],
        "学段": np.where(section == "primary", "小学", "初中"), "年级": grade, "寄宿": np.where(boarding, "是", "否"),
        "营养改善计划": np.where(nutrition[sidx], "是", "否"), "入学日期": pd.to_datetime(enrolled).strftime("%Y-%m-%d"),
    })
    # needy students: each category drawn independently; a few get a second category on purpose
    cats = np.full(students, "", dtype=object)
    u = rng.random(students)
    edge = 0.0
    for cat, share in CAT_SHARE.items():
        cats[(u >= edge) & (u < edge + share)] = cat
        edge += share
    needy = np.flatnonzero(cats != "")
    rng.shuffle(needy)
    pos = 0

    def take(k: int) -> np.ndarray:
        nonlocal pos
        out = needy[pos:pos + k]
        pos += k
        return out

    two = take(plants["two_categories"])  # also on the rural list as 监测
    unpaid, twice_school, twice_group, wrong = (take(plants[k]) for k in ("unpaid", "twice_school", "twice_group", "amount"))
    twice_group = twice_group[boarding[twice_group]] if len(twice_group) else twice_group
    moved = take(plants["moved"])
    # proposals: list rows without ID number for students not otherwise listed (name + birth date, same county)
    plain = np.flatnonzero(cats == "")
    rng.shuffle(plain)
    proposed = plain[:plants["proposals"]]
    not_eligible = plain[plants["proposals"]:plants["proposals"] + plants["not_eligible"]]
    lists: dict[str, pd.DataFrame] = {}
    for dep, dep_cats in DEPARTMENT_CATS.items():
        rows = needy[np.isin(cats[needy], dep_cats)]
        extra_ids = two if dep == "rural" else np.array([], dtype=np.int64)
        df = pd.DataFrame({"姓名": names.take(pa.array(np.r_[rows, extra_ids])).to_numpy(zero_copy_only=False),
                           "身份证号": ids_np[np.r_[rows, extra_ids]], "出生日期": "",
                           "区县代码": np.array(school_county)[sidx][np.r_[rows, extra_ids]],
                           "类别": [rules.category(c).zh for c in cats[rows]] + ["防止返贫监测对象家庭学生"] * len(extra_ids),
                           "户主住址": "（合成）"})
        if dep == "civil":
            pdf = pd.DataFrame({"姓名": names.take(pa.array(proposed)).to_numpy(zero_copy_only=False), "身份证号": "",
                                "出生日期": pd.to_datetime(birth[proposed]).strftime("%Y-%m-%d"),
                                "区县代码": np.array(school_county)[sidx][proposed], "类别": "事实无人抚养儿童",
                                "户主住址": "（合成）"})
            df = pd.concat([df, pdf], ignore_index=True)
        if adults:  # household members who are not students: on the lists, never on a roster
            k = adults // len(DEPARTMENT_CATS)
            a_birth = (np.datetime64("1965-01-01") + rng.integers(0, 365 * 35, k).astype("timedelta64[D]")).astype("datetime64[D]")
            a_region = np.array(county_list)[rng.integers(0, len(county_list), k)].astype(np.int64)
            a_seq = 500 + rng.integers(0, 500, k)  # students use 0–499 in practice: no collision with a student
            a_cats = np.array(dep_cats)[rng.integers(0, len(dep_cats), k)]
            zh = {c: rules.category(c).zh for c in dep_cats}
            df = pd.concat([df, pd.DataFrame({
                "姓名": _names(rng, k).to_numpy(zero_copy_only=False), "身份证号": id_numbers(a_region, a_birth, a_seq).to_numpy(zero_copy_only=False),
                "出生日期": "", "区县代码": a_region.astype(str), "类别": pd.Series(a_cats).map(zh).values, "户主住址": "（合成）"})],
                ignore_index=True)
        lists[dep] = df
    # moved students: an earlier row at another school of the same section, the current one entered this term
    alt = {sec: codes[kinds == sec] for sec in ("primary", "junior")}
    moved = moved[[len(alt[s]) > 1 for s in section[moved]]]  # only where the section has another school
    if len(moved):
        old = roster.iloc[moved].copy()
        old["学校标识码"] = [next(c for c in alt[s] if c != cur) if len(alt[s]) > 1 else cur
                        for s, cur in zip(section[moved], codes[sidx][moved], strict=True)]
        old["入学日期"] = f"{school_year - 1}-09-01"
        roster.loc[roster.index[moved], "入学日期"] = (start - dt.timedelta(days=10)).isoformat()
        roster = pd.concat([roster, old], ignore_index=True)
    # payments: what is due, as the rules say
    due_parts: list[pd.DataFrame] = []
    days = term_days(term)
    for sec in ("primary", "junior"):
        for board, prog in ((True, "living_boarding"), (False, "living_day")):
            amt = rules.amount_for(prog, sec, county_list[0], start)
            idx = needy[(section[needy] == sec) & (boarding[needy] == board)]
            if amt:
                due_parts.append(pd.DataFrame({"i": idx, "programme": prog, "amount": amt.amount / 2}))
        amt = rules.amount_for("nutrition", sec, county_list[0], start)
        idx = np.flatnonzero((section == sec) & nutrition[sidx])
        if amt:
            due_parts.append(pd.DataFrame({"i": idx, "programme": "nutrition", "amount": amt.amount * days}))
    due = pd.concat(due_parts, ignore_index=True)
    living = due.programme.str.startswith("living")
    pay = due[~(living & due.i.isin(unpaid))].copy()
    pay["school"] = codes[sidx][pay.i]
    wrong_mask = living & due.i.isin(wrong)
    pay.loc[pay.index.isin(due.index[wrong_mask]), "amount"] -= 125.0
    extra = []
    for i in twice_school:
        other = next((c for c in codes if c != codes[sidx][i]), codes[sidx][i])
        prog = "living_boarding" if boarding[i] else "living_day"
        extra.append((int(i), prog, float(due[(due.i == i) & (due.programme == prog)].amount.iloc[0]), other))
    for i in twice_group:
        extra.append((int(i), "living_day", rules.amount_for("living_day", section[i], county_list[0], start).amount / 2,
                      codes[sidx][i]))
    for i in not_eligible:
        extra.append((int(i), "living_day", rules.amount_for("living_day", section[i], county_list[0], start).amount / 2,
                      codes[sidx][i]))
    pay = pd.concat([pay, pd.DataFrame(extra, columns=["i", "programme", "amount", "school"])], ignore_index=True)
    zh = {p.id: p.zh for p in rules.programmes}
    payments = pd.DataFrame({"学校标识码": pay.school.values, "姓名": names.take(pa.array(pay.i.values)).to_numpy(zero_copy_only=False),
                             "身份证号": ids_np[pay.i.values], "资助项目": pay.programme.map(zh).values,
                             "金额": pay.amount.round(2).values, "发放日期": (start + dt.timedelta(days=60)).isoformat()})

    def pairs(idx: np.ndarray, prog: str | None = None) -> list[list[str]]:
        return sorted([str(ids_np[i]), prog or ("living_boarding" if boarding[i] else "living_day")] for i in idx)

    truth = {
        "term": term, "county": county_list[0], "students": int(students), "moved": sorted(str(ids_np[i]) for i in moved),
        "unpaid": pairs(unpaid), "amount": pairs(wrong),
        "not_eligible": pairs(not_eligible, "living_day"),
        "twice": sorted(pairs(twice_school) + pairs(twice_group, "living_boarding") + pairs(twice_group, "living_day")),
        "proposals": sorted(str(ids_np[i]) for i in proposed),
        "two_categories": sorted(str(ids_np[i]) for i in two),
        "needy": len(needy),
    }
    return StudentData(roster, lists, payments, truth)


def write_students(data: StudentData, out: Path, fmt: str = "csv") -> dict[str, Path]:
    """Writes roster, the lists and the payments (csv, xlsx or parquet) and truth.json; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    frames = {"roster": data.roster, **{f"list_{k}": v for k, v in data.lists.items()}, "payments": data.payments}
    paths = {}
    for name, df in frames.items():
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            df.to_csv(path, index=False)
        elif fmt == "parquet":
            pq.write_table(pa.Table.from_pandas(df.astype(str), preserve_index=False), path)
        else:
            df.to_excel(path, index=False)
        paths[name] = path
    (out / "truth.json").write_text(json.dumps(data.truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return paths
