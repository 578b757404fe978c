"""Shared helpers for the storage, roster and persistence tests (real SQLite files only)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.models import RosterRow
from bot.domain.roster import parse_roster
from storage.audit import AuditEntry
from storage.codec import from_db_time, from_json
from storage.db import Database
from storage.rows import fetch_all

TZ = ZoneInfo("Asia/Shanghai")
AT = datetime(2024, 5, 1, 9, 0, tzinfo=TZ)
"""A fixed, aware "now" for the tests."""

SAMPLE_ROSTER = Path(__file__).parent / "data" / "roster.csv"
"""The sample roster of the brief: 22 workers in 10 grids of 2 communities of 1 street."""


def sample_csv() -> str:
    """The sample roster's text."""
    return SAMPLE_ROSTER.read_text("utf-8")


def rows_of(csv_text: str) -> list[RosterRow]:
    """The rows of a roster CSV that must parse without errors."""
    parsed = parse_roster("roster.csv", csv_text.encode("utf-8"))
    assert parsed.errors == []
    return parsed.rows


async def open_db(tmp_path: Path) -> Database:
    """A fresh database file under ``tmp_path``."""
    return await Database.open(tmp_path / "data" / "gridbot.sqlite3")


async def sample_db(tmp_path: Path) -> Database:
    """A fresh database with the sample roster imported."""
    db = await open_db(tmp_path)
    await db.roster.apply(rows_of(sample_csv()), actor=None, at=AT)
    return db


async def audit_entries(
    db: Database, *, action: str | None = None, actor: int | None = None
) -> list[AuditEntry]:
    """The audit log as the database holds it, oldest first, optionally filtered."""
    async with db.read() as conn:
        rows = await fetch_all(
            conn,
            "SELECT * FROM audit_log WHERE (:action IS NULL OR action = :action)"
            " AND (:actor IS NULL OR actor = :actor) ORDER BY id",
            {"action": None if action is None else str(action), "actor": actor},
        )
    return [
        AuditEntry(
            id=row["id"],
            at=from_db_time(row["at"]),
            actor=row["actor"],
            action=row["action"],
            details=from_json(row["details"]),
        )
        for row in rows
    ]
