"""Smaller items of issue 10: times rounded to the nearest minute, and admin notices that say
what happened."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from harness import ADMIN_ID, EVERYTHING_ZERO, Harness, answer_questions, draft_suspected_case

from bot.domain.dates import time_left

TZ = ZoneInfo("Asia/Shanghai")
DEADLINE = datetime(2026, 11, 22, 17, 0, tzinfo=TZ)


def test_a_reminder_a_moment_after_the_hour_says_two_hours() -> None:
    sent = datetime(2026, 11, 22, 15, 0, 0, 400_000, tzinfo=TZ)
    assert time_left(sent, DEADLINE) == (2, 0)
    assert time_left(DEADLINE - timedelta(minutes=90, seconds=40), DEADLINE) == (1, 31)
    assert time_left(DEADLINE - timedelta(seconds=20), DEADLINE) == (0, 0)
    assert time_left(DEADLINE + timedelta(seconds=1), DEADLINE) is None


async def test_an_alert_nobody_acknowledged_tells_the_admins_where_it_went(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin")
    community = bot.group(-100_101, "前进社区防控群", admins=(admin,))
    street = bot.group(-100_100, "学院南路街道指挥部", admins=(admin,))
    await bot.send(admin, "/bindgroup 学院南路街道/前进社区", chat=community)
    await bot.send(admin, "/bindgroup 学院南路街道", chat=street)
    worker = bot.user(710000011, "徐涛")  # QJ-05, 前进社区
    bot.at(10, 0)
    await draft_suspected_case(bot, worker, "5号楼 林某某 核酸阳性，已上报疾控")
    await bot.press(worker, "✅ 提交")
    for hour, minute in ((10, 31), (11, 2)):
        bot.at(hour, minute)
        await bot.tick()
    notice = admin.texts()[-1]
    assert "依次发到 2 个主管群（前进社区、学院南路街道）" in notice
    assert "前进社区·第五网格 10:00" in notice and "核酸阳性" in notice
    assert "没有可以通知的主管群" not in notice
    bot.at(20, 0)
    await bot.tick()
    digest = "\n".join(community.texts()[-2:])
    assert "核酸阳性，已上报疾控（⚠️ 尚未确认；10:31 已转报上级）" in digest


async def test_the_progress_counter_never_goes_back_nor_changes_its_total(bot: Harness) -> None:
    worker = bot.user(710000011, "徐涛")
    bot.at(10, 0)
    await bot.send(worker, "/report")
    await answer_questions(bot, worker, {**EVERYTHING_ZERO, "arrivals": "0", "fever_found": "0"})
    counters = [
        (int(n), int(total))
        for text in worker.texts()
        for n, total in re.findall(r"^（(\d+)/(\d+)）", text)
    ]
    positions = [n for n, _ in counters]
    assert positions == sorted(set(positions))  # forward only, each asked once
    assert {total for _, total in counters} == {13}
    assert 4 not in positions  # 其中来自中高风险地区 was skipped: 3 → 5, never 3/13 → 4/12
