"""Query helpers, and building the shared domain types from database rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

import aiosqlite

from bot.domain.models import Area, BindVia, Grid, Worker
from bot.i18n import parse_locale

Params: TypeAlias = Sequence[Any] | Mapping[str, Any]
T = TypeVar("T")


async def fetch_all(
    conn: aiosqlite.Connection, sql: str, params: Params = ()
) -> list[aiosqlite.Row]:
    """All rows of a query (in one trip to the database thread)."""
    return list(await conn.execute_fetchall(sql, params))


async def fetch_built(
    conn: aiosqlite.Connection,
    build: Callable[[Sequence[aiosqlite.Row]], T],
    sql: str,
    params: Params = (),
) -> T:
    """``build(rows)`` of a query, run in the database thread in the same trip: building
    objects from ten thousand rows (a roster) takes tens of milliseconds of the interpreter,
    which the event loop's thread then only shares instead of being held for all of it."""
    built: T = await in_thread(conn, _built, build, sql, params)
    return built


def _built(
    conn: sqlite3.Connection,
    build: Callable[[Sequence[aiosqlite.Row]], T],
    sql: str,
    params: Params,
) -> T:
    return build(conn.execute(sql, params).fetchall())


async def fetch_one(
    conn: aiosqlite.Connection, sql: str, params: Params = ()
) -> aiosqlite.Row | None:
    """The first row of a query, or None (in one trip to the database thread)."""
    row: aiosqlite.Row | None = await in_thread(conn, _first_row, sql, params)
    return row


async def in_thread(conn: aiosqlite.Connection, function: Callable[..., T], *args: object) -> T:
    """``function(sqlite3_connection, *args)`` in aiosqlite's thread, in one trip: several
    statements cost one hand-off between the event loop and the thread instead of one (or,
    for a cursor, three) each. aiosqlite has no public way to do this."""
    result: T = await conn._execute(function, conn._conn, *args)  # type: ignore[no-untyped-call]
    return result


async def run_here(conn: aiosqlite.Connection, sql: str) -> None:
    """Run a statement that neither waits for a lock nor does I/O (a savepoint's) in the
    event loop's thread, while the task holds the connection: no trip to aiosqlite's thread."""
    conn._conn.execute(sql)


def _first_row(conn: sqlite3.Connection, sql: str, params: Params) -> aiosqlite.Row | None:
    row: aiosqlite.Row | None = conn.execute(sql, params).fetchone()
    return row


async def insert_id(conn: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Run an INSERT (without RETURNING) and return the new row's id."""
    row = await fetch_one(conn, f"{sql} RETURNING id", params)
    if row is None:
        raise RuntimeError(f"INSERT returned no row: {sql}")
    return int(row["id"])


GRID_COLUMNS = (
    "g.id, g.code, g.name, g.area_id, a.path AS area_path, g.households, g.population, g.active"
)
"""Select list for :func:`grid_from_row`; needs ``grids g JOIN areas a ON a.id = g.area_id``."""

WORKER_COLUMNS = (
    "w.id, w.grid_id, w.name, w.username, w.telegram_id, w.active, w.bound_via, w.language"
)
"""Select list for :func:`worker_from_row` over ``workers w``."""


def area_from_row(row: aiosqlite.Row) -> Area:
    """An :class:`Area` from a row of ``areas``."""
    return Area(id=row["id"], path=row["path"], name=row["name"], parent_id=row["parent_id"])


def grid_from_row(row: aiosqlite.Row) -> Grid:
    """A :class:`Grid` from a row selected with :data:`GRID_COLUMNS`, read by position (a
    column looked up by name is a search through the row's names: a roster is read whole
    for every digest evening and export)."""
    grid_id, code, name, area_id, area_path, households, population, active = row[:8]
    return Grid(grid_id, code, name, area_id, area_path, households, population, bool(active))


def worker_from_row(row: aiosqlite.Row) -> Worker:
    """A :class:`Worker` from a row selected with :data:`WORKER_COLUMNS`."""
    bound_via = row["bound_via"]
    return Worker(
        id=row["id"],
        grid_id=row["grid_id"],
        name=row["name"],
        username=row["username"],
        telegram_id=row["telegram_id"],
        active=bool(row["active"]),
        bound_via=None if bound_via is None else BindVia(bound_via),
        language=parse_locale(row["language"]) if row["language"] else None,
    )
