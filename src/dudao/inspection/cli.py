"""`dudao inspection frameworks …`: list, show and validate evaluation frameworks and checklists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

app = typer.Typer(help="评价评分 / inspection and quality evaluation", no_args_is_help=True)
frameworks_app = typer.Typer(help="评价框架与实地核查表（列出、显示、检查）/ frameworks: list, show, validate",
                             no_args_is_help=True)
app.add_typer(frameworks_app, name="frameworks")


@frameworks_app.command("list")
def list_frameworks(
    province: Annotated[str, typer.Option(help="同时列出该省上传的版本（2 位或 6 位代码）/ also the province's versions")] = "",
) -> None:
    """列出内置框架（及某省的修订版本）/ list the shipped frameworks (and a province's versions)."""
    from dudao.cli import console
    from dudao.standards.checklists import available_frameworks, load_framework

    table = Table(title="评价框架 / frameworks")
    for col in ("代码 / id", "名称 / name", "版本 / version", "层面 / levels", "考查要点 / points", "SHA-256"):
        table.add_column(col, overflow="fold")
    for fid in available_frameworks():
        loaded = load_framework(fid)
        fw = loaded.framework
        table.add_row(fid, fw.name_zh, fw.version, "、".join(lv.zh for lv in fw.levels),
                      str(sum(len(fw.points(lv.id)) for lv in fw.levels)), loaded.sha256[:16])
    console.print(table)
    if province:
        from dudao.cli import _django

        _django()
        from dudao.inspection.models import FrameworkVersion

        versions = FrameworkVersion.objects.filter(province=province[:2] + "0000")
        table = Table(title=f"{province[:2]}0000 的修订版本 / the province's versions")
        for col in ("代码 / id", "第几版 / number", "文件版本 / label", "上传 / by", "时间 / at", "SHA-256"):
            table.add_column(col, overflow="fold")
        for v in versions:
            table.add_row(v.framework_id, str(v.number), v.label, v.uploaded_by, f"{v.uploaded_at:%Y-%m-%d %H:%M}",
                          v.sha256[:16])
        console.print(table if versions else "（该省没有上传修订版本 / no versions uploaded）")


@frameworks_app.command("show")
def show(
    framework: Annotated[str, typer.Argument(help="框架代码，如 quality2021 / framework id")],
    level: Annotated[str, typer.Option(help="只显示一个层面：county、school、student / one level only")] = "",
) -> None:
    """以表格显示框架：重点内容、关键指标、考查要点，权重、评分标准、分歧阈值、来源、可信度 / show a framework."""
    from dudao.cli import console, err_console
    from dudao.standards.checklists import ChecklistError, available_frameworks, load_framework

    if framework not in available_frameworks():
        err_console.print(f"[bold red]错误 / error:[/] 没有框架“{framework}”（可用：{'、'.join(available_frameworks())}）")
        raise typer.Exit(2)
    try:
        fw = load_framework(framework).framework
    except ChecklistError as exc:
        err_console.print(f"[bold red]错误 / error:[/]\n{exc}")
        raise typer.Exit(2) from None
    for lv in fw.levels:
        if level and lv.id != level:
            continue
        table = Table(title=f"{fw.name_zh} · {lv.zh}（{fw.version}）", show_lines=False)
        for col in ("编号 / id", "名称 / name", "权重 / weight", "评分 / rubric", "阈值 / gap", "数据 / data",
                    "来源 / source", "可信度"):
            table.add_column(col, overflow="fold")
        for a in lv.areas:
            table.add_row(f"[bold]{a.id}", f"[bold]{a.zh}", f"{a.weight:g}", "", "", "", a.source, a.confidence)
            for i in a.indicators:
                mark = "（暂定）" if i.provisional else ""
                table.add_row(i.id, f"  {i.zh}{mark}", f"{i.weight:g}", "", "", "", i.source, i.confidence)
                for p in i.points:
                    mark = "（暂定）" if p.provisional else ""
                    table.add_row(p.id, f"    {p.zh}{mark}", f"{p.weight:g}", fw.rubrics[p.rubric].zh,
                                  f"{fw.gap_of(p):g}", "、".join(p.data), p.source, p.confidence)
        console.print(table)


@frameworks_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="要检查的 YAML 文件 / the YAML file to check")],
) -> None:
    """检查一个（修订后的）框架文件，列出每处错误的位置与规则 / check a framework file; every error located."""
    from dudao.cli import console, err_console
    from dudao.standards.checklists import ChecklistError, read_file

    try:
        loaded = read_file(file)
    except ChecklistError as exc:
        err_console.print(f"[bold red]{file.name}：{len(exc.issues)} 处错误 / problems[/]")
        for i in exc.issues:  # one plain line each (file › path [rule]: message), easy to grep
            typer.echo(str(i), err=True)
        raise typer.Exit(1) from None
    fw = loaded.framework
    points = sum(len(fw.points(lv.id)) for lv in fw.levels)
    console.print(f"✓ {file.name}：{fw.id} {fw.version}，{len(fw.levels)} 个层面，{points} 个考查要点，"
                  f"SHA-256 {loaded.sha256} / valid")
