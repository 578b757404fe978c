"""The Bot API methods, implemented against the emulated world."""

from __future__ import annotations

import copy
import io
import mimetypes
from collections.abc import Awaitable, Callable
from typing import Any

from PIL import Image

from bot.emulator._markup import caption_text, message_text, validate_commands, validate_markup
from bot.emulator._records import (
    ApiError,
    CallbackAnswer,
    JsonDict,
    StoredFile,
    UploadedFile,
    bad_request,
)
from bot.emulator._state import (
    BOT_ID,
    ChatState,
    EmulatorState,
    MessageRecord,
    kicked_error,
    member_json,
)

Handler = Callable[["Params"], Awaitable[Any]]

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


PHOTO_MAX_BYTES = 10 * 1024 * 1024
"""Telegram's limit for a photo upload."""
PHOTO_MAX_SIDES = 10_000
"""Telegram's limit for a photo's width + height."""


def photo_dimensions(content: bytes) -> tuple[int, int]:
    """Width and height of an uploaded photo, refused as Telegram refuses it."""
    if len(content) > PHOTO_MAX_BYTES:
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
            width, height = image.size
    except (OSError, SyntaxError, ValueError) as error:
        raise bad_request("IMAGE_PROCESS_FAILED") from error
    if width + height > PHOTO_MAX_SIDES or max(width, height) > 20 * min(width, height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return width, height


class Params:
    """A request's parameters (already decoded from the wire) with typed, validating getters."""

    def __init__(self, values: JsonDict) -> None:
        self.values = values

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def integer(self, name: str, default: int | None = None) -> int:
        value = self.values.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            if value is None:
                raise bad_request(f"parameter {name} is required")
            raise bad_request(f"invalid {name} specified")
        return value

    def number(self, name: str, default: float) -> float:
        value = self.values.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad_request(f"invalid {name} specified")
        return float(value)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)

    def flag(self, name: str) -> bool:
        return self.values.get(name) in (True, "true")

    def json_list(self, name: str) -> list[Any] | None:
        value = self.values.get(name)
        if value is not None and not isinstance(value, list):
            raise bad_request(f"can't parse {name} JSON object")
        return value


