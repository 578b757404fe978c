"""Running figures (see :mod:`bot.domain.running`): kept per grid and report day, read for any
set of grids in one query.

They depend on the form of each report day (which counts feed which stock), so the
repository works with the forms it was attached to (:meth:`FigureRepo.attach`, done when the
services open and again whenever a form version is registered). Their fingerprint is stored
with the figures; other forms rebuild them from the reports. A report
filed or corrected without a form attached (a bare database in a script) leaves the figures
marked stale, so the next attach rebuilds them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.domain.dates import DayRange
from bot.domain.digest.model import SoFar
from bot.domain.form import Form
from bot.domain.form_versions import FormHistory, FormSource
from bot.domain.running import FieldRun, Runs, advance
from storage.codec import from_db_day, from_json, to_db_day, to_json
from storage.rows import fetch_all, fetch_one

if TYPE_CHECKING:
    from storage.db import Database

FORM_KEY = "figures_form"
"""Meta key: the fingerprint of the form the kept figures were computed with."""
_BATCH = 1000
_OFF_LOOP = 200
"""Above this many grids, their figures are decoded in a worker thread."""
_CURRENT = (
    "SELECT r.grid_id, r.day, v.answers, v.baseline FROM reports r"
    " JOIN report_versions v ON v.report_id = r.id"
    " AND v.version = (SELECT max(version) FROM report_versions WHERE report_id = r.id)"
)


def fingerprint(forms: FormSource) -> str:
    """What of the forms the figures depend on: each version's counts and its stocks' flows,
    and the day it starts."""
    if isinstance(forms, FormHistory):
        shape: object = [
            [None if v.since is None else v.since.isoformat(), _shape(v.form)]
            for v in forms.versions
        ]
    else:
        shape = _shape(forms.form_for(date.min))
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


def _shape(form: Form) -> dict[str, object]:
    return {
        "counts": [field.key for field in form.counts()],
        "stocks": {s.key: [list(s.inflows), list(s.outflows)] for s in form.stocks()},
    }


class FigureRepo:
    """Keep the running figures and read them."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._form: FormSource | None = None

    @property
    def attached(self) -> bool:
        """Whether forms are attached (the figures are kept up to date)."""
        return self._form is not None

    async def attach(self, form: FormSource) -> bool:
        """Work with ``form`` (the forms of each day) from now on; rebuild the figures if they
        were computed with other forms or are stale. Returns whether it rebuilt them."""
        self._form = form
        if await self._db.meta.get(FORM_KEY) == fingerprint(form):
            return False
        await self.rebuild()
        return True

    async def rebuild(self) -> int:
        """Recompute every grid's figures from the reports; returns the report days written.
        Streams the reports in batches of a thousand report days, each grid's in day order
        (the event loop is held for one batch at a time: tens of milliseconds)."""
        form = self._require_form()
        written = 0
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM latest_figures")
            await conn.execute("DELETE FROM report_figures")
            grid_id, runs = None, None
            async with conn.execute(f"{_CURRENT} ORDER BY r.grid_id, r.day") as cursor:
                cursor.arraysize = _BATCH
                while rows := await cursor.fetchmany():
                    batch: list[tuple[int, str, str]] = []
                    for row in rows:
                        if row[0] != grid_id:
                            grid_id, runs = row[0], None
                        runs = _advance(form, runs, row)
                        batch.append((row[0], row[1], _encode(runs)))
                    written += await _write(conn, batch)
            await self._db.meta.set(FORM_KEY, fingerprint(form))
        return written

    async def refresh(self, conn: aiosqlite.Connection, grid_id: int, day: date) -> None:
        """Recompute the grid's figures of ``day`` and every later report day (a report of
        ``day`` was just filed or corrected). Call inside the write's transaction."""
        if self._form is None:
            await conn.execute("DELETE FROM meta WHERE key = ?", (FORM_KEY,))
            return
        before = await fetch_one(
            conn,
            "SELECT runs FROM report_figures WHERE grid_id = ? AND day < ?"
            " ORDER BY day DESC LIMIT 1",
            (grid_id, to_db_day(day)),
        )
        runs = None if before is None else _decode(before["runs"])
        batch = []
        for row in await fetch_all(
            conn,
            f"{_CURRENT} WHERE r.grid_id = ? AND r.day >= ? ORDER BY r.day",
            (grid_id, to_db_day(day)),
        ):
            runs = _advance(self._form, runs, row)
            batch.append((grid_id, row["day"], _encode(runs)))
        await _write(conn, batch)

    async def as_of(self, grid_ids: Iterable[int], day: date) -> dict[int, Runs]:
        """Each grid's figures as of ``day``: those of its latest report day on or before it
        (grids with no report by then are left out). One query, whatever the number of grids
        (an index seek each)."""
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn,
                "SELECT grid_id, runs FROM (SELECT g.value AS grid_id,"
                " (SELECT f.runs FROM report_figures f WHERE f.grid_id = g.value"
                "  AND f.day <= :day ORDER BY f.day DESC LIMIT 1) AS runs FROM json_each(:ids) g)"
                " WHERE runs IS NOT NULL",
                {"ids": to_json(list(grid_ids)), "day": to_db_day(day)},
            )
        if len(rows) > _OFF_LOOP:
            return await asyncio.to_thread(_decode_rows, rows)
        return _decode_rows(rows)

    async def so_far(
        self, grid_ids: Iterable[int], day: date, fields: Sequence[str], stocks: Sequence[str]
    ) -> tuple[dict[int, SoFar], dict[int, tuple[int, ...]]]:
        """What a digest reads of the figures: of ``fields``, each grid's totals and how often
        each was not zero as of ``day``, in their order (grids without a run of any of them by
        then are left out) and,
        of ``stocks``, its totals as of the day before, in their order (0 for a stock the grid
        has no run of; grids without a report day before ``day`` are left out). One query,
        SQLite taking just these numbers out of the stored text of each grid's latest report
        day up to ``day`` and of the one before it: the two kept in ``latest_figures`` (one
        short row a grid), but for a grid with report days after ``day`` (a digest of an
        earlier day: an index seek into ``report_figures``)."""
        paths = [f'$."{key}"[{item}]' for key in fields for item in (1, 3)]
        paths += [f'$."{key}"[1]' for key in stocks]
        params: dict[str, object] = {f"p{n}": path for n, path in enumerate(paths)}
        places = [f":p{n}" for n in range(len(paths))]
        query = _so_far_query(places[: 2 * len(fields)], places[2 * len(fields) :])
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn, query, {**params, "ids": to_json(list(grid_ids)), "day": to_db_day(day)}
            )
        decode = partial(_decode_so_far, rows)
        if len(rows) > _OFF_LOOP:
            return await asyncio.to_thread(decode)
        return decode()

    async def daily(self, grid_ids: Iterable[int], days: DayRange) -> dict[date, dict[int, Runs]]:
        """The figures of every report day in ``days`` of these grids, by day and grid: each
        count's value that day and sum so far, each stock's closing (for charts)."""
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn,
                "SELECT f.grid_id, f.day, f.runs FROM report_figures f"
                " WHERE f.grid_id IN (SELECT value FROM json_each(:ids))"
                " AND f.day BETWEEN :first AND :last ORDER BY f.day, f.grid_id",
                {
                    "ids": to_json(list(grid_ids)),
                    "first": to_db_day(days.first),
                    "last": to_db_day(days.last),
                },
            )
        found: dict[date, dict[int, Runs]] = {}
        for row in rows:
            found.setdefault(from_db_day(row["day"]), {})[int(row["grid_id"])] = _decode(
                row["runs"]
            )
        return found

    def _require_form(self) -> FormSource:
        if self._form is None:
            raise RuntimeError("attach a form to the figures first (FigureRepo.attach)")
        return self._form


