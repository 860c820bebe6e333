"""Charts as inline SVG strings (matplotlib, Agg canvas, no pyplot, no network).

Charts take presentation-ready inputs (translated labels, float values; charts
are the one place money may be a float) and return an ``<svg>`` fragment that
can be pasted into the HTML as is: text stays text (``svg.fonttype = none``) so
it is searchable and picks up the page's CJK-capable font stack; the XML
prologue, metadata and namespace URLs are stripped; element ids are prefixed per
chart so several charts can share one document; output is deterministic.

A chart is drawn only when it has something to draw (:func:`drawable`): every value empty
or zero would be an axis of zeros; the section says in one sentence why there is no chart
instead, and the chart functions refuse such data (:class:`NothingToDraw`).
"""

from __future__ import annotations

import functools
import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from pipelines.core.masking import mask_contacts

PALETTE = {
    "primary": "#1f4e79",
    "primary_light": "#a9c2dc",
    "target": "#d9822b",
    "previous": "#b7bec6",
    "weakest": "#b03a2e",
    "grid": "#e3e6ea",
    "text": "#2b2f33",
    "muted": "#6b7279",
}
AGING_COLOURS = ("#6f9f6a", "#e3c04b", "#e8983c", "#d9662b", "#b03a2e")

_RC = {
    "svg.fonttype": "none",  # keep text as <text>, not paths
    "svg.hashsalt": "salesops-review-pack",  # deterministic ids
    "font.size": 9,
    # Layout is measured with these fonts (the SVG keeps text as text; the page's font
    # stack draws it): Noto Sans CJK SC (fonts-noto-cjk) measures 中文 labels.
    "font.family": ["DejaVu Sans", "Noto Sans CJK SC"],
    "axes.edgecolor": PALETTE["grid"],
    "axes.labelcolor": PALETTE["muted"],
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlecolor": PALETTE["text"],
    "axes.titlelocation": "left",
    "xtick.color": PALETTE["muted"],
    "ytick.color": PALETTE["muted"],
    "legend.frameon": False,
    "legend.fontsize": 8,
}
_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}


@functools.cache
def _register_cjk_font() -> None:
    """Make matplotlib measure 中文 labels with Noto Sans CJK (fonts-noto-cjk).

    matplotlib's font cache may predate the font's installation; the font files
    are added directly (nothing happens when the font is not installed: labels
    are then measured with DejaVu Sans, and drawn by the page's fonts all the same).
    """
    if any(f.name == "Noto Sans CJK SC" for f in font_manager.fontManager.ttflist):
        return
    for path in font_manager.findSystemFonts():
        if Path(path).name.startswith("NotoSansCJK"):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError):  # an unreadable font file: skip it
                continue


def _new_figure(width: float, height: float) -> Figure:
    _register_cjk_font()
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _clean_axes(ax) -> None:
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    ax.set_axisbelow(True)


def _to_svg(fig: Figure, chart_id: str, title: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=_NO_METADATA)
    return tidy_svg(buf.getvalue(), chart_id, title)


_TEXT = re.compile(r"(<text\b[^>]*>)([^<]*)(</text>)")


