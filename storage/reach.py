"""Private chats the bot cannot reach: the person blocked the bot, deleted their account, or
the chat is gone (Telegram answered 403 or "chat not found"). Kept until they write again.

The set is held in memory too (loaded when the database opens), so asking "is this chat
unreachable?" for every incoming update or every planned send costs no query.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from storage.codec import to_db_time

if TYPE_CHECKING:
    from storage.db import Database


class ReachRepo:
    """Mark, clear and ask about unreachable private chats."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._chats: frozenset[int] = frozenset()

    async def load(self) -> None:
        """Read the unreachable chats into memory."""
        async with (
            self._db.read() as conn,
            conn.execute("SELECT chat_id FROM unreachable_chats") as cursor,
        ):
            self._chats = frozenset(int(row[0]) for row in await cursor.fetchall())

    def unreachable(self, chat_id: int) -> bool:
        """Whether messages to this chat are refused (until the person writes again)."""
        return chat_id in self._chats

    async def mark(self, chat_id: int, reason: str, at: datetime) -> None:
        """Telegram refused a message to ``chat_id`` for ``reason``."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO unreachable_chats (chat_id, since, reason) VALUES (?, ?, ?)"
                " ON CONFLICT (chat_id) DO NOTHING",
                (chat_id, to_db_time(at), reason),
            )
        self._chats |= {chat_id}

    async def clear(self, chat_id: int) -> bool:
        """The person wrote to the bot: reachable again. False if they were not marked."""
        if chat_id not in self._chats:
            return False
        async with self._db.transaction() as conn:
            await conn.execute("DELETE FROM unreachable_chats WHERE chat_id = ?", (chat_id,))
        self._chats -= {chat_id}
        return True
