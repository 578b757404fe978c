"""The send log and the in-service day, at the service layer (the courier's exactly-once
delivery is built on these; the end-to-end tests prove the sends themselves)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from service_fixtures import DAY

from bot.dependencies import Dependencies
from bot.usecases import schedule
from bot.usecases.send_log import (
    SendKey,
    SendStatus,
    blocked_chats,
    claim_send,
    claim_sends,
    finish_send,
    found_blocked,
    unfinished_sends,
)

KEY = SendKey("confirm:1:1", DAY, 42)


async def test_a_send_is_claimed_once_and_stays_final(deps: Dependencies) -> None:
    first = await claim_send(deps, KEY, planned_at=deps.now(), grid_id=None)
    assert first.status == SendStatus.PLANNED
    assert [record.key for record in await unfinished_sends(deps, "confirm:", since=DAY)] == [KEY]
    await finish_send(deps, KEY, SendStatus.SENT, attempts=2)
    again = await claim_send(deps, KEY, planned_at=deps.now() + timedelta(hours=1))
    assert again.status.final and again.attempts == 2 and again.sent_at == deps.now()
    assert await unfinished_sends(deps, "confirm:", since=DAY) == []


async def test_a_failed_send_is_still_owed_and_a_blocked_chat_remembered(
    deps: Dependencies,
) -> None:
    await claim_send(deps, KEY, planned_at=deps.now())
    await finish_send(deps, KEY, SendStatus.FAILED, attempts=3, error="timed out")
    owed = await unfinished_sends(deps, "confirm:", since=DAY, target=42)
    assert [(record.status, record.error) for record in owed] == [(SendStatus.FAILED, "timed out")]
    assert not await found_blocked(deps, DAY, 42)
    other = SendKey("digest", DAY, 42)
    await claim_send(deps, other, planned_at=deps.now())
    await finish_send(deps, other, SendStatus.BLOCKED, attempts=1, error="Forbidden")
    assert await found_blocked(deps, DAY, 42)
    assert not await found_blocked(deps, DAY + timedelta(days=1), 42)


async def test_a_fan_out_is_claimed_at_once_and_its_outcomes_all_recorded(
    deps: Dependencies,
) -> None:
    """Claimed together (a send already final stays so), finished concurrently: every outcome
    is committed, whichever transaction carried it."""
    keys = [SendKey("prompt", DAY, 1000 + n) for n in range(30)]
    await claim_send(deps, keys[0], planned_at=deps.now())
    await finish_send(deps, keys[0], SendStatus.BLOCKED, attempts=1, error="Forbidden")
    claims = await claim_sends(deps, [(key, None) for key in keys], planned_at=deps.now())
    assert [claims[key].status for key in keys] == [SendStatus.BLOCKED] + [SendStatus.PLANNED] * 29
    assert await blocked_chats(deps, DAY) == {1000}
    await asyncio.gather(*(finish_send(deps, key, SendStatus.SENT, attempts=1) for key in keys[1:]))
    again = await claim_sends(deps, [(key, None) for key in keys], planned_at=deps.now())
    assert [again[key].status for key in keys] == [SendStatus.BLOCKED] + [SendStatus.SENT] * 29
    assert await unfinished_sends(deps, "prompt", since=DAY) == []


async def test_the_first_service_day_is_the_schedulers_first_run(deps: Dependencies) -> None:
    assert await schedule.first_service_day(deps) is None
    await schedule.in_service_since(deps, deps.now())
    assert await schedule.first_service_day(deps) == DAY
