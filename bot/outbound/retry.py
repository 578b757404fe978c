"""One retry policy for every message the bot sends: replies in a chat, scheduled sends, alerts.

Every Bot API call passes through the application's rate limiter, so the policy lives there
(:class:`RetryingRateLimiter`): Telegram's limits (:class:`bot.outbound.lanes.LaneRateLimiter`,
which waits out a 429 once and pauses every other send meanwhile), and on top of that network
errors, timeouts and 5xx answers are retried with backoff. Refusals (400 Bad Request, 403
Forbidden, a rejected token) are never retried: they would fail the same way again.

Only calls that deliver something to a user are retried; ``getUpdates`` has the updater's
own loop, and start-up calls (``getMe``, command menus) fail fast with one line.

A late answer is the one case where a retry can make a message arrive twice: the request
reached Telegram whole (the timeout struck while waiting for the answer), so Telegram may
have delivered it, only late, and the Bot API has no idempotency key. Sends wait long for
their answer (``DEFAULT_READ_TIMEOUT`` in :mod:`bot.app`, 20 s) so that this is rare, and
then: a scheduled send (the bulk lane: prompts, reminders, escalations, digests) is not
sent again — :class:`UnconfirmedSend`, recorded as sent but unconfirmed — since a second
copy to everyone is worse than the rare one Telegram took and then lost; a reply to a person
(confirmations, answers, an urgent alert raised by a report) is sent again — a second copy
is better than silence after someone filed a report. Timeouts before the request was sent
whole (connecting, waiting for a connection, writing) are retried like network errors.

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

import httpx
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.outbound.lanes import TELEGRAM_CHAT_LIMITS, ChatLimits, LaneRateLimiter, in_bulk_lane

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


class UnconfirmedSend(TimedOut):
    """A scheduled send's answer did not come in time after the request reached Telegram:
    most likely delivered late; not sent again (see the module docstring)."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(
            f"{endpoint}: no answer in time after the request reached Telegram; most likely"
            " delivered late, not sent again so that it cannot arrive twice"
        )


def reached_telegram(failure: NetworkError) -> bool:
    """A timeout that struck while waiting for the answer: the request was sent whole."""
    return isinstance(failure, TimedOut) and isinstance(failure.__cause__, httpx.ReadTimeout)


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
                if in_bulk_lane() and reached_telegram(failure):
                    raise UnconfirmedSend(endpoint) from failure
                log.warning("%s failed (attempt %d), retrying: %s", endpoint, attempt, failure)
                await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last attempt returns or raises")
