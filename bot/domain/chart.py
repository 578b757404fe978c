"""The area chart (汇总图): what is drawn, computed from per-day figures. Plain Python.

Storage fills in one :class:`DayFigures` per day drawn (an area's kept figures: counts of
grid-days by status, field totals, stock balances, urgent incidents); :func:`build_chart`
turns them into :class:`ChartData`, the exact numbers and labels the renderer plots.

Three rules hold everywhere: a missing report is its own bar segment, never a zero report
and never left out; a figure nobody reported (no report that day, or a question not asked)
is a gap, never 0; days before the bot was in service are not drawn at all (storage does
not hand them in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from bot.domain.form import FieldDef, Form
from bot.domain.models import Area
from bot.domain.status import DayStatus
from bot.i18n import Locale, t

PERIODS = (7, 14, 30, 90)
"""The periods ``/chart`` offers, in reporting days."""
DIGEST_DAYS = 14
"""The evening digest's chart covers this many reporting days."""
STACK_ORDER = (
    DayStatus.ON_TIME,
    DayStatus.ZERO,
    DayStatus.LATE,
    DayStatus.EXCUSED,
    DayStatus.MISSING,
)
"""Bar segments from the bottom up: what came in, then what did not."""
MAX_PANELS = 15
"""At most this many sub-area panels: the worst ones (a picture stays readable on a phone)."""


@dataclass(frozen=True, slots=True)
class StatusCounts:
    """How many grid-days of one day had each status (a late zero report is ``late``)."""

    on_time: int = 0
    """Detailed reports on time."""
    zero: int = 0
    """Zero reports on time."""
    late: int = 0
    excused: int = 0
    missing: int = 0

    def of(self, status: DayStatus) -> int:
        """The count of one status."""
        return int(getattr(self, status.value))

    @property
    def expected(self) -> int:
        """Grid-days expected to report (excused ones are not)."""
        return self.on_time + self.zero + self.late + self.missing

    @property
    def reporting_rate(self) -> float | None:
        """Reports received / expected; None when nothing was expected."""
        expected = self.expected
        return None if expected == 0 else (expected - self.missing) / expected

    def __add__(self, other: StatusCounts) -> StatusCounts:
        return StatusCounts(
            *(self.of(status) + other.of(status) for status in STACK_ORDER),
        )


@dataclass(frozen=True, slots=True)
class DayFigures:
    """An area's figures on one day (the kept figures a chart is drawn from)."""

    day: date
    status: StatusCounts
    by_sub_area: Mapping[int, StatusCounts] = field(default_factory=dict)
    """Per direct sub-area id, its grids' statuses."""
    counts: Mapping[str, int | None] = field(default_factory=dict)
    """Per count field, the day's total; None when nobody answered it (a gap, never 0)."""
    stocks: Mapping[str, int | None] = field(default_factory=dict)
    """Per stock field, the balance at the end of the day; None before any grid had one."""
    inflows: Mapping[str, int | None] = field(default_factory=dict)
    """Per stock field, the day's inflows (None: nobody answered)."""
    outflows: Mapping[str, int | None] = field(default_factory=dict)
    urgent: int = 0
    """Urgent incidents raised that day."""


@dataclass(frozen=True, slots=True)
class ChartRequest:
    """Which chart: an area, the last day drawn, how many reporting days, optionally a field."""

    area: Area
    last_day: date
    days: int = DIGEST_DAYS
    field: str | None = None


@dataclass(frozen=True, slots=True)
class ChartInput:
    """Everything a chart is built from."""

    form: Form
    request: ChartRequest
    sub_areas: tuple[Area, ...]
    """The area's direct children (one rate panel each)."""
    figures: tuple[DayFigures, ...]
    """The days drawn, oldest first: reporting days in service, at most ``request.days``."""
    highlight: date | None = None
    """The digest's day, drawn highlighted."""

    def __post_init__(self) -> None:
        days = [item.day for item in self.figures]
        if days != sorted(set(days)):
            raise ValueError("figures must be one per day, oldest first")


@dataclass(frozen=True, slots=True)
class Series:
    """One plotted series: a value per day drawn, None where there is nothing to draw."""

    key: str
    label: str
    values: tuple[int | None, ...]


@dataclass(frozen=True, slots=True)
class StatusBars:
    """One stacked-bar segment: a status, its legend label and its count per day."""

    status: DayStatus
    label: str
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RatePanel:
    """A sub-area's reporting rate per day (None: nothing expected), and over the period."""

    area: Area
    label: str
    rates: tuple[float | None, ...]
    overall: float | None


@dataclass(frozen=True, slots=True)
class FieldPanel:
    """``/chart FIELD``: a field's daily values and, for a stock, its flows and balance."""

    key: str
    label: str
    stock: bool
    daily: Series
    """A count's total per day; a stock's inflows."""
    outflows: Series | None
    balance: Series | None


