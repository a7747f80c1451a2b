"""Reports for people: an assessment document rendered as an Excel workbook or an A4 PDF in Chinese.

``write_report(doc, out, county=None)`` picks the form by the file suffix (.xlsx or .pdf). With a
county code it writes that county's report, otherwise a summary of every county in the document.
The reports render the plain document (``dudao.engine.document.build_document``) and read names,
units, thresholds and limits from the standard the document names; nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dudao.reports.common import ReportError

__all__ = ["ReportError", "write_report"]

SUFFIXES = (".xlsx", ".pdf")


def write_report(doc: Mapping[str, Any], out: Path | str, county: str | None = None) -> Path:
    """Writes the county report (``county`` given) or the multi-county summary to ``out``; returns the path."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ReportError(f"报告文件须以 .xlsx 或 .pdf 结尾：{out.name} / the report file must end in .xlsx or .pdf")
    from dudao.reports.common import Context

    ctx = Context(doc)
    if county is not None:
        ctx.county(county)  # raises ReportError (a ValueError) for a county not in the document
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        from dudao.reports.excel import county_workbook, province_workbook

        return county_workbook(ctx, county, out) if county else province_workbook(ctx, out)
    from dudao.reports.pdf import county_pdf, province_pdf

    return county_pdf(ctx, county, out) if county else province_pdf(ctx, out)
