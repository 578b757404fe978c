"""Who has reported today and who is missing: ONE answer for the prompts and nags, the
escalation to supervisor groups and ``/late``.

A grid is expected when :class:`~bot.domain.ledger.Scope` says so (active, on the roster by
then, a reporting day); it is missing when it is expected and has neither a report nor an
excuse (:attr:`~bot.domain.status.GridDay.is_missing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.dependencies import Dependencies
from bot.domain.models import Area, Grid, Worker
from bot.domain.status import Completeness, GridDay
from bot.usecases.reach import is_unreachable
from storage.ledger import LedgerReader


@dataclass(frozen=True, slots=True)
class MissingGrid:
    """A grid still missing: its workers, those the bot can nag, the reminders it got."""

    grid: Grid
    workers: tuple[Worker, ...]
    reachable: tuple[Worker, ...]
    """Bound to Telegram, not away today and not refusing the bot's messages."""
    reminders: int
    blocked: tuple[Worker, ...] = ()
    """Bound to Telegram, but Telegram refuses messages to them (they blocked the bot…):
    shown as unreachable, never nagged, until they write to the bot again."""


@dataclass(frozen=True, slots=True)
class Standing:
    """An area's (or the whole tree's) grid-days of one day, and the grids missing."""

    day: date
    grid_days: tuple[GridDay, ...]
    missing: tuple[MissingGrid, ...]

    @property
    def counts(self) -> Completeness:
        """Expected, reported, on time, late, zero, missing, excused."""
        return Completeness.from_grid_days(self.grid_days)


async def standing(deps: Dependencies, day: date, area: Area | None = None) -> Standing:
    """Where ``area`` (None: every area) stands on ``day``."""
    settings, db = deps.settings, deps.db
    reader = LedgerReader(db)
    scope = await reader.scope(area, settings.timezone, settings.report_days)
    grid_days = scope.grid_days(await reader.day(scope, day))
    missing_days = [item for item in grid_days if item.is_missing]
    away = await db.schedule.away(day) if missing_days else set()
    workers_of = await db.roster.active_workers_of([item.grid.id for item in missing_days])
    missing = []
    for grid_day in missing_days:
        workers = tuple(workers_of.get(grid_day.grid.id, ()))
        blocked = tuple(
            worker
            for worker in workers
            if worker.telegram_id is not None and is_unreachable(deps, worker.telegram_id)
        )
        reachable = tuple(
            worker
            for worker in workers
            if worker.telegram_id is not None and worker.id not in away and worker not in blocked
        )
        missing.append(MissingGrid(grid_day.grid, workers, reachable, grid_day.reminders, blocked))
    return Standing(day, tuple(grid_days), tuple(missing))


async def missing_grids(
    deps: Dependencies, day: date, area: Area | None = None
) -> tuple[MissingGrid, ...]:
    """The grids of ``area`` (None: every area) still missing on ``day``, by area and code."""
    return (await standing(deps, day, area)).missing
