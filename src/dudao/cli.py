"""The `dudao` command line (Typer + Rich). Each command parses, calls a service, renders."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="督导 dudao：义务教育均衡与质量督导系统 / compulsory-education supervision", no_args_is_help=True)
standards_app = typer.Typer(help="标准（政策规则数据）/ standards as data", no_args_is_help=True)
synth_app = typer.Typer(help="合成数据 / synthetic data", no_args_is_help=True)
app.add_typer(standards_app, name="standards")
app.add_typer(synth_app, name="synth")
facts_app = typer.Typer(help="县级记录项（含佐证）/ recorded county facts", no_args_is_help=True)
app.add_typer(facts_app, name="facts")
users_app = typer.Typer(help="用户与令牌 / users and API tokens", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _register_areas() -> None:
    """The areas' own command groups (each in its app's cli module)."""
    from dudao.aid import cli as aid_cli
    from dudao.inspection.cli import app as inspection_app
    from dudao.places.cli import app as places_app
    from dudao.planning.cli import app as planning_app
    from dudao.quality import cli as quality_cli
    from dudao.supervision.cli import app as supervision_app
    from dudao.teachers.cli import app as teachers_app

    for name, sub in (("planning", planning_app), ("supervision", supervision_app), ("inspection", inspection_app),
                      ("places", places_app), ("aid", aid_cli.app), ("teachers", teachers_app)):
        app.add_typer(sub, name=name)
    app.command("value-added")(quality_cli.value_added)
    synth_app.command("scores")(quality_cli.synth_scores)
    synth_app.command("students")(aid_cli.synth_students)


_register_areas()
console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.web.settings")
    import django

    django.setup()


def friendly[F: Callable[..., Any]](func: F) -> F:
    """Turns the product's known errors into a message in Chinese and English, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from dudao.accounts.errors import AccountError
        from dudao.assessment.errors import AssessmentError
        from dudao.orgunits.errors import CodeError
        from dudao.reports import ReportError
        from dudao.settings import InsecureSettingsError
        from dudao.standards.formula import FormulaError
        from dudao.standards.model import StandardsError

        try:
            return func(*args, **kwargs)
        except (StandardsError, CodeError, FormulaError, InsecureSettingsError, FileNotFoundError, AssessmentError,
                ReportError, AccountError) as exc:
            err_console.print(f"[bold red]错误 / error:[/] {exc}")
            raise typer.Exit(2) from None
        except Exception as exc:
            from pydantic import ValidationError

            if isinstance(exc, ValidationError):  # settings read from the environment
                err_console.print(f"[bold red]配置错误 / settings error:[/] {exc}")
                raise typer.Exit(2) from None
            raise

    return wrapper  # type: ignore[return-value]


def _actor(user: str | None) -> str:
    if user:
        return user
    from dudao.settings import load_settings

    configured = load_settings().default_actor
    try:
        return f"{configured}:{getpass.getuser()}"
    except OSError:
        return configured


@app.command()
@friendly
def init(
    divisions: Annotated[str, typer.Option(help="载入哪些行政区划：all 或省级代码前缀（如 21）/ 'all' or a code prefix")] = "all",
) -> None:
    """创建或迁移数据库，并载入行政区划 / create or migrate the database and load the divisions."""
    _django()
    from django.core.management import call_command

    from dudao.orgunits.services import load_divisions

    call_command("migrate", interactive=False, verbosity=0)
    created = load_divisions("" if divisions == "all" else divisions)
    console.print(f"数据库已就绪；新增行政区划 {created} 个 / database ready; {created} new org units")


@app.command()
@friendly
def template(
    out: Annotated[Path, typer.Option("--out", help="输出文件 .xlsx 或 .csv / output file")],
    year: Annotated[int | None, typer.Option(help="学年（起始年份）/ school year")] = None,
) -> None:
    """生成数据填报模板 / write the data template generated from the element dictionary."""
    _django()
    from dudao.schools.services import write_template

    path = write_template(out, year)
    console.print(f"已生成模板 / template written: {path}")


