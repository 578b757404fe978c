"""Reading figures over a period: ``/stats`` (completeness and timeliness per area and grid)."""

from __future__ import annotations

import asyncio

from bot.dependencies import Dependencies
from bot.domain.dates import DayRange
from bot.domain.models import Area
from bot.domain.stats import Stats, StatsBuilder
from storage.ledger import LedgerReader, snapshot


async def area_stats(deps: Dependencies, area: Area | None, days: DayRange) -> Stats:
    """The statistics of ``area`` (None: every area) over ``days``, read from one consistent
    snapshot (the bot keeps writing meanwhile), one day in memory at a time, each day added
    up in a worker thread (a district's day is half a second of work the event loop would
    otherwise wait for)."""
    settings = deps.settings
    async with snapshot(deps.db) as view:
        reader = LedgerReader(view)
        scope = await reader.scope(area, settings.timezone, settings.report_days)
        builder = StatsBuilder(scope, settings.timezone)
        async for records in reader.days(scope, days):
            await asyncio.to_thread(builder.add, records)
    return await asyncio.to_thread(builder.result, days)


async def all_areas(deps: Dependencies) -> list[Area]:
    """Every area of the tree, by path."""
    return await deps.db.roster.areas()