def tidy_svg(svg: str, chart_id: str, title: str) -> str:
    """Make matplotlib's standalone SVG a self-contained inline fragment.

    The regexes only ever see matplotlib output for labels this package writes. Every
    label drawn (``<text>``) and the title are masked (``pipelines.core.masking``): a chart
    is one output, whatever its labels are made of.
    """
    svg = svg[svg.index("<svg") :]
    svg = _TEXT.sub(
        lambda m: m[1] + html.escape(mask_contacts(html.unescape(m[2])), quote=False) + m[3], svg
    )
    title = mask_contacts(title)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<style[^>]*>.*?</style>\s*", "", svg, flags=re.S)
    # Root tag: drop namespace URLs (not needed inline in HTML) and the fixed size
    # (the viewBox stays, so CSS can scale the chart to the column width).
    head_end = svg.index(">") + 1
    head = re.sub(r'\s(?:xmlns(?::\w+)?|version|width|height)="[^"]*"', "", svg[:head_end])
    svg = head + svg[head_end:]
    svg = svg.replace("xlink:href=", "href=")
    svg = re.sub(r"font-family:[^;\"]*;?\s*", "", svg)
    referenced = set(re.findall(r"url\(#([^)]+)\)", svg)) | set(re.findall(r'href="#([^"]+)"', svg))

    def _id(m: re.Match[str]) -> str:
        return f' id="{chart_id}-{m.group(1)}"' if m.group(1) in referenced else ""

    svg = re.sub(r' id="([^"]*)"', _id, svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{chart_id}-{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{chart_id}-{m.group(1)}"', svg)
    label = html.escape(title, quote=True)
    return svg.replace(
        "<svg",
        f'<svg class="chart" id="{chart_id}" role="img" aria-label="{label}"',
        1,
    ).replace(">", f"><title>{label}</title>", 1)


@dataclass(frozen=True)
class ForecastPoint:
    """A forecast month of the trend chart: its label, forecast and prediction interval."""

    label: str
    value: float
    lower: float
    upper: float


class NothingToDraw(ValueError):
    """A chart asked for with no value that is neither empty nor zero."""


def drawable(*series: Sequence[float | None]) -> bool:
    """Some value of the series is neither empty (None) nor zero: a chart shows something."""
    return any(v for values in series for v in values if v is not None)


def _check_drawable(chart: str, *series: Sequence[float | None]) -> None:
    if not drawable(*series):
        raise NothingToDraw(f"{chart}: every value is empty or zero, there is nothing to draw")


def axis_scale(max_value: float, *, wan: bool = False) -> int:
    """Divisor for money axes: 1, 1,000 or 1,000,000 (1 or 10,000 = 万 with ``wan``)."""
    if wan:
        return 10_000 if max_value >= 10_000 else 1
    if max_value >= 1_000_000:
        return 1_000_000
    if max_value >= 10_000:
        return 1_000
    return 1


def _grouped(value: float, _pos: object = None) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == 0 else f"{value:,.1f}"


def trend_chart(
    months: Sequence[str],
    revenue: Sequence[float | None],
    target: Sequence[float | None],
    highlight: set[int],
    *,
    title: str,
    y_label: str,
    revenue_label: str,
    target_label: str,
    divisor: int,
    x_label: str = "",
    forecast: Sequence[ForecastPoint] = (),
    forecast_label: str = "",
    band_label: str = "",
) -> str:
    """Monthly bars of an amount (report-quarter months darker) with the target as a line.

    ``forecast``: months drawn after ``months`` (their labels appended to the axis) as a
    dashed forecast line inside a shaded prediction band (``band_label``)."""
    _check_drawable("trend chart", revenue, target)
    labels = [*months, *(p.label for p in forecast)]
    with matplotlib.rc_context(_RC):
        fig = _new_figure(8.0, 3.2)
        ax = fig.add_subplot()
        _clean_axes(ax)
        x = list(range(len(months)))
        heights = [(v or 0.0) / divisor for v in revenue]
        colours = [PALETTE["primary"] if i in highlight else PALETTE["primary_light"] for i in x]
        ax.bar(x, heights, color=colours, width=0.7, label=revenue_label)
        tx = [i for i, v in zip(x, target, strict=True) if v is not None]
        ty = [v / divisor for v in target if v is not None]
        if ty:
            ax.plot(
                tx,
                ty,
                color=PALETTE["target"],
                marker="o",
                markersize=4,
                linewidth=1.6,
                label=target_label,
            )
        if forecast:
            fx = [len(x) + i for i in range(len(forecast))]
            ax.fill_between(
                fx,
                [p.lower / divisor for p in forecast],
                [p.upper / divisor for p in forecast],
                color=PALETTE["primary_light"],
                alpha=0.45,
                linewidth=0,
                label=band_label,
            )
            ax.plot(
                fx,
                [p.value / divisor for p in forecast],
                color=PALETTE["primary"],
                linestyle="--",
                marker="o",
                markersize=3,
                linewidth=1.4,
                label=forecast_label,
            )
            x = x + fx
        ax.set_xticks(x, labels, rotation=0)
        ax.tick_params(axis="x", labelsize=8 if len(x) <= 12 else 7)
        ax.yaxis.set_major_formatter(FuncFormatter(_grouped))
        ax.grid(axis="y", color=PALETTE["grid"], linewidth=0.8)
        ax.set_ylabel(y_label)
        if x_label:
            ax.set_xlabel(x_label)
        ax.set_title(title)
        handles, labels = ax.get_legend_handles_labels()
        order = sorted(range(len(labels)), key=lambda i: labels[i] != revenue_label)
        ax.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            loc="lower right",
            ncols=2,
            bbox_to_anchor=(1, 1),
            borderaxespad=0.2,
        )
        return _to_svg(fig, "chart-trend", title)


def funnel_chart(
    stages: Sequence[str],
    current: Sequence[float | None],
    previous: Sequence[float | None],
    weakest: int | None,
    *,
    title: str,
    x_label: str,
    current_label: str,
    previous_label: str,
    y_label: str = "",
) -> str:
    """Conversion per stage pair (horizontal bars, percent), previous quarter beside it."""
    _check_drawable("funnel chart", current, previous)
    with matplotlib.rc_context(_RC):
        fig = _new_figure(8.0, 0.55 * len(stages) + 1.3)
        ax = fig.add_subplot()
        _clean_axes(ax)
        ax.spines["bottom"].set_visible(False)
        n = len(stages)
        y = list(range(n))
        cur = [(v or 0.0) * 100 for v in current]
        colours = [PALETTE["weakest"] if i == weakest else PALETTE["primary"] for i in y]
        bar_h = 0.38
        ax.barh([i - bar_h / 2 for i in y], cur, height=bar_h, color=colours, label=current_label)
        if any(v is not None for v in previous):
            prev = [(v or 0.0) * 100 for v in previous]
            ax.barh(
                [i + bar_h / 2 for i in y],
                prev,
                height=bar_h,
                color=PALETTE["previous"],
                label=previous_label,
            )
        for i, v in enumerate(current):
            if v is not None:
                ax.text(
                    v * 100 + 1,
                    i - bar_h / 2,
                    f"{v * 100:.1f}%",
                    va="center",
                    fontsize=8,
                    color=PALETTE["text"],
                )
        ax.set_yticks(y, list(stages))
        ax.invert_yaxis()
        ax.set_xlim(0, 110)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f}%"))
        ax.grid(axis="x", color=PALETTE["grid"], linewidth=0.8)
        ax.set_xlabel(x_label)
        if y_label:
            ax.set_ylabel(y_label)
        ax.set_title(title)
        ax.legend(loc="lower right", ncols=2)
        return _to_svg(fig, "chart-funnel", title)


