"""The kept running figures (report_figures) always equal a recomputation from the reports:
whatever is filed and corrected, on whichever days, in whatever order; and each grid's latest
two of them (latest_figures) equal those found in report_figures, also after a rebuild and
after rows of report_figures are deleted or moved."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.dates import DayRange
from bot.domain.digest.model import so_far
from bot.domain.form import load_form
from bot.domain.models import ReportKind, RosterRow
from bot.domain.running import Runs, replay
from storage.rows import fetch_all

TZ = ZoneInfo("Asia/Shanghai")
FIRST = date(2026, 3, 1)
DAYS = 12
FORM = load_form()
COUNTS = [field.key for field in FORM.counts()]
STOCKS = [field.key for field in FORM.stocks()]
AT = datetime(2026, 3, 20, 9, tzinfo=TZ)


@dataclass(frozen=True)
class Filing:
    grid: int
    day: int
    values: dict[str, int]
    baseline: dict[str, int]


@dataclass(frozen=True)
class Fix:
    which: int
    """Index into the filings made so far (modulo their number)."""
    values: dict[str, int]
    baseline: dict[str, int]


answers = st.dictionaries(st.sampled_from(COUNTS), st.integers(0, 40), max_size=6)
baselines = st.dictionaries(st.sampled_from(STOCKS), st.integers(0, 30), max_size=1)
filings = st.builds(Filing, st.integers(0, 1), st.integers(0, DAYS - 1), answers, baselines)
fixes = st.builds(Fix, st.integers(0, 50), answers, baselines)


async def play(services: Dependencies, steps: list[Filing | Fix]) -> None:
    """File and correct as the steps say (later filings of a filed grid-day change nothing)."""
    grids = await services.db.roster.grids()
    workers = [(await services.db.roster.workers_of_grid(grid.id))[0].id for grid in grids]
    filed: list[tuple[int, date]] = []
    for step in steps:
        if isinstance(step, Filing):
            report, _ = await services.db.reports.file(
                grid_id=grids[step.grid].id,
                day=FIRST + timedelta(days=step.day),
                kind=ReportKind.DETAILED,
                values=step.values,
                incidents=(),
                baseline=step.baseline,
                worker_id=workers[step.grid],
                at=AT,
                late=False,
            )
            filed.append((report.grid_id, report.day))
        elif filed:
            current = await services.db.reports.get(*filed[step.which % len(filed)])
            assert current is not None
            await services.db.reports.correct(
                current.id,
                kind=ReportKind.DETAILED,
                values=step.values,
                incidents=(),
                baseline=step.baseline,
                worker_id=workers[0],
                at=AT,
                reason="更正",
                expected_version=current.current.version,
            )


async def from_scratch(services: Dependencies, grid_id: int, day: date) -> Runs:
    """The grid's runs as of ``day``, replayed from its reports."""
    history = await services.db.reports.history(grid_id, before=day + timedelta(days=1))
    walked = list(replay(services.form, None, history))
    return walked[-1][1] if walked else {}


@asynccontextmanager
async def street(grids: int) -> AsyncIterator[Dependencies]:
    """A fresh database with ``grids`` grids of one worker each."""
    with tempfile.TemporaryDirectory() as folder:
        config = Settings(_env_file=None, db=Path(folder) / "db.sqlite3", timezone=TZ)  # type: ignore[call-arg]
        async with open_dependencies(config, ManualClock(AT)) as services:
            rows = [
                RosterRow(
                    n + 2, "街道/社区", f"G-{n}", f"网格{n}", f"员{n}", None, None, None, None
                )
                for n in range(grids)
            ]
            await services.db.roster.apply(rows, actor=None, at=AT - timedelta(days=30))
            yield services


