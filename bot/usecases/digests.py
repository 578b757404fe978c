"""Compiling an area's digest of a day from what the database holds: one path for the
evening send, ``/digest``, ``gridbot digest`` and the demo."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

from bot.clock import at
from bot.dependencies import Dependencies
from bot.domain.digest import (
    DayBefore,
    Digest,
    DigestInput,
    GridInput,
    SoFar,
    UrgentIncident,
    compile_tree,
)
from bot.domain.ledger import find_area
from bot.domain.models import Area, CurrentReport, Grid, Report
from bot.domain.plan import DailyTimes
from bot.domain.status import GridDay, GridDayKind, Tally, TallyRow
from bot.usecases.errors import FutureDay, UseCaseError
from bot.usecases.schedule import first_service_day
from storage.ledger import LedgerReader


async def compile_area_digest(deps: Dependencies, area: Area, day: date) -> Digest:
    """The digest of ``area`` for ``day`` (today or earlier: :class:`FutureDay` otherwise)."""
    return (await compile_area_digests(deps, [area], day))[area.id]


async def compile_area_digests(
    deps: Dependencies, areas: Sequence[Area], day: date
) -> dict[int, Digest]:
    """The digests of several areas for ``day``, by area id (the evening's): the database is
    read once for all of them, and they are compiled in a worker thread, deepest area first,
    so the bot keeps answering meanwhile and every level reuses the one below it."""
    if day > deps.today():
        raise FutureDay(day, deps.today())
    with collection_paused():
        inputs = await _DigestLoader(deps).load_many(areas, day)
        return await asyncio.to_thread(_compiled, inputs)


def _compiled(inputs: dict[int, DigestInput]) -> dict[int, Digest]:
    """:func:`compile_tree` of ``inputs``, which are then dropped (emptied) here in the worker
    thread, a grid at a time (see :func:`_drop`)."""
    try:
        return compile_tree(list(inputs.values()))
    finally:
        _drop(inputs)


def _drop(inputs: dict[int, DigestInput]) -> None:
    """Empty ``inputs``, freeing what only they hold (each grid's running figures: hundreds of
    thousands of objects for ten thousand grids) one grid at a time. Freed at once, on the
    event loop or in one step of a worker thread, they held the interpreter, and so the loop,
    for about 50 ms: freeing is C code that never lets another thread in."""
    grids = {item.grid.id: item for data in inputs.values() for item in data.grids}
    inputs.clear()
    while grids:
        grids.popitem()


async def digest_areas(deps: Dependencies, area_path: str | None = None) -> list[Area]:
    """The area named by ``area_path`` (a full path, or a name only one area has), or with
    None every top-level area. Raises ``cli.unknown_area`` (with the known paths) or
    ``cli.roster_empty``."""
    areas = await deps.db.roster.areas()
    if area_path:
        area = find_area(areas, area_path)
        if area is None:
            known = ", ".join(item.path for item in areas)
            raise UseCaseError("cli.unknown_area", path=area_path, areas=known or "—")
        return [area]
    top = [area for area in areas if area.parent_id is None]
    if not top:
        raise UseCaseError("cli.roster_empty")
    return top


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection in the block: building the digests of ten thousand grids
    creates a million small objects and no cycles, and the collector's passes over them
    would double the work. Reference counting still frees everything as usual.

    The objects alive at the end are then frozen (:func:`gc.freeze`): otherwise the first
    pass after the pause walks the million young objects and holds the event loop for a few
    hundred milliseconds. The previous block's frozen objects are unfrozen when the next
    block starts (by then freed, or long-lived), so the collector overlooks at most one
    evening's survivors."""
    was_enabled = gc.isenabled()
    gc.unfreeze()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


class _DigestLoader:
    """Reads everything the digests of some areas are compiled from, in a fixed number of
    queries however many grids and days of history: the running figures (see
    :mod:`bot.domain.running`) stand in for each grid's history."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps
        self.times = DailyTimes.from_settings(deps.settings)
        self._first_day: tuple[date | None] | None = None
        """:func:`first_service_day`, once read (in a tuple: it may be None)."""

    async def load_many(self, areas: Sequence[Area], day: date) -> dict[int, DigestInput]:
        """What each area's digest is compiled from, by area id."""
        scope = await LedgerReader(self.deps.db).scope(None, self.times.tz, self.times.report_days)
        reports_today = await self._reports(day)
        listed = scope.listed(day, reports_today)  # the grids expected, or that reported
        by_path: dict[str, list[Grid]] = {}
        for item in listed:
            by_path.setdefault(item.grid.area_path, []).append(item.grid)
        within = {area.id: [path for path in by_path if area.covers(path)] for area in areas}
        covered = {path for paths in within.values() for path in paths}
        grids = [grid for path in by_path if path in covered for grid in by_path[path]]
        new = frozenset(item.grid.id for item in listed if item.since >= day)
        items = await self._grid_inputs(grids, day, reports_today, new)
        incidents = await self._urgent(day, grids)
        weekly = await self._last_week(day, grids)
        since = at(day - timedelta(days=1), self.times.digest_at, self.times.tz)
        placed = (scope.areas, by_path, within)
        return await asyncio.to_thread(
            self._inputs, areas, day, placed, items, incidents, weekly, since
        )

    def _inputs(
        self,
        areas: Sequence[Area],
        day: date,
        placed: tuple[Sequence[Area], dict[str, list[Grid]], dict[int, list[str]]],
        items: dict[int, GridInput],
        incidents: tuple[UrgentIncident, ...],
        weekly: Tally | None,
        since: datetime,
    ) -> dict[int, DigestInput]:
        """Each area's input from what was read (in a worker thread: ten thousand grids)."""
        every_area, by_path, within = placed
        tallied = {} if weekly is None else {row.grid.id: row for row in weekly.rows}
        inputs = {}
        for area in areas:
            mine = [grid for path in within[area.id] for grid in by_path[path]]
            ids = {grid.id for grid in mine}
            week = [tallied[grid.id] for grid in mine if grid.id in tallied]
            inputs[area.id] = DigestInput(
                forms=self.deps.forms,
                area=area,
                day=day,
                tz=self.deps.settings.timezone,
                grids=tuple(items[grid.id] for grid in mine),
                sub_areas=tuple(item for item in every_area if item.parent_id == area.id),
                incidents=tuple(incident for incident in incidents if incident.grid.id in ids),
                corrections_since=since,
                weekly=Tally(weekly.first_day, weekly.last_day, tuple(week))
                if weekly and week
                else None,
                reporting_day=self.times.is_reporting_day(day),
            )
        return inputs

    async def _grid_inputs(
        self,
        grids: Sequence[Grid],
        day: date,
        reports_today: dict[int, CurrentReport],
        new: frozenset[int],
    ) -> dict[int, GridInput]:
        """Each grid's day, yesterday (none for the ``new`` grids, on the roster only since
        ``day``), running figures, corrections and workers."""
        db = self.deps.db
        before = day - timedelta(days=1)
        ids = [grid.id for grid in grids]
        form = self.deps.forms.form_for(day)
        counts = [field.key for field in form.counts()]
        reports_before = await db.reports.days_before(before, counts)
        excused_today = await db.schedule.excused(day)
        excused_before = await db.schedule.excused(before)
        reminders = await db.schedule.reminders_sent(day)
        compare = await self._operating_on(before)
        workers = await db.roster.worker_names_by_grid()
        stocks = [field.key for field in form.stocks()]
        so_far, totals_before = await db.figures.so_far(ids, day, [*counts, *stocks], stocks)
        since = at(before, self.times.digest_at, self.times.tz)
        corrected: dict[int, list[Report]] = {}
        for report in await db.reports.corrected_since(since, up_to=day):
            corrected.setdefault(report.grid_id, []).append(report)
        facts = _GridFacts(
            (reports_today, reports_before),
            (excused_today, excused_before),
            reminders,
            (so_far, totals_before),
            corrected,
            workers,
        )
        return await asyncio.to_thread(facts.inputs, grids, day, compare, new, len(counts))

    async def _operating_on(self, day: date) -> bool:
        """Whether grids were expected to report on ``day``: a reporting day on which the
        bot was already in service (a fresh install has no "yesterday" to compare with)."""
        if not self.times.is_reporting_day(day):
            return False
        if self._first_day is None:
            self._first_day = (await first_service_day(self.deps),)
        first = self._first_day[0]
        if first is None:
            return await self.deps.db.reports.any_on(day)
        return day >= first

    async def _reports(self, day: date) -> dict[int, CurrentReport]:
        """The day's reports by grid, as they stand (the digest reads no report's history
        but the corrected ones')."""
        reports = await self.deps.db.reports.current_on(day)
        return {report.grid_id: report for report in reports}

    async def _urgent(self, day: date, grids: list[Grid]) -> tuple[UrgentIncident, ...]:
        by_id = {grid.id: grid for grid in grids}
        return tuple(
            UrgentIncident(
                grid=by_id[alert.grid_id],
                category=alert.category,
                description=alert.description,
                at=alert.raised_at,
                acknowledged_by=alert.acknowledged_by_name,
                acknowledged_at=alert.acknowledged_at,
                passed_up_at=min(
                    (post.posted_at for post in alert.posts if post.level > 0), default=None
                ),
            )
            for alert in await self.deps.db.alerts.on_day(day)
            if alert.grid_id in by_id
        )

    async def _last_week(self, day: date, grids: list[Grid]) -> Tally | None:
        """Last week's late and missing days of every grid, on the first reporting day of a
        week (None on other days, or when no day of last week was expected)."""
        monday = day - timedelta(days=day.isoweekday() - 1)
        earlier_this_week = [monday + timedelta(days=n) for n in range(day.isoweekday() - 1)]
        if any(self.times.is_reporting_day(other) for other in earlier_this_week) or not grids:
            return None
        last_week = [monday - timedelta(days=7 - n) for n in range(7)]
        expected = [other for other in last_week if await self._operating_on(other)]
        if not expected:
            return None
        counts = await self.deps.db.reports.late_and_missing(expected)
        return await asyncio.to_thread(_tally, grids, expected, counts)


def _tally(
    grids: Sequence[Grid], expected: Sequence[date], counts: Mapping[int, tuple[int, int]]
) -> Tally:
    """Each grid's late and missing days among the ``expected`` ones, from what SQLite
    counted (in a worker thread: ten thousand grids)."""
    every_day = (0, len(expected))
    rows = tuple([_tally_row((grid, *counts.get(grid.id, every_day))) for grid in grids])
    return Tally(expected[0], expected[-1], rows)


_tally_row = partial(tuple.__new__, TallyRow)
"""A :class:`TallyRow` from a tuple of its items (without a Python call per grid)."""


@dataclass(frozen=True)
class _GridFacts:
    """What was read of every grid for a digest day and the day before (pairs: that day's,
    the day before's)."""

    reports: tuple[dict[int, CurrentReport], dict[int, DayBefore]]
    excused: tuple[dict[int, str], dict[int, str]]
    reminders: Mapping[int, int]
    figures: tuple[dict[int, SoFar], dict[int, tuple[int, ...]]]
    """Each grid's figures so far, and its stocks' totals as of the day before."""
    corrected: dict[int, list[Report]]
    workers: dict[int, list[tuple[str, bool]]]
    """Each grid's active workers: name, and whether the bot can reach them."""

    def inputs(
        self, grids: Sequence[Grid], day: date, compare: bool, new: frozenset[int], counts: int
    ) -> dict[int, GridInput]:
        """Each grid's input (in a worker thread: ten thousand grids), the day's form having
        ``counts`` counts; a ``new`` grid that did nothing the day before was not missing."""
        before = self._days_before(counts) if compare else {}
        missing = DayBefore(GridDayKind.MISSING, (0,) * counts) if compare else None
        items = {}
        for grid in grids:
            today = GridDay(
                grid,
                day,
                self.reports[0].get(grid.id),
                self.excused[0].get(grid.id),
                self.reminders.get(grid.id, 0),
            )
            yesterday = before.get(grid.id, None if grid.id in new else missing)
            workers = self.workers.get(grid.id, ())
            items[grid.id] = GridInput(
                today,
                yesterday,
                self.figures[0].get(grid.id),
                self.figures[1].get(grid.id, ()),
                tuple(self.corrected.get(grid.id, ())),
                tuple(name for name, _ in workers),
                frozenset(name for name, reachable in workers if not reachable),
            )
        return items

    def _days_before(self, counts: int) -> dict[int, DayBefore]:
        """Each grid's day before, by grid, of those with a report or an excuse then (a
        report beats an excuse; the others were missing)."""
        excused = DayBefore(GridDayKind.EXCUSED, (0,) * counts)
        return {**dict.fromkeys(self.excused[1], excused), **self.reports[1]}
