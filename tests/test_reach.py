"""Workers the bot cannot reach: Telegram answers 403 to a prompt (they blocked the bot or
never opened it), or tells the bot it was blocked. They get no more prompts or reminders, the
supervisors' missing lists (/late, the escalation) show them as unreachable, and all of that
ends when they write to the bot again (or unblock it)."""

from __future__ import annotations

import pytest
from harness import ADMIN_ID, Harness, texts
from test_day import BOUND, COMMUNITY, Day, prompts_in

XU_TAO, WANG_XIUJING = 710000011, 710000005  # the only bound workers of QJ-05 and QJ-03
UNREACHABLE = "机器人联系不上"


def sends_to(bot: Harness, chat_id: int) -> int:
    """sendMessage calls to this chat (answered or refused)."""
    return sum(call.params.get("chat_id") == chat_id for call in bot.emu.calls_to("sendMessage"))


async def unreachable_chats(bot: Harness) -> list[int]:
    async with (
        bot.deps.db.read() as conn,
        conn.execute("SELECT chat_id FROM unreachable_chats ORDER BY chat_id") as cursor,
    ):
        return [int(row[0]) for row in await cursor.fetchall()]


def line_of(text: str, grid: str) -> str:
    """The line of a missing list that names ``grid``."""
    return next(line for line in text.splitlines() if grid in line)


async def late_list(day: Day) -> str:
    return texts(await day.bot.send(day.supervisor, "/late", chat=day.community))


@pytest.fixture
async def day(bot: Harness) -> Day:
    """The day of test_day, except that 徐涛 (QJ-05) has never opened the bot."""
    workers = {
        uid: bot.emu.add_user(uid, name, started=uid != XU_TAO) for uid, (name, _) in BOUND.items()
    }
    admin = bot.user(ADMIN_ID, "Admin")
    supervisor = bot.user(800_000_001, "赵主任")
    community = bot.group(-100_101, "前进社区防控群", admins=(admin,))
    community.add_member(supervisor)
    await bot.send(admin, f"/bindgroup {COMMUNITY}", chat=community)
    return Day(bot, workers, admin, supervisor, community, community)


async def test_a_worker_refused_by_telegram_is_unreachable_until_they_write(day: Day) -> None:
    bot = day.bot
    xu = day.worker(XU_TAO)
    bot.at(8, 0)
    await bot.tick()  # the prompt: Telegram answers 403
    assert sends_to(bot, XU_TAO) == 1 and prompts_in(xu) == []
    assert await unreachable_chats(bot) == [XU_TAO]
    bot.at(15, 0)
    await bot.tick()  # the reminder is not even tried
    assert sends_to(bot, XU_TAO) == 1
    assert UNREACHABLE in line_of(await late_list(day), "第五网格")

    await bot.start_bot(xu)  # they open the bot: reachable again
    assert await unreachable_chats(bot) == []
    assert UNREACHABLE not in line_of(await late_list(day), "第五网格")
    bot.at(16, 30)
    await bot.tick()
    assert sends_to(bot, XU_TAO) == 3  # the reply to /start, and the 16:30 reminder
    assert "第五网格" in xu.last().plain_text and "16:30" not in xu.texts()[0]


async def test_a_worker_who_blocks_the_bot_is_skipped_and_shown_unreachable(day: Day) -> None:
    bot = day.bot
    await bot.start_bot(day.worker(XU_TAO))  # everyone else can be reached
    bot.emu.block(WANG_XIUJING)
    await bot.emu.wait_processed(bot.running.application.update_queue)
    for hour, minute in ((8, 0), (15, 0), (16, 30), (17, 0), (18, 0)):
        bot.at(hour, minute)
        await bot.tick()
    assert sends_to(bot, WANG_XIUJING) == 1, "the prompt found out; nothing was tried since"
    assert await unreachable_chats(bot) == [WANG_XIUJING]
    escalation = texts(day.community.inbox()[-1:])
    assert UNREACHABLE in line_of(escalation, "第三网格")

    bot.emu.unblock(WANG_XIUJING)  # Telegram tells the bot (my_chat_member): reachable again
    await bot.emu.wait_processed(bot.running.application.update_queue)
    assert await unreachable_chats(bot) == []
    assert UNREACHABLE not in line_of(await late_list(day), "第三网格")
