"""Small key-value settings kept in the database (e.g. the bot's username)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database


class MetaRepo:
    """Get and set ``meta`` entries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        """The value stored under ``key``, or None."""
        async with (
            self._db.read() as conn,
            conn.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None else str(row["value"])

    async def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` (replacing any earlier value)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
