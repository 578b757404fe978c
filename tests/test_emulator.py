"""The Bot API emulator, driven by real PTB clients over loopback HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeAlias

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.emulator import BotApiEmulator, SimUser, UserAction

App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
TOKEN = "7000000001:TEST-emulator-token"
KEYBOARD = InlineKeyboardMarkup(
    [
        [
            InlineKeyboardButton("是", callback_data="yes"),
            InlineKeyboardButton("否", callback_data="no"),
        ]
    ]
)


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


@pytest.fixture
async def alice(emu: BotApiEmulator) -> SimUser:
    return emu.add_user(1001, "Alice", username="alice")


class Recorder:
    """What the test bot's handlers saw."""

    def __init__(self) -> None:
        self.args: list[list[str]] = []
        self.downloads: list[bytes] = []


def build_app(emu: BotApiEmulator, seen: Recorder) -> App:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        seen.args.append(list(context.args or []))
        await update.effective_message.reply_text(
            "start:" + " ".join(context.args or []), reply_markup=KEYBOARD
        )

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"got {query.data}", show_alert=query.data == "no")
        await query.edit_message_text(f"<b>chose</b> {query.data}", parse_mode=ParseMode.HTML)

    async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        data = bytes(await (await message.document.get_file()).download_as_bytearray())
        seen.downloads.append(data)
        await message.reply_document(data[::-1], filename="reversed.bin", caption="back")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text
        await update.effective_message.reply_text("echo: " + update.effective_message.text)

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@pytest.fixture
async def seen() -> Recorder:
    return Recorder()


@pytest.fixture
async def app(emu: BotApiEmulator, seen: Recorder) -> AsyncIterator[App]:
    application = build_app(emu, seen)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def processed(emu: BotApiEmulator, app: App, action: UserAction) -> None:
    await emu.wait_processed(app.update_queue, action.update_id)


# --- through a real Application ----------------------------------------------------------------


async def test_commands_and_deep_links_reach_the_handler(
    emu: BotApiEmulator,
    app: App,
    alice: SimUser,
    seen: Recorder,
) -> None:
    await processed(emu, app, await alice.start())
    await processed(emu, app, await alice.start(payload="invite-42"))
    assert seen.args == [[], ["invite-42"]]
    assert alice.texts() == ["start:", "start:invite-42"]
    assert alice.last().buttons == [["是", "否"]]
    assert alice.last().callback_data == ["yes", "no"]
    assert "getMe" in {call.method for call in emu.calls}


async def test_group_commands_with_bot_username_and_privacy_mode(
    emu: BotApiEmulator,
    app: App,
    alice: SimUser,
    seen: Recorder,
) -> None:
    group = emu.add_group(-1001234, "网格群", admins=[alice])
    await processed(emu, app, await alice.send("/start@gridbot_demo_bot hi", chat=group))
    assert group.texts() == ["start:hi"]
    chatter = await alice.send("大家好", chat=group)
    assert chatter.update_id is None
    assert (await alice.send("/start@other_bot", chat=group)).update_id is None
    assert seen.args == [["hi"]]


