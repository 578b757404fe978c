"""One retry policy for every message the bot sends: replies in a chat, scheduled sends, alerts.

Every Bot API call passes through the application's rate limiter, so the policy lives there
(:class:`RetryingRateLimiter`): Telegram's limits (:class:`bot.outbound.lanes.LaneRateLimiter`,
which waits out a 429 once and pauses every other send meanwhile), and on top of that network
errors, timeouts and 5xx answers are retried with backoff. Refusals (400 Bad Request, 403
Forbidden, a rejected token) are never retried: they would fail the same way again.

Only calls that deliver something to a user are retried; ``getUpdates`` has the updater's
own loop, and start-up calls (``getMe``, command menus) fail fast with one line.

A caller that records attempts (the courier's send log) counts them with :func:`counting`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

from telegram.error import BadRequest, NetworkError

from bot.outbound.lanes import TELEGRAM_CHAT_LIMITS, ChatLimits, LaneRateLimiter

log = logging.getLogger(__name__)

DEFAULT_BACKOFF: Final = (1.0, 4.0, 15.0)
"""Pauses between attempts: four tries over about 20 seconds."""
RETRIED_PREFIXES: Final = ("send", "edit", "answer", "delete", "copy", "forward", "pin")
"""Bot API methods that deliver something to a user (``sendMessage``, ``editMessageText``,
``answerCallbackQuery``…)."""

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


@dataclass
class Attempts:
    """How many times the calls inside :func:`counting` were tried: the most tries any one
    call took (a digest of three messages sent at the first try counts 1)."""

    count: int = 0


_attempts: ContextVar[Attempts | None] = ContextVar("gridbot_send_attempts", default=None)


@contextmanager
def counting() -> Iterator[Attempts]:
    """Count the attempts of the Bot API calls made inside the block (by this task)."""
    attempts = Attempts()
    token = _attempts.set(attempts)
    try:
        yield attempts
    finally:
        _attempts.reset(token)


def retried(endpoint: str) -> bool:
    """Whether calls of this Bot API method are retried."""
    return endpoint.startswith(RETRIED_PREFIXES)


class RetryingRateLimiter(LaneRateLimiter):
    """Telegram's limits and the one retry policy (see the module docstring)."""

    def __init__(
        self,
        *,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        chat_limits: ChatLimits = TELEGRAM_CHAT_LIMITS,
    ) -> None:
        # a 429 is waited out once, here and nowhere else
        super().__init__(max_retries=1, chat_limits=chat_limits)
        self.backoff = tuple(backoff)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> JSONResult:
        """Send within the limits; retry network errors, timeouts and 5xx with backoff."""
        pauses = (*self.backoff, None) if retried(endpoint) else (None,)
        for attempt, pause in enumerate(pauses, start=1):
            counter = _attempts.get()
            if counter is not None:
                counter.count = max(counter.count, attempt)
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except BadRequest:
                raise
            except NetworkError as failure:
                if pause is None:
                    raise
                log.warning("%s failed (attempt %d), retrying: %s", endpoint, attempt, failure)
                await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last attempt returns or raises")
