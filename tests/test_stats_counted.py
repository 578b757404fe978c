"""``/stats`` and who is missing on a day are counted in the database (a few rows a grid,
whatever the period); their figures must always be those of the ledger's grid-days counted
one by one: whatever was filed, corrected
and excused, on whichever days, by grids that joined or left the roster meanwhile, on any
reporting days, in a zone with or without summer time."""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.dates import DayRange
from bot.domain.models import Area, ReportKind, RosterRow
from bot.domain.stats import Figures, Stats
from bot.domain.status import Completeness, GridDay, GridDayKind
from bot.usecases.standing import standing
from bot.usecases.stats import area_stats
from storage.ledger import LedgerReader

FIRST = date(2026, 3, 2)  # New York's clocks go forward on 2026-03-08
DAYS = 14
AREAS = ("街道/东社区", "街道/西社区", "街道/西社区/小区")
ZONES = (ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"))


@dataclass(frozen=True)
class Filing:
    grid: int
    day: int
    zero: bool
    late: bool
    minute: int
    """Minutes after the start of the report day (beyond a day: filed the next day)."""
    microseconds: int
    """Into that minute."""


@dataclass(frozen=True)
class Fix:
    which: int
    """Index into the filings made so far (modulo their number)."""
    zero: bool


@dataclass(frozen=True)
class Excuse:
    grid: int
    day: int


GRIDS = 5
filings = st.builds(
    Filing,
    st.integers(0, GRIDS - 1),
    st.integers(0, DAYS - 1),
    st.booleans(),
    st.booleans(),
    st.integers(-30, 2000),
    st.sampled_from([0, 7_000_000, 59_999_999]) | st.integers(0, 59_999_999),
)
fixes = st.builds(Fix, st.integers(0, 40), st.booleans())
excuses = st.builds(Excuse, st.integers(0, GRIDS - 1), st.integers(0, DAYS - 1))


def roster(grids: range) -> list[RosterRow]:
    return [
        RosterRow(n + 2, AREAS[n % len(AREAS)], f"G-{n}", f"网格{n % 2}", f"员{n}", *[None] * 4)
        for n in grids
    ]


@asynccontextmanager
async def district(zone: ZoneInfo, report_days: frozenset[int]) -> AsyncIterator[Dependencies]:
    """Grids 0–3 from before the period; on its fourth day grid 4 joins and grid 1 leaves."""
    at = datetime.combine(FIRST, time(9), zone)
    with tempfile.TemporaryDirectory() as folder:
        config = Settings(  # type: ignore[call-arg]
            _env_file=None, db=Path(folder) / "db.sqlite3", timezone=zone, report_days=report_days
        )
        async with open_dependencies(config, ManualClock(at + timedelta(days=DAYS))) as deps:
            await deps.db.roster.apply(roster(range(4)), actor=None, at=at - timedelta(days=9))
            later = [row for row in roster(range(GRIDS)) if row.grid_code != "G-1"]
            await deps.db.roster.apply(later, actor=None, at=at + timedelta(days=3))
            yield deps


async def play(deps: Dependencies, steps: list[Filing | Fix | Excuse]) -> None:
    """File, correct and excuse as the steps say (a second filing of a grid-day, or an
    excusal of a filed one, changes nothing)."""
    zone = deps.settings.timezone
    grids = await deps.db.roster.grids(include_inactive=True)
    workers = [
        (await deps.db.roster.workers_of_grid(grid.id, active_only=False))[0].id for grid in grids
    ]
    filed: list[tuple[int, date]] = []
    for step in steps:
        day = FIRST + timedelta(days=getattr(step, "day", 0))
        if isinstance(step, Filing):
            grid = grids[step.grid]
            if (grid.id, day) in filed:
                continue
            start = datetime.combine(day, time(0), zone)
            at = start + timedelta(minutes=step.minute, microseconds=step.microseconds)
            await deps.db.reports.file(
                grid_id=grid.id,
                day=day,
                kind=ReportKind.ZERO if step.zero else ReportKind.DETAILED,
                values={} if step.zero else {"screened": 1},
                incidents=(),
                baseline={},
                worker_id=workers[step.grid],
                at=at,
                late=step.late,
            )
            filed.append((grid.id, day))
        elif isinstance(step, Excuse):
            grid_id = grids[step.grid].id
            if (grid_id, day) not in filed:
                await deps.db.schedule.excuse(
                    grid_id, day, reason="病假", actor=workers[0], at=deps.now()
                )
        elif filed:
            current = await deps.db.reports.get(*filed[step.which % len(filed)])
            assert current is not None
            await deps.db.reports.correct(
                current.id,
                kind=ReportKind.ZERO if step.zero else ReportKind.DETAILED,
                values={} if step.zero else {"screened": 2},
                incidents=(),
                baseline={},
                worker_id=workers[0],
                at=deps.now(),
                reason="更正",
                expected_version=current.current.version,
            )


async def one_by_one(deps: Dependencies, area: Area | None, days: DayRange) -> Stats:
    """The figures from each day's grid-days as the ledger lists them (every report with its
    versions, every excusal), counted in Python."""
    zone = deps.settings.timezone
    reader = LedgerReader(deps.db)
    scope = await reader.scope(area, zone, deps.settings.report_days)
    kinds: dict[int, Counter[GridDayKind]] = {}
    minutes: dict[int, list[int]] = {}
    for day in days.days():
        reports = {report.grid_id: report for report in await deps.db.reports.reports_on(day)}
        excused = await deps.db.schedule.excused(day)
        for item in scope.listed(day, reports):
            grid_id = item.grid.id
            grid_day = GridDay(item.grid, day, reports.get(grid_id), excused.get(grid_id))
            kinds.setdefault(grid_day.grid.id, Counter())[grid_day.kind] += 1
            mine = minutes.setdefault(grid_day.grid.id, [])
            if grid_day.submitted_at is not None:
                start = datetime.combine(day, time(0), zone)
                mine.append((grid_day.submitted_at - start) // timedelta(minutes=1))

    def figures(grid_ids: list[int]) -> Figures:
        counted = sum((kinds.get(grid_id, Counter()) for grid_id in grid_ids), Counter())
        times = [minute for grid_id in grid_ids for minute in minutes.get(grid_id, [])]
        completeness = Completeness.from_counts([counted[kind] for kind in GridDayKind])
        return Figures(completeness, median(times) if times else None)

    def within(place: Area | None) -> list[int]:
        return [
            item.grid.id
            for item in scope.grids
            if place is None or place.covers(item.grid.area_path)
        ]

    return Stats(
        days=days,
        area=area,
        total=figures(within(area)),
        areas=tuple(
            (place, figures(within(place)))
            for place in scope.areas
            if area is None or place.id != area.id
        ),
        grids=tuple(
            (item.grid, figures([item.grid.id])) for item in scope.grids if item.grid.id in kinds
        ),
    )


@dataclass(frozen=True)
class Setup:
    """The district's zone and reporting days, and the period asked for (from the
    ``first`` day of the play, ``length`` days, maybe beyond its end)."""

    zone: ZoneInfo
    report_days: frozenset[int]
    first: int
    length: int


setups = st.builds(
    Setup,
    st.sampled_from(ZONES),
    st.frozensets(st.integers(1, 7), min_size=1),
    st.integers(0, DAYS - 1),
    st.integers(1, DAYS + 3),
)


async def check(steps: list[Filing | Fix | Excuse], setup: Setup) -> None:
    async with district(setup.zone, setup.report_days) as deps:
        await play(deps, steps)
        first = FIRST + timedelta(days=setup.first)
        days = DayRange(first, first + timedelta(days=setup.length - 1))
        for area in [None, *await deps.db.roster.areas()]:
            assert await area_stats(deps, area, days) == await one_by_one(deps, area, days)
            await check_standing(deps, area, days.first)


async def check_standing(deps: Dependencies, area: Area | None, day: date) -> None:
    """Who is missing on a day (the nags, the escalation, ``/late``), counted by the
    database, against the day's grid-days counted one by one."""
    now = await standing(deps, day, area)
    expected = await one_by_one(deps, area, DayRange(day, day))
    assert now.counts == expected.total.counts
    missing = [grid for grid, figures in expected.grids if figures.counts.missing]
    assert [item.grid for item in now.missing] == missing


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(filings, filings, fixes, excuses), max_size=40), setups)
def test_stats_counted_by_the_database_equal_the_grid_days_counted_one_by_one(
    steps: list[Filing | Fix | Excuse], setup: Setup
) -> None:
    asyncio.run(check(steps, setup))


def test_a_filing_before_its_day_starts_counts_back_from_midnight() -> None:
    """A minute before the start of the report day is -1 (rounded down), not 0; the last
    microsecond of a minute is still that minute."""
    steps: list[Filing | Fix | Excuse] = [
        Filing(0, 2, False, False, -1, 7_000_000),
        Filing(1, 2, False, False, 9 * 60, 59_999_999),  # grids by area path: G-3 second
    ]

    async def run() -> None:
        async with district(ZONES[0], frozenset(range(1, 8))) as deps:
            await play(deps, steps)
            day = FIRST + timedelta(days=2)
            stats = await area_stats(deps, None, DayRange(day, day))
            medians = {grid.code: figures.median_minute for grid, figures in stats.grids}
            assert medians == {"G-0": -1, "G-3": 9 * 60, "G-2": None}
            assert stats == await one_by_one(deps, None, DayRange(day, day))

    asyncio.run(run())
