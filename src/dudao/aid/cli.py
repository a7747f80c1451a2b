"""`dudao aid …` and `dudao synth students`: check ID numbers, identify, coverage, key rotation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="学生资助：身份证号校验、精准识别、应助尽助核查 / student aid", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

FileList = Annotated[list[Path], typer.Option(help="文件（可重复）/ files (repeat the option)")]


def _django() -> None:
    from dudao.cli import _django as setup

    setup()


def _print_issues(checked: list, limit: int = 50) -> None:  # type: ignore[type-arg]
    shown = 0
    for c in checked:
        for i in c.issues:
            if shown >= limit:
                break
            err_console.print(f"[red]{i.code}[/] {i.location_zh()}：{i.message_zh} / {i.message_en}")
            shown += 1
    total = sum(c.issue_count for c in checked)
    if total > shown:
        err_console.print(f"…… 共 {total} 处错误（用 --errors 写出全部）/ {total} errors in all (write them all with --errors)")


def _write_issues(checked: list, path: Path) -> None:  # type: ignore[type-arg]
    from dudao.aid.files import issues_frame

    issues_frame(checked).to_csv(path, index=False, encoding="utf-8-sig")
    err_console.print(f"错误清单 / all errors: {path}")


@app.command("check-ids")
def check_ids(
    file: Annotated[Path, typer.Argument(help="名册、名单或发放记录（.xlsx、.csv、.parquet）/ file to check")],
    kind: Annotated[str, typer.Option(help="roster（学生名册）、list（部门名单）或 payments（发放记录）")] = "roster",
    errors: Annotated[Path | None, typer.Option(help="把全部错误写入 CSV / write every error to a CSV file")] = None,
) -> None:
    """逐行校验身份证号与各列（不导入）/ check every ID number and column of a file (imports nothing)."""
    from dudao.aid import crypto
    from dudao.aid.files import KINDS, check_file

    if kind not in KINDS:
        raise typer.BadParameter(f"kind: {', '.join(KINDS)}")
    if not file.is_file():
        err_console.print(f"[bold red]错误 / error:[/] 找不到文件 / no such file: {file}")
        raise typer.Exit(2)
    c = check_file(file, kind, hash_key=crypto.hash_key(), max_issues=None if errors else 1000)
    if errors is not None and c.issue_count:
        _write_issues([c], errors)
    if c.issue_count:
        _print_issues([c])
        err_console.print(f"[bold red]{c.file}：{c.issue_count} 处错误 / errors[/]")
        raise typer.Exit(1)
    console.print(f"[green]{c.file}：{c.rows} 行全部通过校验 / all {c.rows} rows valid[/]")


def _run(roster: list[Path], lists: list[Path], payments: list[Path], term: str, county: str | None,
         errors: Path | None, engine: str):  # type: ignore[no-untyped-def]
    from dudao.aid import crypto
    from dudao.aid.pipeline import run

    with console.status("正在核查 / checking…"):
        result = run(roster, lists, payments, term, hash_key=crypto.hash_key(), county=county, engine_name=engine)  # type: ignore[arg-type]
    if not result.ok:
        if errors is not None:
            _write_issues(result.checked, errors)
        _print_issues(result.checked)
        err_console.print("[bold red]有文件未通过校验，未做任何识别 / a file has errors; nothing was identified[/]")
        raise typer.Exit(1)
    return result


@app.command("identify")
def identify(
    roster: FileList,
    lists: FileList,
    out: Annotated[Path, typer.Option(help="输出文件（.parquet、.csv 或 .xlsx）/ output file")],
    term: Annotated[str, typer.Option(help="学期，如 2024-spring / term")] = "2024-spring",
    errors: Annotated[Path | None, typer.Option(help="校验错误写入 CSV / write file errors here")] = None,
    engine: Annotated[str, typer.Option(help="duckdb 或 spark")] = "duckdb",
) -> None:
    """精准识别：名册与部门名单按身份证号（密钥散列）精确匹配；同县同名同出生日期只列为建议匹配 / identify."""
    import pyarrow as pa

    result = _run(roster, lists, [], term, None, errors, engine)
    assert result.exact is not None and result.proposals is not None
    exact = result.exact.append_column("match", pa.array(["exact"] * result.exact.num_rows, pa.string()))
    prop = result.proposals.select(["id_hash", "category", "file", "list_row"])
    prop = prop.append_column("match", pa.array(["proposed"] * prop.num_rows, pa.string()))
    table = pa.concat_tables([exact.select(["id_hash", "category", "file", "list_row", "match"]), prop])
    _write_table(table, out)
    _django()
    from dudao.audit.services import record

    record("export", "aid.identify", out.name, {"rows": table.num_rows, "term": term, "content": "id_hash, category"})
    console.print(f"精确匹配 {result.exact.num_rows} 条，建议匹配 {result.proposals.num_rows} 条（须人工确认）/ "
                  f"{result.exact.num_rows} exact, {result.proposals.num_rows} proposed (to be confirmed) → {out}")


def _write_table(table, out: Path) -> None:  # type: ignore[no-untyped-def]
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        pq.write_table(table, out)
    elif out.suffix == ".csv":
        pacsv.write_csv(table, out)
    else:
        table.to_pandas().to_excel(out, index=False)


@app.command("coverage")
def coverage(
    county: Annotated[str, typer.Option(help="县级行政区划代码 / county code")],
    term: Annotated[str, typer.Option(help="学期，如 2024-spring / term")],
    roster: FileList,
    lists: FileList,
    payments: FileList,
    store: Annotated[bool, typer.Option(help="保存结果（加密）供网页查看 / store the results for the web pages")] = False,
    out: Annotated[Path | None, typer.Option(help="逐人结果（Parquet/CSV，身份证号以散列表示）/ lines")] = None,
    errors: Annotated[Path | None, typer.Option(help="校验错误写入 CSV / write file errors here")] = None,
    user: Annotated[str | None, typer.Option(help="记录的操作人 / actor")] = None,
) -> None:
    """应助尽助核查：应助未助、不符合条件已发放、重复发放、金额不符，按项目汇总 / coverage of a county and term."""
    _django()
    from dudao.aid.errors import AidError
    from dudao.aid.labels import programme_label
    from dudao.aid.services import check_county
    from dudao.cli import _actor

    if store:
        try:
            aid_run, result = check_county(county, term, roster, lists, payments, actor=_actor(user))
        except AidError as exc:
            if exc.issues:
                for i in exc.issues[:50]:
                    err_console.print(f"[red]{i.code}[/] {i.location_zh()}：{i.message_zh} / {i.message_en}")
            err_console.print(f"[bold red]错误 / error:[/] {exc}")
            raise typer.Exit(1) from None
        console.print(f"已保存核查结果 #{aid_run.pk} / stored check #{aid_run.pk}")
    else:
        result = _run(roster, lists, payments, term, county, errors, "duckdb")
    assert result.totals is not None and result.lines is not None
    table = Table(title=f"{county} {term} 应助尽助核查 / coverage")
    cols = ["eligible", "due", "paid_students", "paid", "unpaid", "not_eligible", "twice", "amount"]
    table.add_column("资助项目 / programme")
    for c in cols:
        table.add_column(c, justify="right")
    for row in result.totals.to_pylist():
        table.add_row(programme_label(row["programme"]), *[f"{row[c]:,.0f}" if row[c] is not None else "—" for c in cols])
    console.print(table)
    if out is not None:
        from dudao.audit.services import record

        _write_table(result.lines, out)
        record("export", "aid.lines", out.name, {"rows": result.lines.num_rows, "term": term, "county": county,
                                                 "content": "id_hash, programme, categories, amounts"}, object_unit=county)
        console.print(f"逐人结果 / lines → {out}")


@app.command("rotate-keys")
def rotate_keys_cmd(
    rehash: Annotated[bool, typer.Option(help="同时用当前散列密钥重算身份证号散列 / recompute the ID hashes too")] = False,
) -> None:
    """用最新密钥重新加密全部姓名和身份证号（见 docs/aid.md）/ re-encrypt every stored value with the newest key."""
    _django()
    from dudao.aid.services import rotate_keys

    n = rotate_keys(rehash)
    console.print(f"已重新加密 {n} 人 / re-encrypted {n} people")


@app.command("new-key")
def new_key() -> None:
    """生成一个新的加密密钥（放在 DUDAO_AID_KEYS 最前）/ print a new encryption key."""
    from dudao.aid.crypto import new_key as make

    console.print(make())


def synth_students(
    county: Annotated[str, typer.Option(help="县级行政区划代码 / county code")] = "210521",
    term: Annotated[str, typer.Option(help="学期 / term")] = "2024-spring",
    students: Annotated[int, typer.Option(help="学生数 / students")] = 3000,
    schools: Annotated[int, typer.Option(help="学校数 / schools")] = 12,
    seed: Annotated[int, typer.Option(help="随机种子 / seed")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="csv、xlsx 或 parquet")] = "csv",
    out: Annotated[Path, typer.Option(help="输出目录 / output folder")] = Path("var/synth/aid"),
) -> None:
    """合成学生名册、部门名单、发放记录（含预置错误，truth.json 记录）/ synthetic aid files with planted errors."""
    from dudao.synth.students import generate_students, write_students

    with console.status("正在生成 / generating…"):
        data = generate_students(county, term, students=students, schools=schools, seed=seed)
        paths = write_students(data, out, fmt)
    for name, path in paths.items():
        console.print(f"{name}: {path}")
    console.print(f"truth: {out / 'truth.json'}  " + json.dumps({k: len(v) for k, v in data.truth.items()
                                                                 if isinstance(v, list)}, ensure_ascii=False))
