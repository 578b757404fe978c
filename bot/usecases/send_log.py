"""The send log behind exactly-once delivery (:mod:`bot.outbound.courier`).

A send is claimed (recorded as planned unless it already is) before it goes out, and its
outcome recorded after, committed before the courier moves on: a send recorded as sent is
never sent again, even across a crash; one whose outcome a crash kept from being recorded is
still planned, and owed. A fan-out claims all its sends in one transaction, and outcomes
that end together share a commit (see ``ScheduleRepo.finish``). The send-log types are
re-exported for the outbound layer, which does not import storage.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.dependencies import Dependencies
from storage.schedule import ONCE_EVER, SendKey, SendRecord, SendStatus

__all__ = [
    "ONCE_EVER",
    "PrunedLog",
    "SendKey",
    "SendRecord",
    "SendStatus",
    "blocked_chats",
    "claim_send",
    "claim_sends",
    "finish_send",
    "found_blocked",
    "prune_send_log",
    "unfinished_sends",
]


async def claim_send(
    deps: Dependencies, key: SendKey, *, planned_at: datetime, grid_id: int | None = None
) -> SendRecord:
    """Record the send as planned unless it already is; its record as it stands now (a
    final status means: do not send)."""
    return await deps.db.schedule.claim(key, grid_id=grid_id, planned_at=planned_at)


async def claim_sends(
    deps: Dependencies, claims: Sequence[tuple[SendKey, int | None]], *, planned_at: datetime
) -> dict[SendKey, SendRecord]:
    """:func:`claim_send` for many sends (each with its grid) in one transaction."""
    return await deps.db.schedule.claim_many(claims, planned_at=planned_at)


async def finish_send(
    deps: Dependencies,
    key: SendKey,
    status: SendStatus,
    *,
    attempts: int,
    delayed: bool = False,
    error: str | None = None,
) -> None:
    """Record, now, how the send ended (sent, failed after ``attempts`` tries, skipped,
    blocked)."""
    await deps.db.schedule.finish(
        key, status, at=deps.now(), attempts=attempts, delayed=delayed, error=error
    )


async def found_blocked(deps: Dependencies, day: date, target: int) -> bool:
    """Whether a send to ``target`` on ``day`` already found the chat blocked."""
    return await deps.db.schedule.blocked(day, target)


async def blocked_chats(deps: Dependencies, day: date) -> set[int]:
    """The chats that a send on ``day`` already found blocked."""
    return await deps.db.schedule.blocked_targets(day)


async def unfinished_sends(
    deps: Dependencies, kind_prefix: str, *, since: date, target: int | None = None
) -> list[SendRecord]:
    """Sends of kinds starting with ``kind_prefix``, of ``since`` or later (optionally to
    one chat), still planned or failed: due, never delivered."""
    return await deps.db.schedule.unfinished(kind_prefix, since=since, target=target)


@dataclass(frozen=True, slots=True)
class PrunedLog:
    """What :func:`prune_send_log` dropped: days, and rows of the send log."""

    days: int
    rows: int
    longest: float = field(default=0.0, compare=False)
    """Seconds of the longest transaction: how long the bot's writes waited at most."""


PRUNE_BATCH = 5000
"""Send-log rows dropped in one transaction: a 10,000-grid district's whole day (some 36,000
rows and their index entries) held the bot's writes for about 2 s."""


async def prune_send_log(deps: Dependencies, *, batch: int = PRUNE_BATCH) -> PrunedLog:
    """Drop the send log's rows of days more than ``GRIDBOT_SEND_LOG_DAYS`` ago, keeping what
    the ledger and the digests read of them (each grid's reminder rounds, kept first). A day
    at a time, ``batch`` rows a transaction, so the bot's own writes get in between (a day of
    a 10,000-grid district is some 36,000 rows); notices given once and for all
    (:data:`ONCE_EVER`) are kept. Run every night by the scheduler."""
    schedule = deps.db.schedule
    horizon = deps.today() - timedelta(days=deps.settings.send_log_days)
    days = rows = 0
    longest = 0.0
    day = await schedule.first_logged_day(after=ONCE_EVER)
    while day is not None and day < horizon:
        started = time.monotonic()
        await schedule.keep_reminder_rounds(day)
        longest = max(longest, time.monotonic() - started)
        dropped = batch
        while dropped == batch:
            started = time.monotonic()
            dropped = await schedule.prune_sends(day, batch)
            longest = max(longest, time.monotonic() - started)
            rows += dropped
        days += 1
        day = await schedule.first_logged_day(after=day)
    return PrunedLog(days, rows, longest)
