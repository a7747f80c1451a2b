"""Charts for the PDF reports (matplotlib, object API, rendered to SVG with text drawn as outlines).

Text becomes vector outlines in the SVG, so the PDF needs no extra font for the charts and Chinese
labels never turn into empty boxes; the CJK font is still needed here, and is looked up once.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from matplotlib import font_manager
from matplotlib.figure import Figure

from dudao.reports.common import ReportError, SectionView

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei")
OK_COLOUR, BAD_COLOUR, LIMIT_COLOUR, GREY = "#4a7ab0", "#c0392b", "#333333", "#9aa5b1"
VERDICT_COLOURS = {"pass": "#2e8b57", "fail": "#c0392b", "incomplete": "#d4a017"}


@cache
def cjk_family() -> str:
    """The first installed CJK font family, for chart labels."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    raise ReportError("找不到中文字体（需要 Noto Sans CJK SC，Debian/Ubuntu 安装 fonts-noto-cjk）/ "
                      "no CJK font found: install fonts-noto-cjk")


def _rc() -> dict[str, Any]:
    return {"font.family": "sans-serif", "font.sans-serif": [cjk_family(), "DejaVu Sans"], "font.size": 8,
            "axes.unicode_minus": False, "svg.fonttype": "path", "svg.hashsalt": "dudao"}


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.04, metadata={"Date": None})
    return buf.getvalue()


BREAKS = re.compile(r"(?<=拥有)|(?<=、)|(?<=及以上)|(?=（)|(?<=）)|(?<=^生均)")


def wrap_zh(text: str, width: int) -> str:
    """Wraps a Chinese label at natural points (after 拥有, 、, around brackets), else every ``width`` characters."""
    lines: list[str] = []
    line = ""
    for chunk in (c for c in BREAKS.split(text) if c):
        if len(line) + len(chunk) <= width:
            line += chunk
            continue
        if line:
            lines.append(line)
        while len(chunk) > width:
            lines.append(chunk[:width])
            chunk = chunk[width:]
        line = chunk
    if line:
        lines.append(line)
    return "\n".join(lines)


def cv_chart(views: Sequence[SectionView], labels: Sequence[tuple[str, str]], composite: bool) -> str:
    """Horizontal bars of every indicator's CV per section, against the limit line. Returns SVG text.

    ``labels`` are (indicator id, Chinese name). With ``composite`` (2012 standard) the single limit
    applies to the composite CV only, so it is drawn on that bar alone.
    """
    import matplotlib

    rows = [*labels, ("composite", "综合差异系数（各项平均）")] if composite else list(labels)
    n = len(rows)
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(6.9, 0.27 * n + 0.5))
        axes = fig.subplots(1, len(views), sharey=True, squeeze=False)[0]
        top = 0.0
        for view in views:
            vals = [view.composite if key == "composite" else view.cv.get(key) for key, _ in rows]
            lims = [view.composite_limit if key == "composite" else view.limits.get(key) for key, _ in rows]
            top = max([top, *[v for v in vals if v is not None], *[v for v in lims if v is not None]])
        xmax = top * 1.28 if top > 0 else 1.0
        for ax, view in zip(axes, views, strict=True):
            ys = list(range(n))[::-1]
            for y, (key, _), in zip(ys, rows, strict=True):
                v = view.composite if key == "composite" else view.cv.get(key)
                limit = view.composite_limit if key == "composite" else view.limits.get(key)
                over = key in view.over
                colour = BAD_COLOUR if over else OK_COLOUR if limit is not None else GREY
                if v is None:
                    ax.text(0.005, y, "无法计算", va="center", ha="left", color=BAD_COLOUR, fontsize=7)
                    continue
                ax.barh(y, v, height=0.62, color=colour, edgecolor="none")
                ax.text(v + xmax * 0.012, y, f"{v:.3f}", va="center", ha="left", fontsize=7,
                        color=BAD_COLOUR if over else "#222222", fontweight="bold" if over else "normal",
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85}, zorder=3)
                if composite and key == "composite" and limit is not None:
                    ax.plot([limit, limit], [y - 0.44, y + 0.44], color=LIMIT_COLOUR, lw=1.4, ls="--")
                    ax.text(limit + xmax * 0.015, y, f"限值 {limit:.2f}", ha="left", va="center", fontsize=7,
                            color=LIMIT_COLOUR)
            limits = {view.limits.get(k) for k, _ in labels}
            if not composite and len(limits) == 1 and None not in limits:
                limit = limits.pop()
                ax.axvline(limit, color=LIMIT_COLOUR, lw=1.1, ls="--")  # type: ignore[arg-type]
                ax.text(limit, n - 0.4, f"限值 {limit:.2f}", ha="center", va="bottom", fontsize=7, color=LIMIT_COLOUR,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
            elif not composite:
                for y, (key, _) in zip(ys, rows, strict=True):
                    lim = view.limits.get(key)
                    if lim is not None:
                        ax.plot([lim, lim], [y - 0.44, y + 0.44], color=LIMIT_COLOUR, lw=1.2, ls="--")
            ax.set_xlim(0, xmax)
            ax.set_ylim(-0.6, n - 0.4 + 0.44)
            ax.set_title(view.zh, fontsize=9, fontweight="bold", pad=10)
            ax.tick_params(axis="y", length=0)
            ax.tick_params(axis="x", labelsize=7)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
            ax.grid(axis="x", color="#e5e5e5", lw=0.6)
            ax.set_axisbelow(True)
        axes[0].set_yticks(list(range(n))[::-1], [wrap_zh(name, 12) for _, name in rows], fontsize=7.5)
        fig.subplots_adjust(wspace=0.12)
        return _svg(fig)


def verdict_chart(groups: Sequence[tuple[str, dict[str, int]]], verdict_labels: dict[str, str]) -> str:
    """Stacked horizontal bars: counties by verdict within each group (prefecture). Returns SVG text."""
    import matplotlib

    order = ["pass", "incomplete", "fail"]
    n = len(groups)
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(6.9, 0.24 * n + 0.9))
        ax = fig.subplots()
        ys = list(range(n))[::-1]
        left = [0] * n
        for verdict in order:
            counts = [g[1].get(verdict, 0) for g in groups]
            ax.barh(ys, counts, left=left, height=0.66, color=VERDICT_COLOURS[verdict], label=verdict_labels[verdict])
            for y, lf, c in zip(ys, left, counts, strict=True):
                if c:
                    ax.text(lf + c / 2, y, str(c), ha="center", va="center", fontsize=7, color="white", fontweight="bold")
            left = [a + b for a, b in zip(left, counts, strict=True)]
        ax.set_yticks(ys, [g[0] for g in groups], fontsize=7.5)
        ax.set_xlim(0, max(left or [1]) * 1.05 + 0.5)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(axis="y", length=0)
        ax.tick_params(axis="x", labelsize=7)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel("县（市、区）数", fontsize=7.5)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, 1.0 + 0.5 / (0.24 * n + 0.9)), ncol=3, frameon=False,
                  fontsize=7.5)
        return _svg(fig)
