"""Telegram's flood limits, enforced the way Telegram does: a send over them fails with HTTP 429
and ``retry_after``, and nothing is delivered.

The limits (Bot API FAQ): about 30 messages a second overall, about one a second to one chat
(short bursts of a few are tolerated), 20 a minute to one group. Only calls that create a
message count; edits, callback answers and reads do not.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.emulator._records import ApiError

MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
    }
)


@dataclass
class _Window:
    """At most ``limit`` events in any ``period`` seconds."""

    limit: int
    period: float
    times: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        """Seconds until one more event fits (0: it fits now)."""
        while self.times and now - self.times[0] >= self.period:
            self.times.popleft()
        return 0.0 if len(self.times) < self.limit else self.times[0] + self.period - now

    def add(self, now: float) -> None:
        self.times.append(now)


@dataclass
class TelegramLimits:
    """The limits, and how many sends they refused."""

    overall_per_second: int = 30
    private_burst: int = 3
    """Messages one private chat takes at once; then one a second."""
    group_per_minute: int = 20
    clock: Callable[[], float] = time.monotonic
    refused: int = 0
    _overall: _Window = field(init=False)
    _chats: dict[int, _Window] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._overall = _Window(self.overall_per_second, 1.0)

    def admit(self, method: str, chat_id: object, is_group: bool) -> None:
        """Count a send, or raise a 429 ApiError when it is over a limit."""
        if method not in MESSAGE_METHODS or not isinstance(chat_id, int):
            return
        now = self.clock()
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = (
                _Window(self.group_per_minute, 60.0)
                if is_group
                else _Window(self.private_burst, float(self.private_burst))
            )
            self._chats[chat_id] = chat
        wait = max(self._overall.wait(now), chat.wait(now))
        if wait > 0:
            self.refused += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        self._overall.add(now)
        chat.add(now)
