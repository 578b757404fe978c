"""The evening compiles the whole tree at once (each level reusing the one below it); every
area's digest is the same as that area's digest compiled on its own."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ledger_scenario import counts

from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import open_dependencies
from bot.domain.dates import DayRange
from bot.usecases.digests import compile_area_digest, compile_area_digests
from storage import synthetic

TZ = ZoneInfo("Asia/Shanghai")
DAYS = DayRange(date(2026, 3, 2), date(2026, 3, 5))


async def test_every_area_of_the_tree_compiles_as_it_would_alone(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, db=tmp_path / "tree.sqlite3", timezone=TZ)  # type: ignore[call-arg]
    clock = ManualClock(datetime(2026, 3, 5, 20, tzinfo=TZ))
    async with open_dependencies(settings, clock) as deps:
        answers = counts(screened=10, fever_found=1, home_iso_in=2, home_iso_out=1)
        joined = datetime(2026, 3, 1, 9, tzinfo=TZ)
        await synthetic.populate(deps.db, 120, DAYS, answers, joined)
        await deps.db.figures.rebuild()
        areas = await deps.db.roster.areas()

        together = await compile_area_digests(deps, areas, DAYS.last)

        assert len(areas) == 1 + 5 + 50
        district = together[next(area.id for area in areas if area.parent_id is None)]
        assert len(district.grids) == 120
        assert district.totals.carried  # grids missing today, carried from an earlier day
        assert district.corrections
        for area in areas:
            assert together[area.id] == await compile_area_digest(deps, area, DAYS.last)
