"""A digest counts the grids expected on its day, as the ledger does: a grid not yet on the
roster then, or any grid on a day that is not a reporting day, was not asked, so it is not
missing, unless it reported anyway (a report is never hidden). A grid that joined on the
digest's day was not missing the day before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.digest import Digest, render_plain
from bot.domain.models import Grid, ReportKind, RosterRow
from bot.domain.status import Completeness, GridDayKind
from bot.usecases.digests import compile_area_digest

TZ = ZoneInfo("Asia/Shanghai")
SUNDAY = date(2026, 3, 8)
MONDAY = SUNDAY + timedelta(days=1)
JOINED = datetime.combine(SUNDAY - timedelta(days=10), time(9), tzinfo=TZ)


def rows(codes: range) -> list[RosterRow]:
    return [
        RosterRow(n + 2, "街道/社区", f"G-{n}", f"网格{n}", f"员{n}", None, None, None, None)
        for n in codes
    ]


@asynccontextmanager
async def street(tmp_path: Path, report_days: str) -> AsyncIterator[Dependencies]:
    """Three grids on the roster since ten days before SUNDAY; the clock at 20:00 on MONDAY."""
    config = Settings(  # type: ignore[call-arg]
        _env_file=None, db=tmp_path / "db.sqlite3", timezone=TZ, report_days=report_days
    )
    clock = ManualClock(datetime.combine(MONDAY, time(20), tzinfo=TZ))
    async with open_dependencies(config, clock) as deps:
        await deps.db.roster.apply(rows(range(3)), actor=None, at=JOINED)
        yield deps


async def grid(deps: Dependencies, code: str) -> Grid:
    found = await deps.db.roster.grid_by_code(code)
    assert found is not None
    return found


async def file_zero(deps: Dependencies, code: str, day: date) -> None:
    found = await grid(deps, code)
    (worker,) = await deps.db.roster.workers_of_grid(found.id)
    at = datetime.combine(day, time(9), tzinfo=TZ)
    await deps.db.reports.file(
        grid_id=found.id,
        day=day,
        kind=ReportKind.ZERO,
        values={},
        incidents=(),
        baseline={},
        worker_id=worker.id,
        at=at,
        late=False,
    )


async def digest_of(deps: Dependencies, day: date) -> Digest:
    area = await deps.db.roster.area_by_path("街道/社区")
    assert area is not None
    return await compile_area_digest(deps, area, day)


def codes(digest: Digest) -> list[str]:
    return [line.today.grid.code for line in digest.grids]


async def test_a_day_that_is_not_a_reporting_day_lists_only_who_reported(tmp_path: Path) -> None:
    async with street(tmp_path, "mon-fri") as deps:
        await file_zero(deps, "G-1", SUNDAY)

        digest = await digest_of(deps, SUNDAY)

        assert codes(digest) == ["G-1"]
        assert digest.status.completeness == Completeness(
            expected=1, reported=1, on_time=1, late=0, zero=1, missing=0, excused=0
        )
        assert digest.status.missing == ()
        text = render_plain(digest, "en")
        assert "Not a reporting day (GRIDBOT_REPORT_DAYS): grids were not asked to report." in text
        assert "1 reported anyway." in text
        assert "Expected" not in text and "Reporting rate" not in text
        monday = render_plain(await digest_of(deps, MONDAY), "en")
        assert "Not a reporting day" not in monday
        assert "Expected 3 grids, reported 0" in monday


async def test_a_day_before_the_roster_has_no_grid_missing(tmp_path: Path) -> None:
    async with street(tmp_path, "mon-sun") as deps:
        digest = await digest_of(deps, JOINED.date() - timedelta(days=1))

        assert codes(digest) == []
        assert digest.status.completeness.expected == 0 and digest.status.missing == ()


async def test_a_grid_that_joined_today_was_not_missing_yesterday(tmp_path: Path) -> None:
    async with street(tmp_path, "mon-sun") as deps:
        monday_morning = datetime.combine(MONDAY, time(8), tzinfo=TZ)
        await deps.db.roster.apply(rows(range(4)), actor=None, at=monday_morning)
        await file_zero(deps, "G-0", SUNDAY)

        monday = await digest_of(deps, MONDAY)
        sunday = await digest_of(deps, SUNDAY)

        assert codes(monday) == ["G-0", "G-1", "G-2", "G-3"]  # G-3 is expected from today
        yesterday = {line.today.grid.code: line.yesterday for line in monday.grids}
        assert yesterday["G-3"] is None
        assert yesterday["G-1"] is not None and yesterday["G-1"].kind == GridDayKind.MISSING
        again = {item.day.grid.code: item.missing_yesterday for item in monday.status.missing}
        assert again == {"G-0": False, "G-1": True, "G-2": True, "G-3": False}
        assert codes(sunday) == ["G-0", "G-1", "G-2"]  # G-3 was not asked on Sunday


async def test_the_missing_list_names_active_workers_and_who_must_be_phoned(
    tmp_path: Path,
) -> None:
    async with street(tmp_path, "mon-fri") as deps:
        roster = [
            *rows(range(3)),
            RosterRow(5, "街道/社区", "G-0", "网格0", "员0乙", "yi", None, None, None),
            RosterRow(6, "街道/社区", "G-0", "网格0", "员0丙", None, None, None, None),
        ]
        await deps.db.roster.apply(roster, actor=None, at=JOINED)
        await deps.db.roster.apply(roster[:-1], actor=None, at=JOINED)  # 员0丙 leaves
        assert await deps.db.roster.bind_by_username("yi", 710_000_009, at=JOINED)

        digest = await digest_of(deps, MONDAY)

        (first, *_) = digest.status.missing
        assert first.workers == ("员0", "员0乙")
        assert first.unreachable == frozenset({"员0"})
        text = render_plain(digest, "zh_CN")
        assert "员0（未绑定，收不到催报，请电话联系）、员0乙" in text
        assert "员0丙" not in text
