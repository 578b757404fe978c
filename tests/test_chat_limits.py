"""Per-chat limits of the rate limiter: Telegram's in production and tests, lifted only for
the fast-forwarded demo (its simulated people answer at machine speed)."""

from typing import Any

import pytest

from bot.outbound.lanes import (
    FAST_FORWARD_CHAT_LIMITS,
    TELEGRAM_CHAT_LIMITS,
    ChatLimits,
    LaneRateLimiter,
)

PRIVATE_CHAT, GROUP_CHAT = 710000001, -1001


class PacedLimiter(LaneRateLimiter):
    """The real limiter on a clock that moves only when the limiter waits; records the waits."""

    def __init__(self, chat_limits: ChatLimits) -> None:
        self.now = 0.0
        self.waits: list[float] = []
        super().__init__(clock=lambda: self.now, chat_limits=chat_limits)

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.waits.append(seconds)
            self.now += seconds


async def send_many(limiter: LaneRateLimiter, chat_id: int, count: int) -> int:
    """Send ``count`` messages to one chat; return how many went through."""
    sent = 0

    async def deliver() -> dict[str, Any]:
        nonlocal sent
        sent += 1
        return {"message_id": sent}

    for _ in range(count):
        await limiter.process_request(deliver, (), {}, "sendMessage", {"chat_id": chat_id}, None)
    return sent


@pytest.mark.parametrize(
    ("chat_id", "count", "expected_waits"),
    [(PRIVATE_CHAT, 6, [3.0]), (GROUP_CHAT, 21, [60.0])],
)
async def test_telegram_limits_pace_each_chat(
    chat_id: int, count: int, expected_waits: list[float]
) -> None:
    """A burst of 3 then one a second to a person; 20 a minute to a group."""
    limiter = PacedLimiter(TELEGRAM_CHAT_LIMITS)
    assert await send_many(limiter, chat_id, count) == count
    assert limiter.waits == pytest.approx(expected_waits)


@pytest.mark.parametrize(("chat_id", "count"), [(PRIVATE_CHAT, 30), (GROUP_CHAT, 30)])
async def test_the_demos_fast_forward_does_not_pace_chats(chat_id: int, count: int) -> None:
    """The demo plays whole days in seconds: no chat waits, every message still goes out."""
    limiter = PacedLimiter(FAST_FORWARD_CHAT_LIMITS)
    assert await send_many(limiter, chat_id, count) == count
    assert limiter.waits == []