def _so_far_query(now: Sequence[str], then: Sequence[str]) -> str:
    """:meth:`FigureRepo.so_far`'s query, of the JSON paths (query parameters) of ``now``, the
    numbers wanted as of the day, and ``then``, those as of the day before. Each grid's are
    taken from the figures kept in ``latest_figures`` when one of its two days is the latest
    by then, else from ``report_figures``. The numbers as of the day come as one JSON array;
    those as of the day before (a stock or two) as plain numbers, a column each, so that no
    JSON text is made and parsed again for them."""

    def numbers(runs: str) -> str:
        return f"json_extract({runs}, {', '.join(now)})" if now else "'[]'"

    earlier = (
        "CASE WHEN l.grid_id IS NULL THEN NULL WHEN l.day < :day THEN l.runs"
        " WHEN l.before_day < :day THEN l.before_runs WHEN l.day = :day THEN NULL"
        " ELSE (SELECT f.runs FROM report_figures f WHERE f.grid_id = g.value"
        "  AND f.day < :day ORDER BY f.day DESC LIMIT 1) END"
    )
    return (
        f"SELECT g.value, CASE WHEN l.grid_id IS NULL THEN NULL"
        f" WHEN l.day <= :day THEN {numbers('l.runs')}"
        f" WHEN l.before_day <= :day THEN {numbers('l.before_runs')}"
        f" ELSE (SELECT {numbers('f.runs')} FROM report_figures f WHERE f.grid_id = g.value"
        "  AND f.day <= :day ORDER BY f.day DESC LIMIT 1) END"
        + "".join(f", ({earlier}) ->> {path}" for path in then)
        + " FROM json_each(:ids) g LEFT JOIN latest_figures l ON l.grid_id = g.value"
    )


