"""BotApiEmulator: the server, the world it serves and the controls tests use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol, Self

from aiohttp import web

from bot.emulator._api import BotApi
from bot.emulator._http import HttpFrontend
from bot.emulator._limits import TelegramLimits
from bot.emulator._records import ApiCall, Fault, JsonDict, SentMessage
from bot.emulator._sim import SimGroup, SimUser
from bot.emulator._state import ANONYMOUS_ADMIN, BOT_ID, ChatState, EmulatorState, member_json

LOOPBACK = "127.0.0.1"


class Joinable(Protocol):
    """Anything with ``join()``, like ``Application.update_queue``."""

    async def join(self) -> None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class BotApiEmulator:
    """A local Telegram Bot API on loopback, with simulated users driving it.

    Point PTB at it with ``base_url(emu.base_url)`` and ``base_file_url(emu.base_file_url)``.
    """

    def __init__(
        self,
        bot_username: str = "gridbot_demo_bot",
        *,
        bot_first_name: str = "gridbot",
        clock: Callable[[], datetime] | None = None,
        port: int = 0,
        privacy_mode: bool = True,
        limits: TelegramLimits | None = None,
    ) -> None:
        bot_user: JsonDict = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": not privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._state = EmulatorState(
            bot_user=bot_user, clock=clock or _utc_now, privacy_mode=privacy_mode
        )
        self._state.limits = limits
        self._frontend = HttpFrontend(self._state, BotApi(self._state))
        self._port = port
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on 127.0.0.1 (port 0 picks a free port)."""
        runner = web.AppRunner(self._frontend.application(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, LOOPBACK, self._port)
        await site.start()
        port = runner.addresses[0][1]
        self._runner, self._url = runner, f"http://{LOOPBACK}:{port}"
        self._state.closing = False

    async def stop(self) -> None:
        """Release held requests and shut the server down."""
        self._state.closing = True
        self._state.changes.notify()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        if self._url is None:
            raise RuntimeError("BotApiEmulator is not started")
        return self._url

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # the simulated world ---------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
        started: bool = True,
    ) -> SimUser:
        """A user and their private chat (id == user_id).

        ``started=False`` models someone who never opened the bot: sending to them fails with
        403 until they send something.
        """
        if user_id <= 0 or user_id in self._state.chats:
            raise ValueError(f"user id {user_id} must be positive and unused")
        optional = {"last_name": last_name, "username": username, "language_code": language_code}
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        user.update({key: value for key, value in optional.items() if value is not None})
        chat: JsonDict = {"id": user_id, "type": "private", "first_name": first_name}
        chat.update({k: v for k, v in optional.items() if v is not None and k != "language_code"})
        self._state.users[user_id] = user
        self._state.chats[user_id] = ChatState(chat, started=started)
        return SimUser(self._state, user)

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        admins: Iterable[SimUser] = (),
        members: Iterable[SimUser] = (),
        bot_is_admin: bool = False,
        username: str | None = None,
    ) -> SimGroup:
        """A group the bot is in. Ids starting with -100 are supergroups, others basic groups."""
        if chat_id >= 0 or chat_id in self._state.chats:
            raise ValueError(f"group id {chat_id} must be negative and unused")
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat: JsonDict = {"id": chat_id, "type": kind, "title": title}
        if username is not None:
            chat["username"] = username
        self._state.chats[chat_id] = ChatState(chat, bot_is_admin=bot_is_admin)
        group = SimGroup(self._state, chat_id, title)
        for member in members:
            group.add_member(member)
        for admin in admins:
            group.add_admin(admin)
        return group

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sends now fail with 403, a my_chat_member update is sent."""
        chat = self._private(chat_id)
        previous = chat.bot_status()
        chat.blocked = True
        self._announce_status(chat, self._state.user_json(chat_id), previous)

    def unblock(self, chat_id: int) -> None:
        chat = self._private(chat_id)
        previous = chat.bot_status()
        chat.blocked = False
        self._announce_status(chat, self._state.user_json(chat_id), previous)

    def kick_bot(self, chat_id: int, *, by: SimUser | None = None) -> None:
        """Remove the bot from a group (by ``by``, else the first admin or an anonymous one)."""
        chat = self._state.chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"{chat_id} is not a group")
        previous = chat.bot_status()
        chat.kicked = True
        self._announce_status(chat, by.user if by else self._group_actor(chat), previous)

    def _private(self, chat_id: int) -> ChatState:
        chat = self._state.chats.get(chat_id)
        if chat is None or chat.type != "private":
            raise ValueError(f"{chat_id} is not a user's private chat")
        return chat

    def _group_actor(self, chat: ChatState) -> JsonDict:
        first_admin = min(chat.admins, default=None)
        return dict(ANONYMOUS_ADMIN) if first_admin is None else self._state.user_json(first_admin)

    def _announce_status(self, chat: ChatState, actor: JsonDict, previous: str) -> None:
        """Emit the my_chat_member update Telegram sends when the bot's standing changes."""
        bot_user = self._state.bot_user
        self._state.enqueue(
            "my_chat_member",
            {
                "chat": dict(chat.chat),
                "from": dict(actor),
                "date": self._state.timestamp(),
                "old_chat_member": member_json(bot_user, previous),
                "new_chat_member": member_json(bot_user, chat.bot_status()),
            },
        )

    # fault injection -------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        times: int = 1,
        retry_after: int | None = None,
        delay: float | None = None,
        description: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail or hang.

        ``status`` defaults to 429 when ``retry_after`` is given, to 500 otherwise, and to no
        failure at all when only ``delay`` is given (the call then just answers late; if the
        client gave up meanwhile it is still applied, as with the real Telegram). A 429
        carries ``parameters.retry_after`` (default 1). Failed calls change nothing.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        if status is None and (retry_after is not None or delay is None):
            status = 429 if retry_after is not None else 500
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = Fault(status, retry_after, delay, description, times)
        self._state.faults.setdefault(method.lower(), []).append(fault)

    def clear_faults(self) -> None:
        """Drop every fault still waiting (``fail_next``): Telegram works normally again."""
        self._state.faults.clear()

    # records ---------------------------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        """Every API call in the order answered."""
        return list(self._state.calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self._state.calls if call.method.lower() == method.lower()]

    @property
    def sent(self) -> list[SentMessage]:
        """Every message the bot created, across chats, in order (current state)."""
        chats = self._state.chats
        return [
            self._state.snapshot(chats[chat_id], chats[chat_id].messages[message_id])
            for chat_id, message_id in self._state.sent
        ]

    @property
    def commands(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """setMyCommands registrations: ``(scope, language_code) -> [(command, description)]``.

        Scope is ``default``, ``all_private_chats``, ``chat:<id>``, ``chat_member:<id>:<user>``...
        """
        return {key: list(value) for key, value in self._state.commands.items()}

    @property
    def menu_buttons(self) -> dict[int | None, JsonDict]:
        """setChatMenuButton by chat id (None = the default for all chats)."""
        return dict(self._state.menu_buttons)

    @property
    def tokens_seen(self) -> set[str]:
        return set(self._state.tokens_seen)

    @property
    def downloads(self) -> list[str]:
        """File paths fetched through the download route."""
        return list(self._state.downloads)

    @property
    def pending_updates(self) -> int:
        """Updates created but not yet confirmed by a getUpdates offset."""
        return len(self._state.updates)

    @property
    def polls_waiting(self) -> int:
        """getUpdates requests currently being held (long polling)."""
        return self._state.polls_waiting

    def send_times(self, chat_id: int) -> list[float]:
        """``time.monotonic()`` of each message the bot sent to ``chat_id``."""
        chat = self._state.chats.get(chat_id)
        return [] if chat is None else list(chat.send_times)

    def pinned(self, chat_id: int) -> int | None:
        return self._state.chat(chat_id).pinned

    # synchronisation -------------------------------------------------------------------------

    async def wait_acknowledged(self, update_id: int | None = None, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot polled with an offset past ``update_id`` (default: the latest).

        Updates discarded with ``drop_pending_updates`` count as acknowledged.

        PTB only polls again after queueing the previous batch, so afterwards
        ``application.update_queue.join()`` means the update was handled.
        """
        target = self._state.last_update_id if update_id is None else update_id
        if target is None:
            return
        acknowledged = await self._state.changes.wait_until(
            lambda: self._state.acked_offset > target, timeout
        )
        if not acknowledged:
            raise AssertionError(
                f"update {target} not acknowledged within {timeout}s (is the bot polling?)\n"
                + self._state.describe_recent()
            )

    async def wait_processed(
        self,
        update_queue: Joinable,
        update_id: int | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """``wait_acknowledged`` then ``update_queue.join()``: the bot has handled the update."""
        await self.wait_acknowledged(update_id, timeout)
        try:
            await asyncio.wait_for(update_queue.join(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"the update queue did not drain within {timeout}s\n"
                + self._state.describe_recent()
            ) from None

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until ``predicate()`` holds; it is re-checked on every recorded change."""
        if not await self._state.changes.wait_until(predicate, timeout):
            raise AssertionError(
                f"condition not met within {timeout}s\n{self._state.describe_recent()}"
            )
