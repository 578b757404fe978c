"""Roster changes admins make in chat: add or remove one worker, preview an import, and
which grids have a live invite link.

A worker added in chat is not part of the roster file (like one who joined through an
invite link, origin ``invite``): a later import of the file leaves them alone. Removing a
worker deactivates the row; their reports and history stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain.models import Grid, RosterChanges, RosterRow, Worker
from storage.audit import write_entry
from storage.codec import to_db_time
from storage.rows import WORKER_COLUMNS, fetch_all, fetch_one, insert_id, worker_from_row

if TYPE_CHECKING:
    from storage.db import Database

WORKER_ADD = "worker.add"
WORKER_REMOVE = "worker.remove"


class _Preview(Exception):
    """Carries an import's outcome out of the transaction it rolls back."""

    def __init__(self, changes: RosterChanges) -> None:
        super().__init__()
        self.changes = changes


class RosterEdits:
    """Small roster changes, each in one transaction with its audit entry."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def worker_by_username(self, username: str) -> Worker | None:
        """The active worker with this @username (any case), if any."""
        async with self._db.read() as conn:
            row = await fetch_one(
                conn,
                f"SELECT {WORKER_COLUMNS} FROM workers w WHERE w.active = 1 AND w.username = ?",
                (username,),
            )
        return None if row is None else worker_from_row(row)

    async def add_worker(
        self, grid: Grid, *, username: str, name: str, actor: int, at: datetime
    ) -> Worker | None:
        """Add an unbound worker to ``grid``; they are bound when they send /start. None if
        an active worker already has this username."""
        now = to_db_time(at)
        async with self._db.transaction() as conn:
            taken = await fetch_one(
                conn, "SELECT 1 FROM workers WHERE active = 1 AND username = ?", (username,)
            )
            if taken is not None:
                return None
            worker_id = await insert_id(
                conn,
                "INSERT INTO workers (grid_id, name, username, active, origin, created_at,"
                " updated_at) VALUES (?, ?, ?, 1, 'invite', ?, ?)",
                (grid.id, name, username, now, now),
            )
            details = {"worker_id": worker_id, "grid_id": grid.id, "username": username}
            await write_entry(conn, actor, WORKER_ADD, details, at)
            row = await fetch_one(
                conn, f"SELECT {WORKER_COLUMNS} FROM workers w WHERE w.id = ?", (worker_id,)
            )
        if row is None:
            raise LookupError(f"worker {worker_id} vanished")
        return worker_from_row(row)

    async def remove_worker(self, worker: Worker, *, actor: int, at: datetime) -> None:
        """Deactivate a worker; their reports stay."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE workers SET active = 0, updated_at = ? WHERE id = ?",
                (to_db_time(at), worker.id),
            )
            details = {"worker_id": worker.id, "grid_id": worker.grid_id}
            await write_entry(conn, actor, WORKER_REMOVE, details, at)

    async def preview_import(self, rows: Sequence[RosterRow], *, at: datetime) -> RosterChanges:
        """What importing ``rows`` would change, without changing anything."""
        try:
            async with self._db.transaction():
                raise _Preview(await self._db.roster.apply(rows, actor=None, at=at))
        except _Preview as preview:
            return preview.changes

    async def grids_with_invites(self) -> set[int]:
        """Ids of the grids whose invite link works."""
        async with self._db.read() as conn:
            rows = await fetch_all(conn, "SELECT grid_id FROM invites WHERE revoked_at IS NULL")
        return {int(row["grid_id"]) for row in rows}
