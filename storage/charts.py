"""The figures an area chart is drawn from, per day, at a cost independent of the history.

The reporting status of every grid-day comes from one grouped query over the chart's days
(reports, excusals, the roster), the urgent incidents from another. The numbers come from the
kept running figures (:mod:`storage.figures`, the digest's own; within the chart's days from
their compact copy, ``ledger_figures``), summed in SQL per day: each
count's value (None where nobody answered it, or it was not asked), and each stock's change
of closing (a grid's closing minus its previous one). A stock's balance on a day is the sum
of the grids' closings as of the day before the chart plus the changes up to that day. Every
query reads the chart's days only, so the cost does not grow with the history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import aiosqlite

from bot.domain.chart import DayFigures, StatusCounts
from bot.domain.form import Form
from bot.domain.running import FieldRun
from bot.domain.status import GridDayKind
from storage.codec import from_db_day, to_db_day, to_json
from storage.db import Database
from storage.grid_days import grid_day_joins, listed
from storage.ledger_export import GRID_DAY_KIND
from storage.rows import fetch_all, fetch_one

_STATUS = f"""
WITH scope AS MATERIALIZED (
    SELECT json_extract(value, '$[0]') AS grid_id, json_extract(value, '$[1]') AS bucket,
           json_extract(value, '$[2]') AS since, json_extract(value, '$[3]') AS active
    FROM json_each(:scope)
), days AS (SELECT value AS day FROM json_each(:days)),
cells AS (
    SELECT d.day, s.bucket,
           CASE WHEN {listed("d.day", "1")} THEN {GRID_DAY_KIND} END AS kind
    FROM scope s CROSS JOIN days d{grid_day_joins("d.day")}
)
SELECT day, bucket, kind, count(*) AS n FROM cells GROUP BY day, bucket, kind
"""
"""Per day (a reporting day), sub-area (bucket) and :class:`GridDayKind` (NULL: not listed),
the grid-days: every grid of the chart crossed with every day, read as the ledger reads
them (:func:`storage.grid_days.grid_day_joins`). The scope's JSON is read once, not once
per day; each grid's days are looked up one after the other (the reports' and excusals'
keys begin with the grid: its days are on the same pages), which takes a third less than
each day's grids one after the other."""


