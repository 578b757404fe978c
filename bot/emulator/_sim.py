"""Simulated users and groups: they create updates for the bot and read what it sent."""

from __future__ import annotations

import copy
import mimetypes
from typing import Any

from bot.emulator._markup import command_entities, inline_rows, leading_command
from bot.emulator._records import CallbackAnswer, JsonDict, SentMessage, UserAction
from bot.emulator._state import BOT_ID, ChatState, EmulatorState, MessageRecord
from bot.emulator._webapp import WebAppLaunch, sign_init_data


class SimChat:
    """A chat seen from the users' side: the bot's messages in it, and waiting for more."""

    def __init__(self, state: EmulatorState, chat_id: int) -> None:
        self._state = state
        self.id = chat_id

    @property
    def _chat(self) -> ChatState:
        return self._state.chats[self.id]

    def inbox(self, *, include_deleted: bool = False) -> list[SentMessage]:
        """The bot's messages in this chat, oldest first, each in its current state."""
        chat = self._chat
        records = [chat.messages[message_id] for message_id in chat.bot_message_ids]
        return [
            self._state.snapshot(chat, record)
            for record in records
            if include_deleted or not record.deleted
        ]

    def last(self) -> SentMessage:
        """The bot's latest (not deleted) message here."""
        inbox = self.inbox()
        if not inbox:
            raise AssertionError(
                f"the bot has sent nothing to chat {self.id}\n{self._state.describe_recent()}"
            )
        return inbox[-1]

    def texts(self) -> list[str]:
        """Texts of the bot's text messages here, as sent (documents are skipped)."""
        return [message.text for message in self.inbox() if message.text is not None]

    def mark(self) -> None:
        """Make the next ``wait_for_message`` count only messages sent from now on."""
        self._chat.mark = len(self._chat.bot_message_ids)

    async def wait_for_message(self, count: int = 1, timeout: float = 10.0) -> list[SentMessage]:  # noqa: ASYNC109
        """Wait for ``count`` new bot messages here and return them.

        "New" counts from the last ``mark()``, the last action of a simulated user in this
        chat, or the previous ``wait_for_message`` (whichever came last); without any of
        those, from this call. Edits do not count.
        """
        chat = self._chat
        base = len(chat.bot_message_ids) if chat.mark is None else chat.mark
        goal = base + count
        arrived = await self._state.changes.wait_until(
            lambda: len(chat.bot_message_ids) >= goal, timeout
        )
        if not arrived:
            got = len(chat.bot_message_ids) - base
            raise AssertionError(
                f"expected {count} new bot message(s) in chat {self.id} within {timeout}s, "
                f"got {got}\n{self._state.describe_recent()}"
            )
        chat.mark = goal
        new_ids = chat.bot_message_ids[base:goal]
        return [self._state.snapshot(chat, chat.messages[message_id]) for message_id in new_ids]


class SimGroup(SimChat):
    """A group chat (negative id) with members and admins."""

    def __init__(self, state: EmulatorState, chat_id: int, title: str) -> None:
        super().__init__(state, chat_id)
        self.title = title

    def add_member(self, user: SimUser) -> None:
        self._chat.members.add(user.id)

    def add_admin(self, user: SimUser) -> None:
        self._chat.members.add(user.id)
        self._chat.admins.add(user.id)


