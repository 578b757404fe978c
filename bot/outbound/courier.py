"""Exactly-once delivery: every send is recorded before it goes out and retried on failure.

A send is keyed by (kind, day, target chat). The send-log row is claimed first (a fan-out
claims all of its sends at once, :meth:`Courier.claim_all`); a send that is already sent,
skipped or blocked is never repeated, so a restart or a second tick sends no second copy.
Transient failures (network errors, Telegram 5xx, timeouts, 429) are retried by the one retry
policy (:mod:`bot.outbound.retry`); a chat that blocked the bot (or a group that removed it)
is recorded as blocked, reported to the admins once, and not tried again that day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Generic, TypeVar

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.dependencies import Dependencies
from bot.domain.grid_names import grid_name
from bot.i18n import t
from bot.outbound.retry import UnconfirmedSend, counting
from bot.usecases.people import grid_of, worker_of
from bot.usecases.reach import is_unreachable, refused
from bot.usecases.send_log import (
    ONCE_EVER,
    SendKey,
    SendStatus,
    blocked_chats,
    claim_send,
    claim_sends,
    finish_send,
    found_blocked,
)
from bot.usecases.supervision import area_of_group

log = logging.getLogger(__name__)

T = TypeVar("T")

PARALLEL_SENDS = 8
"""Sends in flight at once; the rate limiter keeps them within Telegram's limits."""


async def gather_limited(jobs: Iterable[Awaitable[object]], limit: int = PARALLEL_SENDS) -> None:
    """Run the sends concurrently, ``limit`` at a time, so one slow chat blocks no other."""
    gate = asyncio.Semaphore(limit)

    async def run(job: Awaitable[object]) -> None:
        async with gate:
            await job

    await asyncio.gather(*(run(job) for job in jobs))


