"""The roster: areas, grids, workers, and how Telegram accounts get bound to workers."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import aiosqlite

from bot.domain.models import Area, BindVia, Grid, RosterChanges, RosterRow, Worker
from bot.domain.roster import MAX_NAME, normalize_area_path
from bot.i18n import Locale
from storage.audit import AuditAction, write_entry
from storage.codec import to_db_time, to_json
from storage.roster_import import apply_roster
from storage.rows import (
    GRID_COLUMNS,
    WORKER_COLUMNS,
    area_from_row,
    fetch_all,
    fetch_built,
    fetch_one,
    grid_from_row,
    in_thread,
    insert_id,
    worker_from_row,
)

if TYPE_CHECKING:
    from storage.db import Database

INVITE_TOKEN_BYTES = 16
"""``secrets.token_urlsafe(16)`` is 22 characters of ``[A-Za-z0-9_-]``: it fits a Telegram
deep-link payload (at most 64 such characters) with room for a prefix."""

_GRIDS = f"SELECT {GRID_COLUMNS} FROM grids g JOIN areas a ON a.id = g.area_id"
_WORKERS = f"SELECT {WORKER_COLUMNS} FROM workers w"


class InviteStatus(StrEnum):
    """What following an invite link did."""

    BOUND = "bound"
    ALREADY_BOUND = "already_bound"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class InviteOutcome:
    """The result of :meth:`RosterRepo.bind_via_invite`; worker and grid unless invalid."""

    status: InviteStatus
    worker: Worker | None = None
    grid: Grid | None = None


class RosterRepo:
    """Areas, grids and workers."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- import ----------------------------------------------------------------------------

    async def apply(
        self, rows: Sequence[RosterRow], *, actor: int | None, at: datetime
    ) -> RosterChanges:
        """Make the database match a validated roster, in one transaction.

        Call it only with rows from a parse without errors. Re-applying the same rows
        changes nothing and returns ``RosterChanges()``. See ``storage.roster_import``.
        """
        async with self._db.transaction() as conn:
            changes = await apply_roster(conn, rows, to_db_time(at))
            if not changes.unchanged:
                details = {**asdict(changes), "rows": len(rows)}
                await write_entry(conn, actor, AuditAction.ROSTER_IMPORT, details, at)
            return changes

    # --- lookups ---------------------------------------------------------------------------

    async def grids(
        self, *, area_path: str | None = None, include_inactive: bool = False
    ) -> list[Grid]:
        """Grids by area path and code; ``area_path`` also selects its sub-areas."""
        path = None if area_path is None else normalize_area_path(area_path)
        async with self._db.read() as conn:
            return await fetch_built(
                conn,
                _grids_of,
                f"{_GRIDS} WHERE (:all OR g.active = 1) AND (:path IS NULL OR a.path = :path"
                " OR substr(a.path, 1, length(:path) + 1) = :path || '/')"
                " ORDER BY a.path, g.code",
                {"all": include_inactive, "path": path},
            )

    async def grid_count(self, area_path: str | None, *, active_only: bool = False) -> int:
        """How many grids (``active_only``: active ones; else active or not) the area
        ``area_path`` and its sub-areas hold (None: the whole tree), counted by SQLite."""
        under = {"path": area_path, "below": f"{area_path}/", "all": not active_only}
        async with self._db.read() as conn:
            row = await fetch_one(
                conn,
                "SELECT count(*) AS n FROM grids g JOIN areas a ON a.id = g.area_id"
                " WHERE (:path IS NULL OR a.path = :path"
                " OR substr(a.path, 1, length(:below)) = :below) AND (:all OR g.active = 1)",
                under,
            )
        return 0 if row is None else int(row["n"])

    async def grid(self, grid_id: int) -> Grid | None:
        """A grid by id (active or not)."""
        async with self._db.read() as conn:
            return await _grid(conn, grid_id)

    async def grid_by_code(self, code: str) -> Grid | None:
        """A grid by code, ignoring case (active or not)."""
        async with self._db.read() as conn:
            row = await fetch_one(conn, f"{_GRIDS} WHERE g.code = ?", (code.strip(),))
        return None if row is None else grid_from_row(row)

    async def areas(self) -> list[Area]:
        """Every area, parents before children (by path)."""
        async with self._db.read() as conn:
            rows = await fetch_all(conn, "SELECT * FROM areas ORDER BY path")
        return [area_from_row(row) for row in rows]

    async def area_by_path(self, path: str) -> Area | None:
        """An area by path; spaces around segments and a full-width ／ are tolerated."""
        async with self._db.read() as conn:
            row = await fetch_one(
                conn, "SELECT * FROM areas WHERE path = ?", (normalize_area_path(path),)
            )
        return None if row is None else area_from_row(row)

    async def workers_of_grid(self, grid_id: int, *, active_only: bool = True) -> list[Worker]:
        """A grid's workers in roster order."""
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn,
                f"{_WORKERS} WHERE w.grid_id = ? AND (w.active = 1 OR NOT ?) ORDER BY w.id",
                (grid_id, active_only),
            )
        return [worker_from_row(row) for row in rows]

    async def worker_names_by_grid(self) -> dict[int, list[tuple[str, bool]]]:
        """Every grid's active workers in roster order, by grid id: each one's name and
        whether the bot can reach it (a Telegram account bound). No :class:`Worker` is built:
        the evening's digests name the workers of ten thousand grids."""
        async with self._db.read() as conn:
            return await in_thread(conn, _names_by_grid)

    async def active_workers_of(self, grid_ids: Sequence[int]) -> dict[int, list[Worker]]:
        """The active workers of these grids in roster order, by grid id, in one query (a
        grid without any is left out)."""
        async with self._db.read() as conn:
            return await fetch_built(
                conn,
                _by_grid,
                f"{_WORKERS} WHERE w.active = 1"
                " AND w.grid_id IN (SELECT value FROM json_each(?)) ORDER BY w.id",
                (to_json(list(grid_ids)),),
            )

    async def worker(self, worker_id: int) -> Worker | None:
        """A worker by id (active or not)."""
        async with self._db.read() as conn:
            row = await fetch_one(conn, f"{_WORKERS} WHERE w.id = ?", (worker_id,))
        return None if row is None else worker_from_row(row)

    async def worker_by_telegram_id(self, telegram_id: int) -> Worker | None:
        """The active worker bound to this Telegram account, if any."""
        async with self._db.read() as conn:
            return await _active_worker_of(conn, telegram_id)

    async def remember_language(self, telegram_id: int, locale: Locale) -> None:
        """Store the language a bound worker's Telegram client uses."""
        await self._db.write_all(
            [
                (
                    "UPDATE workers SET language = ? WHERE telegram_id = ? AND active = 1"
                    " AND language IS NOT ?",
                    (locale, telegram_id, locale),
                )
            ]
        )

    async def roster_overview(self) -> list[tuple[Grid, list[Worker]]]:
        """Every active grid with its active workers (``gridbot roster show``), read and
        built in the database thread (a district's ten thousand grids and their workers)."""
        async with self._db.read() as conn:
            return await in_thread(conn, _overview)

    # --- binding ---------------------------------------------------------------------------

    async def bind_by_username(
        self, username: str, telegram_id: int, *, at: datetime
    ) -> Worker | None:
        """Bind the active roster row with this username to ``telegram_id``.

        Returns the worker if the row was unbound or already bound to this account; None if
        no active row has the username, the row is bound to someone else, or this account
        is already bound to another active worker.
        """
        async with self._db.transaction() as conn:
            row = await fetch_one(
                conn,
                f"{_WORKERS} WHERE w.active = 1 AND w.username = ?",
                (username.strip().removeprefix("@"),),
            )
            if row is None:
                return None
            worker = worker_from_row(row)
            if worker.telegram_id == telegram_id:
                return worker
            if worker.telegram_id is not None or await _active_worker_of(conn, telegram_id):
                return None
            return await _bind(conn, worker.id, telegram_id, BindVia.USERNAME, at)

    async def bind_via_invite(
        self,
        token: str,
        *,
        telegram_id: int,
        display_name: str,
        username: str | None,
        at: datetime,
    ) -> InviteOutcome:
        """Join the invite's grid: bind its unbound roster row with this username, or add
        the person to the grid as a new worker named ``display_name``.

        An account already bound to an active worker gets ``ALREADY_BOUND`` (with its
        worker and grid) whatever the token; an unknown or revoked token, or one for a
        deactivated grid, gets ``INVALID``.
        """
        async with self._db.transaction() as conn:
            current = await _active_worker_of(conn, telegram_id)
            if current is not None:
                return InviteOutcome(
                    InviteStatus.ALREADY_BOUND, current, await _grid(conn, current.grid_id)
                )
            grid = await _grid_of_token(conn, token)
            if grid is None:
                return InviteOutcome(InviteStatus.INVALID)
            name = username.strip().removeprefix("@") if username else None
            row_id = await _unbound_roster_row(conn, grid.id, name)
            if row_id is None:
                row_id = await _add_invitee(conn, grid.id, telegram_id, display_name, name, at)
            worker = await _bind(conn, row_id, telegram_id, BindVia.INVITE, at)
            return InviteOutcome(InviteStatus.BOUND, worker, grid)

    # --- invites ---------------------------------------------------------------------------

    async def invite_token(
        self, grid_id: int, *, rotate: bool = False, actor: int | None, at: datetime
    ) -> str:
        """The grid's active invite token, created if there is none (or if ``rotate``, in
        which case the old one is revoked). Raises LookupError for an unknown or
        deactivated grid."""
        async with self._db.transaction() as conn:
            grid = await _grid(conn, grid_id)
            if grid is None or not grid.active:
                raise LookupError(f"no active grid with id {grid_id}")
            row = await fetch_one(
                conn,
                "SELECT token FROM invites WHERE grid_id = ? AND revoked_at IS NULL",
                (grid_id,),
            )
            if row is not None and not rotate:
                return str(row["token"])
            if row is not None:
                await _revoke(conn, grid_id, actor, at)
            token = secrets.token_urlsafe(INVITE_TOKEN_BYTES)
            invite_id = await insert_id(
                conn,
                "INSERT INTO invites (grid_id, token, created_at, created_by) VALUES (?, ?, ?, ?)",
                (grid_id, token, to_db_time(at), actor),
            )
            details = {"grid_id": grid_id, "invite_id": invite_id, "rotated": row is not None}
            await write_entry(conn, actor, AuditAction.INVITE_CREATE, details, at)
            return token

    async def revoke_invites(self, grid_id: int, *, actor: int | None, at: datetime) -> int:
        """Revoke the grid's active invite; returns how many were revoked (0 or 1)."""
        async with self._db.transaction() as conn:
            return await _revoke(conn, grid_id, actor, at)