@app.command(name="import")
@friendly
def import_(
    file: Annotated[Path, typer.Argument(help="要导入的 .xlsx 或 .csv 文件 / file to import")],
    year: Annotated[int, typer.Option(help="学年（起始年份，2024 即 2024–2025 学年）/ school year")],
    user: Annotated[str | None, typer.Option(help="记录的操作人 / actor to record")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table 或 json")] = "table",
    max_rows: Annotated[int, typer.Option(help="表格最多显示的问题条数 / issues shown in the table")] = 200,
) -> None:
    """导入学校数据：先全部检查，有任何错误则不导入 / import school data; any error refuses the whole file."""
    if not file.exists():
        raise FileNotFoundError(f"找不到文件 / file not found: {file}")
    _django()
    from dudao.schools.services import import_file

    report = import_file(file, year, _actor(user))
    if fmt == "json":
        sys.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=1) + "\n")
    else:
        _print_issues(report.errors, "错误 / errors", "red", max_rows)
        _print_issues(report.warnings, "提示 / warnings", "yellow", max_rows)
        if report.accepted:
            c = report.counts
            console.print(
                f"[green]已导入[/] {file.name}：学校 {c['schools']} 所，学段 {c['sections']} 个，新建记录 {c['created']}，"
                f"修改数值 {c['changed_values']} 项，未变记录 {c['unchanged_records']}；提示 {len(report.warnings)} 条\n"
                f"imported: {c['schools']} schools, {c['sections']} sections, {c['created']} new records, "
                f"{c['changed_values']} values changed, {len(report.warnings)} warnings"
            )
        else:
            err_console.print(f"[bold red]未导入[/]：发现 {len(report.errors)} 处错误，文件中的数据均未写入。"
                              f" / refused: {len(report.errors)} errors; nothing was stored.")
    if not report.accepted:
        raise typer.Exit(1)


def _print_issues(issues: list[Any], title: str, colour: str, max_rows: int) -> None:
    if not issues:
        return
    table = Table(title=f"{title}（{len(issues)}）", show_lines=False, title_style=f"bold {colour}")
    for col in ("位置 / location", "代码", "说明", "message"):
        table.add_column(col, overflow="fold")
    for issue in issues[:max_rows]:
        table.add_row(issue.location_zh(), issue.code, issue.message_zh, issue.message_en)
    console.print(table)
    if len(issues) > max_rows:
        console.print(f"……另有 {len(issues) - max_rows} 条未显示（用 --format json 查看全部）/ {len(issues) - max_rows} more")


@app.command()
@friendly
def export(
    year: Annotated[int, typer.Option(help="学年 / school year")],
    out: Annotated[Path, typer.Option("--out", help="输出文件 .xlsx 或 .csv / output file")],
    county: Annotated[list[str] | None, typer.Option(help="只导出这些县（可重复）/ only these counties")] = None,
) -> None:
    """按模板格式导出数据（可再导入）/ export data in the template's form (re-importable)."""
    _django()
    from dudao.schools.services import export_year

    path = export_year(year, out, county or None)
    console.print(f"已导出 / exported: {path}")


@app.command()
@friendly
def summary(year: Annotated[int | None, typer.Option(help="学年；默认最新 / default: latest")] = None) -> None:
    """按地市汇总学校、学生、教师数 / schools, students and teachers by prefecture."""
    _django()
    from dudao.schools.services import latest_year
    from dudao.schools.services import summary as summarise

    year = year or latest_year()
    if year is None:
        console.print("还没有数据；请先导入 / no data yet")
        raise typer.Exit(1)
    table = Table(title=f"{year}–{year + 1} 学年数据概况 / summary")
    for col in ("代码", "地区", "学校", "学段", "在校生", "专任教师"):
        table.add_column(col, justify="right" if col not in ("地区",) else "left")
    totals = [0, 0, 0, 0]
    for r in summarise(year):
        table.add_row(r["code"], r["name"], f"{r['schools']:,}", f"{r['sections']:,}", f"{r['students']:,}", f"{r['teachers']:,}")
        for i, k in enumerate(("schools", "sections", "students", "teachers")):
            totals[i] += r[k]
    table.add_row("", "合计", *[f"{t:,}" for t in totals], style="bold")
    console.print(table)


