"""The figures an area chart is drawn from, per day, by set-based queries.

Each query covers all the chart's days and grids at once (grouped in SQL); nothing walks a
grid's history in Python. A stock's balance is the running sum, over days, of the changes of
its grids' closings. A report changes its grid's closing by its net flow (inflows −
outflows), except a report that carries a typed baseline (a grid's first report, or a stock
added to the form later): that one sets the opening, so it also changes the closing by
``baseline − previous closing``. So a balance needs the day's net flows (one grouped scan)
plus the few rebased reports; only a rebase after a grid's first report needs that grid's
previous closing (a window query over those grids alone). The scan still reads the area's
whole history: kept figures (issue 9) can replace :meth:`ChartFigureReader.figures` without
touching the chart.
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

_CLOSINGS = f"""
WITH flows AS (
    SELECT r.grid_id, r.day, json_extract(v.baseline, :stock) AS base, {{net}} AS net
    FROM reports r JOIN report_versions v ON v.report_id = r.id AND {_CURRENT}
    WHERE r.day <= :last AND r.grid_id IN (SELECT value FROM json_each(:grids))
), segments AS (
    SELECT *, count(base) OVER (PARTITION BY grid_id ORDER BY day) AS segment FROM flows
)
SELECT grid_id, day, coalesce(first_value(base) OVER run, 0) + sum(net) OVER run AS closing
FROM segments
WINDOW run AS (PARTITION BY grid_id, segment ORDER BY day)
ORDER BY grid_id, day
"""
"""Every report's closing of one stock, for a few grids (opening: the baseline typed on the
report, else the previous closing)."""


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
            balances = await _balances(conn, form, active, days)
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
    conn: aiosqlite.Connection, form: Form, grid_ids: Sequence[int], days: Sequence[date]
) -> dict[str, dict[date, int | None]]:
    """Each stock's balance summed over the grids at the end of each of ``days``; None
    until some grid has reported."""
    stocks = form.stocks()
    if not stocks:
        return {}
    scope = {"last": to_db_day(days[-1]), "grids": to_json(list(grid_ids))}
    changes = await _net_flows(conn, stocks, scope)
    for stock in stocks:
        for day, change in await _rebases(conn, stock, scope):
            changes[stock.key][day] = changes[stock.key].get(day, 0) + change
    return {key: running_totals(sorted(by_day.items()), days) for key, by_day in changes.items()}


async def _net_flows(
    conn: aiosqlite.Connection, stocks: Sequence[FieldDef], scope: Mapping[str, str]
) -> dict[str, dict[date, int]]:
    """Per stock and day, the net flow of the day's reports: one scan for every stock."""
    params: dict[str, object] = dict(scope)
    columns = []
    for number, stock in enumerate(stocks):
        columns.append(f"sum({_net(stock, f's{number}', params)}) AS s{number}")
    rows = await fetch_all(
        conn,
        f"SELECT r.day, {', '.join(columns)} FROM reports r"
        f" JOIN report_versions v ON v.report_id = r.id AND {_CURRENT}"
        " WHERE r.day <= :last AND r.grid_id IN (SELECT value FROM json_each(:grids))"
        " GROUP BY r.day",
        params,
    )
    return {
        stock.key: {from_db_day(row["day"]): int(row[f"s{n}"]) for row in rows}
        for n, stock in enumerate(stocks)
    }


def _net(stock: FieldDef, prefix: str, params: dict[str, object]) -> str:
    """SQL for a report's inflows − outflows of ``stock`` (paths bound into ``params``)."""
    terms = []
    for sign, keys in (("+", stock.inflows), ("-", stock.outflows)):
        for number, key in enumerate(keys):
            name = f"{prefix}{'i' if sign == '+' else 'o'}{number}"
            params[name] = f"$.{key}"
            terms.append(f"{sign} coalesce(json_extract(v.answers, :{name}), 0)")
    return f"(0 {' '.join(terms)})"


async def _rebases(
    conn: aiosqlite.Connection, stock: FieldDef, scope: Mapping[str, str]
) -> list[tuple[date, int]]:
    """Per report with a typed baseline for ``stock``: its day and ``baseline − previous
    closing`` (0 before a grid's first report)."""
    params = {**scope, "stock": f"$.{stock.key}"}
    rows = await fetch_all(
        conn,
        "SELECT r.grid_id, r.day, json_extract(v.baseline, :stock) AS base,"
        " r.day = (SELECT min(day) FROM reports f WHERE f.grid_id = r.grid_id) AS first"
        f" FROM reports r JOIN report_versions v ON v.report_id = r.id AND {_CURRENT}"
        " WHERE r.day <= :last AND r.grid_id IN (SELECT value FROM json_each(:grids))"
        " AND v.baseline <> '{}' AND json_extract(v.baseline, :stock) IS NOT NULL",
        params,
    )
    later = sorted({int(row["grid_id"]) for row in rows if not row["first"]})
    previous = await _previous_closings(conn, stock, scope, later) if later else {}
    return [
        (
            from_db_day(row["day"]),
            int(row["base"]) - previous.get((int(row["grid_id"]), row["day"]), 0),
        )
        for row in rows
    ]


async def _previous_closings(
    conn: aiosqlite.Connection, stock: FieldDef, scope: Mapping[str, str], grid_ids: list[int]
) -> dict[tuple[int, str], int]:
    """For these grids, each report's previous closing, keyed by (grid id, report day)."""
    params: dict[str, object] = {**scope, "grids": to_json(grid_ids), "stock": f"$.{stock.key}"}
    rows = await fetch_all(conn, _CLOSINGS.format(net=_net(stock, "n", params)), params)
    previous: dict[tuple[int, str], int] = {}
    last: tuple[int, int] | None = None
    for row in rows:
        grid_id = int(row["grid_id"])
        if last is not None and last[0] == grid_id:
            previous[(grid_id, row["day"])] = last[1]
        last = (grid_id, int(row["closing"]))
    return previous


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