# --- helpers running inside a caller's read or transaction --------------------------------


def _grids_of(rows: Sequence[aiosqlite.Row]) -> list[Grid]:
    return [grid_from_row(row) for row in rows]


def _by_grid(rows: Sequence[aiosqlite.Row]) -> dict[int, list[Worker]]:
    found: dict[int, list[Worker]] = {}
    for row in rows:
        worker = worker_from_row(row)
        found.setdefault(worker.grid_id, []).append(worker)
    return found


def _names_by_grid(conn: sqlite3.Connection) -> dict[int, list[tuple[str, bool]]]:
    found: dict[int, list[tuple[str, bool]]] = {}
    rows = conn.execute(
        "SELECT grid_id, name, telegram_id IS NOT NULL FROM workers WHERE active = 1 ORDER BY id"
    )
    for grid_id, name, reachable in rows:
        found.setdefault(grid_id, []).append((name, bool(reachable)))
    return found


async def _grid(conn: aiosqlite.Connection, grid_id: int) -> Grid | None:
    row = await fetch_one(conn, f"{_GRIDS} WHERE g.id = ?", (grid_id,))
    return None if row is None else grid_from_row(row)


async def _active_worker_of(conn: aiosqlite.Connection, telegram_id: int) -> Worker | None:
    row = await fetch_one(
        conn, f"{_WORKERS} WHERE w.active = 1 AND w.telegram_id = ?", (telegram_id,)
    )
    return None if row is None else worker_from_row(row)


