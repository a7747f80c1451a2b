"""Excel and PDF reports rendered from a small assessment document built by the engine (no database)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import ibis
import openpyxl
import pytest

from dudao.engine.assessment import assess
from dudao.engine.document import build_document
from dudao.engine.frames import sections_frame
from dudao.reports import ReportError, write_report
from dudao.reports.common import VERDICT_ZH
from dudao.standards.model import load_dictionary, load_standard
from tests.factories import COUNTY_A, COUNTY_B, dataset

NAMES = {COUNTY_A: "本溪满族自治县", COUNTY_B: "朝阳县"}
META = {"inputs_hash": "x" * 64, "code_version": "test", "engine": "duckdb"}
RED, GREEN = "FFFFC7CE", "FFC6EFCE"
FAILING_SCHOOL = "2121000001"  # sports area cut to a quarter: fails R5 and the school rule


@pytest.fixture(scope="module")
def docs() -> dict[str, dict]:
    schools, sections = dataset()
    for s in schools:
        if s["school_code"] == FAILING_SCHOOL:
            s["sports_area"] = 1000.0
        if s["school_code"] == "2121000002":
            s["sports_area"] = 30000.0  # one very rich school: the primary R5 CV goes over its limit
    d = load_dictionary()
    t = ibis.duckdb.connect().create_table("t", sections_frame(schools, sections, d))
    out = {}
    for sid in ("youzhi2017", "jiben2012"):
        a = assess(t, load_standard(sid), d, year=2024)
        out[sid] = build_document(a, NAMES, META)
    return out


@pytest.fixture(scope="module")
def outdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reports")


def county(doc: dict, code: str = COUNTY_A) -> dict:
    return next(c for c in doc["counties"] if c["code"] == code)


def rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def find_row(ws, *values) -> int:
    """1-based number of the first row containing every value given."""
    for row in ws.iter_rows():
        cells = [c.value for c in row]
        if all(v in cells for v in values):
            return row[0].row
    raise AssertionError(f"no row with {values} in {ws.title}")


def column_of(ws, header_row: int, startswith: str) -> int:
    for c in ws[header_row]:
        if isinstance(c.value, str) and c.value.startswith(startswith):
            return c.column
    raise AssertionError(f"no column {startswith!r} in {ws.title}")


# --- Excel ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def county_xlsx(docs, outdir) -> Path:
    return write_report(docs["youzhi2017"], outdir / "county.xlsx", county=COUNTY_A)


def test_county_workbook_sheets_and_overview(docs, county_xlsx):
    doc = docs["youzhi2017"]
    wb = openpyxl.load_workbook(county_xlsx)
    assert wb.sheetnames == ["概况", "小学学校指标", "初中学校指标", "差异系数", "差距"]
    ws = wb["概况"]
    text = [v for r in rows(ws) for v in r if isinstance(v, str)]
    assert VERDICT_ZH[county(doc)["verdict"]] == "未达标"
    assert ws.cell(find_row(ws, "评估结论"), 2).value == "未达标"
    for reason in county(doc)["reasons"]:  # every reason, in Chinese, with its status in words
        r = find_row(ws, reason["zh"])
        assert ws.cell(r, 3).value == {"fail": "未达标", "missing": "缺数据"}[reason["status"]]
    assert {"资源配置", "政府保障程度", "教育质量", "社会认可度", "否决项", "前提条件"} <= set(text)
    assert "x" * 64 in text and "test" in text
    assert ws.freeze_panes is not None


def test_school_sheet_numbers_thresholds_and_shading(docs, county_xlsx):
    std = load_standard("youzhi2017")
    wb = openpyxl.load_workbook(county_xlsx)
    ws = wb["小学学校指标"]
    head = find_row(ws, "学校代码", "学校名称")
    r5 = column_of(ws, head, "R5")
    thr = find_row(ws, "标准值（不低于）")
    assert ws.cell(thr, r5).value == std.indicator("R5").thresholds["primary"]
    bad = find_row(ws, FAILING_SCHOOL)
    cell = ws.cell(bad, r5)
    assert isinstance(cell.value, float) and cell.value == pytest.approx(1000.0 / 320)
    assert cell.fill.fgColor.rgb == RED
    assert ws.cell(bad, column_of(ws, head, "学校结论")).value == "未达标"
    assert ws.cell(bad, column_of(ws, head, "在校生数")).value == 320
    good = find_row(ws, "2121000003")
    assert ws.cell(good, r5).fill.fgColor.rgb == GREEN
    assert ws.freeze_panes == f"C{thr + 1}"


def test_cv_sheet_matches_document(docs, county_xlsx):
    sec = next(s for s in county(docs["youzhi2017"])["sections"] if s["section"] == "primary")
    ws = openpyxl.load_workbook(county_xlsx)["差异系数"]
    r = find_row(ws, "小学", "R5")
    assert ws.cell(r, 4).value == pytest.approx(sec["cv"]["R5"], rel=1e-15)  # XlsxWriter keeps 16 digits
    assert sec["cv"]["R5"] > 0.5
    assert ws.cell(r, 4).number_format == "0.000"
    assert ws.cell(r, 5).value == 0.5
    assert ws.cell(r, 6).value == "超过限值"
    assert ws.cell(find_row(ws, "小学", "R1"), 6).value == "未超过"


def test_gap_sheet_totals(docs, county_xlsx):
    gaps = county(docs["youzhi2017"])["gaps"]
    wb = openpyxl.load_workbook(county_xlsx, data_only=True)
    ws = wb["差距"]
    head = find_row(ws, "学校代码", "估算金额（元）")
    cost_col = column_of(ws, head, "估算金额")
    costs = []
    for r in range(head + 1, head + 1 + len(gaps["schools"])):
        costs.append(ws.cell(r, cost_col).value)
    assert costs == [g["counted_cost"] for g in gaps["schools"]]
    total_row = find_row(ws, "估算总金额（元）")
    assert ws.cell(total_row, cost_col).value == pytest.approx(sum(costs)) == pytest.approx(gaps["total_cost"])
    subtotal = next(r for r in range(find_row(ws, "合计"), total_row) if ws.cell(r, 4).value == "R5")
    assert ws.cell(subtotal, cost_col - 2).value == pytest.approx(gaps["totals"]["R5"]["addition"])
    assert ws.cell(subtotal, cost_col).value == pytest.approx(gaps["totals"]["R5"]["cost"])
    formulas = openpyxl.load_workbook(county_xlsx)["差距"]
    assert formulas.cell(total_row, cost_col).value.startswith("=SUM(")
    assert find_row(ws, "二、差异系数超过限值时的补短板测算")
    lift = gaps["cv_lifts"][0]
    assert find_row(ws, lift["school_code"], lift["school_name"])


def test_province_workbooks_both_standards(docs, outdir):
    for sid, doc in docs.items():
        path = write_report(doc, outdir / f"province_{sid}.xlsx")
        ws = openpyxl.load_workbook(path)["各县结果"]
        table = rows(ws)
        codes = [r[1] for r in table[1:] if r[1] in NAMES]
        assert codes == [COUNTY_A, COUNTY_B]
        header = table[0]
        n_ind = len(load_standard(sid).indicators)
        assert sum(1 for h in header if h and "\n" in h and h.split("\n")[0] in ("小学", "初中")) == 2 * n_ind
        r = find_row(ws, COUNTY_A)
        sec = county(doc)["sections"][0]
        first_cv = header.index(f"小学\n{load_standard(sid).indicators[0].id} {load_standard(sid).indicators[0].zh}") + 1
        assert ws.cell(r, first_cv).value == pytest.approx(sec["cv"][load_standard(sid).indicators[0].id], rel=1e-15)
        if sid == "jiben2012":
            col = next(i for i, h in enumerate(header, 1) if h and h.startswith("小学综合差异系数"))
            assert ws.cell(r, col).value == pytest.approx(sec["composite_cv"])


def test_jiben_county_workbook_composite(docs, outdir):
    doc = docs["jiben2012"]
    path = write_report(doc, outdir / "jiben.xlsx", county=COUNTY_A)
    ws = openpyxl.load_workbook(path)["差异系数"]
    r = find_row(ws, "初中", "综合")
    junior = next(s for s in county(doc)["sections"] if s["section"] == "junior")
    assert ws.cell(r, 4).value == pytest.approx(junior["composite_cv"])
    assert ws.cell(r, 5).value == junior["cv_limit"]


# --- PDF --------------------------------------------------------------------------------------

def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} 未安装（poppler-utils）/ {name} is not installed (poppler-utils); CI installs it")
    return path


@pytest.fixture(scope="module")
def county_pdf(docs, outdir) -> Path:
    return write_report(docs["youzhi2017"], outdir / "county.pdf", county=COUNTY_A)


def test_county_pdf_is_a_pdf(county_pdf):
    assert county_pdf.read_bytes()[:5] == b"%PDF-"


def test_county_pdf_embeds_cjk_fonts(county_pdf):
    out = subprocess.run([_tool("pdffonts"), str(county_pdf)], capture_output=True, text=True, check=True).stdout
    fonts = [line for line in out.splitlines()[2:] if line.strip()]
    cjk = [f for f in fonts if "CJK" in f]
    assert cjk, out
    for line in fonts:  # columns: ... emb sub uni object ID
        emb = line.split()[-5]
        assert emb == "yes", line


def test_county_pdf_text(docs, county_pdf):
    text = subprocess.run([_tool("pdftotext"), "-layout", str(county_pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    compact = re.sub(r"\s+", "", text)
    assert "本溪满族自治县" in compact
    assert "差异系数" in compact
    assert "未达标" in compact
    assert "生均体育运动场馆面积" in compact
    assert "x" * 64 in compact and "第1页" in compact
    pages = subprocess.run([_tool("pdfinfo"), str(county_pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", pages).group(1)) <= 4


def test_province_pdfs_both_standards(docs, outdir):
    for sid, doc in docs.items():
        path = write_report(doc, outdir / f"province_{sid}.pdf")
        assert path.read_bytes()[:5] == b"%PDF-"
        if shutil.which("pdftotext"):
            text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout)
            assert "本溪满族自治县" in text and "朝阳县" in text
            assert ("综合差异系数" if sid == "jiben2012" else "最大差异系数") in text


# --- errors and boundaries ----------------------------------------------------------------------

def test_unknown_county_raises(docs, outdir):
    with pytest.raises(ValueError, match=r"没有县级代码.*999999.*not in this assessment"):
        write_report(docs["youzhi2017"], outdir / "x.xlsx", county="999999")
    assert not (outdir / "x.xlsx").exists()


def test_unknown_suffix_raises(docs, outdir):
    with pytest.raises(ReportError, match=r"\.xlsx 或 \.pdf"):
        write_report(docs["youzhi2017"], outdir / "x.docx")


def test_reports_do_not_use_django():
    package = Path(__file__).parents[2] / "src" / "dudao" / "reports"
    for path in package.rglob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+django", path.read_text(encoding="utf-8"), re.M), path
