"""Admins granted in chat, with an in-memory copy for the check that runs on every update.

``GRIDBOT_ADMINS`` (the environment) is not stored here and cannot be revoked from chat;
:meth:`bot.dependencies.Dependencies.is_admin` asks both. A grant by @username waits until that
user talks to the bot: :meth:`AdminRepo.claim` then records their Telegram id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from storage.audit import write_entry
from storage.codec import from_db_time, to_db_time
from storage.rows import fetch_all, fetch_one

if TYPE_CHECKING:
    from storage.db import Database

GRANT = "admin.grant"
REVOKE = "admin.revoke"
CLAIM = "admin.claim"


@dataclass(frozen=True, slots=True)
class AdminGrant:
    """A grant in force: a Telegram id, a @username, or both once the user showed up."""

    telegram_id: int | None
    username: str | None
    granted_at: datetime
    granted_by: int


def clean_username(text: str) -> str:
    """``@Name`` → ``Name``."""
    return text.strip().removeprefix("@")


class AdminRepo:
    """Grant, claim and revoke admin rights; answer "is this user an admin" from memory."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._ids: frozenset[int] = frozenset()
        self._pending: frozenset[str] = frozenset()

    async def load(self) -> None:
        """Refresh the in-memory copy from the database (done on open and after changes)."""
        grants = await self.grants()
        self._ids = frozenset(g.telegram_id for g in grants if g.telegram_id is not None)
        self._pending = frozenset(
            g.username.casefold() for g in grants if g.telegram_id is None and g.username
        )

    def is_granted(self, telegram_id: int) -> bool:
        """Whether this Telegram id holds a grant (no database access)."""
        return telegram_id in self._ids

    def is_pending(self, username: str | None) -> bool:
        """Whether a grant waits for this @username to show up (no database access)."""
        return bool(username) and clean_username(username or "").casefold() in self._pending

    async def grants(self) -> list[AdminGrant]:
        """The grants in force, oldest first."""
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn,
                "SELECT telegram_id, username, granted_at, granted_by FROM admin_grants"
                " WHERE revoked_at IS NULL ORDER BY id",
            )
        return [
            AdminGrant(
                row["telegram_id"],
                row["username"],
                from_db_time(row["granted_at"]),
                row["granted_by"],
            )
            for row in rows
        ]

    async def grant(
        self, *, telegram_id: int | None, username: str | None, actor: int, at: datetime
    ) -> bool:
        """Grant admin rights to an id or a @username; False if a grant is already in force."""
        name = clean_username(username) if username else None
        async with self._db.transaction() as conn:
            existing = await fetch_one(
                conn,
                "SELECT 1 FROM admin_grants WHERE revoked_at IS NULL"
                " AND (telegram_id = :id OR username = :name)",
                {"id": telegram_id, "name": name},
            )
            if existing is not None:
                return False
            await conn.execute(
                "INSERT INTO admin_grants (telegram_id, username, granted_at, granted_by)"
                " VALUES (?, ?, ?, ?)",
                (telegram_id, name, to_db_time(at), actor),
            )
            details = {"telegram_id": telegram_id, "username": name}
            await write_entry(conn, actor, GRANT, details, at)
        await self.load()
        return True

    async def claim(self, username: str, telegram_id: int, at: datetime) -> bool:
        """Fill in the Telegram id of a grant waiting for ``username``; True if there was one."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE admin_grants SET telegram_id = ? WHERE revoked_at IS NULL"
                " AND telegram_id IS NULL AND username = ?"
                " AND NOT EXISTS (SELECT 1 FROM admin_grants WHERE revoked_at IS NULL"
                " AND telegram_id = ?)",
                (telegram_id, clean_username(username), telegram_id),
            )
            claimed = cursor.rowcount > 0
            await cursor.close()
            if claimed:
                details = {"telegram_id": telegram_id, "username": clean_username(username)}
                await write_entry(conn, telegram_id, CLAIM, details, at)
        await self.load()
        return claimed

    async def revoke(
        self, *, telegram_id: int | None, username: str | None, actor: int, at: datetime
    ) -> bool:
        """Revoke the grant of an id or a @username; False if there is none."""
        name = clean_username(username) if username else None
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE admin_grants SET revoked_at = :at, revoked_by = :actor"
                " WHERE revoked_at IS NULL AND (telegram_id = :id OR username = :name)",
                {"at": to_db_time(at), "actor": actor, "id": telegram_id, "name": name},
            )
            revoked = cursor.rowcount > 0
            await cursor.close()
            if revoked:
                details = {"telegram_id": telegram_id, "username": name}
                await write_entry(conn, actor, REVOKE, details, at)
        await self.load()
        return revoked
