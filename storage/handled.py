"""Updates the bot has handled, so that one Telegram delivers again is not handled twice.

Telegram forgets an update only when a later ``getUpdates`` offset confirms it. If the bot
stops before that request reaches Telegram (killed, or the confirming poll fails before a
restart), the update comes again to the next process. While an update is handled, its id
rides along with the first write transaction that commits (:class:`Database` runs
:func:`record_statements` before its COMMIT), so an update's writes and the record that it
was handled are stored together or not at all.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from storage.codec import to_db_time
from storage.rows import Params

if TYPE_CHECKING:
    from storage.db import Database

KEEP = timedelta(days=2)
"""Telegram keeps an unconfirmed update for 24 hours; older records can go."""
PRUNE_EVERY = 100
"""Records older than :data:`KEEP` are deleted with every hundredth update."""


@dataclass
class Handling:
    """The update being handled by this task, and whether its record is stored yet."""

    update_id: int
    at: datetime
    recorded: bool = False


_current: ContextVar[Handling | None] = ContextVar("gridbot_handling_update", default=None)


def current() -> Handling | None:
    """The update this task is handling (None outside an update: jobs, the Mini App)."""
    return _current.get()


class HandledRepo:
    """Which updates were handled already."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._newest: int | None = None

    async def load(self) -> None:
        """Remember the newest update handled before this start: only updates up to it can be
        delivered again, so later ones need no look-up."""
        async with (
            self._db.read() as conn,
            conn.execute("SELECT max(update_id) FROM handled_updates") as cursor,
        ):
            row = await cursor.fetchone()
        self._newest = None if row is None or row[0] is None else int(row[0])

    async def seen(self, update_id: int) -> bool:
        """Whether this update was handled already (by this process or an earlier one)."""
        if self._newest is None or update_id > self._newest:
            return False
        async with (
            self._db.read() as conn,
            conn.execute(
                "SELECT 1 FROM handled_updates WHERE update_id = ?", (update_id,)
            ) as cursor,
        ):
            return await cursor.fetchone() is not None

    @staticmethod
    def begin(update_id: int, at: datetime) -> None:
        """This task handles ``update_id`` from now on (its writes record it)."""
        _current.set(Handling(update_id, at))

    async def finish(self) -> None:
        """Record the update as handled if none of its writes did (it wrote nothing)."""
        handling = _current.get()
        if handling is not None and not handling.recorded:
            await self._db.write_all([])  # the record rides along with any write


def record_statements(handling: Handling) -> list[tuple[str, Params]]:
    """The statements that store the record, run by :class:`Database` in the transaction
    about to commit (and, now and then, delete records too old to matter)."""
    statements: list[tuple[str, Params]] = [
        (
            "INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?)"
            " ON CONFLICT (update_id) DO NOTHING",
            (handling.update_id, to_db_time(handling.at)),
        )
    ]
    if handling.update_id % PRUNE_EVERY == 0:
        statements.append(
            (
                "DELETE FROM handled_updates WHERE handled_at < ?",
                (to_db_time(handling.at - KEEP),),
            )
        )
    return statements