_VALUE_INDEX = FieldRun._fields.index("value")
"""A count's value that day, a stock's closing: the item of a kept run the chart reads."""


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
            urgent = await _urgent(conn, grids, days)
            ids = to_json([grid.grid_id for grid in grids])
            active = to_json([grid.grid_id for grid in grids if grid.active])
            counts_by_day = await _counts(conn, form, ids, days)
            balances = await _balances(conn, form, active, days)
        form_counts = [field.key for field in form.counts()]
        figures = []
        for day in days:
            buckets = status.get(day, {})
            counts = counts_by_day.get(day) or dict.fromkeys(form_counts, None)
            figures.append(
                DayFigures(
                    day=day,
                    status=sum(buckets.values(), StatusCounts()),
                    by_sub_area={key: value for key, value in buckets.items() if key is not None},
                    counts=counts,
                    stocks=balances[day],
                    inflows={s.key: _flow(counts, s.inflows) for s in form.stocks()},
                    outflows={s.key: _flow(counts, s.outflows) for s in form.stocks()},
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
    counted: dict[tuple[str, int | None], dict[str, int]] = defaultdict(dict)
    for row in rows:
        statuses = counted[row["day"], row["bucket"]]
        if row["kind"] is not None:
            status = GridDayKind(row["kind"]).status.value  # a late zero report is late
            statuses[status] = statuses.get(status, 0) + int(row["n"])
    found: dict[date, dict[int | None, StatusCounts]] = defaultdict(dict)
    for (day, bucket), statuses in counted.items():
        found[from_db_day(day)][bucket] = StatusCounts(**statuses)
    return found


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


async def _counts(
    conn: aiosqlite.Connection, form: Form, grid_ids: str, days: Sequence[date]
) -> dict[date, dict[str, int | None]]:
    """Each count summed over the day's reports; None when no report answered it. Read from
    the compact copy of each grid-day's values (``ledger_figures``: an array by field
    position, a day of every grid on a few pages), not from each day's whole runs."""
    keys = [field.key for field in form.counts()]
    values, params = await _values(conn, keys, "k")
    sums = "".join(f", sum({value}) AS k{n}" for n, value in enumerate(values))
    params |= {"grids": grid_ids, "first": to_db_day(days[0]), "last": to_db_day(days[-1])}
    rows = await fetch_all(
        conn,
        f"SELECT f.day{sums} FROM ledger_figures f"
        " WHERE f.day BETWEEN :first AND :last"
        " AND f.grid_id IN (SELECT value FROM json_each(:grids)) GROUP BY f.day",
        params,
    )
    return {
        from_db_day(row["day"]): {
            key: None if row[f"k{n}"] is None else int(row[f"k{n}"]) for n, key in enumerate(keys)
        }
        for row in rows
    }


async def _values(
    conn: aiosqlite.Connection, keys: Sequence[str], prefix: str
) -> tuple[list[str], dict[str, object]]:
    """The SQL expression of each of ``keys``' value in ``f.firsts`` (``ledger_figures``;
    NULL for a key no figure has held yet), with its parameters (named ``prefix`` and the
    key's index)."""
    rows = await fetch_all(conn, "SELECT position, key FROM ledger_keys")
    positions = {row["key"]: int(row["position"]) - 1 for row in rows}
    values: list[str] = []
    params: dict[str, object] = {}
    for n, key in enumerate(keys):
        if key in positions:
            params[f"{prefix}{n}"] = f"$[{positions[key]}]"
            values.append(f"json_extract(f.firsts, :{prefix}{n})")
        else:
            values.append("NULL")
    return values, params


_BEFORE = """
SELECT g.value AS grid_id, (SELECT f.runs FROM report_figures f WHERE f.grid_id = g.value
                            AND f.day < :first ORDER BY f.day DESC LIMIT 1) AS runs
FROM json_each(:grids) g
"""
"""Each grid's kept runs as of the day before ``first`` (NULL: none yet)."""


async def _balances(
    conn: aiosqlite.Connection, form: Form, grid_ids: str, days: Sequence[date]
) -> dict[date, dict[str, int | None]]:
    """Each stock's balance (the grids' latest closings summed) at the end of each of
    ``days``; None until some grid has one. One query for the balances the day before the
    range, one for every change of a closing within it (a grid's closing minus its previous
    one: within the range by window, before it from the runs as of the day before, each
    stock's taken out of a grid's runs once, not once a row of the window)."""
    keys = [stock.key for stock in form.stocks()]
    if not keys:
        return {day: {} for day in days}
    params: dict[str, object] = {f"s{n}": _value_path(key) for n, key in enumerate(keys)}
    params |= {"grids": grid_ids, "first": to_db_day(days[0]), "last": to_db_day(days[-1])}
    opening = ", ".join(f"json_extract(runs, :s{n}) AS b{n}" for n in range(len(keys)))
    before = f"before AS MATERIALIZED (SELECT grid_id, {opening} FROM ({_BEFORE}))"
    totals = ", ".join(f"sum(b{n}) AS s{n}" for n in range(len(keys)))
    start = await fetch_one(conn, f"WITH {before} SELECT {totals} FROM before", params)
    values, positions = await _values(conn, keys, "c")
    params |= positions
    closings = ", ".join(f"{value} AS s{n}" for n, value in enumerate(values))
    changes = ", ".join(
        f"s{n} - coalesce(lag(s{n}) OVER run, before.b{n}, 0) AS s{n}" for n in range(len(keys))
    )
    sums = ", ".join(f"sum(s{n}) AS s{n}" for n in range(len(keys)))
    rows = await fetch_all(
        conn,
        f"WITH {before},"
        f" kept AS MATERIALIZED (SELECT f.grid_id, f.day, {closings}"
        " FROM ledger_figures f WHERE f.day BETWEEN :first AND :last"
        " AND f.grid_id IN (SELECT value FROM json_each(:grids)))"
        f" SELECT day, {sums} FROM (SELECT kept.day, {changes} FROM kept"
        " JOIN before ON before.grid_id = kept.grid_id"
        " WINDOW run AS (PARTITION BY kept.grid_id ORDER BY kept.day)) GROUP BY day",
        params,
    )
    series = {}
    for n, key in enumerate(keys):
        begin = None if start is None or start[f"s{n}"] is None else int(start[f"s{n}"])
        steps = sorted(
            (from_db_day(row["day"]), int(row[f"s{n}"])) for row in rows if row[f"s{n}"] is not None
        )
        series[key] = running_totals(begin, steps, days)
    return {day: {key: values[day] for key, values in series.items()} for day in days}


def running_totals(
    start: int | None, changes: Sequence[tuple[date, int]], days: Sequence[date]
) -> dict[date, int | None]:
    """``start`` plus the ``changes`` up to each of ``days`` (both in day order); None
    while there is neither a start nor a change."""
    totals: dict[date, int | None] = {}
    total, position = start, 0
    for day in days:
        while position < len(changes) and changes[position][0] <= day:
            total = (total or 0) + changes[position][1]
            position += 1
        totals[day] = total
    return totals


def _value_path(key: str) -> str:
    """The JSON path of a field's value in a kept ``runs`` object (a :class:`FieldRun` is
    stored as the array of its items)."""
    return f"$.{key}[{_VALUE_INDEX}]"


def _flow(counts: Mapping[str, int | None], keys: Sequence[str]) -> int | None:
    """The sum of these count fields; None when none of them was answered."""
    values = [counts[key] for key in keys if counts.get(key) is not None]
    return sum(value for value in values if value is not None) if values else None
