"""Draw :class:`~bot.domain.chart.ChartData` as a PNG with matplotlib's Agg canvas.

Only the object-oriented API is used (a ``Figure`` and its own canvas, no ``pyplot``), so a
chart can be drawn in a worker thread while the bot keeps running. Everything plotted comes
from the chart data; nothing is computed here.
"""

from __future__ import annotations

import math
import struct
import threading
from collections.abc import Sequence
from io import BytesIO

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from bot.domain.chart import ChartData, FieldPanel, RatePanel, Series, StatusBars
from bot.domain.status import DayStatus

WIDTH_INCHES = 10.0
DPI = 100
TITLE_INCHES = 0.95
"""Room above the first plot for the title and the legend."""
GAP_INCHES = 0.85
"""Room between plots for the day labels and the next legend."""
BOTTOM_INCHES = 0.35
PANEL_COLUMNS = 5
MIN_SLOTS = 7
"""A chart of fewer days (a bot new in service) keeps room for a week: bars stay bar-sized."""
PANEL_GAP = 0.12
"""Space between sub-area panels, as a fraction of a panel."""
WEAK_RATE = 0.9
"""A sub-area reporting less than this over the period is drawn in red."""
COLOURS = {
    DayStatus.ON_TIME: "#43a047",
    DayStatus.ZERO: "#90caf9",
    DayStatus.LATE: "#fb8c00",
    DayStatus.EXCUSED: "#bdbdbd",
    DayStatus.MISSING: "#e53935",
}
BAR_WIDTH = 0.8
HIGHLIGHT = "#fff3b0"
LINE_COLOURS = ("#1e88e5", "#8e24aa", "#00897b", "#6d4c41")
MARKER_STYLES = (("^", "#d81b60"), ("X", "#b71c1c"), ("D", "#5e35b1"), ("s", "#ef6c00"))


_ONE_AT_A_TIME = threading.Lock()
"""Matplotlib's settings are global: two charts drawn at once in threads (the digests of
several groups) would undo each other's font."""


def render_png(data: ChartData, font: str | None = None) -> bytes:
    """The chart as PNG bytes; ``font`` is the family for the labels (None: matplotlib's)."""
    with _ONE_AT_A_TIME:
        return _render(data, font)


def _render(data: ChartData, font: str | None) -> bytes:
    rows = _rows(data)
    figure = Figure(figsize=(WIDTH_INCHES, sum(rows)), dpi=DPI)
    FigureCanvasAgg(figure)
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with rc_context(
        {"font.family": "sans-serif", "font.sans-serif": family, "axes.unicode_minus": False}
    ):
        _draw(figure, data, rows)
        buffer = BytesIO()
        figure.savefig(
            buffer, format="png", dpi=DPI, facecolor="white", pil_kwargs={"compress_level": 1}
        )
    return buffer.getvalue()


def _rows(data: ChartData) -> list[float]:
    """Heights in inches: the status bars, figures (if any), the sub-area panels."""
    rows = [3.0]
    if data.field is not None or _has_figures(data):
        rows.append(2.4)
    if data.panels:
        rows.append(1.2 * math.ceil(len(data.panels) / PANEL_COLUMNS))
    return rows


def _has_figures(data: ChartData) -> bool:
    return bool(data.lines) or any(_positive(series.values) for series in data.markers)


def _draw(figure: Figure, data: ChartData, rows: list[float]) -> None:
    height = sum(rows) + TITLE_INCHES + BOTTOM_INCHES + GAP_INCHES * (len(rows) - 1)
    figure.set_figheight(height)
    grid = GridSpec(
        len(rows),
        1,
        figure=figure,
        height_ratios=rows,
        left=0.07,
        right=0.93,
        top=1 - TITLE_INCHES / height,
        bottom=BOTTOM_INCHES / height,
        hspace=GAP_INCHES / (sum(rows) / len(rows)),
    )
    figure.text(0.5, 1 - 0.3 / height, data.title, ha="center", va="center", fontsize=14)
    if data.empty:
        figure.text(0.5, 0.5, data.no_data, ha="center", va="center", fontsize=12)
        return
    _status_bars(figure.add_subplot(grid[0]), data)
    row = 1
    if data.field is not None:
        _field(figure.add_subplot(grid[row]), data, data.field)
        row += 1
    elif _has_figures(data):
        _figures(figure.add_subplot(grid[row]), data)
        row += 1
    if data.panels:
        _panels(figure.add_subplot(grid[row]), data)


