"""Synthetic terms of office and past evaluation decisions for the demo province, written as the terms workbook
and loaded through the real import (``dudao.planning.terms.import_terms``).

Every person's name is made up from a short list of surnames and given-name characters; with one seed the same
names, dates and decisions come out. The loaded data make the planning pages show every kind of line: counties
never evaluated, counties whose cycle lapses this year or next, terms ending with and without an evaluation in
them, and a share of counties recognised by 2025 that falls short of the 50% target (about 45%).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红志国建文斌波宁海东晓春雪梅"
DECISION_YEARS = (2019, 2020, 2021, 2022, 2023, 2024, 2025)


def _name(rng: np.random.Generator) -> str:
    given = "".join(rng.choice(list(GIVEN), size=int(rng.integers(1, 3))))
    return str(rng.choice(list(SURNAMES))) + given


def _day(rng: np.random.Generator, year: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))


def _years_later(day: dt.date, years: int) -> dt.date:
    return day.replace(day=1).replace(year=day.year + years) - dt.timedelta(days=1)


def write_terms_workbook(out: Path, counties: list[str], schools: list[str], seed: int = 1) -> Path:
    """The terms workbook for the given counties and schools (their codes), reproducible from ``seed``."""
    import xlsxwriter

    from dudao.planning.policy import load_planning
    from dudao.planning.terms import COLUMNS, SHEET_COUNTY, SHEET_EVAL, SHEET_SCHOOL

    rng = np.random.default_rng(seed)
    posts = [p.zh for p in load_planning().posts("county")]
    rows: dict[str, list[list[object]]] = {name: [] for name in COLUMNS}
    for code in counties:
        for post in posts:
            start = _day(rng, int(rng.integers(2019, 2026))).replace(day=1)
            # the predecessor's term, then the current one (five years, ending the day before the fifth anniversary)
            rows[SHEET_COUNTY].append([code, "", post, _name(rng), start.replace(year=start.year - 5),
                                       start - dt.timedelta(days=1)])
            rows[SHEET_COUNTY].append([code, "", post, _name(rng), start, _years_later(start, 5)])
        if rng.random() < 0.25:
            continue  # never evaluated
        year = int(rng.choice(DECISION_YEARS))
        passed = rng.random() < 0.55
        rows[SHEET_EVAL].append([code, "", _day(rng, year), "通过" if passed else "未通过",
                                 f"辽教督〔{year}〕{int(rng.integers(1, 60))}号"])
        if not passed and year <= 2023 and rng.random() < 0.3:
            later = int(rng.integers(year + 1, 2026))
            rows[SHEET_EVAL].append([code, "", _day(rng, later), "通过", f"辽教督〔{later}〕{int(rng.integers(1, 60))}号"])
    for code in schools:
        start = _day(rng, int(rng.integers(2018, 2026)))
        rows[SHEET_SCHOOL].append([code, "", _name(rng), start, _years_later(start, int(rng.integers(3, 7)))])
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(out))
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, cols in COLUMNS.items():
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, cols)
        for r, values in enumerate(rows[name], start=1):
            for c, v in enumerate(values):
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), day)
                else:
                    ws.write_string(r, c, str(v))
    wb.close()
    return out


def load_demo_terms(out_dir: Path, province: str, actor: str, seed: int = 1) -> dict[str, int]:
    """Writes the demo province's terms workbook into ``out_dir`` and imports it; returns the counts."""
    from dudao.orgunits.models import OrgUnit
    from dudao.planning.services import _schools
    from dudao.planning.terms import import_terms

    counties = list(OrgUnit.objects.filter(level=OrgUnit.Level.COUNTY, code__startswith=province)
                    .order_by("code").values_list("code", flat=True))
    schools = sorted(_schools(province))
    path = write_terms_workbook(out_dir / f"terms_{province}.xlsx", counties, schools, seed)
    report = import_terms(path, actor)
    if not report.accepted:
        raise RuntimeError(f"{path.name}: {report.errors[0].message_zh}")
    return report.counts
