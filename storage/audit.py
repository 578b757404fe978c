"""The audit log: who did what and when (imports, bindings, invites, filings, corrections).

The repositories record their own actions in the same transaction as the change, so an
entry exists exactly when the change does; :meth:`AuditRepo.record` is for anything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import aiosqlite

from storage.codec import to_db_time, to_json
from storage.rows import insert_id

if TYPE_CHECKING:
    from storage.db import Database


class AuditAction(StrEnum):
    """The actions the repositories record themselves."""

    ROSTER_IMPORT = "roster.import"
    WORKER_BIND = "worker.bind"
    INVITE_CREATE = "invite.create"
    INVITE_REVOKE = "invite.revoke"
    GROUP_BIND = "group.bind"
    REPORT_FILE = "report.file"
    REPORT_CORRECT = "report.correct"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit log entry; ``actor`` is a Telegram user id (None: the command line)."""

    id: int
    at: datetime
    actor: int | None
    action: str
    details: dict[str, Any]


async def write_entry(
    conn: aiosqlite.Connection,
    actor: int | None,
    action: str,
    details: Mapping[str, object],
    at: datetime,
) -> int:
    """Insert one entry on ``conn`` (inside the caller's transaction); returns its id."""
    return await insert_id(
        conn,
        "INSERT INTO audit_log (at, actor, action, details) VALUES (?, ?, ?, ?)",
        (to_db_time(at), actor, str(action), to_json(dict(details))),
    )


class AuditRepo:
    """Write and read the audit log."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self,
        actor_telegram_id: int | None,
        action: str,
        details: Mapping[str, object],
        at: datetime,
    ) -> int:
        """Record one action (``details`` must be JSON-serialisable); returns the entry id."""
        async with self._db.transaction() as conn:
            return await write_entry(conn, actor_telegram_id, action, details, at)