def aging_chart(
    buckets: Sequence[str],
    amounts: Sequence[float],
    *,
    title: str,
    y_label: str,
    divisor: int,
    x_label: str = "",
) -> str:
    """Outstanding per aging bucket, coloured from not yet due (green) to >90 days (red)."""
    _check_drawable("aging chart", amounts)
    with matplotlib.rc_context(_RC):
        fig = _new_figure(8.0, 2.8)
        ax = fig.add_subplot()
        _clean_axes(ax)
        x = list(range(len(buckets)))
        colours = [AGING_COLOURS[i % len(AGING_COLOURS)] for i in x]
        values = [a / divisor for a in amounts]
        bars = ax.bar(x, values, color=colours, width=0.6)
        ax.bar_label(
            bars,
            labels=[f"{v:,.1f}" if divisor > 1 else f"{v:,.0f}" for v in values],
            padding=2,
            fontsize=8,
            color=PALETTE["text"],
        )
        ax.margins(y=0.15)
        ax.set_xticks(x, list(buckets))
        ax.yaxis.set_major_formatter(FuncFormatter(_grouped))
        ax.grid(axis="y", color=PALETTE["grid"], linewidth=0.8)
        ax.set_ylabel(y_label)
        if x_label:
            ax.set_xlabel(x_label)
        ax.set_title(title)
        return _to_svg(fig, "chart-aging", title)
