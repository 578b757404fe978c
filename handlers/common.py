"""The per-update view the handlers share: who, where, in which language; replies, refusals."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass

from telegram import (
    CallbackQuery,
    Chat,
    Message,
    Update,
    User,
)
from telegram.error import BadRequest

from bot.dependencies import Dependencies
from bot.domain.models import Grid, Worker
from bot.i18n import Locale, t
from bot.telegram_ui import Button, keyboard
from bot.usecases import people

GROUP_CHATS = frozenset({"group", "supergroup"})
"""Telegram chat types of a (supervisor) group."""


@dataclass
class Turn:
    """One update as the handlers see it: who, where, in which language."""

    update: Update
    deps: Dependencies
    locale: Locale

    @classmethod
    def of(cls, update: Update, deps: Dependencies) -> Turn:
        """Build the view, picking the user's language."""
        user = update.effective_user
        return cls(update, deps, deps.locale_for(user.language_code if user else None))

    @property
    def user(self) -> User:
        """The user who caused the update."""
        user = self.update.effective_user
        if user is None:
            raise ValueError("update without a user")
        return user

    @property
    def chat(self) -> Chat:
        """The chat the update came from."""
        chat = self.update.effective_chat
        if chat is None:
            raise ValueError("update without a chat")
        return chat

    @property
    def in_group(self) -> bool:
        """Whether the update came from a group (where supervisors are)."""
        return self.chat.type in GROUP_CHATS

    @property
    def query(self) -> CallbackQuery | None:
        """The button press, if this update is one."""
        return self.update.callback_query

    @property
    def text(self) -> str:
        """The message text (empty when there is none)."""
        message = self.update.effective_message
        return (message.text or "") if message else ""

    def t(self, key: str, /, **params: object) -> str:
        """Translate into this user's language."""
        return t(self.locale, key, **params)

    async def say(self, text: str, buttons: Sequence[Sequence[Button]] | None = None) -> Message:
        """Send a message to this chat."""
        markup = keyboard(buttons) if buttons else None
        return await self.chat.send_message(text, reply_markup=markup)

    async def answer_button(self, text: str | None = None, *, alert: bool = False) -> None:
        """Acknowledge a button press (Telegram shows a spinner until this is done)."""
        if self.query is not None:
            await self.query.answer(text, show_alert=alert)

    async def close_buttons(self) -> None:
        """Remove the keyboard of the pressed message so old buttons cannot be pressed again."""
        query = self.query
        if query is None or query.message is None:
            return
        try:
            await query.edit_message_reply_markup(None)
        except BadRequest:
            return

    async def worker(self) -> Worker | None:
        """The active worker bound to this Telegram user, if any (remembering their language,
        so that the messages the bot starts itself are in it too)."""
        language = self.locale if self.user.language_code else None
        return await people.worker_of(self.deps, self.user.id, language)

    async def grid_of(self, worker: Worker) -> Grid:
        """The worker's grid."""
        return await people.grid_of(self.deps, worker)

    async def pending_upload(
        self,
        user_data: MutableMapping[str, object] | None,
        *,
        key: str,
        cancel_data: str,
        messages: str,
    ) -> dict[str, object] | None:
        """An admin's ✅ or ✖️ under the preview of a file they sent: the pending upload
        (kept under ``key``) on ✅; else ``None`` after refusing a non-admin, or saying
        ``<messages>.cancelled`` or ``<messages>.expired``."""
        if not self.deps.is_admin(self.user.id):
            await self.refuse_unknown()
            return None
        await self.answer_button()
        await self.close_buttons()
        pending = (user_data or {}).pop(key, None)
        if self.query is None or self.query.data == cancel_data:
            await self.say(self.t(f"{messages}.cancelled"))
            return None
        if not isinstance(pending, dict):
            await self.say(self.t(f"{messages}.expired"))
            return None
        return pending

    async def refuse_unknown(self) -> None:
        """The one polite answer an unregistered user gets."""
        text = self.t("common.not_registered")
        if self.query is not None:
            await self.answer_button(text, alert=True)
            return
        await self.say(text)