async def test_button_press_reaches_the_handler_and_is_answered(
    emu: BotApiEmulator,
    app: App,
    alice: SimUser,
) -> None:
    await processed(emu, app, await alice.start())
    await processed(emu, app, await alice.press("否"))
    [answer] = alice.callback_answers()
    assert (answer.text, answer.show_alert, answer.data) == ("got no", True, "no")
    edited = alice.last()
    assert edited.text == "<b>chose</b> no"
    assert edited.plain_text == "chose no"
    assert edited.raw["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    assert (edited.edits, edited.buttons) == (1, [])  # editing without reply_markup drops it
    with pytest.raises(AssertionError, match="no inline keyboards"):
        await alice.press("是")


async def test_press_reports_the_buttons_on_offer(
    emu: BotApiEmulator,
    app: App,
    alice: SimUser,
) -> None:
    await processed(emu, app, await alice.start())
    with pytest.raises(AssertionError, match=r"'是', 'yes'"):
        await alice.press("maybe")


async def test_forged_callback_on_a_deleted_message_arrives_inaccessible(
    emu: BotApiEmulator, bot: Bot, alice: SimUser
) -> None:
    sent = await bot.send_message(alice.id, "tmp", reply_markup=KEYBOARD)
    assert await bot.delete_message(alice.id, sent.message_id)
    await alice.press_data("forged", sent.message_id)
    [update] = await bot.get_updates(timeout=0)
    assert update.callback_query is not None and update.callback_query.data == "forged"
    assert update.callback_query.message is not None
    assert not update.callback_query.message.is_accessible
    assert alice.inbox() == [] and len(alice.inbox(include_deleted=True)) == 1


async def test_document_round_trip(
    emu: BotApiEmulator,
    app: App,
    alice: SimUser,
    seen: Recorder,
    bot: Bot,
) -> None:
    payload = bytes(range(256)) * 40
    await processed(emu, app, await alice.send_document("日报.xlsx", payload, caption="十月"))
    assert seen.downloads == [payload]
    reply = alice.last()
    assert reply.document is not None
    assert (reply.document.filename, reply.document.caption) == ("reversed.bin", "back")
    assert reply.document.content == payload[::-1]
    fetched = await (await bot.get_file(reply.document.file_id)).download_as_bytearray()
    assert bytes(fetched) == payload[::-1]
    assert len(emu.downloads) == 2


async def test_reply_is_visible_right_after_processing_without_sleeping(
    emu: BotApiEmulator,
    app: App,
    alice: SimUser,
) -> None:
    for word in ("一", "二", "三"):
        action = await alice.send(word)
        await emu.wait_acknowledged(action.update_id)
        await app.update_queue.join()
        assert alice.last().text == f"echo: {word}"


async def test_wait_for_message_counts_from_the_users_last_action(
    emu: BotApiEmulator,
    app: App,
    alice: SimUser,
) -> None:
    await alice.send("你好")
    [reply] = await alice.wait_for_message()
    assert reply.text == "echo: 你好"
    with pytest.raises(AssertionError, match="expected 1 new bot message"):
        await alice.wait_for_message(timeout=0.2)


# --- direct Bot calls ---------------------------------------------------------------------------


async def test_get_me_and_token(emu: BotApiEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name) == (7000000001, "gridbot_demo_bot", "gridbot")
    assert me.can_join_groups and not me.can_read_all_group_messages
    assert TOKEN in emu.tokens_seen


async def test_html_is_parsed_into_entities(bot: Bot, alice: SimUser) -> None:
    message = await bot.send_message(
        alice.id, ' <b>粗体</b> &lt;tag&gt; <a href="https://e.x">链</a> ', parse_mode="HTML"
    )
    assert message.text == "粗体 <tag> 链"
    assert message.text_html == '<b>粗体</b> &lt;tag&gt; <a href="https://e.x">链</a>'
    assert alice.last().parse_mode == "HTML"


async def test_text_limits(bot: Bot, alice: SimUser) -> None:
    await bot.send_message(alice.id, "网" * 4096)
    await bot.send_message(alice.id, "<b>" + "网" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(alice.id, "网" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(alice.id, "  <b> </b> ", parse_mode="HTML")
    assert len(alice.inbox()) == 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<b>x</i>", 'expected "</b>", found "</i>"'),
        ("<b>x", 'end tag corresponding to start tag "b"'),
        ("<marquee>x</marquee>", 'Unsupported start tag "marquee"'),
        ("1 < 2", "Unclosed start tag"),
        ('<span class="x">s</span>', 'must have class "tg-spoiler"'),
    ],
)
async def test_malformed_html_is_rejected(bot: Bot, alice: SimUser, text: str, reason: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as caught:
        await bot.send_message(alice.id, text, parse_mode="HTML")
    assert reason.lower() in caught.value.message.lower()  # PTB re-capitalises messages


async def test_callback_data_is_limited_to_64_bytes(bot: Bot, alice: SimUser) -> None:
    fits = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="数" * 21)]])
    await bot.send_message(alice.id, "fits", reply_markup=fits)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="数" * 22)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "too long", reply_markup=too_long)


