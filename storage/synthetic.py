"""A generated district for the benchmarks (``bench/world.py``) and the scale tests: a
four-level tree (a district, 5 streets, 50 communities, the grids) and days of history,
written by SQLite itself, so that a year of 10,000 grids takes a minute, not the hours that
filing it through the bot would.

The reports are written behind the repositories' backs: the running figures are left as they
were (rebuild them with :meth:`storage.figures.FigureRepo.rebuild` when they are needed).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.domain.dates import DayRange
from bot.domain.models import RosterRow
from storage.codec import to_db_time
from storage.rows import fetch_one

if TYPE_CHECKING:
    from storage.db import Database

STREETS, COMMUNITIES = 5, 50
WORKER_IDS = 800_000_000
"""Worker n of the roster has Telegram id WORKER_IDS + n."""


def roster_rows(grids: int, *, bound: bool = True) -> list[RosterRow]:
    """One worker per grid; with ``bound`` each has a Telegram id (so the bot can reach them)."""
    return [
        RosterRow(
            n + 2,
            f"区/街道{n % STREETS}/社区{n % COMMUNITIES}",
            f"G-{n:05d}",
            f"第{n % 20}网格",  # names repeat across communities, as in a real district
            f"网格员{n}",
            None,
            WORKER_IDS + n if bound else None,
            300,
            900,
        )
        for n in range(grids)
    ]


async def populate(
    db: Database, grids: int, days: DayRange, answers: Mapping[str, int], joined: datetime
) -> int:
    """The roster (as of ``joined``) and a report of every grid for every one of ``days``,
    except every tenth grid-day: filed at 15:00 plus up to 149 minutes (so some late), a
    seventh of the grids with zero reports, the others with ``answers`` (and a baseline of 5
    in home isolation on the first day), every twentieth report corrected once (12 screened).
    Returns the reports filed."""
    await db.roster.apply(roster_rows(grids), actor=None, at=joined)
    params = {
        "first": days.first.isoformat(),
        "last": len(days) - 1,
        "answers": json.dumps(dict(answers)),
    }
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO reports (grid_id, day, submitted_at, submitted_by, late)"
            " WITH RECURSIVE offsets(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM offsets"
            "  WHERE n < :last)"
            " SELECT w.grid_id, date(:first, '+' || o.n || ' days'),"
            "  strftime('%Y-%m-%dT%H:%M:%S+00:00', :first, '+' || o.n || ' days',"
            "   '+7 hours', '+' || (w.grid_id % 150) || ' minutes'),"  # 15:00 Shanghai
            "  w.id, w.grid_id % 150 >= 120"
            " FROM offsets o CROSS JOIN workers w WHERE (w.grid_id + o.n) % 10 <> 0"
            " ORDER BY o.n, w.grid_id",
            params,
        )
        await conn.execute(
            "INSERT INTO report_versions (report_id, version, kind, answers, baseline,"
            " created_at, created_by)"
            " SELECT id, 1, CASE WHEN grid_id % 7 = 0 THEN 'zero' ELSE 'detailed' END,"
            " CASE WHEN grid_id % 7 = 0 THEN '{}' ELSE :answers END,"
            " CASE WHEN day = :first THEN '{\"home_isolation\": 5}' ELSE '{}' END,"
            " submitted_at, submitted_by FROM reports",
            params,
        )
        await conn.execute(
            "INSERT INTO report_versions (report_id, version, kind, answers, baseline,"
            " created_at, created_by, reason)"
            " SELECT id, 2, 'detailed', json_set(:answers, '$.screened', 12), '{}',"
            " strftime('%Y-%m-%dT%H:%M:%S+00:00', submitted_at, '+1 hours'), submitted_by,"
            " '漏报2人' FROM reports WHERE id % 20 = 0",
            params,
        )
        row = await fetch_one(conn, "SELECT count(*) AS filed FROM reports")
    return int(row["filed"]) if row else 0


async def file_zero_reports(db: Database, grid_codes: list[str], day: date, at: datetime) -> None:
    """Zero reports of ``day`` for these grids, filed ``at``."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO reports (grid_id, day, submitted_at, submitted_by, late)"
            " SELECT w.grid_id, :day, :at, w.id, 0 FROM workers w JOIN grids g ON g.id = w.grid_id"
            " WHERE g.code IN (SELECT value FROM json_each(:codes))",
            {
                "day": day.isoformat(),
                "at": to_db_time(at),
                "codes": json.dumps(grid_codes),
            },
        )
        await conn.execute(
            "INSERT INTO report_versions (report_id, version, kind, answers, baseline,"
            " created_at, created_by) SELECT id, 1, 'zero', '{}', '{}', submitted_at,"
            " submitted_by FROM reports WHERE day = :day",
            {"day": day.isoformat()},
        )
