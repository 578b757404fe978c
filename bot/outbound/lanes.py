"""Interactive first: a rate limiter with two lanes, so a reply to a person never waits
behind the bot's bulk sends (prompts, nags, escalations, digests).

Both lanes share Telegram's limits: at most 30 messages in any second overall, a burst of 3
then one a second to one private chat, 20 a minute to one group. Only calls that create a
message count, each from the moment it starts until a second after its answer came back
(:class:`_Overall`, :class:`_Window`): it reached Telegram somewhere in between, so however
the network or a busy machine delays one send and not the next, Telegram never sees more
than its limit. Bulk sends also go evenly, one every 1/29 s at most, never in bursts, and
while replies hold places they leave a few free, so that a burst of replies goes at once.
A send waits first for its chat (in order), then for an overall place; a place goes to the
oldest waiting reply before any bulk send. Bulk sends are the ones made inside
:func:`bulk_sends` (the scheduler's tick wraps its work in it). A 429 from Telegram pauses
every send for its ``retry_after`` and the send is tried again.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30
BULK_PER_SECOND = 29
"""Bulk sends go evenly, at most this many a second."""
REPLY_ROOM = 2
"""Places bulk sends leave free, while people are being answered, for a burst of replies."""
PRIVATE_BURST = 3
"""Messages one private chat takes at once; then one a second."""
GROUP_PER_MINUTE = 20
POLL = 0.05
"""Seconds to wait for a place that only a send's answer can free."""
MESSAGE_ENDPOINTS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "copyMessage", "forwardMessage"}
)
REPLY, BULK = 0, 1
"""Lane priorities: lower goes first."""

_lane: contextvars.ContextVar[int] = contextvars.ContextVar("gridbot_send_lane", default=REPLY)

Result = bool | dict[str, Any] | list[dict[str, Any]]


@contextmanager
def bulk_sends() -> Iterator[None]:
    """Sends made in this block (and in tasks it starts) wait behind replies to people."""
    token = _lane.set(BULK)
    try:
        yield
    finally:
        _lane.reset(token)


def in_bulk_lane() -> bool:
    """Whether the sends made now are scheduled ones (inside :func:`bulk_sends`)."""
    return _lane.get() == BULK


@dataclass(frozen=True)
class ChatLimits:
    """How fast one chat may receive messages: ``private_burst`` messages in any
    ``private_period`` seconds to a private chat, ``group_per_minute`` a minute to a group."""

    private_burst: int = PRIVATE_BURST
    group_per_minute: int = GROUP_PER_MINUTE
    private_period: float = float(PRIVATE_BURST)
    """Telegram's: as many seconds as the burst, so one a second after it."""


TELEGRAM_CHAT_LIMITS = ChatLimits()
"""Telegram's own per-chat limits: what the bot keeps to in production and in the tests."""
FAST_FORWARD_CHAT_LIMITS = ChatLimits(
    private_burst=1_000, group_per_minute=60_000, private_period=1.0
)
"""For the demo, whose simulated people answer at machine speed through days played in
fast-forward against the local emulator: pacing each chat at one message a second of real
time would stretch a demo day to minutes. A thousand a second to a person (never reached:
the overall 30 a second still holds); a thousand in a thousand seconds held a long run's
chat back for up to a quarter of an hour after its thousandth message."""


@dataclass
class _Window:
    """At most ``limit`` sends to one chat in any ``period`` seconds, as Telegram sees them.

    A send counts from the moment it starts until ``period`` after its answer came back: it
    reached Telegram somewhere in between, so however the network delays one send and not
    the next, Telegram never sees more than ``limit`` in a period.
    """

    limit: int
    period: float
    times: deque[float] = field(default_factory=deque)
    in_flight: int = 0

    def wait(self, now: float) -> float:
        """Seconds until one more send fits (0: now; ``POLL`` when only an answer can free a
        place)."""
        while self.times and now - self.times[0] >= self.period:
            self.times.popleft()
        if len(self.times) + self.in_flight < self.limit:
            return 0.0
        return self.times[0] + self.period - now if self.times else POLL

    def start(self) -> None:
        self.in_flight += 1

    def done(self, now: float) -> None:
        self.in_flight -= 1
        self.times.append(now)


