"""Acting as the simulated people: send and tap through the emulator, wait for the bot, log it.

The log of what the people did is the users' half of the transcript (the bot's half is the
emulator's record) and half of the progress count.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.emulator import (
    BotApiEmulator,
    Joinable,
    SentMessage,
    SimGroup,
    SimUser,
    UserAction,
    WebAppLaunch,
)

SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
"""Bot API methods that create a message."""
REPLY_TIMEOUT = 60.0
"""Seconds to wait for a background command's answer (a ledger file takes the longest)."""


class DemoError(Exception):
    """The demo's script and the bot disagree: a simulated person does not know what to do."""


@dataclass(frozen=True, slots=True)
class UserEvent:
    """One thing a simulated person did in a chat.

    ``after`` orders it among the chat's messages: a typed message has its own message id, a
    tap comes just after the newest bot message of the chat at that moment.
    """

    chat_id: int
    after: float
    sender: str
    text: str
    at: datetime
    tapped_message: int | None = None
    """For a tap: the message whose button was tapped (``text`` is the button's label)."""


class Stage:
    """Where the people act: the emulator, the running bot's update queue and the clock."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        updates: Joinable,
        clock: Clock,
        page_url: str = "",
        background: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.emu = emulator
        self.clock = clock
        self.page_url = page_url
        """Where the bot's Mini App page is served on this machine ("" when it is not)."""
        self.events: list[UserEvent] = []
        self._updates = updates
        self._background = background
        """Waits for what the bot does in the background of an update (its urgent alerts)."""

    async def send(self, user: SimUser, text: str, *, chat: SimGroup | None = None) -> None:
        """``user`` types ``text`` (in their private chat, or in ``chat``); the bot handles it."""
        with _as_demo_error():
            action = await user.send(text, chat=chat)
            where = chat or user
            self._log(where.id, float(action.payload["message_id"]), user, text, None)
            await self._settle(action)

    async def ask(
        self, user: SimUser, text: str, *, chat: SimGroup | None = None, replies: int = 1
    ) -> None:
        """Send a command the bot answers in the background (``/stats``, ``/export``) and
        wait for its ``replies`` messages."""
        await self.send(user, text, chat=chat)
        with _as_demo_error():
            await (chat or user).wait_for_message(replies, timeout=REPLY_TIMEOUT)

    async def tap(
        self,
        user: SimUser,
        label: str,
        *,
        chat: SimGroup | None = None,
        message: SentMessage | None = None,
    ) -> None:
        """``user`` taps the button ``label`` (on ``message``, else the newest offering it)."""
        where = chat or user
        with _as_demo_error():
            newest = where.last().message_id
            action = await user.press(label, chat=chat, message=message)
            self._log(where.id, newest + 0.5, user, label, action.message_id)
            await self._settle(action)

    def open_page(self, user: SimUser, label: str) -> tuple[WebAppLaunch, int]:
        """``user`` taps the Mini App button ``label`` on the newest message: the page opens
        with its ``initData``. Returns it and the id of the message tapped."""
        with _as_demo_error():
            tapped = user.last().message_id
            launch = user.open_web_app(label)
        self._log(user.id, tapped + 0.5, user, label, tapped)
        return launch, tapped

    def note(self, user: SimUser, text: str, *, after: float) -> None:
        """What ``user`` did outside the chat (in the page), shown in their chat ``after``
        the message with that id."""
        self._log(user.id, after, user, text, None)

    def message_count(self) -> int:
        """Messages so far: the people's (taps included) and the bot's."""
        sent = sum(1 for call in self.emu.calls if call.ok and call.method in SEND_METHODS)
        return sent + len(self.events)

    def _log(
        self, chat_id: int, after: float, user: SimUser, text: str, tapped: int | None
    ) -> None:
        event = UserEvent(chat_id, after, user.first_name, text, self.clock.now(), tapped)
        self.events.append(event)

    async def _settle(self, action: UserAction) -> None:
        await self.emu.wait_processed(self._updates, action.update_id)
        if self._background is not None:
            await self._background()


@contextmanager
def _as_demo_error() -> Iterator[None]:
    """The emulator reports a user action that cannot happen (no such button, no answer
    from the bot in time) as an AssertionError, made for tests; the demo reports it."""
    try:
        yield
    except AssertionError as error:
        raise DemoError(str(error)) from None


def button_labels(message: SentMessage) -> list[str]:
    """Every inline button's text on ``message``, row by row."""
    return [label for row in message.buttons for label in row]
