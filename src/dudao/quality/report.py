"""Value-added charts (matplotlib → SVG) and the PDF reports (WeasyPrint, Noto CJK) of a county and a school.

The chart draws each school's estimate with its 95% interval against the zero line, schools in school-code
order (never by estimate), coloured by band; refused schools are listed, not drawn.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from dudao.reports.charts import _rc, _svg
from dudao.standards.valueadded import load_valueadded

BAND_COLOURS = {"above": "#2e7d4f", "expected": "#4a7ab0", "below": "#c0392b", "refused": "#9aa5b1"}


def interval_chart(rows: Sequence[Any], title: str = "") -> str:
    """SVG of the estimates and intervals of ``rows`` (objects with school_code, school_name, estimate, lower,
    upper, band), in the order given."""
    import matplotlib
    from matplotlib.figure import Figure

    shown = [r for r in rows if r.estimate is not None]
    n = max(len(shown), 1)
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(6.9, 0.22 * n + 0.9))
        ax = fig.subplots()
        ys = list(range(n))[::-1]
        for y, r in zip(ys, shown, strict=False):
            colour = BAND_COLOURS[r.band]
            ax.plot([r.lower, r.upper], [y, y], color=colour, lw=1.6, solid_capstyle="butt")
            ax.plot([r.estimate], [y], marker="o", ms=3.6, color=colour)
        ax.axvline(0, color="#333333", lw=0.9, ls="--")
        labels = [f"{r.school_code} {(r.school_name or '')[:14]}" for r in shown]
        ax.set_yticks(ys[: len(shown)], labels, fontsize=6.5)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlabel("增值（分，相对于平均水平的学校；点为估计值，线为 95% 区间）", fontsize=7)
        if title:
            ax.set_title(title, fontsize=9, fontweight="bold")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(axis="x", color="#e5e5e5", lw=0.6)
        ax.set_axisbelow(True)
        spec = load_valueadded()
        from matplotlib.lines import Line2D

        handles = [Line2D([0], [0], color=BAND_COLOURS[b], lw=2, marker="o", ms=3.5, label=spec.band(b).zh)
                   for b in ("above", "expected", "below")]
        ax.legend(handles=handles, loc="lower right", fontsize=6.5, frameon=False, ncol=3,
                  bbox_to_anchor=(1.0, 1.0 if not title else 1.06))
        return _svg(fig)


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    from dudao.reports.pdf import TEMPLATES

    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()  # type: ignore[no-any-return]
