"""The rate limiter's limits: each chat's (Telegram's in production and tests, lifted only for
the fast-forwarded demo, whose simulated people answer at machine speed), the overall pace, and
replies before bulk sends."""

import asyncio
from typing import Any

import pytest

from bot.outbound.lanes import (
    BULK_PER_SECOND,
    FAST_FORWARD_CHAT_LIMITS,
    REPLY_ROOM,
    TELEGRAM_CHAT_LIMITS,
    ChatLimits,
    LaneRateLimiter,
    bulk_sends,
)

PRIVATE_CHAT, GROUP_CHAT = 710000001, -1001


PACE = 1 / BULK_PER_SECOND


class PacedLimiter(LaneRateLimiter):
    """The real limiter on a clock that moves only when the limiter waits."""

    def __init__(self, chat_limits: ChatLimits) -> None:
        self.now = 0.0
        super().__init__(clock=lambda: self.now, chat_limits=chat_limits)

    async def _sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


async def send_many(limiter: PacedLimiter, chat_ids: list[int]) -> list[float]:
    """Send one message to each chat in turn; the clock's time as each went out."""
    sent_at: list[float] = []

    async def deliver() -> dict[str, Any]:
        sent_at.append(limiter.now)
        return {"message_id": len(sent_at)}

    for chat_id in chat_ids:
        await limiter.process_request(deliver, (), {}, "sendMessage", {"chat_id": chat_id}, None)
    return sent_at


@pytest.mark.parametrize(
    ("chat_id", "expected"),
    [
        (PRIVATE_CHAT, [0, 0, 0, 3, 3, 3]),
        (GROUP_CHAT, [0] * 20 + [60]),
    ],
)
async def test_telegram_limits_pace_each_chat(chat_id: int, expected: list[float]) -> None:
    """A burst of 3 then one a second to a person; 20 a minute to a group."""
    limiter = PacedLimiter(TELEGRAM_CHAT_LIMITS)
    assert await send_many(limiter, [chat_id] * len(expected)) == pytest.approx(expected)


@pytest.mark.parametrize("chat_id", [PRIVATE_CHAT, GROUP_CHAT])
async def test_the_demos_fast_forward_does_not_pace_chats(chat_id: int) -> None:
    """The demo plays whole days in seconds: no chat waits, only the overall limit holds."""
    limiter = PacedLimiter(FAST_FORWARD_CHAT_LIMITS)
    sent_at = await send_many(limiter, [chat_id] * 31)
    assert sent_at == pytest.approx([0] * 30 + [1.0])


async def test_fast_forward_never_holds_a_chat_back_however_long_the_run() -> None:
    """A long fast-forwarded run (a soak: over a thousand replies to one worker) goes at the
    overall pace to the end: 30 a second, the 1,200th in its 40th second."""
    limiter = PacedLimiter(FAST_FORWARD_CHAT_LIMITS)
    sent_at = await send_many(limiter, [PRIVATE_CHAT] * 1_200)
    assert sent_at[-1] == pytest.approx(39.0)
    assert most_in_a_second(sent_at) == 30


def most_in_a_second(sent_at: list[float]) -> int:
    """The most sends that started within one second."""
    return max(sum(start <= other < start + 1.0 - 1e-9 for other in sent_at) for start in sent_at)


async def test_replies_to_many_chats_go_at_once_up_to_the_overall_limit() -> None:
    limiter = PacedLimiter(TELEGRAM_CHAT_LIMITS)
    chats = [PRIVATE_CHAT + n for n in range(40)]
    assert await send_many(limiter, chats) == pytest.approx([0] * 30 + [1.0] * 10)


async def test_bulk_sends_go_evenly_and_leave_room_for_replies() -> None:
    """One bulk send every 1/29 s, never 31 in a second; once a reply went out, bulk sends
    keep places free for more replies."""
    limiter = PacedLimiter(TELEGRAM_CHAT_LIMITS)
    chats = [PRIVATE_CHAT + n for n in range(90)]
    with bulk_sends():
        alone = await send_many(limiter, chats[:60])
    assert alone == pytest.approx([n * PACE for n in range(60)])
    assert most_in_a_second(alone) <= 30

    limiter.now += 5
    reply_at = (await send_many(limiter, [GROUP_CHAT]))[0]
    with bulk_sends():
        after_reply = await send_many(limiter, chats[60:])
    in_its_second = [at for at in after_reply if at < reply_at + 1.0]
    assert len(in_its_second) == 30 - 1 - REPLY_ROOM


class SteppedLimiter(LaneRateLimiter):
    """The real limiter on a clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0
        self._moved = asyncio.Event()
        super().__init__(clock=lambda: self.now)

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            await self._moved.wait()

    def advance(self, seconds: float) -> None:
        """Move the clock; every send waiting for it looks again."""
        self.now += seconds
        self._moved.set()
        self._moved = asyncio.Event()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_reply_takes_the_next_slot_before_waiting_bulk_sends() -> None:
    limiter = SteppedLimiter()
    order: list[str] = []

    async def send(name: str, chat_id: int) -> None:
        async def deliver() -> dict[str, Any]:
            order.append(name)
            return {"message_id": len(order)}

        await limiter.process_request(deliver, (), {}, "sendMessage", {"chat_id": chat_id}, None)

    with bulk_sends():
        bulk = [asyncio.create_task(send(f"bulk {n}", PRIVATE_CHAT + n)) for n in range(3)]
    await settle()
    reply = asyncio.create_task(send("reply", GROUP_CHAT))
    await settle()
    while len(order) < 4:
        limiter.advance(PACE)
        await settle()
    await asyncio.gather(reply, *bulk)
    assert order == ["bulk 0", "reply", "bulk 1", "bulk 2"]
