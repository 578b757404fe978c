"""The figures an area chart is drawn from, per day, by set-based queries.

Each query covers all the chart's days and grids at once (grouped in SQL); nothing walks a
grid's history in Python. Stock balances come from one window query: every report's change
of its grid's closing balance (opening = the baseline typed on it, else the previous
closing), summed per day; a day's balance is the running sum of those changes. Issue-9's
kept figures can replace :meth:`ChartFigureReader.figures` without touching the chart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import aiosqlite

from bot.domain.chart import DayFigures, StatusCounts
from bot.domain.form import FieldDef, Form
from storage.codec import from_db_day, to_db_day, to_json
from storage.db import Database
from storage.rows import fetch_all

_CURRENT = "v.version = (SELECT max(version) FROM report_versions WHERE report_id = r.id)"
"""Join condition: the current version of report ``r``."""

_STATUS = """
WITH scope AS (
    SELECT json_extract(value, '$[0]') AS grid_id, json_extract(value, '$[1]') AS bucket,
           json_extract(value, '$[2]') AS since, json_extract(value, '$[3]') AS active
    FROM json_each(:scope)
), days AS (SELECT value AS day FROM json_each(:days)),
cells AS (
    SELECT d.day, s.bucket, s.active AND s.since <= d.day AS expected, r.id AS report_id,
           r.late, e.id IS NOT NULL AS excused,
           (SELECT v.kind FROM report_versions v WHERE v.report_id = r.id
            ORDER BY v.version DESC LIMIT 1) AS kind
    FROM days d CROSS JOIN scope s
    LEFT JOIN reports r ON r.grid_id = s.grid_id AND r.day = d.day
    LEFT JOIN excusals e ON e.grid_id = s.grid_id AND e.day = d.day
)
SELECT day, bucket,
       sum(report_id IS NOT NULL AND NOT late AND kind = 'detailed') AS on_time,
       sum(report_id IS NOT NULL AND NOT late AND kind = 'zero') AS zero,
       sum(report_id IS NOT NULL AND late) AS late,
       sum(report_id IS NULL AND expected AND excused) AS excused,
       sum(report_id IS NULL AND expected AND NOT excused) AS missing
