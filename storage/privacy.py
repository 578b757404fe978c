"""Forgetting a worker: their name, @username and Telegram id leave the database; their grid's
reports stay (the versions they filed then say "a removed worker")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import aiosqlite

from storage.audit import write_entry
from storage.codec import to_db_time, to_json
from storage.rows import fetch_all

if TYPE_CHECKING:
    from storage.db import Database

FORGET = "worker.forget"


@dataclass(frozen=True, slots=True)
class Forgotten:
    """Who was forgotten: how many roster rows, and the grids whose reports were kept."""

    rows: int
    grid_codes: tuple[str, ...]
    reports_kept: int


async def forget_worker(
    db: Database, username: str, *, placeholder: str, actor: int | None, at: datetime
) -> Forgotten | None:
    """Remove the personal data of every roster row with ``username`` (any case): the name
    becomes ``placeholder``, the username and Telegram id are cleared, the row is deactivated;
    their chat's drafts, conversation states and send log go, and audit entries they made no
    longer name them. Returns None when no row has that username."""
    async with db.transaction() as conn:
        rows = await fetch_all(
            conn,
            "SELECT w.id, w.telegram_id, g.code FROM workers w JOIN grids g ON g.id = w.grid_id"
            " WHERE w.username = ?",
            (username,),
        )
        if not rows:
            return None
        ids = [row["id"] for row in rows]
        telegram_ids = [row["telegram_id"] for row in rows if row["telegram_id"] is not None]
        await conn.execute(
            "UPDATE workers SET name = ? || ' #' || id, username = NULL, telegram_id = NULL,"
            " bound_via = NULL, bound_at = NULL, active = 0, updated_at = ?"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (placeholder, to_db_time(at), to_json(ids)),
        )
        for telegram_id in telegram_ids:
            await _forget_chat(conn, telegram_id)
        await conn.execute(
            "UPDATE audit_log SET details = json_remove(details, '$.username')"
            " WHERE json_extract(details, '$.username') = ? COLLATE NOCASE",
            (username,),
        )
        kept = await fetch_all(
            conn,
            "SELECT count(*) AS n FROM reports WHERE submitted_by IN"
            " (SELECT value FROM json_each(?))",
            (to_json(ids),),
        )
        await write_entry(conn, actor, FORGET, {"workers": ids}, at)
    codes = tuple(sorted({row["code"] for row in rows}))
    return Forgotten(len(rows), codes, int(kept[0]["n"]))


async def _forget_chat(conn: aiosqlite.Connection, telegram_id: int) -> None:
    """The private chat's data kept for python-telegram-bot and the send log."""
    execute = conn.execute
    await execute("DELETE FROM ptb_user_data WHERE user_id = ?", (telegram_id,))
    await execute("DELETE FROM ptb_chat_data WHERE chat_id = ?", (telegram_id,))
    await execute(
        "DELETE FROM ptb_conversations WHERE EXISTS (SELECT 1 FROM json_each(key) WHERE value = ?)",
        (telegram_id,),
    )
    await execute("DELETE FROM sends WHERE target = ?", (telegram_id,))
    await execute("UPDATE audit_log SET actor = NULL WHERE actor = ?", (telegram_id,))
