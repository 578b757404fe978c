"""Drawing an area's chart: one use case for the evening digest, ``/chart``, ``gridbot chart``
and the demo.

:func:`draw_chart` reads the area's per-day figures from storage (set-based queries, see
:mod:`storage.charts`), builds the plotted data in the domain (:mod:`bot.domain.chart`) and
renders it to PNG in a worker thread (:mod:`bot.charting.render`), labelled in the reader's
language when this machine has a font for it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta

from bot.dependencies import Dependencies
from bot.domain.chart import ChartData, ChartInput, ChartRequest, build_chart
from bot.domain.digest import sub_area_of
from bot.domain.ledger import Scope
from bot.domain.models import Area, Grid
from bot.i18n import Locale, t
from bot.usecases.errors import FutureDay
from bot.usecases.schedule import first_service_day
from storage.charts import ChartFigureReader, ChartGrid
from storage.ledger import LedgerReader

LOOKBACK_LIMIT = 400
"""Never look further back than this many calendar days for the reporting days to draw."""


@dataclass(frozen=True, slots=True)
class ChartImage:
    """A drawn chart: the PNG, its size in pixels, and the data it shows."""

    png: bytes
    width: int
    height: int
    data: ChartData
    locale: Locale
    """The language it is labelled in (English when no Chinese font was found)."""

    def caption(self, area: Area) -> str:
        """A short photo caption in the chart's language."""
        days = self.data.days
        last = days[-1].isoformat() if days else ""
        return t(self.locale, "chart.caption", area=area.path, days=len(days), last=last)


async def draw_chart(
    deps: Dependencies, request: ChartRequest, locale: Locale, *, highlight: date | None = None
) -> ChartImage:
    """The chart ``request`` asks for, labelled in ``locale`` where a font allows."""
    from bot.charting import fonts, render  # matplotlib (about 50 MB) loads with the first chart

    data = await chart_input(deps, request, highlight=highlight)
    shown, font = fonts.drawing_locale(locale)
    chart = build_chart(data, shown, latin_only=font is None)
    png = await asyncio.to_thread(render.render_png, chart, font)
    width, height = render.png_size(png)
    return ChartImage(png, width, height, chart, shown)


async def chart_input(
    deps: Dependencies, request: ChartRequest, *, highlight: date | None
) -> ChartInput:
    """Everything the chart is built from: the days drawn and their figures (up to today:
    :class:`FutureDay` otherwise)."""
    if request.last_day > deps.today():
        raise FutureDay(request.last_day, deps.today())
    db, settings = deps.db, deps.settings
    reader = LedgerReader(db)
    scope = await reader.scope(request.area, settings.timezone, settings.report_days)
    sub_areas = tuple(area for area in await db.roster.areas() if area.parent_id == request.area.id)
    first = await _in_service_since(deps, reader, scope)
    days = reporting_days(request, first, settings.report_days)
    grids = [
        ChartGrid(
            item.grid.id,
            _sub_area_id(item.grid, sub_areas),
            item.since,
            item.grid.active,
        )
        for item in scope.grids
    ]
    figures = await ChartFigureReader(db).figures(deps.form, grids, days)
    return ChartInput(deps.form, request, sub_areas, tuple(figures), highlight)


async def _in_service_since(deps: Dependencies, reader: LedgerReader, scope: Scope) -> date | None:
    """The first day the bot was in service: when its scheduler first ran, else the day of
    the area's first report (None: neither yet)."""
    first = await first_service_day(deps)
    return first if first is not None else await reader.first_report_day(scope)


def reporting_days(
    request: ChartRequest, first: date | None, report_days: frozenset[int]
) -> list[date]:
    """The last ``request.days`` reporting days up to ``request.last_day``, none before
    ``first``, oldest first."""
    if first is None:
        return []
    found: list[date] = []
    day = request.last_day
    limit = request.last_day - timedelta(days=LOOKBACK_LIMIT)
    while len(found) < request.days and day >= first and day > limit:
        if day.isoweekday() in report_days:
            found.append(day)
        day -= timedelta(days=1)
    return found[::-1]


def _sub_area_id(grid: Grid, sub_areas: tuple[Area, ...]) -> int | None:
    area = sub_area_of(grid, sub_areas)
    return None if area is None else area.id