@standards_app.command("list")
@friendly
def standards_list() -> None:
    """列出可用的标准 / list the standards."""
    from dudao.standards.model import available_standards, load_standard

    for sid in available_standards():
        std = load_standard(sid)
        console.print(f"{std.id}  {std.version}  {std.name_zh}（{std.source}）")


@standards_app.command("show")
@friendly
def standards_show(
    standard_id: Annotated[str, typer.Argument(help="标准代码，如 youzhi2017、jiben2012 或 elements")],
    province: Annotated[str, typer.Option(help="叠加省级覆盖（省级代码前两位，如 13）/ province overlay")] = "",
) -> None:
    """以表格显示标准的全部规则 / print a standard's rules as a table."""
    from dudao.standards.show import render

    render(console, standard_id, province)


@synth_app.command("province")
@friendly
def synth_province(
    seed: Annotated[int, typer.Option(help="随机种子 / seed")] = 1,
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")] = Path("var/synth"),
    province: Annotated[str, typer.Option(help="省级代码前两位 / province (two digits)")] = "21",
    years: Annotated[str, typer.Option(help="学年，逗号分隔 / school years, comma-separated")] = "2022,2023,2024",
) -> None:
    """生成合成省份数据（可导入的 xlsx 与 csv）/ synthetic province as importable files."""
    from dudao.synth.province import generate_province, write_province

    year_list = tuple(int(y) for y in years.split(","))
    with console.status("正在生成 / generating…"):
        data = generate_province(seed, province=province, years=year_list)
        paths = write_province(data, out)
    for p in paths:
        console.print(f"  {p}")


@synth_app.command("nation")
@friendly
def synth_nation(
    seed: Annotated[int, typer.Option(help="随机种子 / seed")] = 1,
    out: Annotated[Path, typer.Option("--out", help="输出目录 / output folder")] = Path("var/synth"),
    year: Annotated[int, typer.Option(help="学年 / school year")] = 2024,
) -> None:
    """生成全国规模合成数据（Parquet）/ synthetic nation as Parquet."""
    from dudao.synth.nation import write_nation

    with console.status("正在生成 / generating…"):
        path = write_nation(seed, out, year=year)
    console.print(f"  {path}")


@app.command()
@friendly
def demo(
    out: Annotated[Path, typer.Option("--out", help="演示数据目录 / demo data folder")] = Path("var/demo"),
    reports: Annotated[Path, typer.Option(help="报告输出目录 / reports folder")] = Path("out"),
    seed: Annotated[int, typer.Option(help="随机种子 / seed")] = 1,
) -> None:
    """演示：合成辽宁省→导入→评估→报告 / demo: synthetic Liaoning, imported, assessed, reported."""
    from dudao import demo as demo_run

    init("21")
    synth_province(seed=seed, out=out, province="21", years="2022,2023,2024")
    _django()
    try:
        year = demo_run.load(out, console, _actor("demo"))
    except RuntimeError as exc:
        err_console.print(f"[bold red]演示数据导入失败 / demo import failed:[/] {exc}")
        raise typer.Exit(1) from None
    summary(year)
    written = demo_run.assess_and_report(year, reports, console, _actor("demo"))
    console.print(f"报告已写入 {reports}/（{len(written)} 个文件）/ reports written to {reports}/:")
    for path in written:
        console.print(f"  {path}")


VERDICT_ZH = {"pass": "[green]达标[/]", "fail": "[red]未达标[/]", "incomplete": "[yellow]数据不全[/]"}


