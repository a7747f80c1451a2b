"""The targets chart: the share of counties recognised by year, the national line, and the targets as points
(matplotlib to SVG through ``dudao.reports.charts``, the same fonts and settings as the PDF reports)."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.figure import Figure

from dudao.planning.rules import YearShare
from dudao.reports.charts import GREY, OK_COLOUR, _rc, _svg

TARGET_COLOUR, NATIONAL_COLOUR = "#c0392b", "#6b7785"


def share_chart(shares: Sequence[YearShare], national: Sequence[YearShare], targets: Sequence[tuple[int, float, str]],
                labels: dict[str, str], years: Sequence[int]) -> str:
    """Lines of the cumulative share recognised (region, nation) and the targets (year, share, label). SVG text."""
    import matplotlib

    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(7.2, 2.9))
        ax = fig.subplots()
        xs = [s.year for s in shares]
        ax.plot(xs, [100 * (s.share or 0) for s in shares], color=OK_COLOUR, marker="o", markersize=3.5, linewidth=2,
                label=labels["region"])
        for s in shares[-1:]:
            ax.annotate(f"{100 * (s.share or 0):.0f}%", (s.year, 100 * (s.share or 0)), textcoords="offset points",
                        xytext=(4, 4), fontsize=7.5, color=OK_COLOUR)
        if national and labels.get("national"):
            ax.plot([s.year for s in national], [100 * (s.share or 0) for s in national], color=NATIONAL_COLOUR,
                    linestyle="--", linewidth=1.2, label=labels["national"])
        for year, share, text in targets:
            ax.plot([year], [100 * share], marker="D", markersize=6, color=TARGET_COLOUR, linestyle="none")
            ax.annotate(text, (year, 100 * share), textcoords="offset points", xytext=(-6, -12 if share >= 0.95 else 6),
                        ha="right", fontsize=7, color=TARGET_COLOUR)
        ax.plot([], [], marker="D", markersize=5, color=TARGET_COLOUR, linestyle="none", label=labels["targets"])
        ax.set_ylim(0, 105)
        ax.set_xlim(min(years) - 0.5, max(years) + 0.5)
        ax.set_xticks(list(years), [str(y) for y in years], fontsize=7)
        ax.set_ylabel(labels["axis"], fontsize=7)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(decimals=0))
        ax.grid(axis="y", color=GREY, alpha=0.35, linewidth=0.6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(loc="upper left", frameon=False, fontsize=7.5)
        return _svg(fig)