class SimUser(SimChat):
    """A Telegram user; their private chat with the bot has id == user id."""

    def __init__(self, state: EmulatorState, user: JsonDict) -> None:
        super().__init__(state, int(user["id"]))
        self.user = user

    @property
    def first_name(self) -> str:
        return str(self.user["first_name"])

    @property
    def username(self) -> str | None:
        value = self.user.get("username")
        return None if value is None else str(value)

    # messages --------------------------------------------------------------------------------

    async def send(
        self, text: str, *, chat: SimGroup | None = None, reply_to: SentMessage | int | None = None
    ) -> UserAction:
        """Send a text message; commands get their ``bot_command`` entities."""
        content: JsonDict = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        return self._post(self._target(chat), content, reply_to)

    async def edit(self, sent: UserAction, text: str) -> UserAction:
        """Edit a text message this user sent earlier (Telegram sends ``edited_message``)."""
        message = copy.deepcopy(sent.payload)
        message["text"] = text
        message["edit_date"] = self._state.timestamp()
        message.pop("entities", None)
        if entities := command_entities(text):
            message["entities"] = entities
        update_id = self._state.enqueue("edited_message", message)
        return UserAction("edited_message", copy.deepcopy(message), update_id)

    async def send_content(self, content: JsonDict, *, chat: SimGroup | None = None) -> UserAction:
        """Send a message of any other kind: ``{"sticker": {...}}``, ``{"location": {...}}``…"""
        return self._post(self._target(chat), copy.deepcopy(content), None)

    async def start(self, payload: str | None = None) -> UserAction:
        """Open the bot, optionally through a deep link ``t.me/<bot>?start=<payload>``."""
        return await self.send("/start" if payload is None else f"/start {payload}")

    async def send_document(
        self,
        filename: str,
        content: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat: SimGroup | None = None,
    ) -> UserAction:
        """Upload a file; the bot can fetch it with getFile and the download URL."""
        target = self._target(chat)
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self._state.store_file(filename, content, mime)
        message: JsonDict = {"document": stored.as_document()}
        if caption:
            message["caption"] = caption
            entities = command_entities(caption)
            if entities:
                message["caption_entities"] = entities
        return self._post(target, message, None)

    def _post(
        self, chat: ChatState, content: JsonDict, reply_to: SentMessage | int | None
    ) -> UserAction:
        if reply_to is not None:
            message_id = reply_to if isinstance(reply_to, int) else reply_to.message_id
            target = self._state.reply_target(chat, message_id)
            if target is None:
                raise AssertionError(f"no message {message_id} to reply to in chat {chat.id}")
            content["reply_to_message"] = target
        record = self._state.post_message(chat, self.user, content)
        update_id = None
        if self._delivered(chat, record.message):
            update_id = self._state.enqueue("message", record.message)
        chat.mark = len(chat.bot_message_ids)
        return UserAction("message", copy.deepcopy(record.message), update_id)

    def _target(self, group: SimGroup | None) -> ChatState:
        """The chat a user action happens in, checking the user can act there."""
        if group is None:
            chat = self._state.chats[self.id]
            if chat.blocked:
                raise AssertionError(f"user {self.id} has blocked the bot; call emu.unblock()")
            chat.started = True
            return chat
        chat = self._state.chats[group.id]
        if chat.kicked:
            raise AssertionError(f"the bot is no longer in group {group.id}")
        chat.members.add(self.id)
        return chat

    def _delivered(self, chat: ChatState, message: JsonDict) -> bool:
        """Whether Telegram passes this message to the bot (group privacy mode)."""
        if chat.type == "private" or not self._state.privacy_mode or chat.bot_is_admin:
            return True
        text = str(message.get("text") or message.get("caption") or "")
        bot_username = str(self._state.bot_user["username"]).lower()
        command = leading_command(text)
        if command is not None:
            return command[1] is None or command[1].lower() == bot_username
        replied = message.get("reply_to_message") or {}
        return f"@{bot_username}" in text.lower() or replied.get("from", {}).get("id") == BOT_ID

    # buttons ---------------------------------------------------------------------------------

    async def press(
        self,
        button: str,
        *,
        message: SentMessage | int | None = None,
        chat: SimGroup | None = None,
    ) -> UserAction:
        """Press the inline button whose text or callback_data is ``button``.

        Looks on ``message`` if given, else on the newest bot message in the chat offering
        such a button.
        """
        target = self._target(chat)
        record, data = self._find_button(target, button, message)
        return self._callback(target, record.message, data)

    async def press_data(
        self, data: str | None, message_id: int, chat: SimGroup | None = None
    ) -> UserAction:
        """Forge a callback query with any ``data`` on any message (stale or forged buttons);
        ``None`` sends a query without data, as a game button would.

        A message that no longer exists arrives as an inaccessible message (``date`` 0).
        """
        target = self._target(chat)
        record = target.messages.get(message_id)
        if record is None or record.deleted:
            inaccessible = {"chat": dict(target.chat), "message_id": message_id, "date": 0}
            return self._callback(target, inaccessible, data)
        return self._callback(target, record.message, data)

    def _find_button(
        self, chat: ChatState, label: str, message: SentMessage | int | None
    ) -> tuple[MessageRecord, str]:
        if message is None:
            ids = chat.bot_message_ids[::-1]
        else:
            ids = [message if isinstance(message, int) else message.message_id]
        candidates = [chat.messages[i] for i in ids if i in chat.messages]
        for record in candidates:
            if record.deleted:
                continue
            for row in inline_rows(record.message.get("reply_markup")):
                for entry in row:
                    if "callback_data" in entry and label in (
                        entry["text"],
                        entry["callback_data"],
                    ):
                        return record, str(entry["callback_data"])
        raise AssertionError(
            f"no inline button {label!r} in chat {chat.id}; buttons on offer:\n"
            + _offer(candidates)
        )

    def _callback(self, chat: ChatState, message: JsonDict, data: str | None) -> UserAction:
        query_id = self._state.new_query(self.id, data)
        payload: JsonDict = {
            "id": query_id,
            "from": dict(self.user),
            "chat_instance": str(abs(chat.id) * 1_000_003 + 17),
            "message": copy.deepcopy(message),
        }
        if data is not None:
            payload["data"] = data
        else:
            payload["game_short_name"] = "game"
        update_id = self._state.enqueue("callback_query", payload)
        chat.mark = len(chat.bot_message_ids)
        return UserAction("callback_query", payload, update_id)

    def open_web_app(self, button: str, *, age_seconds: float = 0) -> WebAppLaunch:
        """Tap the Mini App button with this text on the newest bot message offering it:
        its URL and the ``initData`` Telegram would hand the page (signed for the bot)."""
        chat = self._target(None)
        for message_id in chat.bot_message_ids[::-1]:
            record = chat.messages[message_id]
            for row in inline_rows(record.message.get("reply_markup")):
                for entry in row:
                    if entry.get("text") == button and "web_app" in entry and not record.deleted:
                        return WebAppLaunch(
                            str(entry["web_app"]["url"]),
                            sign_init_data(self._bot_token(), self.user, age_seconds=age_seconds),
                        )
        raise AssertionError(f"no Mini App button {button!r} in chat {self.id}")

    def _bot_token(self) -> str:
        tokens = self._state.tokens_seen
        if len(tokens) != 1:
            raise AssertionError(f"expected one bot token, the emulator has seen {len(tokens)}")
        return next(iter(tokens))

    def callback_answers(self) -> list[CallbackAnswer]:
        """answerCallbackQuery calls for this user's presses, in the order answered."""
        return [a for a in self._state.callback_answers if a.user_id == self.id]


def _offer(records: list[MessageRecord]) -> str:
    lines: list[str] = []
    for record in records:
        rows: list[list[Any]] = inline_rows(record.message.get("reply_markup"))
        if rows and not record.deleted:
            labels = [[(b["text"], b.get("callback_data")) for b in row] for row in rows]
            lines.append(f"  message {record.message_id}: {labels}")
    return "\n".join(lines) or "  (no inline keyboards)"
