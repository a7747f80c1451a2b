"""A straightforward pandas version of the aid check, for the benchmark: read the Parquet files, check ID numbers
(format, region, date, check character) with vectorised string operations, HMAC each ID number in a Python loop,
current roster, exact matches and fallback proposals by merges, eligibility and amounts by merges with the same
rule tables, coverage by a group-by and an outer merge. No locations of bad rows beyond the row index, no
other column checks, no storage."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path

import numpy as np
import pandas as pd

from dudao.aid.idnumber import known_regions
from dudao.aid.rules import rule_frames, term_days, term_start

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = np.array(list("10X98765432"))
SECTIONS = {"学前": "preschool", "小学": "primary", "初中": "junior", "普通高中": "senior", "中职": "vocational"}


def bad_ids(ids: pd.Series, regions: set[str]) -> int:
    fmt = ids.str.fullmatch(r"\d{17}[\dX]").fillna(False)
    ok = ids[fmt]
    total = np.zeros(len(ok), dtype=np.int64)
    for i, w in enumerate(WEIGHTS):
        total += ok.str[i].astype(np.int64).to_numpy() * w
    check_ok = CHECK[total % 11] == ok.str[17].to_numpy()
    born = pd.to_datetime(ok.str[6:14], format="%Y%m%d", errors="coerce")
    region_ok = ok.str[:6].isin(regions).to_numpy()
    return int((~fmt).sum() + (~(check_ok & born.notna().to_numpy() & region_ok)).sum())


def hashes(ids: pd.Series, key: bytes) -> list[str | None]:
    return [hmac.new(key, s.encode(), hashlib.sha256).hexdigest() if isinstance(s, str) and s else None for s in ids]


def run(roster_files: list[Path], list_files: list[Path], payment_files: list[Path], term: str, key: bytes) -> dict:
    regions = set(known_regions())
    start, days = term_start(term), term_days(term)
    roster = pd.concat([pd.read_parquet(f) for f in roster_files], ignore_index=True)
    lists = pd.concat([pd.read_parquet(f) for f in list_files], ignore_index=True)
    pays = pd.concat([pd.read_parquet(f) for f in payment_files], ignore_index=True)
    errors = bad_ids(roster["身份证号"].str.upper(), regions) + bad_ids(pays["身份证号"].str.upper(), regions)
    lid = lists["身份证号"].str.upper()
    errors += bad_ids(lid[lid != ""], regions)
    roster["id_hash"] = hashes(roster["身份证号"], key)
    lists["id_hash"] = hashes(lists["身份证号"], key)
    pays["id_hash"] = hashes(pays["身份证号"], key)
    roster["birth"] = pd.to_datetime(roster["身份证号"].str[6:14], format="%Y%m%d")
    lists["birth"] = pd.to_datetime(lists["出生日期"].where(lists["出生日期"] != "",
                                                        lists["身份证号"].str[6:14]), format="mixed")
    roster["section"] = roster["学段"].map(SECTIONS)
    roster["boarding"] = roster["寄宿"] == "是"
    roster["nutrition"] = roster["营养改善计划"] == "是"
    roster["enrolled"] = pd.to_datetime(roster["入学日期"])
    cats = {v: k for k, v in _category_names().items()}
    lists["category"] = lists["类别"].map(lambda v: cats.get(v, v))
    # current roster: the newest enrolment on or before the term start
    cur = roster[roster["enrolled"] <= pd.Timestamp(start)].sort_values("enrolled", ascending=False)
    cur = cur.drop_duplicates("id_hash")
    # exact matches and fallback proposals
    exact = lists.merge(cur[["id_hash"]], on="id_hash")[["id_hash", "category"]].drop_duplicates()
    unmatched = lists[~lists["id_hash"].isin(cur["id_hash"])]
    proposals = unmatched.merge(cur[["id_hash", "姓名", "birth", "区县代码"]], on=["姓名", "birth", "区县代码"],
                                suffixes=("_list", ""))
    # eligibility and amounts
    f = rule_frames()
    conds = f["conds"][f["conds"]["since"].isna() | (f["conds"]["since"] <= start)]
    base = cur.merge(conds, on="section", suffixes=("", "_rule"))
    rule = base["boarding_rule"].astype("object")
    base = base[(rule.isna() | (rule.fillna(False).astype(bool) == base["boarding"]))
                & (base["school_flag"].eq("") | (base["school_flag"].eq("nutrition") & base["nutrition"]))]
    needy = base[base["who"] == "needy"].merge(exact, on="id_hash").merge(f["cats"], on=["programme", "category"])
    needy = needy.groupby(["id_hash", "programme", "学校标识码", "section", "per", "locally"], as_index=False).agg(
        tier=("tier", "min"), categories=("category", lambda c: ",".join(sorted(c))))
    everyone = base[base["who"] == "all"][["id_hash", "programme", "学校标识码", "section", "per", "locally"]]
    due = pd.concat([needy, everyone.assign(tier=pd.NA, categories="")], ignore_index=True)
    am = f["amounts"]
    am = am[(am["valid_from"] <= start) & (am["valid_to"].isna() | (am["valid_to"] >= start)) & (am["region"] == "")]
    due["tier"] = pd.to_numeric(due["tier"], errors="coerce").astype("float64")
    due = due.merge(am.astype({"tier": "float64"}), on=["programme", "section"], how="left", suffixes=("", "_a"))
    due = due[due["tier_a"].isna() | (due["tier_a"] == due["tier"])]
    due["due"] = np.where(due["locally"].astype(bool), np.nan,
                          due["amount"].astype("float64") * np.where(due["per"] == "day", days, 0.5))
    # coverage
    p = pays.assign(programme=pays["资助项目"].map(_programme_names())).groupby(["id_hash", "programme"], as_index=False).agg(
        paid=("金额", lambda s: s.astype(float).sum()), payments=("金额", "size"), schools=("学校标识码", "nunique"))
    lines = due[["id_hash", "programme", "due"]].assign(eligible=True).merge(p, on=["id_hash", "programme"], how="outer")
    lines["eligible"] = lines["eligible"].fillna(False).astype(bool)
    lines["payments"] = lines["payments"].fillna(0)
    lines["paid"] = lines["paid"].fillna(0.0)
    grp = f["groups"].set_index("programme")["grp"]
    lines["grp"] = lines["programme"].map(grp)
    paid = lines[lines["payments"] > 0]
    multi = paid.groupby(["id_hash", "grp"])["programme"].nunique().rename("group_programmes").reset_index()
    lines = lines.merge(multi, on=["id_hash", "grp"], how="left")
    lines["finding"] = np.select(
        [(lines["payments"] > 1) | (lines["group_programmes"].fillna(0) > 1), ~lines["eligible"] & (lines["payments"] > 0),
         lines["eligible"] & (lines["payments"] == 0),
         lines["eligible"] & lines["due"].notna() & ((lines["paid"] - lines["due"]).abs() > 0.005)],
        ["twice", "not_eligible", "unpaid", "amount"], "ok")
    totals = lines.groupby(["programme", "finding"]).size().unstack(fill_value=0)
    return {"errors": errors, "exact": len(exact), "proposals": len(proposals), "lines": len(lines),
            "findings": {k: int(v) for k, v in lines["finding"].value_counts().items()}, "totals_rows": len(totals)}


def _category_names() -> dict[str, str]:
    from dudao.aid.rules import load_aid_rules

    return {c.code: c.zh for c in load_aid_rules().categories}


def _programme_names() -> dict[str, str]:
    from dudao.aid.rules import load_aid_rules

    return {p.zh: p.id for p in load_aid_rules().programmes}


if __name__ == "__main__":  # pragma: no cover
    import sys

    print(run([Path(sys.argv[1])], [Path(sys.argv[2])], [Path(sys.argv[3])], "2024-spring", b"k" * 32), dt.date.today())
