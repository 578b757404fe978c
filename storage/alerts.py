"""Urgent-incident alerts: where they were posted and who acknowledged them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import aiosqlite

from storage.codec import from_db_day, from_db_time, to_db_day, to_db_time, to_json
from storage.rows import fetch_all

if TYPE_CHECKING:
    from storage.db import Database

_ALERTS = (
    "SELECT al.*, i.category, i.description FROM alerts al"
    " JOIN incidents i ON i.id = al.incident_id"
)


@dataclass(frozen=True, slots=True)
class AlertPost:
    """One posting of an alert in a supervisor group; level 0 is the grid's nearest group."""

    chat_id: int
    message_id: int
    level: int
    posted_at: datetime


@dataclass(frozen=True, slots=True)
class Alert:
    """An urgent incident raised to supervisors."""

    id: int
    incident_id: int
    grid_id: int
    day: date
    raised_at: datetime
    category: str
    description: str
    acknowledged_by: int | None
    acknowledged_by_name: str | None
    acknowledged_at: datetime | None
    posts: tuple[AlertPost, ...]

    @property
    def acknowledged(self) -> bool:
        """Whether a supervisor has acknowledged it."""
        return self.acknowledged_at is not None


class AlertRepo:
    """Alerts and their posts."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def raise_new(
        self, report_id: int, *, urgent_categories: Collection[str], at: datetime
    ) -> list[Alert]:
        """Record alerts for the urgent incidents of the report's current version that are
        new, and return every alert of that version (just recorded or recorded before).

        An incident is urgent when marked so or when its category is an urgent one; it is new
        when no earlier version of the report had the same category and description, so a
        correction that keeps an incident does not raise it twice. Calling this again records
        nothing more: the alert rows are the outbox that sending works from (an alert without
        posts is still to be sent), so the filing use case records them in its own
        transaction and a crash before sending loses nothing.
        """
        async with self._db.transaction() as conn:
            rows = await _incidents_of_current_version(conn, report_id)
            known = await _earlier_incidents(conn, report_id)
            for row in rows:
                urgent = bool(row["urgent"]) or row["category"] in urgent_categories
                if urgent and (row["category"], row["description"]) not in known:
                    await conn.execute(
                        "INSERT INTO alerts (incident_id, grid_id, day, raised_at)"
                        " VALUES (?, ?, ?, ?) ON CONFLICT (incident_id) DO NOTHING",
                        (row["id"], row["grid_id"], row["day"], to_db_time(at)),
                    )
            incident_ids = to_json([row["id"] for row in rows])
            return await _load(
                conn,
                " WHERE al.incident_id IN (SELECT value FROM json_each(?))",
                (incident_ids,),
            )

    async def add_post(
        self, alert_id: int, *, chat_id: int, message_id: int, level: int, at: datetime
    ) -> None:
        """Remember where the alert was posted."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO alert_posts (alert_id, chat_id, message_id, level, posted_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (alert_id, chat_id) DO NOTHING",
                (alert_id, chat_id, message_id, level, to_db_time(at)),
            )

    async def acknowledge(
        self, alert_id: int, *, by: int, name: str, at: datetime
    ) -> tuple[Alert | None, bool]:
        """Record the acknowledgement (the first one wins); return the alert and whether this
        call was the one that acknowledged it."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE alerts SET acknowledged_by = ?, acknowledged_by_name = ?,"
                " acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL",
                (by, name, to_db_time(at), alert_id),
            )
            changed = cursor.rowcount == 1
            alerts = await _load(conn, " WHERE al.id = ?", (alert_id,))
        return (alerts[0] if alerts else None), changed

    async def get(self, alert_id: int) -> Alert | None:
        """One alert."""
        async with self._db.read() as conn:
            alerts = await _load(conn, " WHERE al.id = ?", (alert_id,))
        return alerts[0] if alerts else None

    async def unacknowledged(self) -> list[Alert]:
        """Alerts nobody has acknowledged yet."""
        async with self._db.read() as conn:
            return await _load(conn, " WHERE al.acknowledged_at IS NULL", ())

    async def on_day(self, day: date) -> list[Alert]:
        """The alerts raised for ``day``'s reports."""
        async with self._db.read() as conn:
            return await _load(conn, " WHERE al.day = ?", (to_db_day(day),))


async def _incidents_of_current_version(
    conn: aiosqlite.Connection, report_id: int
) -> list[aiosqlite.Row]:
    return await fetch_all(
        conn,
        "SELECT i.id, i.category, i.description, i.urgent, r.grid_id, r.day FROM incidents i"
        " JOIN report_versions v ON v.id = i.version_id JOIN reports r ON r.id = v.report_id"
        " WHERE v.report_id = ? AND v.version ="
        " (SELECT max(version) FROM report_versions WHERE report_id = ?) ORDER BY i.position",
        (report_id, report_id),
    )


async def _earlier_incidents(conn: aiosqlite.Connection, report_id: int) -> set[tuple[str, str]]:
    rows = await fetch_all(
        conn,
        "SELECT i.category, i.description FROM incidents i"
        " JOIN report_versions v ON v.id = i.version_id WHERE v.report_id = ? AND v.version <"
        " (SELECT max(version) FROM report_versions WHERE report_id = ?)",
        (report_id, report_id),
    )
    return {(row["category"], row["description"]) for row in rows}


async def _load(conn: aiosqlite.Connection, where: str, params: tuple[object, ...]) -> list[Alert]:
    alerts = await fetch_all(conn, f"{_ALERTS}{where} ORDER BY al.id", params)
    posts: dict[int, list[AlertPost]] = {}
    for row in await fetch_all(
        conn,
        "SELECT * FROM alert_posts WHERE alert_id IN (SELECT value FROM json_each(?))"
        " ORDER BY level, id",
        (to_json([row["id"] for row in alerts]),),
    ):
        posts.setdefault(row["alert_id"], []).append(
            AlertPost(
                row["chat_id"], row["message_id"], row["level"], from_db_time(row["posted_at"])
            )
        )
    return [_alert(row, posts.get(row["id"], [])) for row in alerts]


def _alert(row: aiosqlite.Row, posts: list[AlertPost]) -> Alert:
    acknowledged_at = row["acknowledged_at"]
    return Alert(
        id=row["id"],
        incident_id=row["incident_id"],
        grid_id=row["grid_id"],
        day=from_db_day(row["day"]),
        raised_at=from_db_time(row["raised_at"]),
        category=row["category"],
        description=row["description"],
        acknowledged_by=row["acknowledged_by"],
        acknowledged_by_name=row["acknowledged_by_name"],
        acknowledged_at=None if acknowledged_at is None else from_db_time(acknowledged_at),
        posts=tuple(posts),
    )
