"""The evening compiles the whole tree at once (each level reusing the one below it); every
area's digest is the same as that area's digest compiled on its own."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ledger_scenario import TREE_DAYS, counts, generated_tree

from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import open_dependencies
from bot.domain.dates import DayRange
from bot.domain.status import GridDay, Tally
from bot.usecases.digests import compile_area_digest, compile_area_digests, digest_areas
from storage import synthetic

TZ = ZoneInfo("Asia/Shanghai")


async def test_every_area_of_the_tree_compiles_as_it_would_alone(tmp_path: Path) -> None:
    async with generated_tree(tmp_path) as deps:
        areas = await deps.db.roster.areas()

        together = await compile_area_digests(deps, areas, TREE_DAYS.last)

        assert len(areas) == 1 + 5 + 50
        district = together[next(area.id for area in areas if area.parent_id is None)]
        assert len(district.grids) == 120
        assert district.totals.carried  # grids missing today, carried from an earlier day
        assert district.corrections
        for area in areas:
            assert together[area.id] == await compile_area_digest(deps, area, TREE_DAYS.last)


async def test_mondays_tally_counts_last_weeks_late_missing_and_excused_days(
    tmp_path: Path,
) -> None:
    """The tally SQLite counts equals one made from every grid-day of last week: an excused
    day without a report is not missing, an excused day with a report counts as reported."""
    week = DayRange(date(2026, 3, 1), date(2026, 3, 9))  # Sunday to the next Monday
    settings = Settings(_env_file=None, db=tmp_path / "tally.sqlite3", timezone=TZ)  # type: ignore[call-arg]
    clock = ManualClock(datetime(2026, 3, 9, 20, tzinfo=TZ))
    async with open_dependencies(settings, clock) as deps:
        joined = datetime(2026, 2, 28, 9, tzinfo=TZ)
        categories = deps.form.incident_categories
        await synthetic.populate(deps.db, 150, week, counts(screened=3), joined, categories)
        await deps.db.figures.rebuild()
        grids = await deps.db.roster.grids()
        for grid in grids[::3]:  # every third grid excused on the 4th, whether it reported
            at = datetime(2026, 3, 4, 8, tzinfo=TZ)
            await deps.db.schedule.excuse(grid.id, date(2026, 3, 4), reason="病假", actor=1, at=at)
        days = [date(2026, 3, 2) + timedelta(days=n) for n in range(7)]
        grid_days = []
        for day in days:
            reports = {report.grid_id: report for report in await deps.db.reports.reports_on(day)}
            excused = await deps.db.schedule.excused(day)
            grid_days += [
                GridDay(grid, day, reports.get(grid.id), excused.get(grid.id)) for grid in grids
            ]
        expected = Tally.from_grid_days(grid_days)
        [top] = await digest_areas(deps)

        digest = await compile_area_digest(deps, top, week.last)

        assert digest.weekly is not None
        assert sorted(digest.weekly.rows, key=lambda row: row.grid.id) == sorted(
            expected.rows, key=lambda row: row.grid.id
        )
        assert (digest.weekly.first_day, digest.weekly.last_day) == (days[0], days[-1])
        assert any(row.missing for row in expected.rows) and any(row.late for row in expected.rows)
        excused_unfiled = [
            day for day in grid_days if day.is_excused and day.day == date(2026, 3, 4)
        ]
        assert excused_unfiled  # the case an excusal changes
