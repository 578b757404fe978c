"""The chat's draft, read and written from the page.

The chat keeps a worker's draft in PTB's ``user_data`` under ``"draft"`` (persisted in SQLite
by :class:`storage.persistence.SQLitePersistence`). The page works on that very dict, through
the running Application, and writes it through the same persistence at once, so a worker can
switch between page and chat, or lose signal and come back, and find the same answers.

A call of the page changes the draft only during its user's turn (:meth:`DraftStore.turn`),
the lock the chat's updates of that user hold: two answers sent at once, or an answer in
the page while the chat handles a message, each read the draft the other one wrote.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from telegram.ext import Application

from bot.domain.draft import DRAFT_KEY, Draft, draft_revision, drop_draft, keep_draft
from bot.update_order import PerSenderUpdateProcessor

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class DraftStore:
    """Drafts of the chat conversation, by Telegram user id."""

    def __init__(self, application: AnyApplication) -> None:
        processor = application.update_processor
        if not isinstance(processor, PerSenderUpdateProcessor):
            raise TypeError("the page needs the chat's per-user update order (bot.update_order)")
        self._application = application
        self._order = processor

    def turn(self, telegram_id: int) -> AbstractAsyncContextManager[None]:
        """Hold off the user's chat updates and other calls while one call works on the
        draft (read, change, write)."""
        return self._order.user_turn(telegram_id)

    def _data(self, telegram_id: int) -> dict[Any, Any]:
        # Application.user_data is a read-only view of a defaultdict: indexing creates the
        # user's dict, the same object the conversation's handlers get as context.user_data.
        data: dict[Any, Any] = self._application.user_data[telegram_id]
        return data

    def load(self, telegram_id: int) -> Draft | None:
        """The user's draft in progress, if there is a readable one."""
        return Draft.from_data(self._data(telegram_id).get(DRAFT_KEY))

    async def committed_revision(self, telegram_id: int) -> int:
        """The revision of the user's draft (:func:`bot.domain.draft.draft_revision`), once
        it is in the database: the page never sees a revision that a restart could hand out
        again for another draft (if the chat's last write of it failed, it is written now;
        as usual nothing is written when nothing changed)."""
        data = self._data(telegram_id)
        await self._persist(telegram_id, data)
        return draft_revision(data)

    async def save(self, telegram_id: int, draft: Draft) -> None:
        """Keep the draft and write it to the database now.

        The step moves on, so buttons of the chat's last question expire: a tap there after
        an edit in the page answers "expired" instead of overwriting it.
        """
        draft.next_step()
        data = self._data(telegram_id)
        keep_draft(data, draft)
        await self._persist(telegram_id, data)

    async def forget(self, telegram_id: int) -> None:
        """Drop the draft (it has been filed)."""
        data = self._data(telegram_id)
        drop_draft(data)
        await self._persist(telegram_id, data)

    async def _persist(self, telegram_id: int, data: dict[Any, Any]) -> None:
        persistence = self._application.persistence
        if persistence is not None:
            await persistence.update_user_data(telegram_id, data)