async def _grid_of_token(conn: aiosqlite.Connection, token: str) -> Grid | None:
    row = await fetch_one(
        conn,
        f"{_GRIDS} JOIN invites i ON i.grid_id = g.id"
        " WHERE i.token = ? AND i.revoked_at IS NULL AND g.active = 1",
        (token,),
    )
    return None if row is None else grid_from_row(row)


async def _unbound_roster_row(
    conn: aiosqlite.Connection, grid_id: int, username: str | None
) -> int | None:
    if username is None:
        return None
    row = await fetch_one(
        conn,
        "SELECT id FROM workers WHERE grid_id = ? AND active = 1 AND username = ?"
        " AND telegram_id IS NULL",
        (grid_id, username),
    )
    return None if row is None else int(row["id"])


async def _add_invitee(
    conn: aiosqlite.Connection,
    grid_id: int,
    telegram_id: int,
    display_name: str,
    username: str | None,
    at: datetime,
) -> int:
    """A new (still unbound) worker for someone who joined by invite.

    Their username is kept only if no other active worker has it (usernames identify
    roster rows, which take precedence)."""
    if username is not None:
        taken = await fetch_one(
            conn, "SELECT 1 FROM workers WHERE active = 1 AND username = ?", (username,)
        )
        username = None if taken else username
    name = display_name.strip()[:MAX_NAME] or username or str(telegram_id)
    now = to_db_time(at)
    return await insert_id(
        conn,
        "INSERT INTO workers (grid_id, name, username, active, origin, created_at, updated_at)"
        " VALUES (?, ?, ?, 1, 'invite', ?, ?)",
        (grid_id, name, username, now, now),
    )