@dataclass(frozen=True, slots=True)
class ChartData:
    """What is plotted, with every label in the reader's language."""

    title: str
    days: tuple[date, ...]
    day_labels: tuple[str, ...]
    highlight: int | None
    """Index of the highlighted day in ``days``."""
    bars: tuple[StatusBars, ...]
    bars_label: str
    lines: tuple[Series, ...]
    """Stock balances."""
    markers: tuple[Series, ...]
    """Rare events (fever cases, urgent incidents): drawn only where non-zero."""
    figures_label: str
    panels: tuple[RatePanel, ...]
    """Sub-areas, worst reporting rate first."""
    panels_label: str
    field: FieldPanel | None
    no_data: str

    @property
    def empty(self) -> bool:
        """No day to draw (the bot was not in service yet)."""
        return not self.days


def build_chart(data: ChartInput, locale: Locale, *, latin_only: bool = False) -> ChartData:
    """The chart of ``data`` labelled in ``locale``. With ``latin_only`` (no CJK font to
    draw with) names that need one are replaced by neutral ones (``Sub-area 1``)."""
    request, days = data.request, tuple(item.day for item in data.figures)
    area_name = _drawable(request.area.path, latin_only, t(locale, "chart.this_area"))
    chosen = _field(data.form, request.field)
    title_key = "chart.title_field" if chosen else "chart.title"
    title = t(
        locale,
        title_key,
        area=area_name,
        field=chosen.label(locale) if chosen else "",
        days=len(days),
        last=request.last_day.isoformat(),
    )
    return ChartData(
        title=title,
        days=days,
        day_labels=tuple(f"{day.month}-{day.day}" for day in days),
        highlight=days.index(data.highlight) if data.highlight in days else None,
        bars=_bars(data.figures, locale),
        bars_label=t(locale, "chart.axis.grids"),
        lines=_stock_lines(data, locale),
        markers=_markers(data, locale),
        figures_label=t(locale, "chart.axis.people"),
        panels=_panels(data, locale, latin_only),
        panels_label=t(locale, "chart.axis.rate"),
        field=None if chosen is None else _field_panel(chosen, data.figures, locale),
        no_data=t(locale, "chart.no_data"),
    )


def _field(form: Form, key: str | None) -> FieldDef | None:
    if key is None:
        return None
    chosen = form.field(key)
    if chosen.kind not in ("count", "stock"):
        raise ValueError(f"field {key} is not a number")
    return chosen


def _bars(figures: Sequence[DayFigures], locale: Locale) -> tuple[StatusBars, ...]:
    return tuple(
        StatusBars(
            status,
            t(locale, f"chart.status.{status.value}"),
            tuple(item.status.of(status) for item in figures),
        )
        for status in STACK_ORDER
    )


def _stock_lines(data: ChartInput, locale: Locale) -> tuple[Series, ...]:
    return tuple(
        Series(
            stock.key,
            stock.label(locale),
            tuple(item.stocks.get(stock.key) for item in data.figures),
        )
        for stock in data.form.stocks()
    )


def _markers(data: ChartInput, locale: Locale) -> tuple[Series, ...]:
    """The form's marker fields (``marker = true``), then urgent incidents."""
    fields = tuple(
        Series(
            item.key, item.label(locale), tuple(day.counts.get(item.key) for day in data.figures)
        )
        for item in data.form.counts()
        if item.marker
    )
    urgent = Series("urgent", t(locale, "chart.urgent"), tuple(day.urgent for day in data.figures))
    return (*fields, urgent)


def _panels(data: ChartInput, locale: Locale, latin_only: bool) -> tuple[RatePanel, ...]:
    panels = []
    for number, area in enumerate(data.sub_areas, start=1):
        counts = [item.by_sub_area.get(area.id, StatusCounts()) for item in data.figures]
        total = sum(counts, StatusCounts())
        if total.expected == 0 and total.excused == 0:
            continue
        fallback = t(locale, "chart.sub_area", number=number)
        panels.append(
            RatePanel(
                area,
                _drawable(area.name, latin_only, fallback),
                tuple(item.reporting_rate for item in counts),
                total.reporting_rate,
            )
        )
    return tuple(sorted(panels, key=_worst_first)[:MAX_PANELS])


def _worst_first(panel: RatePanel) -> tuple[float, str]:
    """Lowest overall rate first; an area that expected nothing goes last."""
    return (2.0 if panel.overall is None else panel.overall, panel.area.path)


def _field_panel(chosen: FieldDef, figures: Sequence[DayFigures], locale: Locale) -> FieldPanel:
    key, label = chosen.key, chosen.label(locale)
    if chosen.kind == "count":
        daily = Series(key, label, tuple(item.counts.get(key) for item in figures))
        return FieldPanel(key, label, False, daily, None, None)
    inflows = Series(key, t(locale, "chart.inflow"), tuple(i.inflows.get(key) for i in figures))
    outflows = Series(key, t(locale, "chart.outflow"), tuple(i.outflows.get(key) for i in figures))
    balance = Series(key, t(locale, "chart.balance"), tuple(i.stocks.get(key) for i in figures))
    return FieldPanel(key, label, True, inflows, outflows, balance)


def _drawable(text: str, latin_only: bool, fallback: str) -> str:
    """``text``, or ``fallback`` when it needs glyphs a Latin-only font lacks."""
    if latin_only and not all(ord(char) < 0x250 for char in text):
        return fallback
    return text