@dataclass
class _Overall:
    """Telegram's limit on all sends, counted like :class:`_Window`; bulk sends at least
    ``spacing`` apart and, while replies hold places, leaving ``room`` places free."""

    limit: int = OVERALL_PER_SECOND
    spacing: float = 1.0 / BULK_PER_SECOND
    room: int = REPLY_ROOM
    answered: deque[tuple[float, int]] = field(default_factory=deque)
    in_flight: list[int] = field(default_factory=lambda: [0, 0])
    replies: int = 0
    """Places replies hold (in flight or answered within the last second)."""
    last_bulk: float = float("-inf")

    def wait(self, now: float, lane: int) -> float:
        """Seconds until a send of ``lane`` fits (0: now; ``POLL`` when only an answer can
        free a place)."""
        while self.answered and now - self.answered[0][0] >= 1.0:
            _, gone = self.answered.popleft()
            self.replies -= gone == REPLY
        keep = self.room if lane == BULK and self.replies else 0
        free = self.limit - keep - len(self.answered) - sum(self.in_flight)
        if free > 0:
            wait = 0.0
        elif -free < len(self.answered):
            wait = self.answered[-free][0] + 1.0 - now
        else:
            wait = POLL
        if lane == BULK:
            wait = max(wait, self.last_bulk + self.spacing - now)
        return max(wait, 0.0)

    def start(self, now: float, lane: int) -> None:
        self.in_flight[lane] += 1
        self.replies += lane == REPLY
        if lane == BULK:
            self.last_bulk = now

    def done(self, now: float, lane: int) -> None:
        self.in_flight[lane] -= 1
        self.answered.append((now, lane))


@dataclass
class _Chat:
    window: _Window
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class LaneRateLimiter(BaseRateLimiter[None]):
    """Telegram's limits with a priority lane for replies; see the module docstring."""

    def __init__(
        self,
        *,
        max_retries: int = 3,
        clock: Callable[[], float] = time.monotonic,
        chat_limits: ChatLimits = TELEGRAM_CHAT_LIMITS,
    ):
        self._max_retries = max_retries
        self._chat_limits = chat_limits
        self._clock = clock
        self._overall = _Overall()
        self._chats: dict[int | str, _Chat] = {}
        self._queue: list[tuple[int, int]] = []
        self._tickets = itertools.count()
        self._changed = asyncio.Condition()
        self._paused_until = 0.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Result:
        chat_id = data.get("chat_id")
        if endpoint not in MESSAGE_ENDPOINTS or chat_id is None:
            return await callback(*args, **kwargs)
        chat, lane = self._chat(chat_id), _lane.get()
        async with chat.lock:
            for attempt in itertools.count():
                await self._sleep(chat.window.wait(self._clock()))
                await self._overall_slot(lane)
                chat.window.start()
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as error:
                    if attempt >= self._max_retries:
                        raise
                    pause = _seconds(error.retry_after)
                    log.warning("Telegram asked to wait %.1f s (%s)", pause, endpoint)
                    self._paused_until = max(self._paused_until, self._clock() + pause)
                finally:
                    answered = self._clock()
                    chat.window.done(answered)
                    self._overall.done(answered, lane)
        raise AssertionError("unreachable")

    def _chat(self, chat_id: object) -> _Chat:
        key = chat_id if isinstance(chat_id, int | str) else str(chat_id)
        chat = self._chats.get(key)
        if chat is None:
            group = isinstance(key, str) or key < 0
            limits = self._chat_limits
            window = (
                _Window(limits.group_per_minute, 60.0)
                if group
                else _Window(limits.private_burst, limits.private_period)
            )
            chat = self._chats[key] = _Chat(window)
        return chat

    async def _overall_slot(self, lane: int) -> None:
        """Wait until this send is the first in line (replies before bulk, then by arrival)
        and the pace allows one more; take the slot."""
        if not self._queue and self._take_slot(lane) <= 0:
            return  # nobody waits (each waiter holds a ticket in the queue): no need to queue
        ticket = (lane, next(self._tickets))
        heapq.heappush(self._queue, ticket)
        try:
            while True:
                async with self._changed:
                    await self._changed.wait_for(lambda: self._queue[0] == ticket)
                    wait = self._take_slot(lane)
                    if wait <= 0:
                        heapq.heappop(self._queue)
                        self._changed.notify_all()
                        return
                await self._sleep(wait)
        except BaseException:
            if ticket in self._queue:
                self._queue.remove(ticket)
                heapq.heapify(self._queue)
                async with self._changed:
                    self._changed.notify_all()
            raise

    def _take_slot(self, lane: int) -> float:
        """Take the slot if the pace (and a pause Telegram asked for) allows one more send
        now and return 0; else the seconds to wait."""
        now = self._clock()
        wait = max(self._overall.wait(now, lane), self._paused_until - now)
        if wait <= 0:
            self._overall.start(now, lane)
        return wait

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)


def _seconds(retry_after: object) -> float:
    """``RetryAfter.retry_after`` is an int or a timedelta depending on PTB's settings."""
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)  # type: ignore[arg-type]
