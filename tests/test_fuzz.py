"""Hostile input, property-based: hypothesis feeds every conversation state, every role, with
arbitrary text, commands with arbitrary arguments, arbitrary callback data (free and shaped like
the bot's own), non-text messages and edited messages. The bot must never raise (the
application's error handler is never reached) and every message it sends must be valid
Telegram HTML (the emulator refuses anything else with "can't parse entities").

25 examples per test in ``make test`` (derandomized: the same each run); 300 fresh random
ones per test in the soak run (``pytest -m soak``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import pytest
from harness import ADMIN_ID, Harness, file_zero
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.emulator import SimGroup, SimUser
from bot.i18n import t

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
SOAK = settings(FUZZ, max_examples=300, derandomize=False)
TRIED: dict[str, int] = {}
"""Inputs tried, by kind (printed at the end of the module's run)."""
WORKER_ID, OTHER_WORKER_ID, STRANGER_ID, SUPERVISOR_ID = 710000001, 710000005, 555, 880000001
GROUP_ID = -100777
NON_TEXT = [
    {"sticker": {"file_id": "s1", "file_unique_id": "u1", "width": 512, "height": 512,
                 "is_animated": False, "is_video": False, "type": "regular"}},
    {"location": {"latitude": 39.9, "longitude": 116.4}},
    {"contact": {"phone_number": "+8613800000000", "first_name": "王"}},
    {"photo": [{"file_id": "p1", "file_unique_id": "pu1", "width": 90, "height": 90}]},
    {"voice": {"file_id": "v1", "file_unique_id": "vu1", "duration": 3}},
    {"dice": {"emoji": "🎲", "value": 3}},
]  # fmt: skip
SHAPED_PARTS = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", "9999-99-99", "2026-11-22", "2026-02-30", "0" * 25, "-1", "report"]),
)