async def check(steps: list[Filing | Fix], erased: list[int], moved: list[int]) -> None:
    async with street(2) as services:
        await play(services, steps)
        grid_ids = [grid.id for grid in await services.db.roster.grids()]
        every_day = DayRange(FIRST, FIRST + timedelta(days=DAYS - 1))
        stocks = ["home_isolation"]
        fields = ["screened", "home_iso_in", *stocks]
        for day in every_day.days():
            kept = await services.db.figures.as_of(grid_ids, day)
            now, then = await services.db.figures.so_far(grid_ids, day, fields, stocks)
            expected = {grid_id: so_far(fields, runs) for grid_id, runs in kept.items()}
            assert now == {
                grid_id: found for grid_id, found in expected.items() if found is not None
            }
            for grid_id in grid_ids:
                assert kept.get(grid_id, {}) == await from_scratch(services, grid_id, day)
                before = await from_scratch(services, grid_id, day - timedelta(days=1))
                closings = tuple(before[key].total if key in before else 0 for key in stocks)
                assert then.get(grid_id, (0,) * len(stocks)) == closings
        assert await latest_kept(services) == await latest_recomputed(services)
        daily = await services.db.figures.daily(grid_ids, every_day)
        await services.db.figures.rebuild()
        assert await services.db.figures.daily(grid_ids, every_day) == daily
        assert await latest_kept(services) == await latest_recomputed(services)
        await erase_and_move(services, erased, moved)
        assert await latest_kept(services) == await latest_recomputed(services)


Kept = dict[int, tuple[str, str, str | None, str | None]]


async def latest_kept(services: Dependencies) -> Kept:
    """What latest_figures holds: by grid, its latest day and runs and those of the day before."""
    async with services.db.read() as conn:
        rows = await fetch_all(conn, "SELECT * FROM latest_figures")
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in rows}


async def latest_recomputed(services: Dependencies) -> Kept:
    """The same, found in report_figures."""
    async with services.db.read() as conn:
        rows = await fetch_all(conn, "SELECT grid_id, day, runs FROM report_figures")
    days: dict[int, list[tuple[str, str]]] = {}
    for row in rows:
        days.setdefault(row[0], []).append((row[1], row[2]))
    found: Kept = {}
    for grid_id, kept in days.items():
        *_, before, last = [(None, None), *sorted(kept)]
        found[grid_id] = (*last, *before)  # type: ignore[assignment]
    return found


async def erase_and_move(services: Dependencies, erased: list[int], moved: list[int]) -> None:
    """Delete the figures of some report days, then move others to a later day (what no use
    case does, but the triggers keeping latest_figures must follow)."""
    async with services.db.transaction() as conn:
        for which in (erased, moved):
            rows = await fetch_all(conn, "SELECT grid_id, day FROM report_figures")
            for n in which:
                if not rows:
                    break
                grid_id, day = rows.pop(n % len(rows))
                if which is erased:
                    await conn.execute(
                        "DELETE FROM report_figures WHERE grid_id = ? AND day = ?", (grid_id, day)
                    )
                else:
                    await conn.execute(
                        "UPDATE report_figures SET day = date(day, '+30 days')"
                        " WHERE grid_id = ? AND day = ?",
                        (grid_id, day),
                    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(filings, fixes), max_size=25),
    st.lists(st.integers(0, 50), max_size=4),
    st.lists(st.integers(0, 50), max_size=2),
)
def test_kept_figures_equal_a_recomputation(
    steps: list[Filing | Fix], erased: list[int], moved: list[int]
) -> None:
    asyncio.run(check(steps, erased, moved))


def test_a_correction_of_an_old_day_flows_into_every_later_day() -> None:
    steps: list[Filing | Fix] = [
        Filing(0, 0, {"screened": 5, "home_iso_in": 2}, {"home_isolation": 10}),
        Filing(0, 1, {"screened": 7, "home_iso_out": 1}, {}),
        Filing(0, 3, {"screened": 1}, {}),
        Fix(0, {"screened": 50, "home_iso_in": 4}, {"home_isolation": 10}),
    ]

    async def run() -> None:
        async with street(1) as services:
            await play(services, steps)
            (grid,) = await services.db.roster.grids()
            kept = await services.db.figures.as_of([grid.id], FIRST + timedelta(days=5))
            runs = kept[grid.id]
            assert runs["screened"].total == 50 + 7 + 1
            assert runs["screened"].asked == 3
            assert runs["home_isolation"].value == 10 + 4 - 1
            assert runs["home_iso_in"].first == FIRST.isoformat()

    asyncio.run(run())
