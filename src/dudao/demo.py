"""The demo: a synthetic province loaded, assessed and reported, as `make demo` runs it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

VERDICT_ZH = {"pass": "达标", "fail": "未达标", "incomplete": "数据不全"}
STANDARD_ZH = {"youzhi2017": "优质均衡", "jiben2012": "基本均衡"}


def load(data_dir: Path, console: Console, actor: str) -> int:
    """Imports every year's workbook and county facts found in ``data_dir``; returns the latest year."""
    from dudao.assessment.services import import_facts
    from dudao.schools.services import import_file

    files = sorted(data_dir.glob("province_*_*.xlsx"))
    latest = 0
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("导入 / importing", total=len(files))
        for f in files:
            year = int(f.stem.rsplit("_", 1)[1])
            report = import_file(f, year, actor)
            if not report.accepted:
                raise RuntimeError(f"{f.name}: {len(report.errors)} 处错误 / errors: {report.errors[0].message_zh}")
            facts = data_dir / f.name.replace("province_", "facts_").replace(".xlsx", ".csv")
            fact_note = ""
            if facts.exists():
                errors = import_facts(facts, "youzhi2017", year, actor)
                if errors:
                    raise RuntimeError(f"{facts.name}: {errors[0].message_zh}")
                fact_note = "，县级记录项已导入"
            console.print(f"  {f.name}：{report.counts['schools']} 所学校，{report.counts['sections']} 个学段，"
                          f"提示 {len(report.warnings)} 条{fact_note}")
            latest = max(latest, year)
            progress.advance(task)
    from dudao.synth.terms import load_demo_terms  # planning: synthetic terms of office and past decisions

    counts = load_demo_terms(data_dir, "21", actor)
    console.print(f"  任期与评价记录 / terms：县级领导 {counts['county_terms']} 条，校长 {counts['principal_terms']} 条，"
                  f"流程外评价 {counts['evaluations']} 条")
    from dudao.quality.services import demo_runs  # value-added: synthetic scores, one stored run per subject

    va_runs = demo_runs(latest, actor)
    console.print(f"  增值评价 / value-added：{'、'.join(r.subject for r in va_runs)}，每科 "
                  f"{va_runs[0].schools.count() if va_runs else 0} 所学校（合成成绩）")
    # school places: synthetic births, enrolment by grade, rooms, sites
    from dudao.places.demo import load_demo

    pc = load_demo(seed=1)
    console.print(f"  学位预测 / places：出生人口 {pc.get('births', 0)} 条，分年级在校生 {pc.get('grades', 0)} 条，"
                  f"学区 {pc.get('zones', 0)} 个，学校位置 {pc.get('sites', 0)} 所")
    from dudao.synth.teachers import load_demo as load_teachers  # teachers: rosters, staffing, rotation plan

    tc = load_teachers(latest, actor, data_dir)
    console.print(f"  教师 / teachers：{tc.get('counties', 0)} 个县 {tc.get('teachers', 0)} 名教师，任职经历 "
                  f"{tc.get('service_periods', 0)} 段，交流记录 {tc.get('rotations', 0)} 条，示例轮岗方案交流 {tc.get('moves', 0)} 人")
    from dudao.aid.demo import load_demo as load_aid  # student aid: checked and stored

    ac = load_aid(latest, actor, data_dir)
    console.print(f"  学生资助 / student aid：{ac['term']} {ac['counties']} 个县 {ac['students']} 名学生，"
                  f"发现问题 {ac['findings']} 条")
    from dudao.supervision.demo import open_demo_round  # supervision: an open round

    rnd = open_demo_round(latest, actor)
    console.print(f"  督导评估 / supervision：已开启轮次“{rnd.title}”，{rnd.cases.count()} 个县待自评")
    return latest


def assess_and_report(year: int, out: Path, console: Console, actor: str, pdf_counties: int = 3) -> list[Path]:
    """Runs both standards on every county, prints a summary, writes the reports to ``out``."""
    from dudao.assessment.services import run_assessment
    from dudao.reports import write_report

    written: list[Path] = []
    for sid in ("youzhi2017", "jiben2012"):
        with console.status(f"{STANDARD_ZH[sid]}评估 / assessing {sid}…"):
            outcome = run_assessment(sid, year, "all", actor=actor)
        doc = outcome.document
        _print_summary(doc, console)
        tag = f"{STANDARD_ZH[sid]}_{year}"
        with console.status("写报告 / writing reports…"):
            written.append(write_report(doc, out / f"{tag}_全省汇总.xlsx"))
            written.append(write_report(doc, out / f"{tag}_全省汇总.pdf"))
            if sid == "youzhi2017":
                for county in _examples(doc, pdf_counties):
                    name = re.sub(r"[\\/:*?\"<>|]", "_", county["name"])
                    for suffix in ("xlsx", "pdf"):
                        written.append(write_report(doc, out / "counties" / f"{tag}_{county['code']}_{name}.{suffix}",
                                                    county=county["code"]))
    return written


def _examples(doc: dict[str, Any], per_verdict: int) -> list[dict[str, Any]]:
    """A few counties of each verdict, for example county reports."""
    picked: list[dict[str, Any]] = []
    for verdict in ("pass", "fail", "incomplete"):
        picked += [c for c in doc["counties"] if c["verdict"] == verdict][:per_verdict]
    return picked


def _print_summary(doc: dict[str, Any], console: Console) -> None:
    by_pref: dict[str, Counter[str]] = {}
    for c in doc["counties"]:
        by_pref.setdefault(c["code"][:4] + "00", Counter())[c["verdict"]] += 1
    from dudao.orgunits.divisions import national_divisions

    names = {d.code: d.name for d in national_divisions()}
    short = STANDARD_ZH.get(doc["standard"]["id"], doc["standard"]["id"])
    table = Table(title=f"{short} {doc['year']}–{doc['year'] + 1} 学年（结果 {doc.get('run')}）")
    for col in ("地市", "县数", "达标", "未达标", "数据不全"):
        table.add_column(col, justify="left" if col == "地市" else "right")
    total: Counter[str] = Counter()
    for code, counts in sorted(by_pref.items()):
        total.update(counts)
        table.add_row(names.get(code, code), str(sum(counts.values())), str(counts["pass"]), str(counts["fail"]),
                      str(counts["incomplete"]))
    table.add_row("合计", str(sum(total.values())), str(total["pass"]), str(total["fail"]), str(total["incomplete"]),
                  style="bold")
    console.print(table)
