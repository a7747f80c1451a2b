"""Identification, eligibility and coverage on small hand-made tables: each matching path and the edge cases
(two categories, a change of standard between terms, a student who moved school, tiers, a programme that
starts at a date), and the planted errors of a synthetic county found exactly."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from dudao.aid.pipeline import run
from dudao.aid.rules import AidRules, load_aid_rules, rule_frames, term_days, term_start
from dudao.engine import aid as engine
from dudao.standards.model import StandardsError
from dudao.synth.students import generate_students, write_students

COUNTY = "210521"
KEY = b"y" * 32


def student(h: str, school: str = "2121000001", section: str = "primary", boarding: bool = False, grade: int = 3,
            name: str = "张三", birth: dt.date = dt.date(2015, 5, 1), enrolled: dt.date | None = None,
            nutrition: bool = False, public: bool = False, county: str = COUNTY) -> dict:
    return {"row": 0, "name": name, "id_number": h, "id_hash": h, "birth": birth, "county_code": county,
            "school_code": school, "school_name": "", "section": section, "grade": grade, "boarding": boarding,
            "household": "", "nutrition": nutrition, "public": public, "enrolled_on": enrolled}


def listed(h: str | None, category: str, name: str = "张三", birth: dt.date = dt.date(2015, 5, 1),
           county: str = COUNTY, valid_from: dt.date | None = None, valid_to: dt.date | None = None) -> dict:
    return {"row": 0, "file": "list.csv", "name": name, "id_number": h, "id_hash": h, "birth": birth,
            "county_code": county, "category": category, "valid_from": valid_from, "valid_to": valid_to}


ROSTER_SCHEMA = pa.schema([("row", pa.int64()), ("name", pa.string()), ("id_number", pa.string()), ("id_hash", pa.string()),
                           ("birth", pa.date32()), ("county_code", pa.string()), ("school_code", pa.string()),
                           ("school_name", pa.string()), ("section", pa.string()), ("grade", pa.int64()),
                           ("boarding", pa.bool_()), ("household", pa.string()), ("nutrition", pa.bool_()),
                           ("public", pa.bool_()), ("enrolled_on", pa.date32())])
LIST_SCHEMA = pa.schema([("row", pa.int64()), ("file", pa.string()), ("name", pa.string()), ("id_number", pa.string()),
                         ("id_hash", pa.string()), ("birth", pa.date32()), ("county_code", pa.string()),
                         ("category", pa.string()), ("valid_from", pa.date32()), ("valid_to", pa.date32())])


class World:
    def __init__(self, students: list[dict], lists: list[dict], payments: list[tuple] = ()):
        self.con = ibis.duckdb.connect()
        for i, r in enumerate(students):
            r["row"] = i + 2
        for i, r in enumerate(lists):
            r["row"] = i + 2
        self.roster = self.con.create_table("r", pa.Table.from_pylist(students, ROSTER_SCHEMA))
        self.lists = self.con.create_table("l", pa.Table.from_pylist(lists, LIST_SCHEMA))
        self.frames = {k: self.con.create_table(f"f_{k}", pa.Table.from_pandas(v, preserve_index=False))
                       for k, v in rule_frames().items()}
        pay = [{"row": i, "school_code": s, "id_hash": h, "programme": p, "amount": float(a)}
               for i, (h, p, a, s) in enumerate(payments)]
        schema = pa.schema([("row", pa.int64()), ("school_code", pa.string()), ("id_hash", pa.string()),
                            ("programme", pa.string()), ("amount", pa.float64())])
        self.payments = self.con.create_table("p", pa.Table.from_pylist(pay, schema))

    def identify(self, term: str) -> tuple[list[dict], list[dict]]:
        exact, prop = engine.identify(self.roster, self.lists, term_start(term))
        return exact.to_pyarrow().to_pylist(), prop.to_pyarrow().to_pylist()

    def due(self, term: str, confirmed: list[tuple[str, str]] = ()) -> dict[tuple[str, str], dict]:
        exact, _ = self.identify(term)
        pairs = [(m["id_hash"], m["category"]) for m in exact] + list(confirmed)
        m = self.con.create_table("m", pa.table({"id_hash": pa.array([p[0] for p in pairs], pa.string()),
                                                 "category": pa.array([p[1] for p in pairs], pa.string())}), overwrite=True)
        rows = engine.eligibility(self.roster, m, self.frames, term_start(term), term_days(term)).to_pyarrow().to_pylist()
        return {(r["id_hash"], r["programme"]): r for r in rows}

    def lines(self, term: str) -> dict[tuple[str, str], dict]:
        exact, _ = self.identify(term)
        m = self.con.create_table("m2", pa.Table.from_pylist([{"id_hash": e["id_hash"], "category": e["category"]} for e in exact],
                                                            pa.schema([("id_hash", pa.string()), ("category", pa.string())])),
                                  overwrite=True)
        due = engine.eligibility(self.roster, m, self.frames, term_start(term), term_days(term))
        rows = engine.coverage(due, self.payments, self.frames["groups"]).to_pyarrow().to_pylist()
        return {(r["id_hash"], r["programme"]): r for r in rows}


# ---------------------------------------------------------------- matching paths


def test_exact_match_on_the_hash_and_the_fallback_only_proposes():
    w = World([student("a"), student("b", name="李四", birth=dt.date(2014, 1, 2))],
              [listed("a", "dibao"), listed(None, "guer", name="李四", birth=dt.date(2014, 1, 2)),
               listed("zzz", "tekun", name="李四", birth=dt.date(2014, 1, 2)),  # an ID not on the roster
               listed(None, "guer", name="李四", birth=dt.date(2014, 1, 3)),  # another birth date: nothing
               listed(None, "guer", name="李四", birth=dt.date(2014, 1, 2), county="210522")])  # another county: nothing
    exact, proposals = w.identify("2024-spring")
    assert [(e["id_hash"], e["category"]) for e in exact] == [("a", "dibao")]
    assert sorted((p["id_hash"], p["category"], p["list_row"]) for p in proposals) == [("b", "guer", 3), ("b", "tekun", 4)]
    due = w.due("2024-spring")
    assert ("b", "living_day") not in due  # a proposal is never applied on its own
    assert due[("a", "living_day")]["due"] == 312.5
    confirmed = w.due("2024-spring", confirmed=[("b", "guer")])
    assert confirmed[("b", "living_day")]["categories"] == "guer"


def test_list_validity_dates():
    w = World([student("a"), student("b")],
              [listed("a", "dibao", valid_to=dt.date(2024, 1, 31)), listed("b", "dibao", valid_from=dt.date(2024, 4, 1))])
    assert w.identify("2024-spring")[0] == []  # a lapsed and a not-yet-valid entry
    assert [e["id_hash"] for e in w.identify("2024-autumn")[0]] == ["b"]


# ---------------------------------------------------------------- eligibility edges


def test_two_categories_give_one_subsidy():
    w = World([student("a", boarding=True, section="junior", grade=8)], [listed("a", "dibao"), listed("a", "tuopin")])
    due = w.due("2024-spring")
    assert list(due) == [("a", "living_boarding")]
    assert due[("a", "living_boarding")]["categories"] == "dibao,tuopin"
    assert due[("a", "living_boarding")]["due"] == 750.0  # junior boarder from 2024 spring: 1500 a year


def test_standard_rises_between_terms():
    w = World([student("p", boarding=True), student("j", section="junior", grade=8, boarding=True), student("d")],
              [listed("p", "dibao"), listed("j", "dibao"), listed("d", "dibao")])
    before, after = w.due("2023-autumn"), w.due("2024-spring")
    assert (before[("p", "living_boarding")]["amount"], after[("p", "living_boarding")]["amount"]) == (1000, 1250)
    assert (before[("j", "living_boarding")]["amount"], after[("j", "living_boarding")]["amount"]) == (1250, 1500)
    assert (before[("d", "living_day")]["due"], after[("d", "living_day")]["due"]) == (250, 312.5)


def test_moved_student_is_due_at_the_new_school_only():
    w = World([student("m", school="2121000001", enrolled=dt.date(2022, 9, 1)),
               student("m", school="2121000002", enrolled=dt.date(2024, 2, 20)),
               student("late", school="2121000001", enrolled=dt.date(2022, 9, 1)),
               student("late", school="2121000002", enrolled=dt.date(2024, 4, 1))],  # moves after the term began
              [listed("m", "dibao"), listed("late", "dibao")],
              [("m", "living_day", 312.5, "2121000001")])  # the old school paid
    due = w.due("2024-spring")
    assert due[("m", "living_day")]["school_code"] == "2121000002"
    assert due[("late", "living_day")]["school_code"] == "2121000001"
    lines = w.lines("2024-spring")
    assert lines[("m", "living_day")]["finding"] == "ok"  # paid once, if by the school the student left
    assert len([k for k in lines if k[0] == "m"]) == 1


def test_tiers_and_programmes_by_section_and_date():
    w = World([student("s1", section="senior", grade=10), student("s2", section="senior", grade=11),
               student("k", section="preschool", grade=3, public=True), student("k2", section="preschool", grade=2, public=True),
               student("n", nutrition=True)],
              [listed("s1", "tekun"), listed("s1", "dibao"), listed("s2", "jiance")])
    spring25, autumn25 = w.due("2025-spring"), w.due("2025-autumn")
    assert spring25[("s1", "senior_bursary")]["tier"] == 1  # the better of its two categories
    assert spring25[("s1", "senior_bursary")]["amount"] == 3300
    assert spring25[("s2", "senior_bursary")]["amount"] == 2300
    assert ("s2", "senior_waiver") not in spring25  # 监测 is not in the waiver's categories
    assert spring25[("s1", "senior_waiver")]["due"] is None  # amount set locally: due not computed
    assert ("k", "preschool_free_year") not in spring25  # from 2025 autumn
    assert ("k", "preschool_free_year") in autumn25 and ("k2", "preschool_free_year") not in autumn25
    assert spring25[("n", "nutrition")]["due"] == 5 * term_days("2025-spring")


def test_coverage_findings():
    w = World([student("ok"), student("unpaid"), student("twice"), student("group", boarding=True), student("wrong"),
               student("plain")],
              [listed(h, "dibao") for h in ("ok", "unpaid", "twice", "group", "wrong")],
              [("ok", "living_day", 312.5, "2121000001"), ("twice", "living_day", 312.5, "2121000001"),
               ("twice", "living_day", 312.5, "2121000009"), ("group", "living_boarding", 625, "2121000001"),
               ("group", "living_day", 312.5, "2121000001"), ("wrong", "living_day", 250, "2121000001"),
               ("plain", "living_day", 312.5, "2121000001"), ("nobody", "living_day", 312.5, "2121000001")])
    lines = w.lines("2024-spring")
    assert {k: v["finding"] for k, v in lines.items()} == {
        ("ok", "living_day"): "ok", ("unpaid", "living_day"): "unpaid", ("twice", "living_day"): "twice",
        ("group", "living_boarding"): "twice", ("group", "living_day"): "twice", ("wrong", "living_day"): "amount",
        ("plain", "living_day"): "not_eligible", ("nobody", "living_day"): "not_eligible"}
    assert lines[("twice", "living_day")]["paid_schools"] == 2
    assert lines[("nobody", "living_day")]["school_code"] == "2121000001"  # not on the roster: the paying school


def test_overlapping_amounts_are_refused():
    data = load_aid_rules().model_dump(by_alias=True)
    data["amounts"].append({**data["amounts"][2], "from": dt.date(2024, 9, 1)})
    with pytest.raises(ValueError, match="overlap"):
        AidRules.model_validate(data)
    with pytest.raises(StandardsError):
        load_aid_rules.__wrapped__(Path("/nonexistent/aid.yaml"))


# ---------------------------------------------------------------- a synthetic county, planted errors found exactly


def _h(s: str) -> str:
    return hmac.new(KEY, s.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    data = generate_students(COUNTY, "2024-spring", students=2500, schools=10, seed=7,
                             plants={"unpaid": 4, "not_eligible": 3, "twice_school": 2, "twice_group": 6, "amount": 5,
                                     "proposals": 3, "moved": 4, "two_categories": 3})
    paths = write_students(data, tmp_path_factory.mktemp("county"), "csv")
    return data, paths


def test_planted_errors_found_exactly(synthetic):
    data, paths = synthetic
    result = run([paths["roster"]], [paths[f"list_{k}"] for k in ("civil", "rural", "disability")], [paths["payments"]],
                 "2024-spring", hash_key=KEY, county=COUNTY)
    assert result.ok
    lines = result.lines.to_pylist()
    truth = data.truth
    for finding in ("unpaid", "not_eligible", "twice", "amount"):
        got = sorted((ln["id_hash"], ln["programme"]) for ln in lines if ln["finding"] == finding)
        assert got == sorted((_h(i), p) for i, p in truth[finding]), finding
    assert sorted(p["id_hash"] for p in result.proposals.to_pylist()) == sorted(_h(i) for i in truth["proposals"])
    by = {(ln["id_hash"], ln["programme"]): ln for ln in lines}
    for i in truth["two_categories"]:
        living = [v for (h, p), v in by.items() if h == _h(i) and p.startswith("living")]
        assert len(living) == 1 and "jiance" in living[0]["categories"].split(",")
    for i in truth["moved"]:  # due once, at the school entered this term
        assert len([1 for (h, p) in by if h == _h(i) and p.startswith("living")]) == 1
    totals = {t["programme"]: t for t in result.totals.to_pylist()}
    assert totals["living_day"]["unpaid"] + totals["living_boarding"]["unpaid"] == len(truth["unpaid"])
