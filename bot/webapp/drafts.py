"""The chat's draft, read and written from the page.

The chat keeps a worker's draft in PTB's ``user_data`` under ``"draft"`` (persisted in SQLite
by :class:`storage.persistence.SQLitePersistence`). The page works on that very dict, through
the running Application, and writes it through the same persistence at once, so a worker can
switch between page and chat, or lose signal and come back, and find the same answers.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from bot.domain.draft import DRAFT_KEY, ZERO_KEY, Draft

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


class DraftStore:
    """Drafts of the chat conversation, by Telegram user id."""

    def __init__(self, application: AnyApplication) -> None:
        self._application = application

    def _data(self, telegram_id: int) -> dict[Any, Any]:
        # Application.user_data is a read-only view of a defaultdict: indexing creates the
        # user's dict, the same object the conversation's handlers get as context.user_data.
        data: dict[Any, Any] = self._application.user_data[telegram_id]
        return data

    def load(self, telegram_id: int) -> Draft | None:
        """The user's draft in progress, if there is a readable one."""
        return Draft.from_data(self._data(telegram_id).get(DRAFT_KEY))

    async def save(self, telegram_id: int, draft: Draft) -> None:
        """Keep the draft and write it to the database now.

        The step moves on, so buttons of the chat's last question expire: a tap there after
        an edit in the page answers "expired" instead of overwriting it.
        """
        draft.next_step()
        data = self._data(telegram_id)
        data[DRAFT_KEY] = draft.to_data()
        await self._persist(telegram_id, data)

    async def forget(self, telegram_id: int) -> None:
        """Drop the draft (it has been filed)."""
        data = self._data(telegram_id)
        data.pop(DRAFT_KEY, None)
        data.pop(ZERO_KEY, None)
        await self._persist(telegram_id, data)

    async def _persist(self, telegram_id: int, data: dict[Any, Any]) -> None:
        persistence = self._application.persistence
        if persistence is not None:
            await persistence.update_user_data(telegram_id, data)