class ErrorLog(logging.Handler):
    """Every ERROR record logged while the bot runs (the error handler logs each exception)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


def commands_and_prefixes(bot: Harness) -> tuple[list[str], list[str]]:
    """Every command and every callback-data prefix the running application handles."""
    commands: set[str] = set()
    prefixes: set[str] = {"c", "m", "ack"}

    def visit(handler: object) -> None:
        if isinstance(handler, ConversationHandler):
            for inner in [*handler.entry_points, *handler.fallbacks]:
                visit(inner)
            for state_handlers in handler.states.values():
                for inner in state_handlers:
                    visit(inner)
        elif isinstance(handler, CommandHandler):
            commands.update(handler.commands)
        elif isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
            pattern = getattr(handler.pattern, "pattern", str(handler.pattern))
            prefixes.add(str(pattern).lstrip("^").split(":")[0].strip("()\\$"))

    for group in bot.running.application.handlers.values():
        for handler in group:
            visit(handler)
    return sorted(commands), sorted(prefixes)


@dataclass(frozen=True)
class Input:
    """One hostile thing a user does."""

    kind: str
    value: str | int


def inputs(commands: list[str], prefixes: list[str]) -> st.SearchStrategy[Input]:
    args = st.lists(st.one_of(SHAPED_PARTS, st.text(min_size=1, max_size=40)), max_size=5)
    command = st.tuples(st.sampled_from(commands), args).map(
        lambda pair: " ".join([f"/{pair[0]}", *pair[1]])
    )
    shaped = st.tuples(st.sampled_from(prefixes), st.lists(SHAPED_PARTS, max_size=5)).map(
        lambda pair: ":".join([pair[0], *pair[1]])
    )
    data = st.one_of(st.text(max_size=64), shaped).filter(lambda text: len(text.encode()) <= 64)
    return st.one_of(
        st.text(min_size=1, max_size=300).map(lambda text: Input("text", text)),
        command.map(lambda text: Input("text", text)),
        data.map(lambda text: Input("button", text)),
        st.just(Input("button_without_data", "")),
        st.sampled_from(range(len(NON_TEXT))).map(lambda index: Input("other", index)),
        st.text(min_size=1, max_size=100).map(lambda text: Input("edit", text)),
    )


async def act(bot: Harness, user: SimUser, item: Input, chat: SimGroup | None = None) -> None:
    """Do ``item`` as ``user`` (in ``chat`` if given) and wait until the bot handled it."""
    TRIED[item.kind] = TRIED.get(item.kind, 0) + 1
    where: SimUser | SimGroup = chat or user
    inbox = where.inbox()
    message_id = inbox[-1].message_id if inbox else 1
    if item.kind == "text":
        action = await user.send(str(item.value) or ".", chat=chat)
    elif item.kind == "edit":
        sent = await user.send("0", chat=chat)
        await bot._settle(sent)
        action = await user.edit(sent, str(item.value))
    elif item.kind == "other":
        action = await user.send_content(NON_TEXT[int(item.value)], chat=chat)
    else:
        data = None if item.kind == "button_without_data" else str(item.value)
        action = await user.press_data(data, message_id, chat=chat)
    await bot._settle(action)


def assert_clean(bot: Harness, errors: ErrorLog) -> None:
    unparsable = [call for call in bot.emu.calls if "parse" in (call.description or "")]
    assert unparsable == [], unparsable[:3]
    assert errors.records == [], [record.getMessage() for record in errors.records[:3]]


Setup = Callable[[Harness, SimUser], Awaitable[None]]


async def _idle(bot: Harness, user: SimUser) -> None:
    await bot.send(user, "/cancel")


async def _command(bot: Harness, user: SimUser, command: str) -> None:
    await bot.send(user, "/cancel")
    await bot.send(user, command)


async def _incident_text(bot: Harness, user: SimUser) -> None:
    await _command(bot, user, "/correct")
    await bot.press(user, "异常情况（0 条）")
    await bot.press(user, "⚠️ 添加一条异常情况")
    await bot.press(user, user.last().buttons[0][0])


STATES: dict[str, Setup] = {
    "idle": _idle,
    "ask": lambda bot, user: _command(bot, user, "/report"),
    "template": lambda bot, user: _command(bot, user, "/template"),
    "zero_confirm": lambda bot, user: _command(bot, user, "/zero"),
    "edit_pick": lambda bot, user: _command(bot, user, "/correct"),
    "incident_text": _incident_text,
}


@pytest.fixture
async def world(bot: Harness) -> tuple[Harness, SimUser]:
    """A worker whose grid filed today (so /correct opens), in a bot with a bound group."""
    worker = bot.user(WORKER_ID, "王娜", username="grid_qj01_1")
    await bot.start_bot(worker)
    await file_zero(bot, worker)
    return bot, worker


def test_states_and_commands_are_found(world: tuple[Harness, SimUser]) -> None:
    commands, prefixes = commands_and_prefixes(world[0])
    assert {"report", "correct", "fix", "export", "cancel"} <= set(commands)
    assert {"c", "m", "ack"} <= set(prefixes)


async def worker_example(
    bot: Harness, worker: SimUser, errors: ErrorLog, data: st.DataObject
) -> None:
    state = data.draw(st.sampled_from(sorted(STATES)), label="state")
    await STATES[state](bot, worker)
    for item in data.draw(st.lists(inputs(*commands_and_prefixes(bot)), min_size=1, max_size=3)):
        await act(bot, worker, item)
    assert_clean(bot, errors)


@FUZZ
@given(data=st.data())
async def test_worker_in_every_state(
    world: tuple[Harness, SimUser], errors: ErrorLog, data: st.DataObject
) -> None:
    await worker_example(*world, errors, data)


@pytest.mark.soak
@SOAK
@given(data=st.data())
async def test_worker_in_every_state_soak(
    world: tuple[Harness, SimUser], errors: ErrorLog, data: st.DataObject
) -> None:
    await worker_example(*world, errors, data)


@dataclass(frozen=True)
class Roles:
    """Everyone who is not the worker: an admin, a stranger, a supervisor in a bound group."""

    admin: SimUser
    stranger: SimUser
    supervisor: SimUser
    group: SimGroup


@pytest.fixture
async def roles(world: tuple[Harness, SimUser]) -> Roles:
    bot, _ = world
    admin = bot.user(ADMIN_ID, "管理员")
    supervisor = bot.user(SUPERVISOR_ID, "李主任")
    group = bot.emu.add_group(GROUP_ID, "前进社区督导群", admins=(admin,))
    group.add_member(supervisor)
    await bot.send(admin, "/bindgroup 学院南路街道/前进社区", chat=group)
    return Roles(admin, bot.user(STRANGER_ID, "路人"), supervisor, group)


async def role_example(bot: Harness, roles: Roles, errors: ErrorLog, data: st.DataObject) -> None:
    role = data.draw(st.sampled_from(["admin", "stranger", "supervisor", "admin_in_group"]))
    user = {"stranger": roles.stranger, "supervisor": roles.supervisor}.get(role, roles.admin)
    chat = roles.group if role in {"supervisor", "admin_in_group"} else None
    for item in data.draw(st.lists(inputs(*commands_and_prefixes(bot)), min_size=1, max_size=3)):
        await act(bot, user, item, chat)
    assert_clean(bot, errors)


@FUZZ
@given(data=st.data())
async def test_other_roles(
    world: tuple[Harness, SimUser], roles: Roles, errors: ErrorLog, data: st.DataObject
) -> None:
    await role_example(world[0], roles, errors, data)


@pytest.mark.soak
@SOAK
@given(data=st.data())
async def test_other_roles_soak(
    world: tuple[Harness, SimUser], roles: Roles, errors: ErrorLog, data: st.DataObject
) -> None:
    await role_example(world[0], roles, errors, data)


@pytest.fixture(scope="module", autouse=True)
def tally() -> Iterator[None]:
    """Print how many inputs of each kind were tried (the README's figures, ``-s``)."""
    yield
    print(f"fuzz: {sum(TRIED.values())} inputs tried {dict(sorted(TRIED.items()))}")


@pytest.mark.parametrize(
    "data",
    [
        "m:correct:9999-99-99",
        "m:correct:2026-02-30",
        "ack:" + "9" * 25,
        "ack:-1",
        "c:x:99999999999999999999999:submit",
        "m:",
        "m:report:extra:parts",
        None,
    ],
)
async def test_forged_buttons_get_the_expired_answer(
    world: tuple[Harness, SimUser], errors: ErrorLog, data: str | None
) -> None:
    bot, worker = world
    await act(bot, worker, Input("button" if data else "button_without_data", data or ""))
    assert_clean(bot, errors)
    answers = worker.callback_answers()
    assert answers, "the press was not answered"
    assert answers[-1].text in {t("zh_CN", "common.expired"), t("zh_CN", "supervision.ack_expired")}
