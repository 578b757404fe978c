"""Updates from different people are handled at the same time; one person's stay in order.

python-telegram-bot handles updates one at a time by default, so a worker whose answer waits
for a send slot holds up every other worker. :class:`PerSenderUpdateProcessor` runs updates
concurrently, except that updates of the same user, or of the same chat, wait for each other
(a conversation is keyed by chat and user, so it always sees its updates one by one, in the
order Telegram sent them). The Mini App's calls take their user's turn too
(:meth:`PerSenderUpdateProcessor.user_turn`): the chat and the page change one draft.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 256


class PerSenderUpdateProcessor(BaseUpdateProcessor):
    """Concurrent updates, serialized per user and per chat."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[tuple[str, int], _Lock] = {}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        keys = sorted(_keys(update))
        async with AsyncExitStack() as stack:
            for key in keys:
                await stack.enter_async_context(self._lock(key))
            await coroutine

    def user_turn(self, user_id: int) -> AbstractAsyncContextManager[None]:
        """Wait until no update of this user is being handled, and hold them off meanwhile
        (the page's calls read, change and write the draft the chat works on)."""
        return self._lock(("user", user_id))

    def _lock(self, key: tuple[str, int]) -> _Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = _Lock(self._locks, key)
        return lock


class _Lock:
    """A lock that forgets itself when nobody holds or waits for it (no growth per user)."""

    def __init__(self, owner: dict[tuple[str, int], _Lock], key: tuple[str, int]) -> None:
        self._owner = owner
        self._key = key
        self._lock = asyncio.Lock()
        self._users = 0

    async def __aenter__(self) -> None:
        self._users += 1
        try:
            await self._lock.acquire()
        except BaseException:
            self._leave()
            raise

    async def __aexit__(self, *exc_info: object) -> None:
        self._lock.release()
        self._leave()

    def _leave(self) -> None:
        self._users -= 1
        if self._users == 0:
            self._owner.pop(self._key, None)


def _keys(update: object) -> set[tuple[str, int]]:
    if not isinstance(update, Update):
        return set()
    keys = set()
    if update.effective_user is not None:
        keys.add(("user", update.effective_user.id))
    if update.effective_chat is not None:
        keys.add(("chat", update.effective_chat.id))
    return keys