@dataclass(frozen=True, slots=True)
class Delivery(Generic[T]):
    """How a delivery ended, and what the send returned when it went out now."""

    status: SendStatus
    result: T | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A send claimed in the send log: where it stands (a final status means: do not send)
    and whether its chat was found blocked earlier that day."""

    status: SendStatus
    blocked: bool


class Courier:
    """Sends through the send log; shared by the scheduler and the commands."""

    def __init__(self, deps: Dependencies, bot: Bot) -> None:
        self.deps = deps
        self.bot = bot

    async def deliver(
        self,
        key: SendKey,
        send: Callable[[], Awaitable[T]],
        *,
        planned_at: datetime,
        grid_id: int | None = None,
        delayed: bool = False,
        claim: Claim | None = None,
    ) -> Delivery[T]:
        """Send once: claim the send-log row (unless ``claim`` says it was, with
        :meth:`claim_all`), send (the retry policy of :mod:`bot.outbound.retry` tries again on
        network errors, 5xx and 429), record the outcome."""
        if claim is None:
            record = await claim_send(self.deps, key, grid_id=grid_id, planned_at=planned_at)
            if record.status.final:
                return Delivery(record.status)
            claim = Claim(record.status, await self._refuses(key))
        if claim.status.final:
            return Delivery(claim.status)
        if claim.blocked:
            error = "blocked earlier (a person: until they write to the bot again)"
            await finish_send(self.deps, key, SendStatus.BLOCKED, attempts=0, error=error)
            return Delivery(SendStatus.BLOCKED)
        with counting() as attempts:
            try:
                result = await send()
            except (Forbidden, BadRequest) as failure:
                if isinstance(failure, BadRequest) and not _unreachable(failure):
                    error = str(failure)
                else:
                    await self._blocked(key, failure, attempts.count)
                    return Delivery(SendStatus.BLOCKED)
            except UnconfirmedSend as late:  # most likely delivered: never sent twice
                log.warning("send %s: %s", key, late)
                await finish_send(
                    self.deps, key, SendStatus.SENT, attempts=attempts.count, error=str(late)
                )
                return Delivery(SendStatus.SENT)
            except (RetryAfter, NetworkError) as failure:  # after the retry policy's tries
                error = str(failure)
            else:
                await finish_send(
                    self.deps, key, SendStatus.SENT, attempts=attempts.count, delayed=delayed
                )
                return Delivery(SendStatus.SENT, result)
        log.warning("send %s failed after %d attempts: %s", key, attempts.count, error)
        await finish_send(self.deps, key, SendStatus.FAILED, attempts=attempts.count, error=error)
        await self.tell_admins_once(
            f"failed:{key.kind}:{key.target}",
            "outbound.admin_failed",
            kind=key.kind,
            chat=await self.describe_chat(key.target),
            day=key.day.isoformat(),
            attempts=attempts.count,
            reason=error,
            day_scoped=key.day,
        )
        return Delivery(SendStatus.FAILED)

    async def claimed(self, key: SendKey) -> Claim:
        """The claim of a send the caller has just claimed in the send log itself (in the
        transaction of what it is about), for :meth:`deliver`."""
        return Claim(SendStatus.PLANNED, await self._refuses(key))

    async def _refuses(self, key: SendKey) -> bool:
        """Whether the send's chat refuses the bot's messages (see :func:`_refused`)."""
        removed = key.target < 0 and await found_blocked(self.deps, key.day, key.target)
        return _refused(self.deps, key.target, {key.target} if removed else set())

    async def _blocked(self, key: SendKey, failure: Exception, attempts: int) -> None:
        await finish_send(self.deps, key, SendStatus.BLOCKED, attempts=attempts, error=str(failure))
        await refused(self.deps, key.target, str(failure))
        await self.tell_admins_once(
            f"blocked:{key.target}",
            "outbound.admin_blocked",
            chat=await self.describe_chat(key.target),
            reason=str(failure),
        )

    async def describe_chat(self, chat: int) -> str:
        """A chat as admins know it: the worker and their grid, or the group's area."""
        locale = self.deps.settings.locale
        worker = await worker_of(self.deps, chat)
        if worker is not None:
            try:
                where = grid_name(await grid_of(self.deps, worker), locale, within=None)
            except LookupError:
                where = "?"
            return t(locale, "outbound.chat_worker", name=worker.name, grid=where, id=chat)
        area = await area_of_group(self.deps, chat)
        if area is not None:
            return t(locale, "outbound.chat_group", area=area.path, id=chat)
        return str(chat)

    async def claim_all(
        self, sends: Sequence[tuple[SendKey, int | None]], *, planned_at: datetime
    ) -> dict[SendKey, Claim]:
        """Claim many sends (each with its grid) in one transaction, for :meth:`deliver`."""
        records = await claim_sends(self.deps, sends, planned_at=planned_at)
        blocked = {day: await blocked_chats(self.deps, day) for day in {key.day for key in records}}
        return {
            key: Claim(record.status, _refused(self.deps, key.target, blocked[key.day]))
            for key, record in records.items()
        }

    async def skip_all(
        self, sends: Sequence[tuple[SendKey, int | None]], *, planned_at: datetime
    ) -> None:
        """Record many sends as skipped (their time has passed), unless already final."""
        claims = await self.claim_all(sends, planned_at=planned_at)
        await asyncio.gather(
            *(
                finish_send(self.deps, key, SendStatus.SKIPPED, attempts=0)
                for key, claim in claims.items()
                if not claim.status.final
            )
        )

    async def skip(self, key: SendKey, *, planned_at: datetime, grid_id: int | None = None) -> bool:
        """Record a send as skipped (its time has passed); False if it was already final."""
        record = await claim_send(self.deps, key, grid_id=grid_id, planned_at=planned_at)
        if record.status.final:
            return False
        await finish_send(self.deps, key, SendStatus.SKIPPED, attempts=0)
        return True

    async def tell_admins_once(
        self, topic: str, text_key: str, *, day_scoped: date | None = None, **params: object
    ) -> None:
        """A private notice to every admin, once per topic (per day when ``day_scoped``)."""
        settings = self.deps.settings
        text = t(settings.locale, text_key, **params)
        for admin in sorted(settings.admins):
            key = SendKey(f"notice:{topic}", day_scoped or ONCE_EVER, admin)
            record = await claim_send(self.deps, key, planned_at=self.deps.now())
            if record.status.final:
                continue
            try:
                await self.bot.send_message(admin, text)
            except (NetworkError, Forbidden, RetryAfter) as failure:
                log.warning("could not tell admin %s: %s", admin, failure)
                await finish_send(self.deps, key, SendStatus.FAILED, attempts=1, error=str(failure))
                continue
            await finish_send(self.deps, key, SendStatus.SENT, attempts=1)


def in_order(parts: Sequence[Callable[[], Awaitable[object]]]) -> Callable[[], Awaitable[None]]:
    """One send made of several messages (a split digest, its attachment): a retry resumes
    after the last part that went out, so no part reaches the chat twice."""
    done = 0

    async def send() -> None:
        nonlocal done
        late: UnconfirmedSend | None = None
        while done < len(parts):
            try:
                await parts[done]()
            except UnconfirmedSend as failure:  # most likely delivered: go on with the rest
                late = failure
            done += 1
        if late is not None:
            raise late

    return send


def _unreachable(failure: BadRequest) -> bool:
    """A chat that does not exist for the bot (never started it, or deleted)."""
    return "chat not found" in failure.message.lower()


def _refused(deps: Dependencies, chat: int, groups_blocked: Container[int]) -> bool:
    """A person who refused the bot's messages, until they write to it again; a group that
    removed the bot (one of ``groups_blocked``), for the rest of the day."""
    return is_unreachable(deps, chat) if chat > 0 else chat in groups_blocked
