"""Reading figures over a period: ``/stats`` (completeness and timeliness per area and grid)."""

from __future__ import annotations

import asyncio

from bot.dependencies import Dependencies
from bot.domain.dates import DayRange
from bot.domain.models import Area
from bot.domain.stats import Stats, day_starts, period_stats
from storage.grid_days import GridDayReader
from storage.ledger import LedgerReader, snapshot


async def area_stats(deps: Dependencies, area: Area | None, days: DayRange) -> Stats:
    """The statistics of ``area`` (None: every area) over ``days``, read from one consistent
    snapshot (the bot keeps writing meanwhile) and counted by the database: a few rows a
    grid, whatever the length of the period."""
    settings = deps.settings
    async with snapshot(deps.db) as view:
        scope = await LedgerReader(view).scope(area, settings.timezone, settings.report_days)
        counted = await GridDayReader(view).counted(scope, day_starts(days, settings.timezone))
    return await asyncio.to_thread(period_stats, scope, days, counted)


async def grid_count(deps: Dependencies, area: Area | None) -> int:
    """How many grids :func:`area_stats` reads each day of: those of ``area`` (None: every
    area), active or not."""
    return await deps.db.roster.grid_count(None if area is None else area.path)


async def all_areas(deps: Dependencies) -> list[Area]:
    """Every area of the tree, by path."""
    return await deps.db.roster.areas()