async def test_edits(bot: Bot, alice: SimUser) -> None:
    sent = await bot.send_message(alice.id, "v1", reply_markup=KEYBOARD)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("v1", alice.id, sent.message_id, reply_markup=KEYBOARD)
    await bot.edit_message_text("v2", alice.id, sent.message_id, reply_markup=KEYBOARD)
    await bot.edit_message_reply_markup(alice.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(alice.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", alice.id, 999)
    state = alice.last()
    assert (state.text, state.buttons, state.edits) == ("v2", [], 2)


async def test_unknown_chat_blocked_user_and_kicked_bot(
    emu: BotApiEmulator, bot: Bot, alice: SimUser
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "hi")
    group = emu.add_group(-100777, "群")
    emu.block(alice.id)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(alice.id, "hi")
    emu.kick_bot(group.id)
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the supergroup chat"):
        await bot.send_message(group.id, "hi")
    updates = await bot.get_updates(timeout=0)
    statuses = [u.my_chat_member.new_chat_member.status for u in updates if u.my_chat_member]
    assert statuses == ["kicked", "kicked"]
    emu.unblock(alice.id)
    await bot.send_message(alice.id, "welcome back")


async def test_user_who_never_started_the_bot(emu: BotApiEmulator, bot: Bot) -> None:
    shy = emu.add_user(2002, "Shy", started=False)
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(shy.id, "hello")
    await shy.start()
    await bot.send_message(shy.id, "hello")


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_server_error_and_flood_limit(
    emu: BotApiEmulator, bot: Bot, alice: SimUser
) -> None:
    emu.fail_next("sendMessage", times=2)
    for _ in range(2):
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(alice.id, "x")
        assert not isinstance(caught.value, BadRequest)
    emu.fail_next("SendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(alice.id, "x")
    assert flood.value.retry_after in (7, timedelta(seconds=7))
    assert alice.inbox() == []
    await bot.send_message(alice.id, "finally")
    outcomes = [call.outcome for call in emu.calls_to("sendMessage")]
    assert outcomes == [
        "500 Internal Server Error",
        "500 Internal Server Error",
        "429 Too Many Requests: retry after 7",
        "ok",
    ]
    assert [call.injected for call in emu.calls_to("sendMessage")] == [True, True, True, False]


async def test_injected_delay_times_out_the_client_but_still_delivers(
    emu: BotApiEmulator, bot: Bot, alice: SimUser
) -> None:
    emu.fail_next("sendMessage", delay=0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(alice.id, "slow", read_timeout=0.1)
    await alice.wait_for_message()
    assert alice.texts() == ["slow"]


async def test_long_polling_answers_as_soon_as_an_update_arrives(
    emu: BotApiEmulator, bot: Bot, alice: SimUser
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.2) == ()  # type: ignore[arg-type]
    assert time.monotonic() - started >= 0.2
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_for(lambda: emu.polls_waiting == 1)
    started = time.monotonic()
    action = await alice.send("你好")
    [update] = await poll
    assert time.monotonic() - started < 1
    assert update.update_id == action.update_id
    assert update.message is not None and update.message.text == "你好"
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()


async def test_a_second_poll_terminates_the_first(emu: BotApiEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await emu.wait_for(lambda: emu.polls_waiting == 1)
    async with Bot(TOKEN, base_url=emu.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_drop_pending_updates_discards_and_acknowledges(
    emu: BotApiEmulator, bot: Bot, alice: SimUser
) -> None:
    await alice.send("old news")
    assert emu.pending_updates == 1
    await bot.delete_webhook(drop_pending_updates=True)
    await emu.wait_acknowledged(timeout=0.1)
    assert await bot.get_updates(timeout=0) == ()


async def test_commands_are_stored_per_scope_and_language(emu: BotApiEmulator, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("report", "填报日报")], language_code="zh")
    scope = BotCommandScopeChat(-100555)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):  # as Telegram answers
        await bot.set_my_commands([BotCommand("stats", "统计")], scope=scope)
    emu.add_group(-100555, "统计群")
    await bot.set_my_commands([BotCommand("stats", "统计")], scope=scope)
    assert emu.commands == {
        ("default", "zh"): [("report", "填报日报")],
        ("chat:-100555", ""): [("stats", "统计")],
    }
    assert [c.command for c in await bot.get_my_commands(scope=scope)] == ["stats"]
    assert await bot.get_my_commands() == ()
    await bot.delete_my_commands(language_code="zh")
    assert list(emu.commands) == [("chat:-100555", "")]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Report", "x")])


async def test_chat_and_member_lookups(emu: BotApiEmulator, bot: Bot, alice: SimUser) -> None:
    bob = emu.add_user(1002, "Bob")
    carol = emu.add_user(1003, "Carol")
    group = emu.add_group(-4001, "社区群", admins=[alice], members=[bob])
    chat = await bot.get_chat(group.id)
    assert (chat.title, chat.type) == ("社区群", "group")
    statuses = [(await bot.get_chat_member(group.id, u.id)).status for u in (alice, bob, carol)]
    assert statuses == ["administrator", "member", "left"]
    assert [m.user.id for m in await bot.get_chat_administrators(group.id)] == [alice.id]


async def test_dates_follow_the_injected_clock(alice: SimUser) -> None:
    moment = datetime(2024, 10, 1, 8, 30, tzinfo=UTC)
    async with BotApiEmulator(clock=lambda: moment) as emu:
        user = emu.add_user(5, "Dora")
        action = await user.send("hi")
        async with Bot(TOKEN, base_url=emu.base_url) as client:
            sent = await client.send_message(user.id, "hello")
    assert action.payload["date"] == int(moment.timestamp())
    assert sent.date == moment
    assert user.last().date == moment


async def test_raw_http_formats_and_routes(emu: BotApiEmulator, alice: SimUser) -> None:
    base = f"{emu.base_url}{TOKEN}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/GETME") as response:
            assert (await response.json())["result"]["username"] == "gridbot_demo_bot"
        body = {"chat_id": alice.id, "text": "json body", "reply_markup": KEYBOARD.to_dict()}
        async with http.post(f"{base}/sendMessage", json=body) as response:
            assert (await response.json())["result"]["reply_markup"] == KEYBOARD.to_dict()
        async with http.post(f"{base}/sendMessage?chat_id={alice.id}&text=query") as response:
            assert response.status == 200
        form = aiohttp.FormData()
        form.add_field("chat_id", str(alice.id))
        form.add_field("document", "attach://part1")
        form.add_field("part1", b"a,b\n1,2\n", filename="t.csv", content_type="text/csv")
        async with http.post(f"{base}/sendDocument", data=form) as response:
            assert (await response.json())["result"]["document"]["file_name"] == "t.csv"
        async with http.post(f"{base}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.get(f"{emu.base_file_url}{TOKEN}/documents/nope.bin") as response:
            assert response.status == 404
    assert alice.texts() == ["json body", "query"]
    document = alice.last().document
    assert document is not None and document.content == b"a,b\n1,2\n"
    assert emu.send_times(alice.id) == sorted(emu.send_times(alice.id))
    assert len(emu.send_times(alice.id)) == 3


async def test_emulator_binds_loopback_only(emu: BotApiEmulator) -> None:
    assert emu.url.startswith("http://127.0.0.1:")
