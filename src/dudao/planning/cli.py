"""`dudao planning …`: the targets, the evaluation schedule and the terms workbook on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="目标与评价周期 / targets, evaluation cycles and terms", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _setup() -> None:
    from dudao.cli import _django

    _django()


def _fail(exc: Exception) -> None:
    err_console.print(f"[bold red]错误 / error:[/] {exc}")
    raise typer.Exit(2) from None


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


@app.command()
def targets(
    province: Annotated[str | None, typer.Option(help="省级代码（如 21 或 210000）；默认全部已载入的省")] = None,
    year: Annotated[int | None, typer.Option(help="截至年份；默认今年 / as of year")] = None,
) -> None:
    """各省及全国通过省级评估的县所占比例与目标 / share of counties recognised against the targets."""
    _setup()
    from dudao.orgunits.models import OrgUnit
    from dudao.planning.errors import PlanningFailure
    from dudao.planning.services import dashboard

    provinces = OrgUnit.objects.filter(level=OrgUnit.Level.PROVINCE).order_by("code")
    if province:
        provinces = provinces.filter(code=province.ljust(6, "0")[:6])
        if not provinces.exists():
            _fail(ValueError(f"没有已载入的省 {province} / no province {province} loaded"))
    boards = []
    try:
        boards = [dashboard(p.code, year) for p in provinces]
    except PlanningFailure as exc:
        _fail(exc)
    if not boards:
        _fail(ValueError("尚未载入任何省 / no province loaded (dudao init)"))
    first = boards[0]
    table = Table(title=f"通过省级评估的县（累计）/ counties recognised, cumulative — 截至 {first.year}")
    table.add_column("地区 / region")
    shown = [s.year for s in first.shares][-8:]
    for y in shown:
        table.add_column(str(y), justify="right")
    for b in boards:
        by_year = {s.year: s for s in b.shares}
        table.add_row(f"{b.name} ({b.total})", *[f"{by_year[y].recognised} {_pct(by_year[y].share)}" for y in shown])
    nat = {s.year: s for s in first.national}
    table.add_row(f"全国（已载入 {first.national_provinces} 个省，{first.national_total} 个县）",
                  *[f"{nat[y].recognised} {_pct(nat[y].share)}" for y in shown], style="bold")
    console.print(table)
    tt = Table(title="目标 / targets")
    for col in ("范围", "目标", "年份", "需要", "已达到", "结论", "来源（可信度）"):
        tt.add_column(col)
    rows = [(b.name, r) for b in boards for r in b.targets if r.scope] + [("全国", r) for r in first.targets if not r.scope]
    for name, r in rows:
        s = r.status
        verdict = {True: "[green]已达到[/]", False: "[red]未达到[/]", None: f"尚差 {s.missing} 个县"}[s.met]
        tt.add_row(name, f"≥ {100 * r.target.share:g}%：{r.target.zh}", str(s.year), str(s.needed),
                   f"{s.recognised}（{_pct(s.actual_share)}）", verdict, f"{r.target.source}（{r.target.confidence}）")
    console.print(tt)


@app.command()
def schedule(
    province: Annotated[str, typer.Option(help="省、地市或县代码（如 21、210500）")],
    year: Annotated[int | None, typer.Option(help="年份；默认今年 / year")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="导出 Excel / write an .xlsx")] = None,
) -> None:
    """本年和下一年到期的督导评估与质量评价，逐条说明原因 / who is due for evaluation this year and next, and why."""
    _setup()
    from dudao.planning.errors import PlanningFailure
    from dudao.planning.services import KIND_WORDS, export_schedule
    from dudao.planning.services import schedule as make_schedule

    code = province if len(province) == 6 else province.ljust(6, "0")
    try:
        sched = make_schedule(code, year)
    except PlanningFailure as exc:
        _fail(exc)
        return
    for zh, _en in sched.notes:
        console.print(f"[yellow]注意：[/]{zh}")
    table = Table(title=f"{sched.name} 评价安排 / evaluation schedule {sched.year}–{sched.year + 1}")
    for col in ("到期", "县", "评价类别", "上次", "原因", "进行中"):
        table.add_column(col)
    for ln in sched.of("county"):
        table.add_row(str(ln.due_year), f"{ln.name} {ln.code}", KIND_WORDS[ln.kind][0], str(ln.last or "—"),
                      "；".join(r.zh for r in ln.reasons), ln.in_progress)
    console.print(table)
    schools = sched.of("school")
    this_year = sum(1 for ln in schools if ln.due_year == sched.year)
    console.print(f"县：{len(sched.of('county'))} 条；学校：{len(schools)} 所到期（{sched.year} 年 {this_year} 所，"
                  f"{sched.year + 1} 年 {len(schools) - this_year} 所），共 {sched.schools} 所学校"
                  + ("" if out else "；学校明细见 --out 导出的 Excel"))
    if out is not None:
        export_schedule(sched, out)
        console.print(f"已写入 / written: {out}")


terms_app = typer.Typer(help="任期与流程外评价记录 / terms of office and recorded evaluations", no_args_is_help=True)
app.add_typer(terms_app, name="terms")


@terms_app.command("template")
def terms_template(
    out: Annotated[Path, typer.Option("--out", help="输出文件 / output .xlsx")] = Path("任期.xlsx"),
    region: Annotated[str, typer.Option(help="省、地市或县代码前缀；默认全部")] = "",
) -> None:
    """下载任期填报表（含已记录的任期）/ the terms workbook, with what is stored."""
    _setup()
    from dudao.planning.services import counties_under, prefix_of
    from dudao.planning.services import region as find_region
    from dudao.planning.terms import write_template

    prefix = prefix_of(find_region(region.ljust(6, "0"))) if region else ""
    write_template(out, list(counties_under(prefix)))
    console.print(f"已写入 / written: {out}")


@terms_app.command("import")
def terms_import(
    path: Annotated[Path, typer.Argument(help="填好的任期表 .xlsx")],
    user: Annotated[str | None, typer.Option(help="记录的操作人 / actor")] = None,
) -> None:
    """导入任期表；有任何错误则整个文件不导入 / import the terms workbook; any error stores nothing."""
    _setup()
    from dudao.cli import _actor
    from dudao.planning.terms import import_terms

    report = import_terms(path, _actor(user))
    if not report.accepted:
        table = Table(title=f"{path.name}：{len(report.errors)} 处错误，未导入 / errors, nothing stored")
        for col in ("代码", "位置", "说明", "message"):
            table.add_column(col)
        for e in report.errors[:200]:
            table.add_row(e.code, e.location_zh(), e.message_zh, e.message_en)
        console.print(table)
        raise typer.Exit(1)
    c = report.counts
    console.print(f"已导入 / imported: 县级领导任期 {c['county_terms']} 条，校长任期 {c['principal_terms']} 条，"
                  f"评价记录 {c['evaluations']} 条")
