"""The emulated Telegram world: chats, messages, files, pending updates and the call log."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.emulator._limits import TelegramLimits
from bot.emulator._markup import inline_rows, keyboard_texts
from bot.emulator._records import (
    ApiCall,
    ApiError,
    CallbackAnswer,
    DocumentInfo,
    Fault,
    JsonDict,
    SentMessage,
    StoredFile,
    bad_request,
    forbidden,
)

BOT_ID = 7000000001
ANONYMOUS_ADMIN: JsonDict = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)
_DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def kicked_error(chat: ChatState) -> ApiError:
    kind = "supergroup" if chat.type == "supergroup" else "group"
    return forbidden(f"bot was kicked from the {kind} chat")


def member_json(user: JsonDict, status: str) -> JsonDict:
    """A ChatMember object with the fields PTB requires for ``status``."""
    member: JsonDict = {"status": status, "user": dict(user)}
    if status == "administrator":
        rights = dict.fromkeys(_ADMIN_RIGHTS, True)
        member.update(rights, can_be_edited=False, is_anonymous=False, can_promote_members=False)
    elif status == "kicked":
        member["until_date"] = 0
    return member


class Broadcast:
    """Wakes every waiter on each change; each waiter re-checks its own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], bool], within: float | None) -> bool:
        """True once ``predicate()`` holds, False if ``within`` seconds pass first."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while True:
            event = self._event
            if predicate():
                return True
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return predicate()


@dataclass(slots=True)
class MessageRecord:
    """A message as it currently stands; ``source``/``parse_mode`` are what the bot sent."""

    message: JsonDict
    from_bot: bool
    date: datetime
    source: str | None = None
    parse_mode: str | None = None
    markup: JsonDict | None = None
    file_id: str | None = None
    edits: int = 0
    deleted: bool = False

    @property
    def message_id(self) -> int:
        return int(self.message["message_id"])


@dataclass(slots=True)
class ChatState:
    """One chat: its Telegram Chat object, messages and the bot's standing in it."""

    chat: JsonDict
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    next_message_id: int = 1
    blocked: bool = False
    kicked: bool = False
    started: bool = True
    bot_is_admin: bool = False
    admins: set[int] = field(default_factory=set)
    members: set[int] = field(default_factory=set)
    send_times: list[float] = field(default_factory=list)
    mark: int | None = None
    pinned: int | None = None

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    @property
    def type(self) -> str:
        return str(self.chat["type"])

    def bot_status(self) -> str:
        if self.blocked:
            return "kicked"
        if self.kicked:
            return "kicked" if self.type == "supergroup" else "left"
        return "administrator" if self.bot_is_admin else "member"


@dataclass(slots=True)
class PendingQuery:
    user_id: int
    data: str | None
    answered: bool = False


