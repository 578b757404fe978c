"""What the digest reads of the day before its day, through the real loader and SQLite: how
each grid stood yesterday (reported on time or late, a zero report, excused, missing) and its
counts then; a grid not yet on the roster yesterday has no yesterday."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.digest import CountTotal, Digest, StockTotal
from bot.domain.digest.model import counts_of
from bot.domain.models import Grid, ReportKind, RosterRow
from bot.domain.status import Completeness, GridDayKind
from bot.usecases.digests import compile_area_digest

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 10)
YESTERDAY = DAY - timedelta(days=1)


@asynccontextmanager
async def street(tmp_path: Path, grids: int) -> AsyncIterator[tuple[Dependencies, list[Grid]]]:
    """A fresh database with ``grids`` grids of one worker each, the clock at 20:00 on DAY."""
    config = Settings(_env_file=None, db=tmp_path / "db.sqlite3", timezone=TZ)  # type: ignore[call-arg]
    clock = ManualClock(datetime.combine(DAY, time(20), tzinfo=TZ))
    async with open_dependencies(config, clock) as deps:
        rows = [
            RosterRow(n + 2, "街道/社区", f"G-{n}", f"网格{n}", f"员{n}", None, None, None, None)
            for n in range(grids)
        ]
        joined = datetime.combine(DAY - timedelta(days=10), time(9), tzinfo=TZ)
        await deps.db.roster.apply(rows, actor=None, at=joined)
        yield deps, sorted(await deps.db.roster.grids(), key=lambda grid: grid.code)


async def file(
    deps: Dependencies,
    grid: Grid,
    day: date,
    values: dict[str, int],
    *,
    kind: ReportKind = ReportKind.DETAILED,
    late: bool = False,
) -> None:
    (worker,) = await deps.db.roster.workers_of_grid(grid.id)
    await deps.db.reports.file(
        grid_id=grid.id,
        day=day,
        kind=kind,
        values=values,
        incidents=(),
        baseline={"home_isolation": 10} if day == YESTERDAY else {},
        worker_id=worker.id,
        at=datetime.combine(day, time(9), tzinfo=TZ),
        late=late,
    )


async def digest_of(deps: Dependencies) -> Digest:
    area = await deps.db.roster.area_by_path("街道/社区")
    assert area is not None
    return await compile_area_digest(deps, area, DAY)


async def test_each_grid_stands_yesterday_as_filed_excused_or_missing(tmp_path: Path) -> None:
    async with street(tmp_path, 5) as (deps, grids):
        reported, zero, excused, missing, both = grids
        await file(deps, reported, YESTERDAY, {"screened": 5, "home_iso_in": 2})
        await file(deps, zero, YESTERDAY, {}, kind=ReportKind.ZERO, late=True)
        at = datetime.combine(YESTERDAY, time(8), tzinfo=TZ)
        await deps.db.schedule.excuse(excused.id, YESTERDAY, reason="病假", actor=1, at=at)
        await deps.db.schedule.excuse(both.id, YESTERDAY, reason="病假", actor=1, at=at)
        await file(deps, both, YESTERDAY, {"screened": 1}, late=True)  # a report beats it
        await file(deps, zero, DAY, {"screened": 7})

        digest = await digest_of(deps)

        assert digest.status.yesterday == Completeness(
            expected=4, reported=3, on_time=1, late=2, zero=1, missing=1, excused=1
        )
        standing = {
            line.today.grid.code: None if line.yesterday is None else line.yesterday.kind
            for line in digest.grids
        }
        assert standing == {
            reported.code: GridDayKind.ON_TIME,
            zero.code: GridDayKind.LATE_ZERO,
            excused.code: GridDayKind.EXCUSED,
            missing.code: GridDayKind.MISSING,
            both.code: GridDayKind.LATE,
        }
        again = {item.day.grid.code: item.missing_yesterday for item in digest.status.missing}
        assert again == {
            reported.code: False,
            excused.code: False,
            missing.code: True,
            both.code: False,
        }
        totals = {total.key: total for total in digest.totals.fields}
        assert totals["screened"] == CountTotal("screened", 7, 6, 13)
        assert totals["home_iso_in"] == CountTotal("home_iso_in", 0, 2, 2)
        assert totals["home_isolation"] == StockTotal("home_isolation", 32, 32)


async def test_without_reports_yesterday_there_is_no_yesterday(tmp_path: Path) -> None:
    """Nothing filed yesterday (a fresh install): no comparison with yesterday at all."""
    async with street(tmp_path, 2) as (deps, grids):
        await file(deps, grids[0], DAY, {"screened": 4})

        digest = await digest_of(deps)

        assert digest.status.yesterday is None
        assert all(line.yesterday is None for line in digest.grids)
        assert [item.missing_yesterday for item in digest.status.missing] == [False]


def test_counts_are_the_numbers_answered_and_0_for_anything_else() -> None:
    assert counts_of([3, 0, 12]) == (3, 0, 12)
    assert counts_of([3, None, 4]) == (3, 0, 4)  # not asked that day
    assert counts_of([None, None]) == (0, 0)  # a zero report
    assert counts_of(["三", None, 5]) == (0, 0, 5)
    assert counts_of([]) == ()
