"""Reading the ledger (台账): the scope of a command (an area, its grids and the day each
joined the roster) and a consistent snapshot of the database. The export, ``/stats``, who is
missing and the chart read the grid-days in their own ways: see
:mod:`storage.ledger_export`, :mod:`storage.grid_days` and :mod:`storage.charts`.

:func:`snapshot` opens a second, read-only connection inside one read transaction. SQLite's
WAL mode lets it read while the bot keeps writing on its own connection: a long read neither
waits for the bot nor holds it up, and every query of it sees the database as it was when it
started.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import date, tzinfo
from pathlib import Path
from urllib.parse import quote

import aiosqlite

from bot.domain.form_versions import FormHistory
from bot.domain.ledger import RosterGrid, Scope, areas_within, contains
from bot.domain.models import Area
from storage.codec import from_db_day, from_db_time, to_json
from storage.db import BUSY_TIMEOUT_MS, Database
from storage.rows import GRID_COLUMNS, fetch_built, fetch_one, grid_from_row


def read_only_uri(path: str) -> str:
    """The URI that opens the database file at ``path`` read-only."""
    return f"file:{quote(path)}?mode=ro"


@asynccontextmanager
async def snapshot(db: Database) -> AsyncIterator[Database]:
    """A read-only view of ``db`` on its own connection, inside one read transaction.

    The view has the usual repositories (``view.reports``, ``view.roster``…); only reads
    work on it.
    """
    async with snapshot_at(db.path.resolve()) as view:
        yield view


@asynccontextmanager
async def snapshot_at(path: Path, forms: FormHistory | None = None) -> AsyncIterator[Database]:
    """:func:`snapshot` of the database file at ``path`` (absolute), for another process: it
    runs no migrations and loads nothing; ``forms``, the form versions the bot holds, become
    the view's (``view.forms.history``)."""
    uri = read_only_uri(str(path))
    conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("BEGIN")
        view = Database(conn, path)
        if forms is not None:
            view.forms.keep(forms)
        yield view
    finally:
        await conn.close()


_GRIDS_WITH_AREAS = (
    f"SELECT {GRID_COLUMNS}, g.created_at FROM grids g JOIN areas a ON a.id = g.area_id"
)
SCOPE_GRIDS = f"{_GRIDS_WITH_AREAS} ORDER BY a.path, g.code"
"""Every grid, as :func:`scope_of` reads them."""
SCOPE_GRIDS_UNDER = (
    f"{_GRIDS_WITH_AREAS} WHERE a.path = :path OR substr(a.path, 1, length(:below)) = :below"
    " ORDER BY a.path, g.code"
)
"""The grids of an area and the areas below it (:meth:`bot.domain.models.Area.covers`), as
:func:`scope_of` reads them: an area's scope reads its own grids, not the whole roster's."""


def scope_of(
    areas: Sequence[Area],
    grid_rows: Iterable[sqlite3.Row],
    area: Area | None,
    tz: tzinfo,
    report_days: frozenset[int],
) -> Scope:
    """The scope of ``area`` (None: the whole tree) among ``areas`` (by path) and the grids
    selected by :data:`SCOPE_GRIDS`."""
    if area is not None:
        areas = areas_within(areas, area)
    grids = []
    days: dict[str, date] = {}  # a roster's grids mostly share a few import times
    for row in grid_rows:
        grid = grid_from_row(row)
        if area is None or contains(area, grid):
            created = row["created_at"]
            since = days.get(created)
            if since is None:
                since = days[created] = from_db_time(created).astimezone(tz).date()
            grids.append(RosterGrid(grid, since))
    return Scope(area, tuple(areas), tuple(grids), report_days)


class LedgerReader:
    """The scope of a command and its first report day, from a database (or a snapshot)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def scope(self, area: Area | None, tz: tzinfo, report_days: frozenset[int]) -> Scope:
        """``area`` and everything below it (None: the whole tree), with every grid in it,
        active or not, and the day each joined the roster in zone ``tz``."""
        areas = await self._db.roster.areas()

        def build(rows: Sequence[sqlite3.Row]) -> Scope:
            return scope_of(areas, rows, area, tz, report_days)

        async with self._db.read() as conn:
            if area is None:
                return await fetch_built(conn, build, SCOPE_GRIDS)
            under = {"path": area.path, "below": f"{area.path}/"}
            return await fetch_built(conn, build, SCOPE_GRIDS_UNDER, under)

    async def first_report_day(self, scope: Scope) -> date | None:
        """The earliest day any grid of ``scope`` reported, or None."""
        async with self._db.read() as conn:
            row = await fetch_one(
                conn,
                "SELECT min(day) AS first FROM reports"
                " WHERE grid_id IN (SELECT value FROM json_each(?))",
                (to_json(scope.grid_ids),),
            )
        return None if row is None or row["first"] is None else from_db_day(row["first"])