FROM cells GROUP BY day, bucket
"""

_BALANCE = f"""
WITH flows AS (
    SELECT r.grid_id, r.day, json_extract(v.baseline, :stock) AS base,
           (SELECT coalesce(sum(json_extract(v.answers, '$.' || f.value)), 0)
            FROM json_each(:inflows) f)
         - (SELECT coalesce(sum(json_extract(v.answers, '$.' || f.value)), 0)
            FROM json_each(:outflows) f) AS net
    FROM reports r JOIN report_versions v ON v.report_id = r.id AND {_CURRENT}
    WHERE r.day <= :last AND r.grid_id IN (SELECT value FROM json_each(:grids))
), segments AS (
    SELECT *, count(base) OVER (PARTITION BY grid_id ORDER BY day) AS segment FROM flows
), closings AS (
    SELECT grid_id, day,
           coalesce(first_value(base) OVER run, 0) + sum(net) OVER run AS closing
    FROM segments
    WINDOW run AS (PARTITION BY grid_id, segment ORDER BY day)
), changes AS (
    SELECT day, closing - coalesce(lag(closing) OVER (PARTITION BY grid_id ORDER BY day), 0)
           AS change
    FROM closings
)
SELECT day, sum(change) AS change FROM changes GROUP BY day ORDER BY day
"""


@dataclass(frozen=True, slots=True)
class ChartGrid:
    """A grid of the chart's area: its sub-area (None: directly under the area), the day
    it joined the roster, whether it is active."""

    grid_id: int
    sub_area: int | None
    since: date
    active: bool


class ChartFigureReader:
    """Per-day figures of a set of grids (a database or a :func:`storage.ledger.snapshot`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def figures(
        self, form: Form, grids: Sequence[ChartGrid], days: Sequence[date]
    ) -> list[DayFigures]:
        """One :class:`DayFigures` per day of ``days`` (reporting days, oldest first)."""
        if not days:
            return []
        async with self._db.read() as conn:
            status = await _status(conn, grids, days)
            counts = await _counts(conn, form, grids, days)
            urgent = await _urgent(conn, grids, days)
            active = [grid.grid_id for grid in grids if grid.active]
            balances = {
                stock.key: await _balances(conn, stock, active, days) for stock in form.stocks()
            }
        figures = []
        for day in days:
            buckets = status.get(day, {})
            day_counts = counts.get(day, {})
            figures.append(
                DayFigures(
                    day=day,
                    status=sum(buckets.values(), StatusCounts()),
                    by_sub_area={key: value for key, value in buckets.items() if key is not None},
                    counts={field.key: day_counts.get(field.key) for field in form.counts()},
                    stocks={key: series.get(day) for key, series in balances.items()},
                    inflows={s.key: _flow(day_counts, s.inflows) for s in form.stocks()},
                    outflows={s.key: _flow(day_counts, s.outflows) for s in form.stocks()},
                    urgent=urgent.get(day, 0),
                )
            )
        return figures


async def _status(
    conn: aiosqlite.Connection, grids: Sequence[ChartGrid], days: Sequence[date]
) -> dict[date, dict[int | None, StatusCounts]]:
    scope = [[g.grid_id, g.sub_area, to_db_day(g.since), int(g.active)] for g in grids]
    rows = await fetch_all(
        conn, _STATUS, {"scope": to_json(scope), "days": to_json([to_db_day(d) for d in days])}
    )
    found: dict[date, dict[int | None, StatusCounts]] = defaultdict(dict)
    for row in rows:
        found[from_db_day(row["day"])][row["bucket"]] = StatusCounts(
            on_time=int(row["on_time"]),
            zero=int(row["zero"]),
            late=int(row["late"]),
            excused=int(row["excused"]),
            missing=int(row["missing"]),
        )
    return found


async def _counts(
    conn: aiosqlite.Connection, form: Form, grids: Sequence[ChartGrid], days: Sequence[date]
) -> dict[date, dict[str, int | None]]:
    """Each count field summed over the day's reports; None when no report answered it."""
    keys = [field.key for field in form.counts()]
    sums = "".join(f", sum(json_extract(v.answers, :k{n})) AS k{n}" for n in range(len(keys)))
    params: dict[str, object] = {f"k{n}": f"$.{key}" for n, key in enumerate(keys)}
    params |= {
        "days": to_json([to_db_day(day) for day in days]),
        "grids": to_json([grid.grid_id for grid in grids]),
    }
    rows = await fetch_all(
        conn,
        f"SELECT r.day{sums} FROM reports r"
        f" JOIN report_versions v ON v.report_id = r.id AND {_CURRENT}"
        " WHERE r.day IN (SELECT value FROM json_each(:days))"
        " AND r.grid_id IN (SELECT value FROM json_each(:grids)) GROUP BY r.day",
        params,
    )
    return {
        from_db_day(row["day"]): {
            key: None if row[f"k{n}"] is None else int(row[f"k{n}"]) for n, key in enumerate(keys)
        }
        for row in rows
    }


async def _urgent(
    conn: aiosqlite.Connection, grids: Sequence[ChartGrid], days: Sequence[date]
) -> dict[date, int]:
    rows = await fetch_all(
        conn,
        "SELECT day, count(*) AS n FROM alerts"
        " WHERE day IN (SELECT value FROM json_each(:days))"
        " AND grid_id IN (SELECT value FROM json_each(:grids)) GROUP BY day",
        {
            "days": to_json([to_db_day(day) for day in days]),
            "grids": to_json([grid.grid_id for grid in grids]),
        },
    )
    return {from_db_day(row["day"]): int(row["n"]) for row in rows}


async def _balances(
    conn: aiosqlite.Connection, stock: FieldDef, grid_ids: Sequence[int], days: Sequence[date]
) -> dict[date, int | None]:
    """The stock's balance summed over the grids at the end of each of ``days``; None
    until some grid has reported it."""
    rows = await fetch_all(
        conn,
        _BALANCE,
        {
            "stock": f"$.{stock.key}",
            "inflows": to_json(stock.inflows),
            "outflows": to_json(stock.outflows),
            "last": to_db_day(days[-1]),
            "grids": to_json(list(grid_ids)),
        },
    )
    return running_totals([(from_db_day(row["day"]), int(row["change"])) for row in rows], days)


def running_totals(
    changes: Iterable[tuple[date, int]], days: Sequence[date]
) -> dict[date, int | None]:
    """The sum of ``changes`` up to each of ``days`` (both in day order); None before the
    first change."""
    pending = list(changes)
    totals: dict[date, int | None] = {}
    total: int | None = None
    position = 0
    for day in days:
        while position < len(pending) and pending[position][0] <= day:
            total = (total or 0) + pending[position][1]
            position += 1
        totals[day] = total
    return totals


def _flow(counts: Mapping[str, int | None], keys: Sequence[str]) -> int | None:
    """The sum of these count fields; None when none of them was answered."""
    values = [counts[key] for key in keys if counts.get(key) is not None]
    return sum(value for value in values if value is not None) if values else None
