"""The send log (exactly-once scheduled sends), excused grids and workers away for a day."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import aiosqlite

from storage.codec import from_db_day, from_db_time, to_db_day, to_db_time
from storage.rows import fetch_all, fetch_one, in_thread

if TYPE_CHECKING:
    from storage.db import Database


class SendStatus(StrEnum):
    """Where a recorded send stands."""

    PLANNED = "planned"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    BLOCKED = "blocked"

    @property
    def final(self) -> bool:
        """A send in a final state is never attempted again."""
        return self in {SendStatus.SENT, SendStatus.SKIPPED, SendStatus.BLOCKED}


ONCE_EVER = date(1970, 1, 1)
"""The send-log day of notices that are given once and for all (e.g. "chat X blocked the
bot"): their rows are never pruned."""


@dataclass(frozen=True, slots=True)
class SendKey:
    """Identifies one send: what, for which day, to which chat."""

    kind: str
    day: date
    target: int


@dataclass(frozen=True, slots=True)
class SendRecord:
    """A row of the send log."""

    key: SendKey
    grid_id: int | None
    status: SendStatus
    planned_at: datetime
    sent_at: datetime | None
    attempts: int
    delayed: bool
    error: str | None


@dataclass(slots=True)
class _Finishing:
    """Outcomes of sends waiting to be written together, and whether they were."""

    rows: list[tuple[object, ...]]
    committed: asyncio.Future[bool]


REMINDER_SENT = "status = 'sent' AND (kind LIKE 'remind%' OR kind = 'late_nag')"
"""The sends that are reminder rounds which reached their grid: the predicate of the partial
index of reminder sends (migration 0012), which every query counting them repeats so that
SQLite reads that index."""
_ROUNDS_FROM_SENDS = (
    "SELECT ?1 AS day, grid_id, count(DISTINCT kind) AS rounds FROM sends"
    f" WHERE day = ?1 AND grid_id IS NOT NULL AND {REMINDER_SENT} GROUP BY grid_id"
)
REMINDER_ROUNDS_OF_DAY = (
    "SELECT day, grid_id, rounds FROM reminder_rounds WHERE day = ?1"
    f" UNION ALL SELECT * FROM ({_ROUNDS_FROM_SENDS})"
    " WHERE NOT EXISTS (SELECT 1 FROM reminder_rounds WHERE day = ?1)"
)
"""Per grid, the reminder rounds that reached it on a day: counted from the send log, or
kept in ``reminder_rounds`` once the day is being pruned (:meth:`ScheduleRepo.keep_reminder_rounds`,
then :meth:`ScheduleRepo.prune_sends` in batches: while some of its sends are left, the kept
rounds count, never both)."""
EXCUSED_ON_DAY = "SELECT grid_id, reason FROM excusals WHERE day = ?"
"""The grids excused on a day, with the reason (index ``excusals_by_day``)."""
_FINISH = (
    "UPDATE sends SET status = ?, attempts = attempts + ?, delayed = ?, error = ?,"
    " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
    " WHERE kind = ? AND day = ? AND target = ?"
)


UNFINISHED_SENDS = (
    "SELECT * FROM sends WHERE day >= ? AND status IN ('planned', 'failed')"
    " AND substr(kind, 1, ?) = ? AND (? IS NULL OR target = ?) ORDER BY +id"
)
"""Sends of a kind prefix, of a day or later (to one chat, or any), still planned or failed,
in the order they were recorded: read from the index of such sends (migration 0015), not
the whole send log in id order (``+id`` keeps SQLite from choosing that order's scan)."""


class ScheduleRepo:
    """Sends, excusals and absences."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._finishing: _Finishing | None = None

    async def claim(self, key: SendKey, *, grid_id: int | None, planned_at: datetime) -> SendRecord:
        """Record the send as planned unless it already is; return its current record."""
        where = (key.kind, to_db_day(key.day), key.target)
        async with self._db.transaction() as conn:
            row = await in_thread(conn, _claim, (*where, grid_id, to_db_time(planned_at)), where)
        assert row is not None
        return _record(row)

    async def claim_many(
        self, claims: Sequence[tuple[SendKey, int | None]], *, planned_at: datetime
    ) -> dict[SendKey, SendRecord]:
        """Record each send (with its grid) as planned unless it already is, all in one
        transaction; their records as they stand now."""
        rows = [
            (key.kind, to_db_day(key.day), key.target, grid_id, to_db_time(planned_at))
            for key, grid_id in claims
        ]
        wanted = json.dumps([row[:3] for row in rows])
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO sends (kind, day, target, grid_id, status, planned_at)"
                " VALUES (?, ?, ?, ?, 'planned', ?) ON CONFLICT (kind, day, target) DO NOTHING",
                rows,
            )
            found = await fetch_all(
                conn,
                "SELECT s.* FROM json_each(?) AS w JOIN sends AS s"
                " ON s.kind = w.value ->> 0 AND s.day = w.value ->> 1"
                " AND s.target = w.value ->> 2",
                (wanted,),
            )
        return {record.key: record for record in map(_record, found)}

    async def finish(
        self,
        key: SendKey,
        status: SendStatus,
        *,
        at: datetime,
        attempts: int,
        delayed: bool = False,
        error: str | None = None,
    ) -> None:
        """Record how a send ended (sent, failed after ``attempts`` tries, skipped, blocked).

        Returns once it is committed. Outcomes recorded while another one waits for the
        database join its transaction: a fan-out's sends, ending a few at a time, share
        commits instead of queueing one transaction each behind the replies to people.
        """
        row = (
            status.value,
            attempts,
            int(delayed),
            error,
            status.value,
            to_db_time(at),
            key.kind,
            to_db_day(key.day),
            key.target,
        )
        if self._db.held_here():  # inside the caller's transaction, and part of it
            async with self._db.transaction() as conn:
                await conn.execute(_FINISH, row)
            return
        batch = self._finishing
        if batch is None:
            await self._finish_batch(row)
            return
        batch.rows.append(row)
        if not await asyncio.shield(batch.committed):
            await self._finish_batch(row)  # the batch failed: this outcome on its own

    async def _finish_batch(self, row: tuple[object, ...]) -> None:
        """Write ``row`` and the outcomes that join it until this task holds the database."""
        batch = _Finishing([row], asyncio.get_running_loop().create_future())
        if self._finishing is None:
            self._finishing = batch
        try:
            async with self._db.transaction() as conn:
                self._close(batch)  # outcomes from now on start the next batch
                await conn.executemany(_FINISH, batch.rows)
        except BaseException:
            self._close(batch)
            batch.committed.set_result(False)
            raise
        batch.committed.set_result(True)

    def _close(self, batch: _Finishing) -> None:
        if self._finishing is batch:
            self._finishing = None

    async def blocked_targets(self, day: date) -> set[int]:
        """Chats that a send on ``day`` found blocked."""
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn,
                "SELECT DISTINCT target FROM sends WHERE day = ? AND status = 'blocked'",
                (to_db_day(day),),
            )
        return {int(row["target"]) for row in rows}

    async def records(self, day: date, kind: str | None = None) -> list[SendRecord]:
        """The send log of ``day`` (optionally one kind), in the order sends were recorded."""
        sql = (
            "SELECT * FROM sends WHERE day = ?" + (" AND kind = ?" if kind else "") + " ORDER BY id"
        )
        params = (to_db_day(day), kind) if kind else (to_db_day(day),)
        async with self._db.read() as conn:
            return [_record(row) for row in await fetch_all(conn, sql, params)]

    async def unfinished(
        self, kind_prefix: str, *, since: date, target: int | None = None
    ) -> list[SendRecord]:
        """Sends of kinds starting with ``kind_prefix``, of ``since`` or later (optionally to
        one chat), still planned or failed: due, never delivered."""
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn,
                UNFINISHED_SENDS,
                (to_db_day(since), len(kind_prefix), kind_prefix, target, target),
            )
        return [_record(row) for row in rows]

    async def blocked(self, day: date, target: int) -> bool:
        """Whether a send to ``target`` on ``day`` already found the chat blocked."""
        async with self._db.read() as conn:
            row = await fetch_one(
                conn,
                "SELECT 1 FROM sends WHERE day = ? AND target = ? AND status = 'blocked' LIMIT 1",
                (to_db_day(day), target),
            )
        return row is not None

    async def first_logged_day(self, *, after: date) -> date | None:
        """The first day after ``after`` with sends in the log, or None."""
        async with self._db.read() as conn:
            row = await fetch_one(
                conn, "SELECT min(day) AS day FROM sends WHERE day > ?", (to_db_day(after),)
            )
        return None if row is None or row["day"] is None else from_db_day(row["day"])

    async def keep_reminder_rounds(self, day: date) -> None:
        """Keep the reminder rounds that reached each grid on ``day`` (``reminder_rounds``),
        which the ledger and the digests read once the day's sends are dropped."""
        async with self._db.transaction() as conn:
            await conn.execute(
                f"INSERT INTO reminder_rounds (day, grid_id, rounds) {_ROUNDS_FROM_SENDS}"
                " ON CONFLICT (day, grid_id) DO UPDATE SET rounds = max(rounds, excluded.rounds)",
                (to_db_day(day),),
            )

    async def prune_sends(self, day: date, limit: int) -> int:
        """Drop up to ``limit`` of the send log's rows of ``day`` (after
        :meth:`keep_reminder_rounds`), in one transaction; how many were dropped."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM sends WHERE rowid IN (SELECT rowid FROM sends WHERE day = ? LIMIT ?)",
                (to_db_day(day), limit),
            )
            return int(cursor.rowcount)

    async def reminders_sent(self, day: date) -> Counter[int]:
        """Per grid, how many reminder rounds (reminders and the late nag) reached it."""
        async with self._db.read() as conn:
            rows = await fetch_all(conn, REMINDER_ROUNDS_OF_DAY, (to_db_day(day),))
        return Counter({grid_id: rounds for _, grid_id, rounds in rows})

    async def excuse(
        self, grid_id: int, day: date, *, reason: str, actor: int, at: datetime
    ) -> None:
        """Excuse a grid from reporting on ``day`` (a later excuse replaces the reason)."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO excusals (grid_id, day, reason, excused_by, excused_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (grid_id, day) DO UPDATE SET"
                " reason = excluded.reason, excused_by = excluded.excused_by,"
                " excused_at = excluded.excused_at",
                (grid_id, to_db_day(day), reason, actor, to_db_time(at)),
            )

    async def excused(self, day: date) -> dict[int, str]:
        """Grids excused on ``day``, with the reason."""
        async with self._db.read() as conn:
            rows = await fetch_all(conn, EXCUSED_ON_DAY, (to_db_day(day),))
        return {int(row["grid_id"]): str(row["reason"]) for row in rows}

    async def set_away(self, worker_id: int, day: date, *, at: datetime) -> None:
        """Mute a worker's prompts and nags for ``day``."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO absences (worker_id, day, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT (worker_id, day) DO NOTHING",
                (worker_id, to_db_day(day), to_db_time(at)),
            )

    async def away(self, day: date) -> set[int]:
        """Ids of workers away on ``day``."""
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn, "SELECT worker_id FROM absences WHERE day = ?", (to_db_day(day),)
            )
        return {int(row["worker_id"]) for row in rows}


def _record(row: aiosqlite.Row) -> SendRecord:
    return SendRecord(
        key=SendKey(row["kind"], from_db_day(row["day"]), int(row["target"])),
        grid_id=row["grid_id"],
        status=SendStatus(row["status"]),
        planned_at=from_db_time(row["planned_at"]),
        sent_at=None if row["sent_at"] is None else from_db_time(row["sent_at"]),
        attempts=int(row["attempts"]),
        delayed=bool(row["delayed"]),
        error=row["error"],
    )


def _claim(
    conn: sqlite3.Connection, row: tuple[object, ...], where: tuple[object, ...]
) -> sqlite3.Row | None:
    """:meth:`ScheduleRepo.claim` in one trip to the database thread."""
    conn.execute(
        "INSERT INTO sends (kind, day, target, grid_id, status, planned_at)"
        " VALUES (?, ?, ?, ?, 'planned', ?) ON CONFLICT (kind, day, target) DO NOTHING",
        row,
    )
    found: sqlite3.Row | None = conn.execute(
        "SELECT * FROM sends WHERE kind = ? AND day = ? AND target = ?", where
    ).fetchone()
    return found
