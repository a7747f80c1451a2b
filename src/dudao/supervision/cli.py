"""`dudao supervision …`: the rectification reminders, for cron."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

app = typer.Typer(help="督导评估流程 / supervision workflow", no_args_is_help=True)


@app.command("remind")
def remind(
    today: Annotated[str, typer.Option(help="以哪一天为准（YYYY-MM-DD，默认今天）/ the day to check (default today)")] = "",
    days: Annotated[int, typer.Option(help="提前几天提醒即将到期的任务 / remind tasks due within N days")] = 7,
) -> None:
    """逾期整改任务报上级并发邮件提醒，临近到期的任务提醒县级 / escalate overdue tasks and e-mail reminders."""
    from dudao.cli import _django, console, err_console

    _django()
    from dudao.supervision.rectification import escalate, remind_due

    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        err_console.print(f"[bold red]错误 / error:[/] 日期“{today}”格式应为 YYYY-MM-DD / the date must be YYYY-MM-DD")
        raise typer.Exit(2) from None
    escalated = escalate(day)
    due = remind_due(day, days)
    table = Table(title=f"整改提醒 {day} / rectification reminders")
    for col in ("类别 / kind", "县 / county", "任务 / task", "期限 / deadline"):
        table.add_column(col)
    for kind, tasks in (("逾期已报上级 / escalated", escalated), ("即将到期 / due soon", due)):
        for t in tasks:
            table.add_row(kind, f"{t.county.name} {t.owner_unit}", t.description[:60], str(t.deadline))
    console.print(table)
    console.print(f"新报上级 {len(escalated)} 项，即将到期 {len(due)} 项 / {len(escalated)} escalated, {len(due)} due soon")
