"""The Mini App's API against the real bot: Telegram's initData checked, the caller's own
grid only, the chat's draft and checks, and one report per grid and day whoever files it."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from harness import ADMIN_ID, DAY, TOKEN, Harness, answer_questions, texts
from test_form_versions import new_form_text
from webapp_support import (
    BUTTON_EN,
    BUTTON_ZH,
    PUBLIC_URL,
    PageClient,
    open_page,
    page_url,
    with_page,
)
from webapp_support import bot as bot  # the fixture

from bot.app import running_bot
from bot.clock import ManualClock
from bot.demo.page import fill_in_on_one_screen
from bot.dependencies import open_dependencies
from bot.domain.models import Incident, ReportKind
from bot.emulator import BotApiEmulator, SimUser, sign_init_data
from bot.emulator._records import SentMessage
from bot.form_changes import apply_form, check_form
from bot.i18n import t
from bot.startup import StartupError

WANG_NA = (710000001, "王娜", "grid_qj01_1")  # QJ-01
WANG_CHAO = (710000002, "王超", "grid_qj01_2")  # QJ-01 too
WANG_XIUJING = (710000005, "王秀静", "grid_qj03_1")  # QJ-03
COMMUNITY = "学院南路街道/前进社区"

ALL_ZERO = {
    "screened": "0",
    "households_visited": "0",
    "arrivals": "0",
    "home_iso_in": "0",
    "central_iso_in": "0",
    "fever_found": "0",
    "close_contacts": "0",
    "disinfection": "1",
}
OPENINGS = {"home_isolation.opening": "0", "central_isolation.opening": "0"}


def worker(bot: Harness, who: tuple[int, str, str], lang: str = "zh-hans") -> SimUser:
    user_id, name, username = who
    return bot.user(user_id, name, username=username, lang=lang)


def web_app_urls(message: SentMessage) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [button["web_app"]["url"] for row in rows for button in row if "web_app" in button]


async def fill_all(client: PageClient, answers: dict[str, str]) -> None:
    for key, value in {**OPENINGS, **ALL_ZERO, **answers}.items():
        reply = await client.answer(key, value)
        assert reply.status == 200, (key, value, reply)


# --------------------------------------------------------------------------- the buttons


async def test_start_status_report_and_the_morning_prompt_offer_the_page(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    greeting = (await bot.start_bot(wang))[-1]
    assert web_app_urls(greeting) == [PUBLIC_URL]
    assert greeting.buttons[0] == [BUTTON_ZH]
    assert "📝 填写日报" in [row[0] for row in greeting.buttons]  # the chat flow is still there
    assert web_app_urls((await bot.send(wang, "/status"))[-1]) == [PUBLIC_URL]
    intro = (await bot.send(wang, "/report"))[0]
    assert web_app_urls(intro) == [PUBLIC_URL]

    english = worker(bot, WANG_XIUJING, lang="en")
    await bot.start_bot(english)  # the bot learns the worker's language
    bot.at(8, 0)
    await bot.tick()
    prompt = english.last()
    assert web_app_urls(prompt) == [PUBLIC_URL] and prompt.buttons[0] == [BUTTON_EN]


async def test_without_the_url_the_chat_flow_is_unchanged(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> None:
    plain = Harness(emulator, clock, tmp_path / "plain.sqlite3")
    await plain.start()
    await plain.import_roster()
    try:
        wang = worker(plain, WANG_NA)
        greeting = (await plain.start_bot(wang))[-1]
        assert web_app_urls(greeting) == []
        assert plain.running.webapp is None
    finally:
        await plain.stop()


# --------------------------------------------------------------------------- who may call


async def test_forged_expired_and_missing_init_data_get_401(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    good = wang.open_web_app(BUTTON_ZH).init_data

    forged = good.replace("%22id%22%3A710000001", "%22id%22%3A710000002")
    assert forged != good
    reply = await PageClient(bot, forged).open()
    assert reply.status == 401 and "无法核实" in reply.error

    other_token = sign_init_data("7000000002:OTHER-BOT", wang.user)
    assert (await PageClient(bot, other_token).open()).status == 401

    expired = wang.open_web_app(BUTTON_ZH, age_seconds=2 * 24 * 3600).init_data
    reply = await PageClient(bot, expired).open()
    assert reply.status == 401 and "打开时间过久" in reply.error

    reply = await PageClient(bot, "").open()
    assert reply.status == 401 and "只能从 Telegram" in reply.error
    assert await bot.report("QJ-01") is None


async def test_a_user_who_is_not_a_bound_worker_gets_403(bot: Harness) -> None:
    stranger = bot.user(123_456, "Stranger", lang="en")
    reply = await PageClient(bot, sign_init_data(TOKEN, stranger.user), "en").open()
    assert reply.status == 403 and "not on the grid workers' roster" in reply.error
    admin = bot.user(ADMIN_ID, "Admin")
    assert (await PageClient(bot, sign_init_data(TOKEN, admin.user)).open()).status == 403


async def test_another_grids_id_is_refused(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    other = await bot.deps.db.roster.grid_by_code("QJ-03")
    assert other is not None and other.id != client.grid_id
    client.grid_id = other.id
    reply = await client.answer("screened", "5")
    assert reply.status == 403 and "只能填写您自己网格" in reply.error
    reply = await client.call("submit", confirm=True)
    assert reply.status == 403
    assert await bot.report("QJ-03") is None


# --------------------------------------------------------------------------- same rules


async def test_answers_are_checked_as_in_chat(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    form = client_form = (await client.open()).data["form"]
    assert [item["key"] for item in client_form["openings"]] == list(OPENINGS)
    assert {field["key"]: field["unit"] for field in form["fields"]}["screened"] == "人"

    refused = await client.answer("screened", "若干")
    assert refused.status == 422 and "若干" in refused.error
    refused = await client.answer("screened", "300余")
    assert refused.status == 422 and "300" in refused.error
    assert (await client.answer("screened", "十二")).status == 200
    reply = await client.answer("households_visited", "１２")
    assert reply.data["state"]["values"]["households_visited"] == "12"

    assert "arrivals_risk" not in reply.data["state"]["asked"]
    reply = await client.answer("arrivals", "3")
    assert "arrivals_risk" in reply.data["state"]["asked"]  # conditional question appears
    refused = await client.answer("arrivals_risk", "5")  # hard rule: part > whole
    assert refused.status == 422 and "多于" in refused.error
    assert "arrivals_risk" not in refused.data["state"]["values"]

    await client.answer("home_isolation.opening", "45")
    reply = await client.answer("home_iso_in", "3")
    stock = reply.data["state"]["stocks"]["home_isolation"]
    assert stock == {"opening": 45, "closing": 48}  # computed live
    reply = await client.answer("home_iso_out", "5")
    assert reply.data["state"]["stocks"]["home_isolation"]["closing"] == 43

    reply = await client.answer("disinfection", "0")  # soft rule: asked "are you sure?"
    assert reply.status == 200 and "没有公共区域消杀" in reply.data["warnings"][0]


async def test_a_report_filed_from_the_page_is_the_chats_report(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    admin = bot.user(ADMIN_ID, "Admin")
    supervisor_group = bot.group(-100_101, "前进社区防控群", admins=(admin,))
    await bot.send(admin, f"/bindgroup {COMMUNITY}", chat=supervisor_group)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    await fill_all(client, {"screened": "120", "arrivals": "2", "arrivals_risk": "1"})
    incident = {"category": "suspected", "urgent": False, "description": "5号楼 林某某 发热"}
    refused = await client.call(
        "incidents", incidents=[{**incident, "description": "电话13812345678"}]
    )
    assert refused.status == 422
    assert (await client.call("incidents", incidents=[incident])).status == 200

    review = (await client.call("review")).data["review"]
    assert review["missing"] == [] and review["hard"] == []
    assert "排查人数：120 人" in review["lines"]
    bot.at(18, 30)
    reply = await client.call("submit", confirm=False)
    assert reply.status == 200, reply
    filed_text = reply.data["filed"]["text"]
    assert filed_text == t("zh_CN", "checkin.filed_late", day=DAY.isoformat(), time="18:30")

    report = await bot.report("QJ-01")
    assert report is not None and report.kind == ReportKind.DETAILED and report.late
    assert report.submitted_by_name == "王娜"
    assert report.current.values["screened"] == 120
    assert report.current.values["arrivals_risk"] == 1
    assert report.current.incidents == (Incident("suspected", "5号楼 林某某 发热", True),)
    confirmations = [m for m in wang.inbox() if (m.plain_text or "").startswith("✅ 已提交")]
    assert [m.plain_text for m in confirmations] == [filed_text]  # the chat's, exactly once
    # the urgent alert follows at once, posted in the background
    await bot.emu.wait_for(lambda: "林某某" in (supervisor_group.last().plain_text or ""))

    again = await client.call("submit", confirm=True)
    assert again.status == 409 and "已由 王娜" in again.error
    await bot.send(wang, "/correct")  # corrections work on it as on any report
    offered = [label for row in wang.last().buttons for label in row]
    assert any(label.startswith("排查人数") for label in offered)


async def test_soft_warnings_need_a_yes_before_filing(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    await fill_all(client, {"disinfection": "0"})
    reply = await client.call("submit", confirm=False)
    assert reply.status == 409 and reply.data["review"]["soft"]
    assert await bot.report("QJ-01") is None
    assert (await client.call("submit", confirm=True)).status == 200
    assert await bot.report("QJ-01") is not None


async def test_a_database_that_refuses_writes_is_not_saved_and_told(bot: Harness) -> None:
    """Disk trouble (here a read-only database) in the page: 503 "not saved", the admins
    told once, and the same submit works once writes do."""
    wang, admin = worker(bot, WANG_NA), bot.user(ADMIN_ID, "Admin")
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    await fill_all(client, {})
    for read_only in (1, 0):
        async with bot.deps.db.read() as conn:
            await conn.execute(f"PRAGMA query_only = {read_only}")
        reply = await client.call("submit", confirm=True)
        if read_only:
            assert reply.status == 503 and "未能保存" in reply.error and "稍后再试" in reply.error
            assert await bot.report("QJ-01") is None
    assert reply.status == 200, reply
    assert await bot.report("QJ-01") is not None
    assert ["只读" in (m.plain_text or "") for m in admin.inbox()] == [True]


async def test_missing_answers_block_submitting(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    await client.answer("screened", "3")
    reply = await client.call("submit", confirm=True)
    assert reply.status == 422 and "入户走访户数" in reply.data["review"]["missing"]
    assert await bot.report("QJ-01") is None


# --------------------------------------------------------------------------- one draft


async def test_page_and_chat_share_one_draft(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    for key, value in {**OPENINGS, "screened": "7", "households_visited": "4"}.items():
        await client.answer(key, value)

    resumed = texts(await bot.send(wang, "/report"))
    assert "继续" in resumed and "新增返乡/外来人员" in resumed  # the chat asks what is left
    await bot.send(wang, "2")  # arrivals, answered in chat

    state = (await client.open()).data["state"]
    assert state["values"]["screened"] == "7" and state["values"]["arrivals"] == "2"
    assert "arrivals_risk" in state["asked"]

    await bot.restart()  # the draft is in the database, not only in memory
    client.base = client.base.rsplit(":", 1)[0] + f":{bot.running.webapp.port}/"  # type: ignore[union-attr]
    state = (await client.open()).data["state"]
    assert state["values"]["arrivals"] == "2"


async def test_page_and_chat_filing_at_once_store_one_report(bot: Harness) -> None:
    wang, chao = worker(bot, WANG_NA), worker(bot, WANG_CHAO)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    await fill_all(client, {"screened": "11"})

    await bot.send(chao, "/report")
    await answer_questions(
        bot, chao, {**OPENINGS, **ALL_ZERO, "screened": "22", "difficulties": "跳过"}
    )
    await bot.press(chao, "✅ 无异常情况")
    before = len(chao.inbox())
    page, _ = await asyncio.gather(client.call("submit", confirm=True), bot.press(chao, "✅ 提交"))
    report = await bot.report("QJ-01", DAY)
    assert report is not None
    grid = await bot.deps.db.roster.grid_by_code("QJ-01")
    assert grid is not None
    history = await bot.deps.db.reports.history(grid.id, before=DAY.replace(year=DAY.year + 1))
    assert len(history) == 1
    chat_said = texts(chao.inbox()[before:])
    if report.submitted_by_name == "王娜":
        assert page.status == 200 and "已由 王娜" in chat_said
    else:
        assert page.status == 409 and "已由 王超" in page.error and "已提交" in chat_said


async def test_a_port_in_use_stops_start_up_with_one_line(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = with_page(Harness(emulator, clock, tmp_path / "busy.sqlite3").settings, port)
        with pytest.raises(StartupError) as raised:
            async with open_dependencies(settings, clock) as deps, running_bot(deps, TOKEN):
                pass
    assert f"127.0.0.1:{port}" in raised.value.render("en")
    assert "GRIDBOT_WEBAPP_PORT" in raised.value.render("zh_CN")


async def test_the_demos_page_worker_files_through_the_api_without_a_browser(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    launch = wang.open_web_app(BUTTON_ZH)
    answers = {**OPENINGS, **ALL_ZERO, "arrivals": "1", "arrivals_risk": "1"}
    typed = await fill_in_on_one_screen(page_url(bot), launch.init_data, "zh_CN", answers, None)
    assert typed == len(answers) + 1  # and the optional difficulties, left empty
    report = await bot.report("QJ-01")
    assert report is not None and report.current.values["arrivals_risk"] == 1


async def test_the_page_shows_the_form_in_force_for_the_day(bot: Harness) -> None:
    tomorrow = DAY + timedelta(days=1)
    deps = bot.deps
    checked = check_form(deps.db, new_form_text(), "new.toml", DAY)
    await apply_form(deps.db, checked, since=tomorrow, today=DAY, now=deps.now(), actor=ADMIN_ID)
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    today = [field["key"] for field in (await client.open()).data["form"]["fields"]]
    assert "households_visited" in today and "nat_samples" not in today
    assert (await client.answer("households_visited", "4")).status == 200

    bot.at(9, 0, tomorrow)
    opened = (await client.open()).data
    keys = [field["key"] for field in opened["form"]["fields"]]
    assert "nat_samples" in keys and "households_visited" not in keys
    assert opened["state"]["values"] == {}  # yesterday's draft is not today's
    reply = await client.answer("nat_samples", "35")
    assert reply.status == 200 and reply.data["state"]["values"]["nat_samples"] == "35"
    assert (await client.answer("households_visited", "4")).status == 422