def _status_bars(axes: Axes, data: ChartData) -> None:
    bottom = [0] * len(data.days)
    for bars in data.bars:
        _stack(axes, bars, bottom)
        bottom = [below + value for below, value in zip(bottom, bars.values, strict=True)]
    axes.autoscale_view()
    axes.set_ylabel(data.bars_label)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=5, frameon=False, fontsize=9)
    _days_axis(axes, data)


def _stack(axes: Axes, bars: StatusBars, bottom: Sequence[int]) -> None:
    """One status's segments on top of ``bottom``: the rectangles (and legend entry) that
    ``axes.bar`` makes, added without its update of the data limits patch by patch, which
    walks each patch's transforms (three quarters of the bars' cost); the limits are
    updated once from the corners (same picture, byte for byte)."""
    hatch = "//" if bars.status == DayStatus.MISSING else None
    patches, corners = [], []
    for x, (below, value) in enumerate(zip(bottom, bars.values, strict=True)):
        patch = Rectangle(
            (x - BAR_WIDTH / 2, below),
            BAR_WIDTH,
            value,
            facecolor=COLOURS[bars.status],
            edgecolor="white",
            linewidth=0.5,
            label="_nolegend_",
            hatch=hatch,
        )
        patch.sticky_edges.y.append(below)
        axes.add_artist(patch)
        patches.append(patch)
        corners += [(x - BAR_WIDTH / 2, below), (x + BAR_WIDTH / 2, below + value)]
    axes.update_datalim(corners)
    axes.add_container(BarContainer(patches, label=bars.label))


def _figures(axes: Axes, data: ChartData) -> None:
    positions = range(len(data.days))
    for number, series in enumerate(data.lines):
        colour = LINE_COLOURS[number % len(LINE_COLOURS)]
        axes.plot(
            positions,
            _gaps(series.values),
            marker="o",
            markersize=3,
            color=colour,
            label=series.label,
        )
    axes.set_ylabel(data.figures_label)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    events = axes.twinx()
    for number, series in enumerate(data.markers):
        _markers(events, series, number)
    events.yaxis.set_major_locator(MaxNLocator(integer=True))
    events.set_ylim(0, max([1, *(v or 0 for s in data.markers for v in s.values)]) * 1.3)
    handles = axes.get_legend_handles_labels()
    more = events.get_legend_handles_labels()
    axes.legend(
        handles[0] + more[0],
        handles[1] + more[1],
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=4,
        frameon=False,
        fontsize=9,
    )
    _days_axis(axes, data)


def _markers(axes: Axes, series: Series, number: int) -> None:
    """The days the series is above zero, each marked and labelled with its value."""
    shape, colour = MARKER_STYLES[number % len(MARKER_STYLES)]
    points = [(x, value) for x, value in enumerate(series.values) if value]
    axes.scatter(
        [x for x, _ in points],
        [v for _, v in points],
        marker=shape,
        s=60,
        color=colour,
        label=series.label,
        zorder=3,
    )
    for x, value in points:
        axes.annotate(
            str(value),
            (x, value),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
            color=colour,
        )


