"""Grid-days counted by the database: what ``/stats`` counts over a period (a fixed number of
rows a grid, whatever the length of the period), and how each grid stands on one day (who is
missing: the nags, the escalation, ``/late``).

Each grid-day is listed as the ledger lists it (:meth:`bot.domain.ledger.Scope.listed`): the
grids with a report that day, and those expected (active, on the roster by then, a reporting
day); its :class:`GridDayKind` is read from its report, the report's current version and its
excusal, as the export reads it.

For ``/stats``, one statement reads every grid-day of the period once (the scope's grids
crossed with its days) and answers three things at once: each grid's grid-days of each kind,
each grid's median submission minute (SQLite sorts each grid's minutes; nothing of them
reaches Python), and how many reports of the grids directly in each area were filed at each
minute (an area's median is that of its own and its sub-areas' minutes, merged in the
domain). A district's day was about 70 µs of Python a grid-day, reading every report as
objects; here it is a few µs of SQLite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date

from bot.domain.ledger import Scope
from bot.domain.stats import DayStart, PeriodCounts
from bot.domain.status import GridDayKind
from storage.codec import to_db_day, to_json
from storage.db import Database
from storage.ledger_export import GRID_DAY_KIND
from storage.rows import in_thread

_SCOPE = """
WITH scope AS MATERIALIZED (
    SELECT key AS pos, value ->> 0 AS grid_id, value ->> 1 AS area_id, value ->> 2 AS since,
           value ->> 3 AS active
    FROM json_each(:scope)
)"""
"""The scope's grids (``pos``: position in the scope), from :func:`_scope_json`."""


def grid_day_joins(day: str) -> str:
    """The joins that read the grid-day of each of the grids ``s`` (``grid_id``) on the day
    ``day`` (an SQL expression): its report ``r``, the report's current version ``v``
    (``ledger_reports``) and its excusal ``e``, which :data:`GRID_DAY_KIND` reads."""
    return (
        f" LEFT JOIN reports r ON r.grid_id = s.grid_id AND r.day = {day}"
        " LEFT JOIN ledger_reports v ON v.report_id = r.id"
        f" LEFT JOIN excusals e ON e.grid_id = s.grid_id AND e.day = {day}"
    )


def listed(day: str, reporting: str) -> str:
    """Whether the ledger lists the grid-day of :func:`grid_day_joins` (``s``: ``active``,
    ``since``; ``reporting``: whether ``day`` is a reporting day): it has a report, or the
    grid was expected."""
    return f"(r.id IS NOT NULL OR ({reporting} AND s.active AND s.since <= {day}))"


_ON_DAY = f"""{_SCOPE}
SELECT s.pos, {GRID_DAY_KIND} AS kind
FROM scope s{grid_day_joins(":day")}
WHERE {listed(":day", ":reporting")}
ORDER BY s.pos
"""
"""The kind of each grid-day of one day, in scope order."""

_COUNTED = f"""{_SCOPE}, days AS MATERIALIZED (
    SELECT value ->> 0 AS day, value ->> 1 AS reporting, value ->> 2 AS midnight
    FROM json_each(:days)
), cells AS MATERIALIZED (
    SELECT s.pos, s.area_id, {GRID_DAY_KIND} AS kind,
           CAST(strftime('%s', substr(r.submitted_at, 1, 19)) AS INTEGER) - d.midnight AS seconds
    FROM scope s CROSS JOIN days d{grid_day_joins("d.day")}
    WHERE {listed("d.day", "d.reporting")}
), minutes AS (
    SELECT pos, area_id, (seconds - (seconds % 60 + 60) % 60) / 60 AS minute
    FROM cells WHERE seconds IS NOT NULL
), ranked AS (
    SELECT pos, minute, row_number() OVER filed AS n,
           count(*) OVER (filed ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
           AS reports
    FROM minutes WINDOW filed AS (PARTITION BY pos ORDER BY minute)
)
SELECT 0 AS part, pos AS id, kind AS key, count(*) AS n FROM cells GROUP BY pos, kind
UNION ALL
SELECT 1, pos, sum(minute), count(*) FROM ranked
WHERE n IN ((reports + 1) / 2, (reports + 2) / 2) GROUP BY pos
UNION ALL
SELECT 2, area_id, minute, count(*) FROM minutes GROUP BY area_id, minute
"""
"""The grid-days of the scope's grids (``pos``: position in the scope) on the period's days
(``midnight``: the start of the day in the configured zone, in Unix seconds), listed as the
ledger lists them: those with a report, and those of an expected grid (active, on the roster,
a reporting day). Three parts: 0, a grid's grid-days by kind; 1, a grid's middle minute or
two middle minutes summed, and how many (the minutes counted floor-wise from the start of the
report day, as Python's ``//``; the stored time's fraction of a second is cut off first:
SQLite would round 09:00:59.9996 up to 09:01); 2, an area's reports (of the grids directly
in it) by minute."""

_BY_KIND, _MEDIANS = 0, 1


class GridDayReader:
    """Grid-days counted, from a database or a :func:`storage.ledger.snapshot`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def kinds_on(self, scope: Scope, day: date) -> dict[int, GridDayKind]:
        """The kind of each grid-day of ``scope`` on ``day``, by the grid's position in the
        scope, in scope order."""
        params = {
            "scope": _scope_json(scope),
            "day": to_db_day(day),
            "reporting": int(scope.is_reporting_day(day)),
        }
        async with self._db.read() as conn:
            return await in_thread(conn, _kinds_on, params)

    async def counted(self, scope: Scope, days: Sequence[DayStart]) -> PeriodCounts:
        """The grid-days of ``scope`` on ``days`` counted by grid, and the submission
        minutes by grid (medians) and by area (how many at each minute)."""
        periods = [
            [to_db_day(day.day), int(scope.is_reporting_day(day.day)), day.midnight] for day in days
        ]
        params = {"scope": _scope_json(scope), "days": to_json(periods)}
        async with self._db.read() as conn:
            return await in_thread(conn, _counted, params)


def _kinds_on(conn: sqlite3.Connection, params: dict[str, object]) -> dict[int, GridDayKind]:
    """:meth:`GridDayReader.kinds_on`'s rows, read and sorted out in the database thread (a
    district's ten thousand, which the event loop then only shares that thread with)."""
    return {pos: _KINDS[kind] for pos, kind in conn.execute(_ON_DAY, params)}


def _counted(conn: sqlite3.Connection, params: dict[str, object]) -> PeriodCounts:
    """:meth:`GridDayReader.counted`'s rows, read and sorted out in the database thread."""
    kinds: dict[int, list[int]] = {}
    medians: dict[int, float] = {}
    minutes: dict[int, dict[int, int]] = {}
    for part, id_, key, number in conn.execute(_COUNTED, params):
        if part == _BY_KIND:
            kinds.setdefault(id_, [0] * len(GridDayKind))[key] = number
        elif part == _MEDIANS:
            medians[id_] = key / number
        else:
            minutes.setdefault(id_, {})[key] = number
    return PeriodCounts(kinds, medians, minutes)


def _scope_json(scope: Scope) -> str:
    """The scope's grids as :data:`_SCOPE` reads them."""
    return to_json(
        [
            [item.grid.id, item.grid.area_id, to_db_day(item.since), int(item.grid.active)]
            for item in scope.grids
        ]
    )


_KINDS = tuple(GridDayKind)
"""Each kind by its value."""