class EmulatorState:
    """Everything the emulator knows; shared by the HTTP side and the simulated users."""

    def __init__(
        self, *, bot_user: JsonDict, clock: Callable[[], datetime], privacy_mode: bool
    ) -> None:
        self.bot_user = bot_user
        self.clock = clock
        self.privacy_mode = privacy_mode
        self.users: dict[int, JsonDict] = {}
        self.chats: dict[int, ChatState] = {}
        self.updates: list[JsonDict] = []
        self.next_update_id = 1
        self.acked_offset = 0
        self.poll_generation = 0
        self.polls_waiting = 0
        self.allowed_updates: frozenset[str] | None = None
        self.files: dict[str, StoredFile] = {}
        self.calls: list[ApiCall] = []
        self.limits: TelegramLimits | None = None
        """Telegram's flood limits, when the emulator enforces them (off by default)."""
        self.sent: list[tuple[int, int]] = []
        self.queries: dict[str, PendingQuery] = {}
        self.callback_answers: list[CallbackAnswer] = []
        self.commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.settings: dict[str, dict[str, str]] = {"description": {}, "short_description": {}}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.webhook: JsonDict | None = None
        self.faults: dict[str, list[Fault]] = {}
        self.tokens_seen: set[str] = set()
        self.downloads: list[str] = []
        self.changes = Broadcast()
        self.closing = False

    def timestamp(self) -> int:
        return int(self.clock().timestamp())

    # chats -----------------------------------------------------------------------------------

    def chat(self, chat_id: object) -> ChatState:
        """The chat ``chat_id`` names (an id or a public group's ``@username``), else 400."""
        if isinstance(chat_id, int) and chat_id in self.chats:
            return self.chats[chat_id]
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self.chats.values():
                username = str(chat.chat.get("username", "")).lower()
                if chat.type != "private" and username == chat_id[1:].lower():
                    return chat
        raise bad_request("chat not found")

    def writable_chat(self, chat_id: object) -> ChatState:
        """A chat the bot may act in: 403 when blocked, kicked or never started."""
        chat = self.chat(chat_id)
        if chat.blocked:
            raise forbidden("bot was blocked by the user")
        if chat.kicked:
            raise kicked_error(chat)
        if not chat.started:
            raise forbidden("bot can't initiate conversation with a user")
        return chat

    def user_json(self, user_id: int) -> JsonDict:
        if user_id == BOT_ID:
            return dict(self.bot_user)
        if user_id not in self.users:
            raise bad_request("user not found")
        return dict(self.users[user_id])

    # messages --------------------------------------------------------------------------------

    def post_message(self, chat: ChatState, sender: JsonDict, content: JsonDict) -> MessageRecord:
        """Create a message in ``chat`` from ``sender`` (the bot or a user)."""
        now = self.clock()
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message: JsonDict = {
            "message_id": message_id,
            "from": dict(sender),
            "chat": dict(chat.chat),
            "date": int(now.timestamp()),
            **content,
        }
        record = MessageRecord(message, from_bot=sender["id"] == BOT_ID, date=now)
        chat.messages[message_id] = record
        if record.from_bot:
            chat.bot_message_ids.append(message_id)
            chat.send_times.append(time.monotonic())
            self.sent.append((chat.id, message_id))
        self.changes.notify()
        return record

    def reply_target(self, chat: ChatState, message_id: int) -> JsonDict | None:
        """The replied-to message as embedded in ``reply_to_message``, if it still exists."""
        record = chat.messages.get(message_id)
        if record is None or record.deleted:
            return None
        target = copy.deepcopy(record.message)
        target.pop("reply_to_message", None)
        return target

    def snapshot(self, chat: ChatState, record: MessageRecord) -> SentMessage:
        rows = inline_rows(record.message.get("reply_markup"))
        return SentMessage(
            message_id=record.message_id,
            chat_id=chat.id,
            text=None if record.file_id else record.source,
            plain_text=record.message.get("text"),
            parse_mode=record.parse_mode,
            reply_markup=copy.deepcopy(record.markup),
            buttons=[[str(button["text"]) for button in row] for row in rows],
            callback_data=[b["callback_data"] for row in rows for b in row if "callback_data" in b],
            keyboard=keyboard_texts(record.markup),
            document=self._file(record) if "document" in record.message else None,
            edits=record.edits,
            date=record.date,
            deleted=record.deleted,
            raw=copy.deepcopy(record.message),
            photo=self._file(record) if "photo" in record.message else None,
        )

    def _file(self, record: MessageRecord) -> DocumentInfo | None:
        if record.file_id is None:
            return None
        stored = self.files[record.file_id]
        return DocumentInfo(
            filename=stored.filename,
            content=stored.content,
            caption=record.source,
            mime_type=stored.mime_type,
            file_id=stored.file_id,
        )

    # files -----------------------------------------------------------------------------------

    def store_file(self, filename: str, content: bytes, mime_type: str) -> StoredFile:
        number = len(self.files) + 1
        extension = filename.rpartition(".")[2] if "." in filename else "bin"
        stored = StoredFile(
            file_id=f"BQACAgUAAxkBAAI{number:08d}emu",
            file_unique_id=f"AgAD{number:08d}",
            file_path=f"documents/file_{number}.{extension}",
            filename=filename,
            mime_type=mime_type,
            content=content,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        return next((f for f in self.files.values() if f.file_path == path), None)

    # updates ---------------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: JsonDict) -> int:
        update_id = self.next_update_id
        self.next_update_id += 1
        self.updates.append({"update_id": update_id, kind: copy.deepcopy(payload)})
        self.changes.notify()
        return update_id

    @property
    def last_update_id(self) -> int | None:
        return self.next_update_id - 1 if self.next_update_id > 1 else None

    def confirm(self, offset: int) -> None:
        """Apply getUpdates' ``offset``: earlier updates are confirmed and forgotten."""
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            if offset > self.acked_offset:
                self.acked_offset = offset
                self.changes.notify()
        elif offset < 0:
            self.updates = self.updates[offset:]

    def drop_pending(self) -> None:
        """Forget every pending update; they count as acknowledged."""
        self.updates.clear()
        self.acked_offset = max(self.acked_offset, self.next_update_id)
        self.changes.notify()

    def set_allowed_updates(self, kinds: list[str]) -> None:
        self.allowed_updates = frozenset(kinds) if kinds else None

    def deliverable(self) -> list[JsonDict]:
        """Pending updates, dropping those of types the bot did not ask for."""
        self.updates = [u for u in self.updates if self._allowed(u)]
        return self.updates

    def _allowed(self, update: JsonDict) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self.allowed_updates is None:
            return kind not in _DEFAULT_EXCLUDED
        return kind in self.allowed_updates

    def begin_poll(self) -> int:
        """Start a getUpdates request; any older one still waiting is terminated (409)."""
        self.poll_generation += 1
        self.changes.notify()
        return self.poll_generation

    # callback queries ------------------------------------------------------------------------

    def new_query(self, user_id: int, data: str | None) -> str:
        query_id = str(4_000_000_000_000_000 + len(self.queries) + 1)
        self.queries[query_id] = PendingQuery(user_id, data)
        return query_id

    # calls and faults ------------------------------------------------------------------------

    def record(self, call: ApiCall) -> None:
        self.calls.append(call)
        self.changes.notify()

    def take_fault(self, method: str) -> Fault | None:
        queue = self.faults.get(method.lower())
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.pop(0)
        return fault

    async def pause(self, seconds: float) -> None:
        """Sleep ``seconds``, cut short when the emulator stops."""
        await self.changes.wait_until(lambda: self.closing, seconds)

    def describe_recent(self, limit: int = 15) -> str:
        """The last calls (minus empty polls), for assertion messages."""
        calls = [c for c in self.calls if not (c.method == "getUpdates" and c.result == [])]
        lines = [f"  {_describe(call)}" for call in calls[-limit:]]
        return "recent Bot API calls:\n" + ("\n".join(lines) if lines else "  (none)")


def _describe(call: ApiCall) -> str:
    params = ", ".join(f"{key}={_short(value)}" for key, value in call.params.items())
    return f"{call.method}({params}) -> {call.outcome}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
