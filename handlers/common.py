"""Small helpers shared by the handlers: the per-update view, buttons, refusals."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.error import BadRequest

from bot.domain.models import Grid, Worker
from bot.i18n import Locale, t
from bot.services import Services

Button = tuple[str, str]
"""(visible text, callback data)."""

MENU_PREFIX = "m"
"""Buttons that start something (fill in, zero report…): valid whenever pressed."""
DRAFT_PREFIX = "c"
"""Buttons of one step of one draft: ``c:<draft id>:<step>:<action>[:<arg>]``."""


def escape(value: object) -> str:
    """HTML-escape a dynamic value for a message sent with parse_mode HTML."""
    return html.escape(str(value), quote=False)


def escaped(params: Mapping[str, object]) -> dict[str, str]:
    """Message parameters made safe for parse_mode HTML (they may hold what a user typed)."""
    return {key: escape(value) for key, value in params.items()}


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (text, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def menu_data(action: str) -> str:
    """Callback data of a menu button."""
    return f"{MENU_PREFIX}:{action}"


@dataclass(frozen=True)
class DraftButton:
    """A decoded draft button."""

    draft_id: str
    step: int
    action: str
    arg: str


def draft_data(draft_id: str, step: int, action: str, arg: str = "") -> str:
    """Callback data of a draft button (always well under Telegram's 64 bytes)."""
    data = f"{DRAFT_PREFIX}:{draft_id}:{step}:{action}"
    return f"{data}:{arg}" if arg else data


def parse_draft_data(data: str | None) -> DraftButton | None:
    """Decode draft button data; None for anything malformed or forged."""
    if not data:
        return None
    parts = data.split(":", 4)
    if len(parts) < 4 or parts[0] != DRAFT_PREFIX or not parts[2].isdigit():
        return None
    return DraftButton(parts[1], int(parts[2]), parts[3], parts[4] if len(parts) > 4 else "")


@dataclass
class Turn:
    """One update as the handlers see it: who, where, in which language."""

    update: Update
    services: Services
    locale: Locale

    @classmethod
    def of(cls, update: Update, services: Services) -> Turn:
        """Build the view, picking the user's language."""
        user = update.effective_user
        return cls(update, services, services.locale_for(user.language_code if user else None))

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
        roster = self.services.db.roster
        worker = await roster.worker_by_telegram_id(self.user.id)
        if worker is not None and self.user.language_code and worker.language != self.locale:
            await roster.remember_language(self.user.id, self.locale)
        return worker

    async def grid_of(self, worker: Worker) -> Grid:
        """The worker's grid."""
        grid = await self.services.db.roster.grid(worker.grid_id)
        if grid is None:
            raise LookupError(f"grid {worker.grid_id} of worker {worker.id} is missing")
        return grid

    async def refuse_unknown(self) -> None:
        """The one polite answer an unregistered user gets."""
        text = self.t("common.not_registered")
        if self.query is not None:
            await self.answer_button(text, alert=True)
            return
        await self.say(text)
