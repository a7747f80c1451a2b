"""`dudao teachers …`: import rosters, check staffing, list who must rotate, plan rotations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

app = typer.Typer(help="教师：配备、交流轮岗资格与轮岗方案 / teachers: staffing, rotation eligibility, rotation plans",
                  no_args_is_help=True)

YearOpt = Annotated[int, typer.Option("--year", help="学年（起始年份）/ school year (first calendar year)")]
CountyOpt = Annotated[str, typer.Option("--county", help="6 位县级行政区划代码 / 6-digit county code")]


def _setup() -> None:
    from dudao.cli import _django

    _django()


def _fail(exc: Exception) -> None:
    from dudao.cli import err_console

    err_console.print(f"[bold red]错误 / error:[/] {exc}")
    raise typer.Exit(2) from None


@app.command("template")
def template(out: Annotated[Path, typer.Option("--out", help="输出 .xlsx / output workbook")] = Path("教师名册模板.xlsx")) -> None:
    """教师名册填报模板（教师、任职经历、交流轮岗、学校坐标）/ the teacher workbook template."""
    from dudao.cli import console
    from dudao.teachers.rules import load_teacher_rules
    from dudao.teachers.workbook import write_workbook

    console.print(f"已写出 / written: {write_workbook(out, load_teacher_rules(), {})}")


@app.command("import")
def import_(file: Path, year: YearOpt, actor: Annotated[str, typer.Option(help="操作人 / actor")] = "cli") -> None:
    """导入教师名册（逐格校验；有任何错误则整个文件不导入）/ import a roster (refused whole on any error)."""
    _setup()
    from dudao.cli import console, err_console
    from dudao.teachers.services import import_file

    if not file.exists():
        _fail(FileNotFoundError(f"找不到文件 / no such file: {file}"))
    report = import_file(file, year, actor)
    if not report.accepted:
        for e in report.errors[:200]:
            loc = " ".join(x for x in (e.file, e.sheet, f"第 {e.row} 行" if e.row else "", f"{e.column} 列" if e.column else "") if x)
            err_console.print(f"[red]{e.code}[/] {loc}：{e.message_zh} / {e.message_en}")
        err_console.print(f"[bold red]{len(report.errors)} 处错误，文件未导入 / errors; nothing imported[/]")
        raise typer.Exit(1)
    console.print(f"已导入 / imported: {report.counts}")
    for w in report.warnings[:50]:
        console.print(f"[yellow]{w.code}[/] {w.message_zh}")
    if report.warnings:
        console.print(f"名册与学校统计不一致 {len(report.warnings)} 处 / roster vs statistics mismatches")


@app.command("staffing")
def staffing(year: YearOpt, county: CountyOpt = "", schools: Annotated[bool, typer.Option(help="列出缺编学校 / list short schools")] = False) -> None:
    """按生师比核定编制、学科缺口、无心理健康教师的学校 / staffing against the ratios and subject shortages."""
    _setup()
    from dudao.cli import console
    from dudao.teachers import services

    counties = [county] if county else services.counties_with_roster(year)
    res = services.staffing(year, counties)
    if res.summary.empty:
        _fail(ValueError(f"{year} 学年没有数据 / no data"))
    groups = [g for g in res.rules.subject_groups if f"short_{g.id}" in res.summary.columns]
    table = Table(title=f"教师配备 {year} 学年 / staffing")
    for col in ("县", "学校", "学生", "应配", "在岗", "缺编", *[f"缺{g.zh}" for g in groups], "无心理教师学校"):
        table.add_column(col, justify="right")
    for r in res.summary.itertuples(index=False):
        table.add_row(r.county_code, str(r.schools), str(r.students), f"{r.required:.1f}", str(r.in_post), str(r.shortage),
                      *[str(getattr(r, f"short_{g.id}")) for g in groups], str(r.no_mental_health))
    console.print(table)
    if schools:
        short = res.staff[res.staff["shortage"] > 0].sort_values("shortage", ascending=False)
        t = Table(title="缺编学校（学段）/ short school sections")
        for col in ("学校标识码", "学校", "学段", "学生", "班级", "小规模", "应配", "在岗", "缺编"):
            t.add_column(col)
        for r in short.itertuples(index=False):
            t.add_row(r.school_code, r.school_name, r.section, str(r.students), str(r.classes), "是" if r.small else "",
                      f"{r.required:.1f}", str(r.in_post), str(r.shortage))
        console.print(t)


@app.command("record-fact")
def record_fact(year: YearOpt, county: CountyOpt = "", actor: Annotated[str, typer.Option(help="操作人 / actor")] = "cli") -> None:
    """把由名册计算的交流轮岗指标写入评估的县级记录项 G11 / record the rotation indicator as county item G11."""
    _setup()
    from dudao.cli import console
    from dudao.teachers import services

    counties = [county] if county else services.counties_with_roster(year)
    for o in services.record_rotation_fact(year, counties, actor):
        state = "已记录" if o.recorded else {"locked": "数据已锁定，未改", "no roster": "没有名册，未改"}[o.reason]
        console.print(f"{o.county} G11：{state}；{o.evidence}")


@app.command("eligible")
def eligible(year: YearOpt, county: CountyOpt, all_: Annotated[bool, typer.Option("--all", help="列出全部教师 / every teacher")] = False) -> None:
    """本学年应交流的教师（附理由）与交流轮岗指标 / who must rotate this year, with reasons, and the indicators."""
    _setup()
    from dudao.cli import console
    from dudao.teachers import services

    rows = services.eligibility(year, [county])
    if not rows:
        _fail(ValueError(f"{county} {year} 学年没有教师名册 / no roster"))
    t = Table(title=f"{county} {year} 学年交流轮岗资格 / rotation eligibility")
    for col in ("姓名", "身份证号", "学校", "应交流", "在校年限", "乡村/薄弱任教（月）", "高级职称条件", "校长优先条件", "理由"):
        t.add_column(col)
    for teacher, v in sorted(rows, key=lambda tv: (not tv[1].must_rotate, tv[0].school.code)):
        if v.must_rotate or all_:
            t.add_row(teacher.name, teacher.id_masked, teacher.school.code, "是" if v.must_rotate else "否",
                      str(v.years_in_school), str(v.rural_weak_months), "满足" if v.senior_title_met else "不满足",
                      "满足" if v.principal_priority_met else "不满足", "；".join(v.reasons_zh))
    console.print(t)
    ind = services.indicators(year, [county])[county]
    console.print(f"符合交流条件 {ind.eligible} 人，已交流 {ind.rotated} 人（{_pct(ind.rate)}，应 ≥ {ind.needed_rotated} 人），"
                  f"其中骨干教师 {ind.rotated_key} 人（{_pct(ind.key_rate)}，应 ≥ {ind.needed_key} 人）")


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


@app.command("plan")
def plan(year: YearOpt, county: CountyOpt,
         out: Annotated[Path | None, typer.Option("--out", help="方案 Excel / write the plan workbook")] = None,
         time_limit: Annotated[float, typer.Option(help="求解时限（秒）/ solver time limit (s)")] = 0,
         max_km: Annotated[float, typer.Option(help="最大距离（公里）/ maximum distance (km)")] = 0,
         move: Annotated[list[str] | None, typer.Option(help="必须交流的教师编号 / teacher id that must move")] = None,
         stay: Annotated[list[str] | None, typer.Option(help="不交流的教师编号 / teacher id that must stay")] = None,
         to: Annotated[list[str] | None, typer.Option(help="教师编号=学校标识码 / teacher id=school code")] = None,
         close: Annotated[list[str] | None, typer.Option(help="不参与的学校 / school left out")] = None) -> None:
    """编制交流轮岗方案（混合整数规划，HiGHS）/ plan the county's rotations (MIP, HiGHS)."""
    _setup()
    from dudao.cli import console
    from dudao.teachers import services
    from dudao.teachers.errors import TeacherFailure

    req = services.PlanRequest(county, year, set(move or []), set(stay or []),
                               dict(x.split("=", 1) for x in (to or []) if "=" in x), set(close or []),
                               time_limit or None, max_km or None)
    try:
        saved = services.make_plan(req, "cli")
    except TeacherFailure as exc:
        _fail(exc)
        return
    res, m = saved.result, saved.result["metrics"]
    gap = "—" if res["gap"] is None else f"{res['gap']:.2%}"
    console.print(f"方案 {saved.pk}：{res['status']}，用时 {res['seconds']} 秒，已证明差距 {gap}；交流 {m['moves']} 人"
                  f"（应 ≥ {m['needed_moves']}），骨干 {m['key_moves']}（应 ≥ {m['needed_key']}），R1–R3 全部达标学段 "
                  f"{m['meet_all_before']} → {m['meet_all_after']}")
    t = Table(title="交流方案 / moves")
    for col in ("教师", "学科", "派出学校", "接收学校", "公里", "理由"):
        t.add_column(col)
    for mv in res["moves"]:
        t.add_row(f"{mv['name']}（{mv['teacher']}）", mv["subject"], mv["from_name"], mv["to_name"], str(mv["km"]),
                  "；".join(mv["reasons_zh"]))
    console.print(t)
    if out:
        console.print(f"已写出 / written: {services.plan_workbook(saved, out)}")
