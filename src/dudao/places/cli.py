"""`dudao places …`: import places data, project a county, write the planning report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

app = typer.Typer(help="学位供需预测 / school places", no_args_is_help=True)
SECTION_ZH = {"primary": "小学", "junior": "初中"}


@app.command("template")
def template(out: Annotated[Path, typer.Option(help="输出文件 / output .xlsx")] = Path("学位基础数据.xlsx")) -> None:
    """空白导入模板（六个工作表）/ the empty import workbook (six sheets)."""
    from dudao.cli import console
    from dudao.places.workbook import write_workbook

    console.print(f"已写入 / written: {write_workbook(out, {})}")


@app.command("import")
def import_(path: Annotated[Path, typer.Argument(help="学位基础数据 .xlsx")]) -> None:
    """导入出生人口、分年级在校生、教室、学区、学校位置、随迁子女申请；有任何错误则不导入 / import (all or nothing)."""
    from dudao.cli import _django, console, err_console

    _django()
    from dudao.places.services import import_workbook

    checked, _batch = import_workbook(path, "cli")
    if checked.errors:
        for e in checked.errors[:50]:
            err_console.print(f"[red]{e.code}[/] {e.location_zh()}：{e.message_zh} / {e.message_en}")
        err_console.print(f"[bold red]{len(checked.errors)} 处错误，未导入任何数据 / errors, nothing stored[/]")
        raise typer.Exit(1)
    console.print("已导入 / imported: " + "，".join(f"{k} {v}" for k, v in checked.counts().items()))


@app.command("demo")
def demo(seed: int = 1, prefix: Annotated[str, typer.Option(help="区划代码前缀 / region prefix")] = "") -> None:
    """为已导入的学校生成合成的出生人口与分年级在校生等数据 / synthetic places data for the loaded schools."""
    from dudao.cli import _django, console

    _django()
    from dudao.places.demo import load_demo

    console.print(load_demo(seed, prefix))


@app.command("project")
def project(
    county: Annotated[str, typer.Option(help="县级区划代码 / county code")],
    horizon: Annotated[int, typer.Option(help="预测年数 1–10 / years ahead")] = 10,
    scenario: Annotated[str, typer.Option(help="low / medium / high")] = "medium",
    out: Annotated[Path | None, typer.Option(help="报告 .xlsx 或 .pdf / report file")] = None,
    save: Annotated[bool, typer.Option(help="保存本次预测 / keep this run")] = True,
) -> None:
    """县域在校生预测、回测、学位余缺与风险 / project a county, with backtest, capacity and risks."""
    from dudao.cli import _django, console, err_console

    _django()
    from dudao.places.errors import PlacesError
    from dudao.places.services import county_plan, save_run

    try:
        doc = county_plan(county, horizon, scenario)
    except PlacesError as exc:
        err_console.print(f"[bold red]{exc.error.code}[/] {exc.message_zh} / {exc.message_en}")
        raise typer.Exit(1) from None
    c = doc["county"]
    table = Table(title=f"{c['name']}（{c['code']}）在校生预测 / projected students — 基年 {doc['base_year']}，{scenario}")
    for col in ("学年 / year", "小学 低/中/高", "小学容量", "初中 低/中/高", "初中容量"):
        table.add_column(col, justify="right")
    for y in doc["years"]:
        cells = [str(y)]
        for sec in ("primary", "junior"):
            data = doc["sections"][sec]
            cells += ["/".join(f"{data['projection'][sc][y]:.0f}" for sc in ("low", "medium", "high")), f"{data['capacity']}"]
        table.add_row(*cells)
    console.print(table)
    bt, pr = doc["backtest"], doc["parameters"]
    console.print(f"入学率 / intake ratio {pr['intake_ratio']}；出生人口年变化 / births trend {pr['births_trend']}；"
                  f"回测（基年 {bt['as_of']}）MAPE {bt['mape']}%，各校中位数 {bt['schools_mape_median']}%")
    short = [r for r in doc["schools"] if r["shortage_years"]]
    large = [r for r in doc["schools"] if r["band_projected"] in ("large", "very_large") or r["band_now"] in ("large", "very_large")]
    console.print(f"缺位学校 / schools short of places: {len(short)}；大班额风险 / large-class risk: {len(large)}；"
                  f"小规模学校 / small schools: {len(doc['small_schools'])}")
    if save:
        run = save_run(doc, "cli")
        console.print(f"已保存预测 / saved run {run.pk}")
    if out is not None:
        from dudao.places.report import write_report

        console.print(f"报告 / report: {write_report(doc, out)}")
