"""Who has reported today and who is missing: ONE answer for the prompts and nags, the
escalation to supervisor groups and ``/late``.

A grid is expected when :class:`~bot.domain.ledger.Scope` says so (active, on the roster by
then, a reporting day); it is missing when it is expected and has neither a report nor an
excuse (:attr:`~bot.domain.status.GridDayKind.MISSING`, as the database counts it:
:mod:`storage.grid_days`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from bot.dependencies import Dependencies
from bot.domain.models import Area, Grid, Worker
from bot.domain.status import Completeness, GridDayKind
from bot.usecases.reach import is_unreachable
from storage.grid_days import GridDayReader
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
    """An area's (or the whole tree's) grid-days of one day counted, and the grids missing."""

    day: date
    counts: Completeness
    """Expected, reported, on time, late, zero, missing, excused."""
    missing: tuple[MissingGrid, ...]


async def standing(deps: Dependencies, day: date, area: Area | None = None) -> Standing:
    """Where ``area`` (None: every area) stands on ``day``: each grid-day's kind counted by
    the database (no report is read), then the missing grids' workers and reminders."""
    settings, db = deps.settings, deps.db
    scope = await LedgerReader(db).scope(area, settings.timezone, settings.report_days)
    kinds = await GridDayReader(db).kinds_on(scope, day)
    grids = [scope.grids[pos].grid for pos, kind in kinds.items() if kind == GridDayKind.MISSING]
    reminders = await db.schedule.reminders_sent(day) if grids else Counter[int]()
    away = await db.schedule.away(day) if grids else set()
    workers_of = await db.roster.active_workers_of([grid.id for grid in grids])
    missing = []
    for grid in grids:
        workers = tuple(workers_of.get(grid.id, ()))
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
        missing.append(MissingGrid(grid, workers, reachable, reminders[grid.id], blocked))
    return Standing(day, Completeness.from_kinds(kinds.values()), tuple(missing))


async def missing_grids(
    deps: Dependencies, day: date, area: Area | None = None
) -> tuple[MissingGrid, ...]:
    """The grids of ``area`` (None: every area) still missing on ``day``, by area and code."""
    return (await standing(deps, day, area)).missing
