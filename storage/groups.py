"""Supervisors' group chats bound to an area of the tree."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain.models import Area
from bot.i18n import Locale, parse_locale
from storage.audit import AuditAction, write_entry
from storage.codec import to_db_time
from storage.rows import area_from_row

if TYPE_CHECKING:
    from storage.db import Database


class GroupRepo:
    """Which group chat reads which area."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def bind(
        self, chat_id: int, *, area_id: int, title: str, actor: int | None, at: datetime
    ) -> None:
        """Bind ``chat_id`` to an area; binding an already bound chat moves it."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO group_chats (chat_id, area_id, title, bound_at, bound_by)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET area_id = excluded.area_id,"
                " title = excluded.title, bound_at = excluded.bound_at,"
                " bound_by = excluded.bound_by",
                (chat_id, area_id, title, to_db_time(at), actor),
            )
            await write_entry(
                conn,
                actor,
                AuditAction.GROUP_BIND,
                {"chat_id": chat_id, "area_id": area_id, "title": title},
                at,
            )

    async def set_language(self, chat_id: int, locale: Locale) -> None:
        """The language the group's digests and alerts are written in."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE group_chats SET language = ? WHERE chat_id = ?", (locale, chat_id)
            )

    async def language(self, chat_id: int) -> Locale | None:
        """The group's language, if one was set."""
        async with (
            self._db.read() as conn,
            conn.execute(
                "SELECT language FROM group_chats WHERE chat_id = ?", (chat_id,)
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None or row["language"] is None else parse_locale(row["language"])

    async def area_of_chat(self, chat_id: int) -> Area | None:
        """The area a group chat is bound to, or None."""
        async with (
            self._db.read() as conn,
            conn.execute(
                "SELECT a.* FROM group_chats g JOIN areas a ON a.id = g.area_id"
                " WHERE g.chat_id = ?",
                (chat_id,),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        return None if row is None else area_from_row(row)

    async def bindings(self) -> list[tuple[int, Area]]:
        """Every bound chat with its area, by area path."""
        async with (
            self._db.read() as conn,
            conn.execute(
                "SELECT g.chat_id, a.* FROM group_chats g JOIN areas a ON a.id = g.area_id"
                " ORDER BY a.path, g.chat_id"
            ) as cursor,
        ):
            rows = await cursor.fetchall()
        return [(int(row["chat_id"]), area_from_row(row)) for row in rows]