def _field(axes: Axes, data: ChartData, panel: FieldPanel) -> None:
    positions = list(range(len(data.days)))
    if panel.outflows is None:
        axes.bar(
            positions,
            _gaps(panel.daily.values),
            color="#1e88e5",
            label=panel.daily.label,
            width=0.6,
        )
    else:
        shifted = [x - 0.2 for x in positions]
        axes.bar(
            shifted, _gaps(panel.daily.values), width=0.4, color="#fb8c00", label=panel.daily.label
        )
        axes.bar(
            [x + 0.2 for x in positions],
            _gaps(panel.outflows.values),
            width=0.4,
            color="#43a047",
            label=panel.outflows.label,
        )
    if panel.balance is not None:
        balance = axes.twinx()
        balance.plot(
            positions,
            _gaps(panel.balance.values),
            marker="o",
            markersize=3,
            color="#8e24aa",
            label=panel.balance.label,
        )
        balance.set_ylim(bottom=0)
        balance.yaxis.set_major_locator(MaxNLocator(integer=True))
        balance.legend(loc="lower right", bbox_to_anchor=(1, 1.0), frameon=False, fontsize=9)
    axes.set_ylabel(panel.label)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=3, frameon=False, fontsize=9)
    _days_axis(axes, data)


def _panels(axes: Axes, data: ChartData) -> None:
    """Small multiples of the sub-areas' reporting rates, drawn in one borderless axes (one
    axes instead of one each keeps a district's chart fast), worst first, row by row."""
    axes.set_axis_off()
    rows = math.ceil(len(data.panels) / PANEL_COLUMNS)
    axes.set_xlim(0, PANEL_COLUMNS)
    axes.set_ylim(-rows, 0)
    for number, panel in enumerate(data.panels):
        left = number % PANEL_COLUMNS + PANEL_GAP / 2
        bottom = -(number // PANEL_COLUMNS) - 1 + PANEL_GAP
        _panel(axes, data, panel, left, bottom)


def _panel(axes: Axes, data: ChartData, panel: RatePanel, left: float, bottom: float) -> None:
    width, height = 1 - PANEL_GAP, 1 - 2 * PANEL_GAP
    weak = panel.overall is not None and panel.overall < WEAK_RATE
    dark, light = ("#c62828", "#ef9a9a") if weak else ("#2e7d32", "#a5d6a7")
    axes.add_patch(
        Rectangle(
            (left, bottom), width, height, facecolor="#fafafa", edgecolor="#9e9e9e", linewidth=0.6
        )
    )
    count = len(panel.rates)
    step = width / max(count, MIN_SLOTS)

    def x(index: int) -> float:
        return left + (index + 0.5) * step

    if data.highlight is not None:
        axes.add_patch(
            Rectangle(
                (left + data.highlight * step, bottom), step, height, color=HIGHLIGHT, zorder=1
            )
        )
    xs = [x(index) for index in range(count)]
    ys = [math.nan if rate is None else bottom + rate * height for rate in panel.rates]
    axes.fill_between(xs, [bottom] * count, ys, color=light, zorder=2, linewidth=0)
    axes.plot(xs, ys, color=dark, linewidth=1, marker="o", markersize=2, zorder=3)
    shown = "—" if panel.overall is None else f"{panel.overall * 100:.0f}%"
    axes.text(
        left, bottom + height + 0.04, f"{panel.label} {shown}", fontsize=9, color=dark, va="bottom"
    )


def _days_axis(axes: Axes, data: ChartData) -> None:
    """Day labels under the bars (thinned for long periods), the highlighted day marked."""
    count = len(data.days)
    step = max(1, math.ceil(count / 16))
    ticks = [x for x in range(count) if (count - 1 - x) % step == 0]
    axes.set_xticks(ticks, [data.day_labels[x] for x in ticks], fontsize=8)
    axes.set_xlim(-0.6, max(count, MIN_SLOTS) - 0.4)
    if data.highlight is not None:
        axes.axvspan(data.highlight - 0.5, data.highlight + 0.5, color=HIGHLIGHT, zorder=0)
        for tick, x in zip(axes.get_xticklabels(), ticks, strict=True):
            if x == data.highlight:
                tick.set_fontweight("bold")
    axes.spines[["top"]].set_visible(False)
    axes.grid(axis="y", color="#eeeeee", linewidth=0.8)
    axes.set_axisbelow(True)


def _gaps(values: Sequence[int | None]) -> list[float]:
    """None (nobody reported) becomes NaN: matplotlib leaves a gap (no point, no bar), never
    draws 0."""
    return [math.nan if value is None else float(value) for value in values]


def _positive(values: Sequence[int | None]) -> bool:
    return any(value for value in values)


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)
