"""The end-to-end harness: the real application against the Bot API emulator over HTTP.

Only the Telegram server (the emulator, on 127.0.0.1) and the clock are stand-ins; handlers,
storage (a real SQLite file) and persistence are the real ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import date, datetime, time
from pathlib import Path

from bot.app import DEFAULT_READ_TIMEOUT, RunningBot, running_bot
from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.models import Report, Worker
from bot.domain.roster import parse_roster
from bot.emulator import BotApiEmulator, SentMessage, SimGroup, SimUser, UserAction
from bot.outbound.lanes import FAST_FORWARD_CHAT_LIMITS

TOKEN = "7000000001:TEST-TOKEN"
ADMIN_ID = 900_000_001
ROSTER = Path(__file__).parent / "data" / "roster.csv"
DAY = date(2026, 11, 22)


class Harness:
    """A running bot plus helpers to act as its users and read what they saw."""

    def __init__(self, emulator: BotApiEmulator, clock: ManualClock, db_path: Path) -> None:
        self.emu = emulator
        self.clock = clock
        self.settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            token=TOKEN,
            api_base_url=emulator.url,
            db=db_path,
            admins=frozenset({ADMIN_ID}),
            timezone=clock.tz,
            deadline=time(17, 0),
        )
        self._stack: AsyncExitStack | None = None
        self._deps: Dependencies | None = None
        self._running: RunningBot | None = None
        self.read_timeout = DEFAULT_READ_TIMEOUT
        self.chat_limits = FAST_FORWARD_CHAT_LIMITS
        """Simulated people answer at machine speed while the clock is driven by hand: paced
        at Telegram's one message a second per chat, a report in chat would take its number
        of questions in real seconds. The pacing itself is tested in test_chat_limits and
        measured against the emulator's enforced limits in bench/."""

    @property
    def deps(self) -> Dependencies:
        """The running application's deps."""
        assert self._deps is not None, "the bot is not running"
        return self._deps

    async def start(self) -> None:
        """Open the database and start polling the emulator."""
        stack = AsyncExitStack()
        self._deps = await stack.enter_async_context(open_dependencies(self.settings, self.clock))
        self._running = await stack.enter_async_context(
            running_bot(
                self._deps,
                TOKEN,
                poll_timeout=1,
                schedule=False,
                backoff=(0, 0, 0),
                read_timeout=self.read_timeout,
                chat_limits=self.chat_limits,
            )
        )
        self._stack = stack

    async def stop(self) -> None:
        """Stop the application and close the database, as a shutdown would."""
        if self._stack is not None:
            await self._stack.aclose()
        self._stack = self._deps = self._running = None

    async def restart(self) -> None:
        """A new application on the same database file."""
        await self.stop()
        await self.start()

    async def import_roster(self, path: Path = ROSTER) -> None:
        """Import a roster file the way ``gridbot roster import`` does."""
        parsed = parse_roster(path.name, await asyncio.to_thread(path.read_bytes))
        assert parsed.errors == []
        await self.deps.db.roster.apply(parsed.rows, actor=None, at=self.clock.now())

    def at(self, hour: int, minute: int = 0, day: date = DAY) -> None:
        """Move the clock to ``hour:minute`` on ``day`` (in the configured zone)."""
        self.clock.set(datetime.combine(day, time(hour, minute), tzinfo=self.clock.tz))

    # ------------------------------------------------------------------ acting as users

    def user(
        self, user_id: int, name: str, *, username: str | None = None, lang: str = "zh-hans"
    ) -> SimUser:
        """A Telegram user of the emulator."""
        return self.emu.add_user(user_id, name, username=username, language_code=lang)

    def group(self, chat_id: int, title: str, *, admins: tuple[SimUser, ...] = ()) -> SimGroup:
        """A group chat with the bot in it."""
        return self.emu.add_group(chat_id, title, admins=admins)

    @property
    def running(self) -> RunningBot:
        """The running application and its outbound side."""
        assert self._running is not None, "the bot is not running"
        return self._running

    async def tick(self) -> None:
        """Let the scheduler do whatever is due at the clock's current time."""
        await self.running.outbound.runner.tick()

    async def _settle(self, action: UserAction, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        queue = self.running.application.update_queue
        await self.emu.wait_processed(queue, action.update_id, timeout)
        await self.running.outbound.alerts.settled()  # the alerts it posts in the background

    async def send(
        self,
        user: SimUser,
        text: str,
        *,
        chat: SimGroup | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """``user`` sends ``text``; returns what the bot sent to that chat in reply (waiting up
        to ``timeout`` seconds for the bot to handle it)."""
        where: SimUser | SimGroup = chat or user
        before = len(where.inbox())
        await self._settle(await user.send(text, chat=chat), timeout)
        return where.inbox()[before:]

    async def start_bot(self, user: SimUser, payload: str | None = None) -> list[SentMessage]:
        """``user`` opens the bot (optionally through a deep link)."""
        before = len(user.inbox())
        await self._settle(await user.start(payload))
        return user.inbox()[before:]

    async def press(self, user: SimUser, button: str) -> list[SentMessage]:
        """``user`` taps the button with this text (or data) on the latest message with it."""
        before = len(user.inbox())
        await self._settle(await user.press(button))
        return user.inbox()[before:]

    async def press_on(
        self, user: SimUser, message: SentMessage, button: str, *, chat: SimGroup | None = None
    ) -> None:
        """``user`` taps a button on a particular (possibly old) message, in ``chat``."""
        await self._settle(await user.press(button, message=message, chat=chat))

    async def forge(self, user: SimUser, data: str, message_id: int) -> None:
        """``user`` sends arbitrary callback data on a message."""
        await self._settle(await user.press_data(data, message_id))

    # ------------------------------------------------------------------ reading the database

    async def worker(self, telegram_id: int) -> Worker | None:
        """The worker bound to this Telegram id."""
        return await self.deps.db.roster.worker_by_telegram_id(telegram_id)

    async def report(self, grid_code: str, day: date = DAY) -> Report | None:
        """The grid's report for ``day``."""
        grid = await self.deps.db.roster.grid_by_code(grid_code)
        assert grid is not None
        return await self.deps.db.reports.get(grid.id, day)


@asynccontextmanager
async def started(harness: Harness, roster: Path | None = ROSTER) -> AsyncIterator[Harness]:
    """``harness`` running with ``roster`` imported (None: none), stopped at the end."""
    await harness.start()
    try:
        if roster is not None:
            await harness.import_roster(roster)
        yield harness
    finally:
        await harness.stop()


def texts(messages: list[SentMessage]) -> str:
    """All the text the user saw, joined (tags stripped)."""
    return "\n".join(message.plain_text or "" for message in messages)


# ------------------------------------------------------------------ answering the conversation

EVERYTHING_ZERO = {"difficulties": "跳过", "disinfection": "1"}
"""Answers for a report with nothing to say (one disinfection round, no difficulties)."""


def current_question(bot: Harness, user: SimUser) -> str | None:
    """The field key (or ``<stock>.opening``) the bot's latest message asks for."""
    text = user.last().plain_text
    form = bot.deps.form
    for stock in form.stocks():
        for label in (stock.label.zh, stock.label.en):
            if label in text and ("首次填报" in text or "First report" in text):
                return f"{stock.key}.opening"
    for field in form.questions():
        for label in (field.label.zh, field.label.en):
            if f"）{label}\n" in text or f") {label}\n" in text:
                return field.key
    return None


async def answer_questions(bot: Harness, user: SimUser, answers: dict[str, str]) -> list[str]:
    """Answer every question as asked (unlisted ones with 0); returns the keys asked."""
    asked: list[str] = []
    while (key := current_question(bot, user)) is not None:
        assert len(asked) < 40, f"the bot keeps asking: {asked}"
        asked.append(key)
        answer = answers.get(key, "0")
        if answer in {"跳过", "Skip"}:
            await bot.press(user, answer)
        else:
            await bot.send(user, answer)
    return asked


async def file_detailed(bot: Harness, user: SimUser, answers: dict[str, str]) -> None:
    """A whole detailed report without incidents, submitted."""
    await bot.send(user, "/report")
    await answer_questions(bot, user, {**EVERYTHING_ZERO, **answers})
    await bot.press(user, "✅ 无异常情况")
    await bot.press(user, "✅ 提交")


async def draft_suspected_case(bot: Harness, user: SimUser, description: str) -> None:
    """``user`` fills in a report with nothing to say but one suspected case (a category the
    form marks urgent), up to the summary: the submit is the caller's."""
    await bot.send(user, "/report")
    await answer_questions(bot, user, EVERYTHING_ZERO)
    await bot.press(user, "⚠️ 添加一条异常情况")
    await bot.press(user, "疑似病例")
    await bot.send(user, description)
    await bot.press(user, "✅ 完成")


async def file_zero(bot: Harness, user: SimUser) -> None:
    """A zero report in two taps."""
    await bot.send(user, "/zero")
    await bot.press(user, "✅ 确认提交零报告")
