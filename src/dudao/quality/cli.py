"""`dudao value-added` and `dudao synth scores` (registered in ``dudao.cli``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)
BAND_STYLE = {"above": "green", "expected": "", "below": "red", "refused": "dim"}


def value_added(
    scores: Annotated[Path, typer.Option("--scores", help="学生成绩文件 .csv / .parquet / .xlsx（每名学生一行）/ scores file")],
    out: Annotated[Path, typer.Option("--out", help="结果文件 .xlsx / .csv / .json / output file")],
    engine: Annotated[str, typer.Option(help="duckdb 或 spark")] = "duckdb",
    min_students: Annotated[int | None, typer.Option("--min-students", help="最少匹配学生数（默认见 valueadded.yaml）")] = None,
    covariates: Annotated[str | None, typer.Option(help="背景变量，逗号分隔；默认：文件中出现的已知背景变量；none 为不用")] = None,
    save: Annotated[bool, typer.Option("--save", help="把结果冻结保存到数据库（网页显示）/ store the run")] = False,
    year: Annotated[int | None, typer.Option(help="后测所在学年（--save 时必填）/ school year of the post-test")] = None,
    subject: Annotated[str, typer.Option(help="学科，如 数学 / subject")] = "",
    label: Annotated[str, typer.Option(help="说明，如 2022 级七年级→九年级 / label")] = "",
    user: Annotated[str | None, typer.Option(help="记录的操作人 / actor")] = None,
) -> None:
    """估计各校增值（经验贝叶斯随机截距模型），按 95% 区间分三档，不排名 / schools' value-added in bands."""
    from dudao.engine.valueadded import Params
    from dudao.quality.errors import ValueAddedError
    from dudao.quality.scores_io import read_scores, write_results
    from dudao.quality.scores_io import value_added as compute
    from dudao.standards.model import StandardsError

    if save and year is None:
        raise typer.BadParameter("--save 需要 --year / --save needs --year")
    if out.suffix.lower() not in (".xlsx", ".csv", ".json"):
        raise typer.BadParameter("--out 须以 .xlsx、.csv 或 .json 结尾 / --out must end in .xlsx, .csv or .json")
    chosen = None if covariates is None else [] if covariates.strip().lower() == "none" else \
        [c.strip() for c in covariates.split(",") if c.strip()]
    try:
        params = Params.from_spec(min_students)
        with console.status("读取并检查成绩 / reading scores…"):
            inp = read_scores(scores, chosen)
        with console.status(f"估计增值（{engine}）/ estimating…"):
            result = compute(inp, params, engine)
        path = write_results(result, out)
    except ValueAddedError as exc:
        err_console.print(f"[bold red]错误 / error[/] {exc.error.code}: {exc.message_zh}\n  {exc.message_en}")
        raise typer.Exit(2) from None
    except StandardsError as exc:  # a malformed valueadded.yaml
        err_console.print(f"[bold red]错误 / error:[/] {exc}")
        raise typer.Exit(2) from None
    _print(result)
    console.print(f"已写出 / written: {path}")
    if save:
        assert year is not None
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudao.web.settings")
        import django

        django.setup()
        from dudao.cli import _actor
        from dudao.quality.services import save_run

        run = save_run(result, year, _actor(user), subject=subject, label=label)
        console.print(f"已保存，结果编号 {run.pk} / stored as run {run.pk}")


def _print(result: object) -> None:
    from dudao.standards.valueadded import load_valueadded

    spec = load_valueadded()
    m, c, prov = result.model, result.counts(), result.provenance  # type: ignore[attr-defined]
    table = Table(title="增值评价 / value-added（按学校标识码排列，不排名 / by school code, not ranked）")
    for col in ("学校标识码", "学校", "匹配/学生", "增值", "95% 区间", "结果"):
        table.add_column(col, justify="right" if col in ("匹配/学生", "增值", "95% 区间") else "left")
    schools = sorted(result.schools, key=lambda s: s.school_code)  # type: ignore[attr-defined]
    for s in schools[:40]:
        figs = ("—", "—") if s.estimate is None else (f"{s.estimate:+.1f}", f"[{s.lower:+.1f}, {s.upper:+.1f}]")
        word = spec.band(s.band).zh + ("（" + s.reason_zh + "）" if s.band == "refused" else "")
        table.add_row(s.school_code, s.school_name, f"{s.matched}/{s.students}", *figs,
                      f"[{BAND_STYLE[s.band]}]{word}[/]" if BAND_STYLE[s.band] else word)
    console.print(table)
    if len(schools) > 40:
        console.print(f"……另有 {len(schools) - 40} 所学校，见输出文件 / {len(schools) - 40} more in the output file")
    console.print(f"高于预期 {c['above']}，符合预期 {c['expected']}，低于预期 {c['below']}，不发布 {c['refused']} 所。"
                  f" β(前测) {m['beta']['pre']:.3f}，σ² {m['sigma2']:.1f}，τ² {m['tau2']:.1f}，ICC {m['icc']:.3f}；"
                  f"输入哈希 {prov['inputs_hash'][:12]}，程序版本 {prov['code_version']}")


def synth_scores(
    out: Annotated[Path, typer.Option("--out", help="输出文件 .csv / .parquet / .xlsx")] = Path("var/synth/scores.csv"),
    schools: Annotated[int, typer.Option(help="学校数 / number of schools")] = 200,
    seed: Annotated[int, typer.Option(help="随机种子 / seed")] = 1,
    province: Annotated[str, typer.Option(help="省级代码前两位 / province")] = "21",
    tau: Annotated[float, typer.Option(help="真实校间效应标准差（分）/ SD of true school effects")] = 12.0,
    sigma: Annotated[float, typer.Option(help="学生残差标准差（分）/ SD of student residuals")] = 35.0,
) -> None:
    """生成带已知学校真实效应的合成学生成绩（另写 _truth.csv）/ synthetic scores with known school effects."""
    from dudao.synth.scores import generate_scores, synthetic_schools, write_scores

    with console.status("正在生成 / generating…"):
        data = generate_scores(synthetic_schools(schools, province, seed), seed=seed, tau=tau, sigma=sigma)
        paths = write_scores(data, out)
    console.print(f"学生 {len(data.students):,} 名，学校 {schools} 所 / students, schools:")
    for p in paths:
        console.print(f"  {p}")