def _advance(form: FormSource, before: Mapping[str, FieldRun] | None, row: aiosqlite.Row) -> Runs:
    """The runs of a row of ``_CURRENT`` (grid, day, answers, baseline)."""
    baseline = row[3]
    return advance(
        form,
        before,
        from_db_day(row[1]),
        from_json(row[2]),
        _NO_BASELINE if baseline == "{}" else from_json(baseline),
    )


_NO_BASELINE: Mapping[str, int] = {}
_encode = json.JSONEncoder(separators=(",", ":")).encode
"""The JSON text of runs (an object of arrays)."""


def _decode(raw: str) -> Runs:
    return _runs(from_json(raw))


def _decode_rows(rows: list[aiosqlite.Row]) -> dict[int, Runs]:
    """The figures of many grids, by grid id: in a worker thread, one grid at a time (ten
    thousand grids take a good part of a second to decode; one JSON text of all of them
    would hold the interpreter, and so the event loop, for all of it)."""
    return {int(row[0]): _decode(row[1]) for row in rows}


def _decode_so_far(
    rows: list[aiosqlite.Row],
) -> tuple[dict[int, SoFar], dict[int, tuple[int, ...]]]:
    """:meth:`FigureRepo.so_far`'s figures from its rows (grid, each field's total and
    non-zero days as of the day, then each stock's total as of the day before; SQLite's null
    where the grid has no run of the field, or no report day before)."""
    now: dict[int, SoFar] = {}
    then: dict[int, tuple[int, ...]] = {}
    for row in rows:
        grid_id, raw = row[0], row[1]
        if raw is not None and (found := _figures_so_far(from_json(raw))) is not None:
            now[grid_id] = found
        earlier = row[2:]
        if None not in earlier:
            then[grid_id] = earlier
        elif not _NOTHING.issuperset(earlier):  # a stock without a run
            then[grid_id] = tuple(0 if value is None else value for value in earlier)
    return now, then


def _figures_so_far(numbers: list[int | None]) -> SoFar | None:
    """Each field's total and non-zero days from their flat list (pairs, in field order; 0
    for a field without a run, None without a run of any)."""
    if None in numbers:
        if _NOTHING.issuperset(numbers[::2]):
            return None
        numbers = [0 if number is None else number for number in numbers]
    return SoFar(tuple(numbers[::2]), tuple(numbers[1::2]))  # type: ignore[arg-type]


_NOTHING = frozenset({None})


def _runs(data: dict[str, list[Any]]) -> Runs:
    return dict(zip(data.keys(), map(_field_run, data.values()), strict=True))


_field_run = partial(tuple.__new__, FieldRun)
"""A :class:`FieldRun` from its stored JSON array (without a Python call per item)."""


async def _write(conn: aiosqlite.Connection, batch: list[tuple[int, str, str]]) -> int:
    count = len(batch)
    if batch:
        await conn.executemany(
            "INSERT INTO report_figures (grid_id, day, runs) VALUES (?, ?, ?)"
            " ON CONFLICT (grid_id, day) DO UPDATE SET runs = excluded.runs",
            batch,
        )
        batch.clear()
    return count