async def _bind(
    conn: aiosqlite.Connection, worker_id: int, telegram_id: int, via: BindVia, at: datetime
) -> Worker:
    now = to_db_time(at)
    await conn.execute(
        "UPDATE workers SET telegram_id = ?, bound_via = ?, bound_at = ?, updated_at = ?"
        " WHERE id = ?",
        (telegram_id, via.value, now, now, worker_id),
    )
    row = await fetch_one(conn, f"{_WORKERS} WHERE w.id = ?", (worker_id,))
    if row is None:
        raise LookupError(f"no worker with id {worker_id}")
    worker = worker_from_row(row)
    details = {"worker_id": worker.id, "grid_id": worker.grid_id, "via": via.value}
    await write_entry(conn, telegram_id, AuditAction.WORKER_BIND, details, at)
    return worker


async def _revoke(conn: aiosqlite.Connection, grid_id: int, actor: int | None, at: datetime) -> int:
    async with conn.execute(
        "UPDATE invites SET revoked_at = ?, revoked_by = ?"
        " WHERE grid_id = ? AND revoked_at IS NULL",
        (to_db_time(at), actor, grid_id),
    ) as cursor:
        count = cursor.rowcount
    if count:
        await write_entry(conn, actor, AuditAction.INVITE_REVOKE, {"grid_id": grid_id}, at)
    return count


def _overview(conn: sqlite3.Connection) -> list[tuple[Grid, list[Worker]]]:
    """:meth:`RosterRepo.roster_overview`, on the database thread's connection."""
    grid_rows = conn.execute(f"{_GRIDS} WHERE g.active = 1 ORDER BY a.path, g.code").fetchall()
    worker_rows = conn.execute(f"{_WORKERS} WHERE w.active = 1 ORDER BY w.id").fetchall()
    workers: dict[int, list[Worker]] = {int(row["id"]): [] for row in grid_rows}
    for row in worker_rows:
        workers.setdefault(int(row["grid_id"]), []).append(worker_from_row(row))
    return [(grid_from_row(row), workers[int(row["id"])]) for row in grid_rows]