@app.command()
@friendly
def assess(
    standard: Annotated[str, typer.Option(help="youzhi2017 或 jiben2012")] = "youzhi2017",
    year: Annotated[int | None, typer.Option(help="学年；默认最新 / default: latest with data")] = None,
    county: Annotated[str | None, typer.Option(help="一个县的代码 / one county")] = None,
    prefecture: Annotated[str | None, typer.Option(help="一个地市的代码 / one prefecture")] = None,
    all_: Annotated[bool, typer.Option("--all", help="全部县 / every county")] = False,
    engine: Annotated[str, typer.Option(help="duckdb 或 spark")] = "duckdb",
    fmt: Annotated[str, typer.Option("--format", help="table | json | xlsx | pdf")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="输出文件 / output file")] = None,
    split: Annotated[str | None, typer.Option(help="一贯制学校分摊：weighted（折算）或 enrolment（按人数）")] = None,
    province: Annotated[str, typer.Option(help="省级覆盖（如 13）/ province overlay")] = "",
    user: Annotated[str | None, typer.Option(help="记录的操作人 / actor")] = None,
) -> None:
    """计算县域均衡评估并冻结保存结果 / run a county assessment and store the frozen result."""
    _django()
    from dudao.assessment.services import run_assessment
    from dudao.schools.services import latest_year

    if fmt not in ("table", "json", "xlsx", "pdf"):
        raise typer.BadParameter("--format 只能是 table、json、xlsx 或 pdf")
    if out is not None and fmt in ("xlsx", "pdf", "json") and out.suffix.lower() != f".{fmt}":
        raise typer.BadParameter(f"--out 的扩展名应为 .{fmt} / --out must end in .{fmt}")
    year = year or latest_year()
    if year is None:
        err_console.print("还没有数据；请先导入 / no data yet")
        raise typer.Exit(1)
    from rich.progress import Progress

    from dudao.assessment.services import STEPS

    scope = county or prefecture or "all"
    with Progress(console=err_console, transient=True) as progress:
        task = progress.add_task(f"{standard} {year}", total=len(STEPS))

        def step(name: str) -> None:
            progress.update(task, completed=STEPS.index(name), description=f"{standard} {year}：{name}")

        outcome = run_assessment(standard, year, scope, engine=engine, split_rule=split,  # type: ignore[arg-type]
                                 province=province, actor=_actor(user), step=step)
        progress.update(task, completed=len(STEPS))
    doc = outcome.document
    if fmt == "json":
        text = json.dumps(doc, ensure_ascii=False, indent=1)
        if out:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
            console.print(f"已写出 / written: {out}")
        else:
            sys.stdout.write(text + "\n")
        return
    if fmt in ("xlsx", "pdf"):
        from dudao.reports import write_report

        target = out or Path(f"out/{standard}_{year}_{scope}.{fmt}")
        path = write_report(doc, target, county=county)
        console.print(f"已写出报告 / report written: {path}")
        return
    _verdict_table(doc)


def _verdict_table(doc: dict[str, Any]) -> None:
    counts = {"pass": 0, "fail": 0, "incomplete": 0}
    table = Table(title=f"{doc['standard']['name']} · {doc['year']}–{doc['year'] + 1} 学年（结果编号 {doc.get('run')}）")
    for col in ("代码", "县", "结论", "最大差异系数\n小学/初中", "未达标\n学段", "未达标项目 / 缺项"):
        table.add_column(col, overflow="fold")
    for c in doc["counties"]:
        counts[c["verdict"]] += 1
        cvs = []
        for sec in c["sections"]:
            vals = [v for v in sec["cv"].values() if v is not None]
            cvs.append(f"{max(vals):.3f}" if vals else "—")
        failing = sum(1 for sec in c["sections"] for s in sec["schools"] if s["school_pass"] is False)
        fails = [r for r in c["reasons"] if r["status"] == "fail"]
        missing = [r for r in c["reasons"] if r["status"] == "missing"]
        why = "、".join(r["item"] for r in fails[:6]) + ("等" if len(fails) > 6 else "")
        if missing:
            why += f"{'；' if why else ''}缺 {len(missing)} 项"
        table.add_row(c["code"], c["name"], VERDICT_ZH[c["verdict"]], " / ".join(cvs), str(failing), why)
    console.print(table)
    console.print(f"达标 {counts['pass']} 个，未达标 {counts['fail']} 个，数据不全 {counts['incomplete']} 个县。"
                  f" 输入哈希 {doc['inputs_hash'][:12]}，代码版本 {doc['code_version']}")


@facts_app.command("template")
@friendly
def facts_template(
    out: Annotated[Path, typer.Option("--out", help="输出 .xlsx / output")],
    year: Annotated[int, typer.Option(help="学年 / school year")],
    standard: Annotated[str, typer.Option(help="标准 / standard")] = "youzhi2017",
    county: Annotated[list[str] | None, typer.Option(help="只列这些县 / only these counties")] = None,
) -> None:
    """生成县级记录项填报表 / write the sheet of recorded county items."""
    _django()
    from dudao.assessment.services import write_facts_template

    console.print(f"已生成 / written: {write_facts_template(out, standard, year, county or None)}")


