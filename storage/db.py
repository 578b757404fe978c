"""The database: one aiosqlite connection, numbered migrations, transactions, repositories.

Every query goes through :meth:`Database.transaction` (writes) or :meth:`Database.read`
(reads). Both hold one asyncio lock, so concurrent handlers never interleave their
statements on the shared connection; a task that already holds it may nest freely (the
outermost ``transaction`` owns BEGIN IMMEDIATE … COMMIT, inner ones are savepoints). A
write is committed when the awaited repository call returns. Keep transactions short:
never await Telegram (or anything slow) inside one, since every other task waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from importlib import resources
from pathlib import Path

import aiosqlite

from bot.i18n import Locale, t
from storage import handled
from storage.admins import AdminRepo
from storage.alerts import AlertRepo
from storage.audit import AuditRepo
from storage.figures import FigureRepo
from storage.forms import FormRepo
from storage.groups import GroupRepo
from storage.handled import HandledRepo
from storage.health import WRITE_REFUSALS, WriteRefused, classify, probe
from storage.meta import MetaRepo
from storage.reach import ReachRepo
from storage.reports import ReportRepo
from storage.roster import RosterRepo
from storage.rows import Params, in_thread, run_here
from storage.schedule import ScheduleRepo

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class SchemaTooNewError(Exception):
    """The database file was written by a newer gridbot than this one."""

    def __init__(self, path: Path, db_version: int, code_version: int) -> None:
        super().__init__(path, db_version, code_version)
        self.path = path
        self.db_version = db_version
        self.code_version = code_version

    def render(self, locale: Locale) -> str:
        """One line for the admin: what happened and what to do."""
        return t(
            locale,
            "storage.schema_too_new",
            path=self.path,
            db_version=self.db_version,
            code_version=self.code_version,
        )

    def __str__(self) -> str:
        return self.render("en")


def migrations() -> list[tuple[int, str]]:
    """The numbered migration scripts shipped with the code, as (version, sql), in order."""
    folder = resources.files("storage") / "migrations"
    found: list[tuple[int, str]] = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text("utf-8")))
    found.sort()
    if [version for version, _ in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002, … without gaps: {found}")
    return found


def schema_version() -> int:
    """The schema version this code writes."""
    return len(migrations())


class Database:
    """The gridbot database: ``async with await Database.open(path) as db: ...``.

    Always close it (``await db.close()`` or the ``async with``): aiosqlite's worker
    thread keeps the process alive until the connection is closed.
    """

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.path = path
        self._conn = conn
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None
        self._depth = 0
        self._refusing = False
        self._spells = 0
        self.meta = MetaRepo(self)
        self.audit = AuditRepo(self)
        self.roster = RosterRepo(self)
        self.groups = GroupRepo(self)
        self.reports = ReportRepo(self)
        self.figures = FigureRepo(self)
        self.schedule = ScheduleRepo(self)
        self.alerts = AlertRepo(self)
        self.admins = AdminRepo(self)
        self.forms = FormRepo(self)
        self.handled = HandledRepo(self)
        self.reach = ReachRepo(self)

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) the database at ``path`` and bring its schema up to date.

        Raises :class:`SchemaTooNewError` if the file was written by a newer gridbot, and
        :class:`~storage.health.DatabaseProblem` if the file cannot be used.
        """
        await asyncio.to_thread(probe, path)
        # Used from the event loop's thread too, for savepoints (see ``transaction``); the
        # lock below keeps every use of the connection one at a time.
        conn = await aiosqlite.connect(path, isolation_level=None, check_same_thread=False)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await _migrate(conn, path)
        except sqlite3.DatabaseError as failure:
            await conn.close()
            raise classify(failure, path) from None
        except BaseException:
            await conn.close()
            raise
        db = cls(conn, path)
        await db.admins.load()
        await db.forms.load()
        await db.handled.load()
        await db.reach.load()
        return db

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the connection (waits for a running transaction to finish)."""
        async with self._lock:
            await self._conn.close()

    def held_here(self) -> bool:
        """Whether the running task holds the connection (is inside ``read`` or
        ``transaction``)."""
        return self._owner is not None and self._owner is asyncio.current_task()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the connection for a few reads that must not interleave with other tasks."""
        task = asyncio.current_task()
        if self._owner is not None and self._owner is task:
            yield self._conn
            return
        async with self._lock:
            self._owner = task
            try:
                yield self._conn
            finally:
                self._owner = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK if the block raises.

        Nested use inside the same task becomes a SAVEPOINT of the outer transaction, so
        several repository calls can be made atomic together.
        """
        async with self.read() as conn:
            depth = self._depth
            begin, commit, rollback = _bounds(depth)
            run = _statement(conn, depth)
            try:
                await run(begin)
            except sqlite3.OperationalError as failure:
                self._raise_if_refused(failure)
                raise
            self._depth = depth + 1
            handling = handled.current() if depth == 0 else None
            try:
                yield conn
                if handling is not None and not handling.recorded:
                    statements = handled.record_statements(handling)
                    await in_thread(conn, _run_all, [*statements, (commit, ())])
                else:
                    await run(commit)
            except BaseException as failure:
                if conn.in_transaction:  # SQLite may already have rolled back by itself
                    await run(rollback)
                    if depth:
                        await run(commit)
                if isinstance(failure, sqlite3.OperationalError):
                    self._raise_if_refused(failure)
                raise
            else:
                if depth == 0:
                    self._refusing = False  # the disk takes writes (again)
                if handling is not None:
                    handling.recorded = True
            finally:
                self._depth = depth

    async def write_all(self, statements: Sequence[tuple[str, Params]]) -> None:
        """Run these writes as one transaction in one trip to the database thread.

        The same as executing each inside :meth:`transaction`, without a round trip through
        the event loop per statement (BEGIN, each write, COMMIT): for the small writes made
        after every update. Inside a running transaction they join it (as a savepoint). Like
        :meth:`transaction`, the outermost one records the update being handled, if any
        (:mod:`storage.handled`).
        """
        async with self.read() as conn:
            depth = self._depth
            handling = handled.current() if depth == 0 else None
            if handling is not None and not handling.recorded:
                statements = [*statements, *handled.record_statements(handling)]
            if not statements:
                return
            try:
                await in_thread(conn, _write_all, statements, depth)
            except sqlite3.OperationalError as failure:
                self._raise_if_refused(failure)
                raise
            if depth == 0:
                self._refusing = False
            if handling is not None:
                handling.recorded = True

    def _raise_if_refused(self, failure: sqlite3.OperationalError) -> None:
        """A full disk or a read-only database becomes :class:`WriteRefused`."""
        problem = classify(failure, self.path)
        if problem.reason not in WRITE_REFUSALS:
            return
        if not self._refusing:
            self._refusing = True
            self._spells += 1
        raise WriteRefused(problem, self._spells) from failure


def _bounds(depth: int) -> tuple[str, str, str]:
    """How a transaction at nesting ``depth`` begins, commits and rolls back: the outermost
    is BEGIN IMMEDIATE … COMMIT, inner ones are savepoints."""
    if depth == 0:
        return "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"
    return f"SAVEPOINT s{depth}", f"RELEASE s{depth}", f"ROLLBACK TO s{depth}"


def _statement(conn: aiosqlite.Connection, depth: int) -> Callable[[str], Awaitable[object]]:
    """How :meth:`Database.transaction` runs its bounds at nesting ``depth``: BEGIN IMMEDIATE
    (which may wait for another process's write lock) and COMMIT (which may checkpoint the
    WAL into the file) in the database thread; a savepoint's, which neither waits nor writes,
    right here (a trip to the thread costs ten times the statement)."""
    if depth == 0:
        return conn.execute
    return partial(run_here, conn)


def _run_all(conn: sqlite3.Connection, statements: Sequence[tuple[str, Params]]) -> None:
    for sql, params in statements:
        conn.execute(sql, params)


def _write_all(
    conn: sqlite3.Connection, statements: Sequence[tuple[str, Params]], depth: int
) -> None:
    """:meth:`Database.write_all` in the database thread."""
    begin, commit, rollback = _bounds(depth)
    conn.execute(begin)
    try:
        _run_all(conn, [*statements, (commit, ())])
    except BaseException:
        if conn.in_transaction:
            conn.execute(rollback)
            if depth:
                conn.execute(commit)
        raise


async def _migrate(conn: aiosqlite.Connection, path: Path) -> None:
    """Apply the migrations the file has not seen yet, each in its own transaction.

    Foreign keys are off while migrating (SQLite's procedure for rebuilding a table that
    others reference) and every migration must leave ``PRAGMA foreign_key_check`` clean.
    """
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row else 0
    scripts = migrations()
    if current > len(scripts):
        raise SchemaTooNewError(path, current, len(scripts))
    if current == len(scripts):
        return
    if current:
        log.info(
            "updating the database %s from schema version %d to %d (a large database can "
            "take minutes)",
            path,
            current,
            len(scripts),
        )
    started = time.monotonic()
    await conn.execute("PRAGMA foreign_keys = OFF")
    try:
        for version, sql in scripts[current:]:
            await _apply(conn, version, sql)
    finally:
        await conn.execute("PRAGMA foreign_keys = ON")
    if current:
        log.info(
            "the database is at schema version %d (%.0f s)",
            len(scripts),
            time.monotonic() - started,
        )


async def _apply(conn: aiosqlite.Connection, version: int, sql: str) -> None:
    try:
        await conn.executescript(f"BEGIN IMMEDIATE;\n{sql}")
        async with conn.execute("PRAGMA foreign_key_check") as cursor:
            broken = [tuple(row) for row in await cursor.fetchall()]
        if broken:
            raise RuntimeError(f"migration {version:04d} breaks foreign keys: {broken[:5]}")
        await conn.execute(f"PRAGMA user_version = {version}")
        await conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            await conn.execute("ROLLBACK")
        raise
