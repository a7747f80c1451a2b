"""Schedule and targets read from the database: supervision decisions, recorded evaluations, terms, quality
evaluations; the terms workbook's located errors and its all-or-nothing import; the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from typer.testing import CliRunner

from dudao.orgunits.models import OrgUnit
from dudao.planning import services
from dudao.planning.models import RecordedEvaluation, Term
from dudao.planning.terms import COLUMNS, SHEET_COUNTY, SHEET_EVAL, SHEET_SCHOOL, import_terms, write_template
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from dudao.supervision.models import Case, CaseEvent, Round
from tests.factories import COUNTY_A, COUNTY_B, dataset

pytestmark = pytest.mark.django_db
SCHOOL_A = "2121000001"
HEAD, SECRETARY = "县（市、区）长", "县（市、区）委书记"
PERSON = "测试人甲"
JAN1 = dt.date(2026, 1, 1)  # "today" for the schedule: no 2026 term has ended yet


@pytest.fixture
def world(liaoning, dictionary, tmp_path):
    assert import_file(write_xlsx(tmp_path / "seed.xlsx", dictionary, 2024, *dataset()), 2024, "setup").accepted
    return tmp_path


def county(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def decide(code: str, action: str, when: dt.date, state: str) -> Case:
    """A supervision case decided on a date (read-only use of the supervision models)."""
    rnd = Round.objects.create(province=county("210000"), title=f"轮次{when.year}{code}", standard_id="youzhi2017",
                               year=when.year - 1, self_evaluation_due=when, prefecture_review_due=when,
                               provincial_evaluation_due=when, opened_by="t")
    case = Case.objects.create(round=rnd, county=county(code), state=state)
    ev = CaseEvent.objects.create(case=case, actor="t", role="province_inspector", action=action,
                                  from_state="provincial_evaluation", to_state=state)
    CaseEvent.objects.filter(pk=ev.pk).update(at=timezone.make_aware(dt.datetime.combine(when, dt.time(10))))
    return case


def line(sched: services.Schedule, code: str, kind: str = "supervision") -> services.DueLine | None:
    return next((ln for ln in sched.lines if ln.code == code and ln.kind == kind), None)


def term(code: str, post: str, start: dt.date, end: dt.date, school: str = "") -> Term:
    return Term.objects.create(county=county(code), school_code=school, post=post, person=PERSON, start=start, end=end,
                               actor="t")


# ---------------------------------------------------------------- schedule


def test_county_schedule_from_cases_records_and_terms(world):
    decide(COUNTY_A, "recognise", dt.date(2021, 11, 3), "recognised")  # exactly 5 years before 2026
    RecordedEvaluation.objects.create(county=county(COUNTY_B), date=dt.date(2023, 5, 1), result="recognised",
                                      document="辽教督〔2023〕1号", actor="t")
    term(COUNTY_B, "county_head", dt.date(2021, 6, 1), dt.date(2026, 5, 31))  # evaluation 2023 inside: fine
    term(COUNTY_B, "party_secretary", dt.date(2024, 1, 1), dt.date(2027, 12, 31))  # ends 2027, nothing inside
    sched = services.schedule("210000", 2026, today=JAN1)
    a = line(sched, COUNTY_A)
    assert a is not None and a.due_year == 2026 and a.last == 2021 and [r.code for r in a.reasons] == ["cycle"]
    b = line(sched, COUNTY_B)
    assert b is not None and b.due_year == 2027 and [r.code for r in b.reasons] == ["term"]
    assert "县（市、区）委书记任期 2024-01-01 至 2027-12-31" in b.reasons[0].zh
    never = line(sched, "210102")  # 和平区: no case, no record
    assert never is not None and never.due_year == 2026 and never.reasons[0].code == "never"
    assert all(PERSON not in r.zh for ln in sched.lines for r in ln.reasons)


def test_a_rejection_is_an_evaluation_and_an_open_case_is_shown(world):
    decide(COUNTY_A, "reject", dt.date(2024, 12, 1), "not_recognised")
    assert line(services.schedule("210000", 2026, today=JAN1), COUNTY_A) is None  # evaluated 2024: due 2029
    rnd = Round.objects.create(province=county("210000"), title="2026年轮次", standard_id="youzhi2017", year=2025,
                               self_evaluation_due=dt.date(2026, 12, 1), prefecture_review_due=dt.date(2026, 12, 1),
                               provincial_evaluation_due=dt.date(2026, 12, 1), opened_by="t")
    Case.objects.create(round=rnd, county=county(COUNTY_B), state="submitted")
    b = line(services.schedule("210000", 2026, today=JAN1), COUNTY_B)
    assert b is not None and b.in_progress == "2026年轮次"


def test_term_ending_this_year_with_and_without_an_evaluation(world):
    decide(COUNTY_A, "recognise", dt.date(2024, 3, 1), "recognised")
    term(COUNTY_A, "county_head", dt.date(2021, 7, 1), dt.date(2026, 6, 30))  # 2024 inside
    term(COUNTY_A, "party_secretary", dt.date(2024, 3, 2), dt.date(2026, 9, 30))  # starts the day after
    a = line(services.schedule("210000", 2026, today=JAN1), COUNTY_A)
    assert a is not None and a.due_year == 2026 and len(a.reasons) == 1
    assert a.reasons[0].zh == "县（市、区）委书记任期 2024-03-02 至 2026-09-30，任期内尚无督导评估"


def test_cycle_length_comes_from_the_province_overlay(world, monkeypatch):
    from dudao.planning import policy

    decide(COUNTY_A, "recognise", dt.date(2023, 3, 1), "recognised")
    assert line(services.schedule("210000", 2026, today=JAN1), COUNTY_A) is None  # 3 years on the national 5-year cycle
    real = policy.load_overlay
    policy.load_planning.cache_clear()
    monkeypatch.setattr(policy, "load_overlay", lambda p: {**real(p), "planning": {"cycles": {"supervision": {"years": 3}}}})
    try:
        a = line(services.schedule("210000", 2026, today=JAN1), COUNTY_A)
        assert a is not None and "已满 3 年（周期 3 年）" in a.reasons[0].zh
    finally:
        policy.load_planning.cache_clear()


def test_school_due_for_principal_term_and_quality_cycle(world):
    term(COUNTY_A, "principal", dt.date(2022, 9, 1), dt.date(2026, 8, 31), school=SCHOOL_A)
    sched = services.schedule(COUNTY_A, 2026, today=JAN1)
    s = line(sched, SCHOOL_A, "quality")
    assert s is not None and s.level == "school" and s.due_year == 2026
    assert "校长任期 2022-09-01 至 2026-08-31，任期内尚无质量评价" in [r.zh for r in s.reasons]
    assert {ln.code for ln in sched.of("school")} == {c for c, _n in services._schools(COUNTY_A).items()}


@pytest.mark.skipif(services.quality_source() is None, reason="dudao.inspection is not installed")
def test_quality_evaluations_from_the_inspection_app(world, django_user_model):
    from dudao.inspection.models import Evaluation, FrameworkVersion

    fv = FrameworkVersion.objects.create(framework_id="t", number=1, label="t", sha256="x" * 64, text="",
                                         filename="t.yaml", uploaded_by="t")
    lead = django_user_model.objects.create(username="lead")
    for kind, year in (("external", 2022), ("self", 2025)):
        Evaluation.objects.create(framework=fv, level="school", kind=kind, county=county(COUNTY_A), school_code=SCHOOL_A,
                                  year=year, title="t", lead=lead, created_by="t")
    term(COUNTY_A, "principal", dt.date(2019, 9, 1), dt.date(2026, 8, 31), school=SCHOOL_A)
    sched = services.schedule(COUNTY_A, 2026, today=JAN1)
    s = line(sched, SCHOOL_A, "quality")  # the external 2022 evaluation is inside the term: not due in 2026;
    assert s is not None and s.due_year == 2027 and s.last == 2022  # the 2025 self-evaluation alone does not count
    assert [r.code for r in s.reasons] == ["cycle"] and sched.quality_available


def test_schedule_export(world):
    out = services.export_schedule(services.schedule("210000", 2026, today=JAN1), world / "s.xlsx")
    ws = load_workbook(out)["评价安排"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("到期年份", "对象", "代码")
    assert any(r[2] == COUNTY_A and "尚无督导评估记录" in r[7] for r in rows[1:])


# ---------------------------------------------------------------- targets


def test_dashboard_shares_and_targets(world):
    decide(COUNTY_A, "recognise", dt.date(2024, 6, 1), "recognised")
    RecordedEvaluation.objects.create(county=county(COUNTY_B), date=dt.date(2021, 5, 1), result="not_recognised",
                                      document="d1", actor="t")
    RecordedEvaluation.objects.create(county=county(COUNTY_B), date=dt.date(2022, 5, 1), result="recognised",
                                      document="d2", actor="t")
    RecordedEvaluation.objects.create(county=county(COUNTY_A), date=dt.date(2025, 5, 1), result="recognised",
                                      document="d3", actor="t")  # recognised again: counted once, from 2024
    board = services.dashboard("210000", 2026)
    total = OrgUnit.objects.filter(level="county", code__startswith="21").count()
    by_year = {s.year: s.recognised for s in board.shares}
    assert board.total == total and by_year[2021] == 0 and by_year[2022] == 1 and by_year[2024] == 2 == by_year[2026]
    t2025 = next(r for r in board.targets if r.target.id == "T2025")
    assert (t2025.status.needed, t2025.status.recognised, t2025.status.met) == (-(-total // 2), 2, False)
    national = next(r for r in board.targets if r.target.id == "N2035")
    assert national.scope == "" and national.status.total == OrgUnit.objects.filter(level="county").count()
    pref = services.dashboard("210500", 2026)  # 本溪市: county A only of the two
    assert pref.shares[-1].recognised == 1
    row = next(c for c in board.counties if c["code"] == COUNTY_A)
    assert row["recognised"] == 2024


# ---------------------------------------------------------------- terms workbook


def _book(path: Path, county_rows=(), school_rows=(), eval_rows=(), drop: str = "") -> Path:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    for name, rows in ((SHEET_COUNTY, county_rows), (SHEET_SCHOOL, school_rows), (SHEET_EVAL, eval_rows)):
        if name == drop:
            continue
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, COLUMNS[name])
        for r, values in enumerate(rows, start=1):
            ws.write_row(r, 0, values)
    wb.close()
    return path


def test_good_file_replaces_what_it_names(world):
    old = term(COUNTY_A, "county_head", dt.date(2015, 1, 1), dt.date(2019, 12, 31))
    keep = term(COUNTY_B, "county_head", dt.date(2020, 1, 1), dt.date(2024, 12, 31))
    path = _book(world / "ok.xlsx",
                 [[COUNTY_A, "", HEAD, "张三", "2021-03-01", "2026-02-28"], [COUNTY_A, "", SECRETARY, "李四", "2020/1/1", "2024/12/31"]],
                 [[SCHOOL_A, "", "王五", "2022-09-01", "2026-08-31"]],
                 [[COUNTY_A, "", "2019-11-20", "通过", "辽教督〔2019〕5号"]])
    report = import_terms(path, "t")
    assert report.accepted, report.errors
    assert report.counts == {"county_terms": 2, "principal_terms": 1, "evaluations": 1}
    assert not Term.objects.filter(pk=old.pk).exists() and Term.objects.filter(pk=keep.pk).exists()
    assert Term.objects.get(school_code=SCHOOL_A).county.code == COUNTY_A
    assert RecordedEvaluation.objects.get(county__code=COUNTY_A).date == dt.date(2019, 11, 20)


def test_bad_file_names_sheet_row_column_rule_and_stores_nothing(world):
    before = term(COUNTY_A, "county_head", dt.date(2015, 1, 1), dt.date(2019, 12, 31))
    path = _book(world / "bad.xlsx",
                 [[COUNTY_A, "", HEAD, "张三", "2021-03-01", "2026-02-28"],  # good row: still not stored
                  ["219999", "", HEAD, "赵六", "2021-03-01", "2026-02-28"],
                  [COUNTY_B, "", "乡长", "赵六", "2021-03-01", "2026-02-28"],
                  [COUNTY_B, "", HEAD, "赵六", "2021-13-01", "2026-02-28"],
                  [COUNTY_B, "", SECRETARY, "", "2021-03-01", "2020-02-28"],
                  [COUNTY_A, "", HEAD, "钱七", "2026-01-01", "2030-01-01"]],  # overlaps row 2
                 [["2121009999", "", "王五", "2022-09-01", "2026-08-31"]],
                 [[COUNTY_A, "", "2019-11-20", "通过了", "x"]])
    report = import_terms(path, "t")
    got = {(e.sheet, e.row, e.column, e.code) for e in report.errors}
    assert got == {
        (SHEET_COUNTY, 3, "A", "E_TERM_COUNTY"), (SHEET_COUNTY, 4, "C", "E_TERM_POST"),
        (SHEET_COUNTY, 5, "E", "E_TERM_DATE"), (SHEET_COUNTY, 6, "D", "E_TERM_REQUIRED"),
        (SHEET_COUNTY, 6, "F", "E_TERM_ORDER"), (SHEET_COUNTY, 7, "E", "E_TERM_OVERLAP"),
        (SHEET_SCHOOL, 2, "A", "E_TERM_SCHOOL"), (SHEET_EVAL, 2, "D", "E_TERM_RESULT"),
    }
    first = next(e for e in report.errors if e.code == "E_TERM_COUNTY")
    assert first.file == "bad.xlsx" and first.header == "县级行政区划代码"
    assert "219999" in first.message_zh and "219999" in first.message_en
    assert first.location_zh() == "bad.xlsx 工作表“县级领导任期” 第 3 行 A 列（县级行政区划代码）"
    overlap = next(e for e in report.errors if e.code == "E_TERM_OVERLAP")
    assert "第 2 行" in overlap.message_zh
    assert list(Term.objects.values_list("pk", flat=True)) == [before.pk] and not RecordedEvaluation.objects.exists()


def test_missing_sheet_and_column_are_located(world):
    report = import_terms(_book(world / "nosheet.xlsx", drop=SHEET_EVAL), "t")
    assert [(e.code, e.sheet) for e in report.errors] == [("E_TERM_SHEET", SHEET_EVAL)]
    path = world / "nocol.xlsx"
    _book(path)
    wb = load_workbook(path)
    wb[SHEET_SCHOOL].delete_cols(3)  # 姓名
    wb.save(path)
    report = import_terms(path, "t")
    assert [(e.code, e.sheet, e.row, e.header) for e in report.errors] == [("E_TERM_HEADER", SHEET_SCHOOL, 1, "姓名")]
    assert import_terms(world / "missing.xlsx", "t").errors[0].code == "E_TERM_FILE"


def test_scope_of_the_importing_user(world):
    path = _book(world / "scope.xlsx", [[COUNTY_B, "", HEAD, "张三", "2021-03-01", "2026-02-28"]],
                 [[SCHOOL_A, "", "王五", "2022-09-01", "2026-08-31"]])
    report = import_terms(path, "t", allowed=lambda county, school: county == COUNTY_A)
    assert [(e.sheet, e.row, e.code) for e in report.errors] == [(SHEET_COUNTY, 2, "E_TERM_SCOPE")]
    assert not Term.objects.exists()


def test_template_round_trips(world):
    term(COUNTY_A, "county_head", dt.date(2021, 3, 1), dt.date(2026, 2, 28))
    term(COUNTY_A, "principal", dt.date(2022, 9, 1), dt.date(2026, 8, 31), school=SCHOOL_A)
    RecordedEvaluation.objects.create(county=county(COUNTY_A), date=dt.date(2019, 11, 20), result="recognised",
                                      document="d", actor="t")
    path = write_template(world / "t.xlsx", [COUNTY_A])
    assert load_workbook(path)[SHEET_COUNTY]["D2"].value == PERSON
    Term.objects.all().delete()
    RecordedEvaluation.objects.all().delete()
    report = import_terms(path, "t")
    assert report.accepted and report.counts == {"county_terms": 1, "principal_terms": 1, "evaluations": 1}
    assert Term.objects.get(school_code="").end == dt.date(2026, 2, 28)


def test_cli_schedule_and_targets(world):
    from dudao.cli import app

    runner = CliRunner()
    out = world / "cli.xlsx"
    r = runner.invoke(app, ["planning", "schedule", "--province", "21", "--year", "2026", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.exists() and "和平区" in r.output and "尚无督导评估记录" in r.output
    r = runner.invoke(app, ["planning", "targets", "--province", "21", "--year", "2026"])
    assert r.exit_code == 0, r.output
    assert "辽宁省" in r.output and "2025" in r.output
    r = runner.invoke(app, ["planning", "schedule", "--province", "99", "--year", "2026"])
    assert r.exit_code == 2 and "不是省、地市或县级代码" in r.output


def test_demo_terms_are_reproducible_and_load_through_the_import(world):
    from dudao.synth.terms import load_demo_terms, write_terms_workbook

    schools = sorted(services._schools(COUNTY_A))
    one = write_terms_workbook(world / "one.xlsx", [COUNTY_A, COUNTY_B], schools, seed=7)
    two = write_terms_workbook(world / "two.xlsx", [COUNTY_A, COUNTY_B], schools, seed=7)
    rows = [[list(r) for r in load_workbook(p)[SHEET_COUNTY].iter_rows(values_only=True)] for p in (one, two)]
    assert rows[0] == rows[1] and len(rows[0]) == 1 + 2 * 2 * 2  # header + two posts × two terms × two counties
    counts = load_demo_terms(world, "21", "demo", seed=7)
    assert counts["county_terms"] == 2 * 2 * OrgUnit.objects.filter(level="county", code__startswith="21").count()
    assert counts["principal_terms"] == len(services._schools("21"))
    assert Term.objects.filter(school_code="").count() == counts["county_terms"]