@facts_app.command("import")
@friendly
def facts_import(
    file: Annotated[Path, typer.Argument(help=".xlsx 或 .csv")],
    year: Annotated[int, typer.Option(help="学年 / school year")],
    standard: Annotated[str, typer.Option(help="标准 / standard")] = "youzhi2017",
    user: Annotated[str | None, typer.Option(help="操作人 / actor")] = None,
) -> None:
    """导入县级记录项（有错误则全部不导入）/ import recorded county facts (all or nothing)."""
    if not file.exists():
        raise FileNotFoundError(f"找不到文件 / file not found: {file}")
    _django()
    from dudao.assessment.services import import_facts

    errors = import_facts(file, standard, year, _actor(user))
    if errors:
        _print_issues(errors, "错误 / errors", "red", 200)
        raise typer.Exit(1)
    console.print(f"[green]已导入[/] {file.name}")


@users_app.command("create")
@friendly
def users_create(
    username: Annotated[str, typer.Argument(help="用户名 / user name")],
    role: Annotated[str, typer.Option(help="province_admin | province_inspector | prefecture_inspector | "
                                           "county_bureau | school_clerk | expert_inspector")],
    org_unit: Annotated[str, typer.Option(help="所属行政区划代码 / org unit code")] = "",
    school: Annotated[str, typer.Option(help="学校标识码（学校填报员）/ school code for clerks")] = "",
    name: Annotated[str, typer.Option(help="姓名 / full name")] = "",
) -> None:
    """新建用户（交互输入密码）/ create a user (the password is asked for)."""
    _django()
    from django.core.exceptions import ValidationError

    from dudao.accounts.services import create_user

    password = typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(username, role, password, org_unit, school, name)
    except ValidationError as exc:
        err_console.print("[bold red]密码不符合要求 / password refused:[/] " + "；".join(exc.messages))
        raise typer.Exit(2) from None
    console.print(f"已创建 / created: {user}")


@users_app.command("demo")
@friendly
def users_demo(province: Annotated[str, typer.Option(help="省级代码前两位")] = "21") -> None:
    """创建各角色的演示账户（仅限演示数据）/ demo accounts for every role (demo only)."""
    _django()
    from dudao.accounts.services import DEMO_PASSWORD, create_demo_users

    table = Table(title=f"演示账户（密码均为 {DEMO_PASSWORD}，仅用于演示数据）/ demo accounts")
    for col in ("用户名", "角色", "范围"):
        table.add_column(col)
    for acc in create_demo_users(province):
        table.add_row(acc.username, acc.role, acc.where)
    console.print(table)


@users_app.command("token")
@friendly
def users_token(username: Annotated[str, typer.Argument(help="用户名")], name: str = "cli") -> None:
    """签发 API 令牌（只显示一次）/ issue an API token (shown once)."""
    _django()
    from dudao.accounts.services import issue_token

    console.print(issue_token(username, name))


@app.command()
@friendly
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    workers: Annotated[int, typer.Option(help="gunicorn 进程数")] = 2,
) -> None:
    """用 gunicorn 提供网页与 API / serve the web UI and the API with gunicorn."""
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    console.print(f"网页 / web UI: http://{host}:{port}/   API 文档 / API docs: http://{host}:{port}/api/docs")
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "dudao.web.wsgi:application", "--bind", f"{host}:{port}",
                               "--workers", str(workers), "--threads", "4", "--access-logfile", "-", "--timeout", "120"])


def main() -> None:
    from django.db.utils import OperationalError, ProgrammingError

    try:
        app()
    except (OperationalError, ProgrammingError) as exc:
        if "no such table" not in str(exc) and "does not exist" not in str(exc):
            raise
        err_console.print("[bold red]错误 / error:[/] 数据库尚未初始化或未迁移，请先运行 `dudao init`（或 `make demo`）/ "
                          f"the database is not initialised or migrated: run `dudao init` (or `make demo`) first ({exc})")
        sys.exit(2)


if __name__ == "__main__":
    main()
