"""The send log behind exactly-once delivery (:mod:`bot.outbound.courier`).

A send is claimed (recorded as planned unless it already is) before it goes out, and its
outcome recorded after; each of these is one transaction, so a crash between them leaves the
send planned or failed, never sent twice. The send-log types are re-exported for the
outbound layer, which does not import storage.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.dependencies import Dependencies
from storage.schedule import SendKey, SendRecord, SendStatus

__all__ = [
    "SendKey",
    "SendRecord",
    "SendStatus",
    "claim_send",
    "finish_send",
    "found_blocked",
    "unfinished_sends",
]


async def claim_send(
    deps: Dependencies, key: SendKey, *, planned_at: datetime, grid_id: int | None = None
) -> SendRecord:
    """Record the send as planned unless it already is; its record as it stands now (a
    final status means: do not send)."""
    return await deps.db.schedule.claim(key, grid_id=grid_id, planned_at=planned_at)


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


async def unfinished_sends(
    deps: Dependencies, kind_prefix: str, *, since: date, target: int | None = None
) -> list[SendRecord]:
    """Sends of kinds starting with ``kind_prefix``, of ``since`` or later (optionally to
    one chat), still planned or failed: due, never delivered."""
    return await deps.db.schedule.unfinished(kind_prefix, since=since, target=target)