class BotApi:
    """Dispatches method names (case-insensitively) to their implementations."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        table: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.acknowledge,
            "close": self.acknowledge,
            "getUpdates": self.get_updates,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyDescription": self.set_my_description,
            "getMyDescription": self.get_my_description,
            "setMyShortDescription": self.set_my_short_description,
            "getMyShortDescription": self.get_my_short_description,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "answerCallbackQuery": self.answer_callback_query,
            "sendChatAction": self.send_chat_action,
            "getFile": self.get_file,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "pinChatMessage": self.pin_chat_message,
            "unpinChatMessage": self.unpin_chat_message,
        }
        self._handlers = {name.lower(): (name, handler) for name, handler in table.items()}

    def canonical(self, method: str) -> str:
        """Telegram's spelling of ``method``, or ``method`` itself when unknown."""
        entry = self._handlers.get(method.lower())
        return method if entry is None else entry[0]

    async def call(self, method: str, params: Params) -> Any:
        entry = self._handlers.get(method.lower())
        if entry is None:
            raise ApiError(404, "Not Found: method not found")
        return await entry[1](params)

    # bot and polling -------------------------------------------------------------------------

    async def get_me(self, params: Params) -> JsonDict:
        return dict(self.state.bot_user)

    async def acknowledge(self, params: Params) -> bool:
        return True

    async def get_updates(self, params: Params) -> list[JsonDict]:
        """Long polling: answer at once if updates are pending, else hold up to ``timeout``."""
        state = self.state
        if state.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        state.confirm(params.integer("offset", 0))
        kinds = params.json_list("allowed_updates")
        if kinds is not None:
            state.set_allowed_updates([str(kind) for kind in kinds])
        limit = min(max(params.integer("limit", 100), 1), 100)
        timeout = max(params.number("timeout", 0), 0.0)
        state.polls_waiting += 1
        generation = state.begin_poll()
        try:
            await state.changes.wait_until(
                lambda: (
                    state.closing
                    or state.poll_generation != generation
                    or bool(state.deliverable())
                ),
                timeout,
            )
        finally:
            state.polls_waiting -= 1
        if state.poll_generation != generation:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return copy.deepcopy(state.deliverable()[:limit])

    async def set_webhook(self, params: Params) -> bool:
        url = params.text("url") or ""
        self.state.webhook = {"url": url, "params": dict(params.values)} if url else None
        self._maybe_drop_pending(params)
        return True

    async def delete_webhook(self, params: Params) -> bool:
        self.state.webhook = None
        self._maybe_drop_pending(params)
        return True

    def _maybe_drop_pending(self, params: Params) -> None:
        if params.flag("drop_pending_updates"):
            self.state.drop_pending()

    async def get_webhook_info(self, params: Params) -> JsonDict:
        webhook = self.state.webhook
        return {
            "url": "" if webhook is None else webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self.state.deliverable()),
        }

    # commands and settings -------------------------------------------------------------------

    async def set_my_commands(self, params: Params) -> bool:
        pairs = validate_commands(params.get("commands"))
        scope = params.get("scope")
        if isinstance(scope, dict) and "chat_id" in scope:
            self.state.chat(scope["chat_id"])  # 400 "chat not found", as Telegram answers
        self.state.commands[_command_key(params)] = pairs
        return True

    async def get_my_commands(self, params: Params) -> list[JsonDict]:
        pairs = self.state.commands.get(_command_key(params), [])
        return [{"command": command, "description": text} for command, text in pairs]

    async def delete_my_commands(self, params: Params) -> bool:
        self.state.commands.pop(_command_key(params), None)
        return True

    async def set_my_description(self, params: Params) -> bool:
        return self._set_setting("description", params)

    async def get_my_description(self, params: Params) -> JsonDict:
        return self._get_setting("description", params)

    async def set_my_short_description(self, params: Params) -> bool:
        return self._set_setting("short_description", params)

    async def get_my_short_description(self, params: Params) -> JsonDict:
        return self._get_setting("short_description", params)

    def _set_setting(self, name: str, params: Params) -> bool:
        value = params.text(name) or ""
        limit = 512 if name == "description" else 120
        if len(value) > limit:
            raise bad_request(f"{name} is too long")
        self.state.settings[name][params.text("language_code") or ""] = value
        return True

    def _get_setting(self, name: str, params: Params) -> JsonDict:
        language = params.text("language_code") or ""
        return {name: self.state.settings[name].get(language, "")}

    async def set_chat_menu_button(self, params: Params) -> bool:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat_id = self.state.chat(chat_id).id
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict):
            raise bad_request("can't parse menu button JSON object")
        self.state.menu_buttons[chat_id] = button
        return True

    async def get_chat_menu_button(self, params: Params) -> JsonDict:
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat_id = self.state.chat(chat_id).id
        buttons = self.state.menu_buttons
        return dict(buttons.get(chat_id) or buttons.get(None) or {"type": "commands"})

    # sending ---------------------------------------------------------------------------------

    async def send_message(self, params: Params) -> JsonDict:
        chat = self.state.writable_chat(params.get("chat_id"))
        source, parse_mode = params.text("text"), params.text("parse_mode")
        text, entities = message_text(source, parse_mode, params.json_list("entities"))
        markup = validate_markup(params.get("reply_markup"))
        content: JsonDict = {"text": text, **_entities("entities", entities)}
        record = self._post(chat, content, markup, self._reply_to(chat, params))
        record.source, record.parse_mode = source, parse_mode
        return copy.deepcopy(record.message)

    async def send_document(self, params: Params) -> JsonDict:
        chat = self.state.writable_chat(params.get("chat_id"))
        document = self._input_file(params, "document")
        source, parse_mode = params.text("caption"), params.text("parse_mode")
        caption, entities = caption_text(source, parse_mode, params.json_list("caption_entities"))
        markup = validate_markup(params.get("reply_markup"))
        reply = self._reply_to(chat, params)
        stored = self._store(document)
        content: JsonDict = {"document": stored.as_document()}
        if caption:
            content.update({"caption": caption, **_entities("caption_entities", entities)})
        record = self._post(chat, content, markup, reply)
        record.source, record.parse_mode, record.file_id = source, parse_mode, stored.file_id
        return copy.deepcopy(record.message)

    async def send_photo(self, params: Params) -> JsonDict:
        """A photo: the upload must be an image Telegram can process (checked with Pillow);
        the message carries its sizes (one here: the original)."""
        chat = self.state.writable_chat(params.get("chat_id"))
        photo = self._input_file(params, "photo")
        source, parse_mode = params.text("caption"), params.text("parse_mode")
        caption, entities = caption_text(source, parse_mode, params.json_list("caption_entities"))
        markup = validate_markup(params.get("reply_markup"))
        reply = self._reply_to(chat, params)
        stored = self._store(photo)
        width, height = photo_dimensions(stored.content)
        size = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "width": width,
            "height": height,
            "file_size": len(stored.content),
        }
        content: JsonDict = {"photo": [size]}
        if caption:
            content.update({"caption": caption, **_entities("caption_entities", entities)})
        record = self._post(chat, content, markup, reply)
        record.source, record.parse_mode, record.file_id = source, parse_mode, stored.file_id
        return copy.deepcopy(record.message)

    def _post(
        self, chat: ChatState, content: JsonDict, markup: JsonDict | None, reply: JsonDict | None
    ) -> MessageRecord:
        """Create the bot's message once every parameter has been validated."""
        if reply is not None:
            content["reply_to_message"] = reply
        if markup is not None and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        record = self.state.post_message(chat, self.state.bot_user, content)
        record.markup = markup
        return record

    def _reply_to(self, chat: ChatState, params: Params) -> JsonDict | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict) and "message_id" in reply:
            message_id, lenient = (
                reply["message_id"],
                bool(reply.get("allow_sending_without_reply")),
            )
        elif params.get("reply_to_message_id") is not None:
            message_id = params.integer("reply_to_message_id")
            lenient = params.flag("allow_sending_without_reply")
        else:
            return None
        target = self.state.reply_target(chat, int(message_id))
        if target is None and not lenient:
            raise bad_request("message to be replied not found")
        return target

    def _input_file(self, params: Params, name: str) -> StoredFile | UploadedFile:
        """The uploaded part (direct or via ``attach://``) or an already known file."""
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, UploadedFile):
            if not value.content:
                raise bad_request("file must be non-empty")
            return value
        if isinstance(value, str) and value in self.state.files:
            return self.state.files[value]
        if value is None:
            raise bad_request(f"there is no {name} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _store(self, document: StoredFile | UploadedFile) -> StoredFile:
        if isinstance(document, StoredFile):
            return document
        guessed = mimetypes.guess_type(document.filename)[0]
        mime_type = guessed or document.content_type or "application/octet-stream"
        return self.state.store_file(document.filename, document.content, mime_type)

    # editing ---------------------------------------------------------------------------------

    async def edit_message_text(self, params: Params) -> JsonDict:
        record = self._editable(params)
        if record.file_id is not None:
            raise bad_request("there is no text in the message to edit")
        source, parse_mode = params.text("text"), params.text("parse_mode")
        text, entities = message_text(source, parse_mode, params.json_list("entities"))
        content: JsonDict = {"text": text, "entities": entities}
        return self._apply_edit(record, params, content, source, parse_mode)

    async def edit_message_caption(self, params: Params) -> JsonDict:
        record = self._editable(params)
        if record.file_id is None:
            raise bad_request("there is no caption in the message to edit")
        source, parse_mode = params.text("caption"), params.text("parse_mode")
        caption, entities = caption_text(source, parse_mode, params.json_list("caption_entities"))
        content: JsonDict = {"caption": caption, "caption_entities": entities}
        return self._apply_edit(record, params, content, source, parse_mode)

    async def edit_message_reply_markup(self, params: Params) -> JsonDict:
        record = self._editable(params)
        return self._apply_edit(record, params, {}, record.source, record.parse_mode)

    def _editable(self, params: Params) -> MessageRecord:
        if params.get("inline_message_id") is not None:
            raise bad_request("message to edit not found")
        chat = self.state.writable_chat(params.get("chat_id"))
        record = chat.messages.get(params.integer("message_id"))
        if record is None or record.deleted:
            raise bad_request("message to edit not found")
        if not record.from_bot:
            raise bad_request("message can't be edited")
        return record

    def _apply_edit(
        self,
        record: MessageRecord,
        params: Params,
        content: JsonDict,
        source: str | None,
        parse_mode: str | None,
    ) -> JsonDict:
        """Replace content and inline keyboard (omitting reply_markup removes it, as Telegram).

        ``content`` maps fields to new values; empty values delete the field.
        """
        markup = validate_markup(params.get("reply_markup"), inline_only=True)
        message = record.message
        unchanged = all(message.get(key) == (value or None) for key, value in content.items())
        if unchanged and message.get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED)
        for key, value in {**content, "reply_markup": markup}.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = self.state.timestamp()
        record.source, record.parse_mode, record.markup = source, parse_mode, markup
        record.edits += 1
        self.state.changes.notify()
        return copy.deepcopy(message)

    async def delete_message(self, params: Params) -> bool:
        chat = self.state.writable_chat(params.get("chat_id"))
        record = chat.messages.get(params.integer("message_id"))
        if record is None or record.deleted:
            raise bad_request("message to delete not found")
        record.deleted = True
        self.state.changes.notify()
        return True

    async def pin_chat_message(self, params: Params) -> bool:
        chat = self.state.writable_chat(params.get("chat_id"))
        record = chat.messages.get(params.integer("message_id"))
        if record is None or record.deleted:
            raise bad_request("message to pin not found")
        chat.pinned = record.message_id
        return True

    async def unpin_chat_message(self, params: Params) -> bool:
        self.state.writable_chat(params.get("chat_id")).pinned = None
        return True

    # interaction -----------------------------------------------------------------------------

    async def answer_callback_query(self, params: Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        query = self.state.queries.get(query_id)
        if query is None or query.answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.text("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        answer = CallbackAnswer(
            query_id=query_id,
            user_id=query.user_id,
            data=query.data,
            text=text,
            show_alert=params.flag("show_alert"),
            url=params.text("url"),
        )
        self.state.callback_answers.append(answer)
        return True

    async def send_chat_action(self, params: Params) -> bool:
        self.state.writable_chat(params.get("chat_id"))
        if params.text("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    # reading ---------------------------------------------------------------------------------

    async def get_file(self, params: Params) -> JsonDict:
        stored = self.state.files.get(params.text("file_id") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    async def get_chat(self, params: Params) -> JsonDict:
        chat = self._member_chat(params)
        gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
        return {
            **chat.chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {key: False for key in (*gifts, "gifts_from_channels")},
        }

    async def get_chat_member(self, params: Params) -> JsonDict:
        chat = self._member_chat(params)
        return self._member(chat, params.integer("user_id"))

    async def get_chat_administrators(self, params: Params) -> list[JsonDict]:
        chat = self._member_chat(params)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = sorted(chat.admins) + ([BOT_ID] if chat.bot_is_admin else [])
        return [self._member(chat, user_id) for user_id in admins]

    def _member_chat(self, params: Params) -> ChatState:
        chat = self.state.chat(params.get("chat_id"))
        if chat.kicked:
            raise kicked_error(chat)
        return chat

    def _member(self, chat: ChatState, user_id: int) -> JsonDict:
        user = self.state.user_json(user_id)
        if user_id == BOT_ID:
            status = chat.bot_status()
        elif chat.type == "private":
            status = "member" if user_id == chat.id else "left"
        elif user_id in chat.admins:
            status = "administrator"
        else:
            status = "member" if user_id in chat.members else "left"
        return member_json(user, status)


def _entities(key: str, entities: list[JsonDict]) -> JsonDict:
    return {key: entities} if entities else {}


def _command_key(params: Params) -> tuple[str, str]:
    """``(scope, language_code)``; scope is e.g. ``default`` or ``chat:-100123``."""
    scope = params.get("scope")
    if scope is None:
        scope_key = "default"
    elif isinstance(scope, dict) and "type" in scope:
        ids = [str(scope[key]) for key in ("chat_id", "user_id") if key in scope]
        scope_key = ":".join([str(scope["type"]), *ids])
    else:
        raise bad_request("can't parse BotCommandScope JSON object")
    return scope_key, params.text("language_code") or ""
