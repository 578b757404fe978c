"""The day runs itself: prompts, nags, escalation, alerts and digests, exactly once.

The clock is a ManualClock: each test moves it and asks the scheduler to do what is due
(``bot.tick()``), the same call the cron triggers make. Nothing sleeps for a schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from harness import (
    ADMIN_ID,
    DAY,
    Harness,
    draft_suspected_case,
    file_detailed,
    file_zero,
    texts,
)
from telegram.ext import JobQueue
from test_export import by_grid_day, export, sheets

from bot.emulator import SentMessage, SimGroup, SimUser
from storage.schedule import SendStatus

BOUND = {  # the roster's workers with a Telegram id: telegram id -> (name, grid code)
    710000001: ("王娜", "QJ-01"),
    710000002: ("王超", "QJ-01"),
    710000005: ("王秀静", "QJ-03"),
    710000011: ("徐涛", "QJ-05"),
    710000013: ("李秀霞", "QJ-06"),
    710000015: ("李芳洋", "DG-01"),
    710000017: ("林芳强", "DG-02"),
    710000020: ("孙桂", "DG-03"),
    710000021: ("张明", "DG-04"),
}
COMMUNITY = "学院南路街道/前进社区"
STREET = "学院南路街道"


@dataclass
class Day:
    """The running bot, its workers and two supervisor groups."""

    bot: Harness
    workers: dict[int, SimUser]
    admin: SimUser
    supervisor: SimUser
    community: SimGroup
    street: SimGroup

    def worker(self, telegram_id: int) -> SimUser:
        return self.workers[telegram_id]


@pytest.fixture
async def day(bot: Harness) -> Day:
    workers = {uid: bot.user(uid, name) for uid, (name, _) in BOUND.items()}
    admin = bot.user(ADMIN_ID, "Admin")
    supervisor = bot.user(800_000_001, "赵主任")
    community = bot.group(-100_101, "前进社区防控群", admins=(admin,))
    street = bot.group(-100_100, "学院南路街道指挥部", admins=(admin,))
    for group in (community, street):
        group.add_member(supervisor)
    await bot.send(admin, f"/bindgroup {COMMUNITY}", chat=community)
    await bot.send(admin, f"/bindgroup {STREET}", chat=street)
    return Day(bot, workers, admin, supervisor, community, street)


def prompts_in(user: SimUser) -> list[str]:
    return [text for text in user.texts() if "早上好" in text]


async def test_morning_prompt_goes_to_every_grid_that_has_not_reported(day: Day) -> None:
    bot = day.bot
    bot.at(7, 40)
    await file_zero(bot, day.worker(710000005))  # QJ-03 reports before the prompt
    bot.at(8, 0)
    await bot.tick()
    for uid, user in day.workers.items():
        expected = 0 if uid == 710000005 else 1
        assert len(prompts_in(user)) == expected, BOUND[uid]
    prompt = day.worker(710000001).last()
    assert prompt.buttons == [["📝 填写日报"], ["0️⃣ 零报告（今日无新增）"]]
    assert "第一网格" in prompt.plain_text and "17:00" in prompt.plain_text
    await bot.press(day.worker(710000001), "0️⃣ 零报告（今日无新增）")
    assert "零报告" in day.worker(710000001).last().plain_text


async def test_nags_go_only_to_missing_grids_and_say_how_long_is_left(day: Day) -> None:
    bot = day.bot
    bot.at(8, 0)
    await bot.tick()
    await file_zero(bot, day.worker(710000002))  # QJ-01 (王超); 王娜 shares the grid
    bot.at(15, 0)
    await bot.tick()
    for uid in (710000001, 710000002):
        assert not any("提醒" in text for text in day.worker(uid).texts())
    nag = day.worker(710000013).last().plain_text
    assert "第六网格" in nag and "2 小时 0 分" in nag
    for hour, minute in ((16, 30), (17, 0)):
        bot.at(hour, minute)
        await bot.tick()
    late = day.worker(710000013).last().plain_text
    assert "迟报" in late
    assert sum("提醒" in text for text in day.worker(710000013).texts()) == 2  # 15:00 and 16:30


async def test_escalation_lists_exactly_the_missing_grids(day: Day) -> None:
    bot = day.bot
    for hour, minute in ((8, 0), (15, 0), (16, 30), (17, 0)):
        bot.at(hour, minute)
        await bot.tick()
    await file_zero(bot, day.worker(710000001))  # QJ-01
    await file_zero(bot, day.worker(710000005))  # QJ-03
    await bot.deps.db.schedule.excuse(
        (await bot.deps.db.roster.grid_by_code("QJ-06")).id,  # type: ignore[union-attr]
        DAY,
        reason="病假",
        actor=ADMIN_ID,
        at=bot.clock.now(),
    )
    bot.at(18, 0)
    await bot.tick()
    community = texts(day.community.inbox()[-1:])
    for missing in ("第二网格", "第四网格", "第五网格"):
        assert missing in community
    for fine in ("第一网格", "第三网格", "第六网格"):
        assert fine not in community
    assert "黄刚" in community  # QJ-02's worker, never bound
    assert "徐涛" in community and "已提醒 3 次" in community  # QJ-05 got 15:00, 16:30, 17:00
    assert "已提醒 0 次" in community  # QJ-02: nobody could be reminded
    street = texts(day.street.inbox()[-2:])
    assert "东关社区" in street and "第五网格" in street


async def test_a_restart_never_sends_a_second_copy(day: Day) -> None:
    bot = day.bot
    bot.at(8, 0)
    await bot.tick()
    await bot.tick()
    await bot.restart()
    await bot.tick()
    bot.at(8, 30)
    await bot.tick()
    for user in day.workers.values():
        assert len(prompts_in(user)) == 1
    records = await bot.deps.db.schedule.records(DAY, "prompt")
    assert len(records) == len(BOUND)
    assert {record.status for record in records} == {SendStatus.SENT}


async def test_missed_digest_is_sent_once_marked_delayed_after_a_restart(day: Day) -> None:
    bot = day.bot
    bot.at(19, 0)
    await bot.tick()
    await bot.stop()
    bot.at(21, 30)
    await bot.start()
    await bot.tick()
    await bot.tick()
    records = await bot.deps.db.schedule.records(DAY, "digest")
    assert {record.key.target for record in records} == {day.street.id, day.community.id}
    assert all(record.status == SendStatus.SENT and record.delayed for record in records)
    assert sum("汇总" in text or "日报" in text for text in day.community.texts()) >= 1


async def test_a_digest_past_its_grace_period_is_skipped_and_admins_told(day: Day) -> None:
    bot = day.bot
    bot.at(19, 0)
    await bot.tick()
    await bot.stop()
    bot.at(23, 30)
    await bot.start()
    before = len(day.community.inbox())
    await bot.tick()
    assert len(day.community.inbox()) == before
    records = await bot.deps.db.schedule.records(DAY, "digest")
    assert {record.status for record in records} == {SendStatus.SKIPPED}
    notices = [text for text in day.admin.texts() if "跳过" in text]
    assert len(notices) == 2  # one per group


async def test_server_errors_and_rate_limits_still_deliver_each_prompt_exactly_once(
    day: Day,
) -> None:
    bot = day.bot
    bot.emu.fail_next("sendMessage", status=500, times=3)
    bot.emu.fail_next("sendMessage", status=429, retry_after=1)
    bot.at(8, 0)
    await bot.tick()
    for user in day.workers.values():
        assert len(prompts_in(user)) == 1
    records = await bot.deps.db.schedule.records(DAY, "prompt")
    assert {record.status for record in records} == {SendStatus.SENT}
    assert sum(record.attempts for record in records) > len(records)


async def test_a_worker_who_blocked_the_bot_is_recorded_and_reported_once(day: Day) -> None:
    bot = day.bot
    bot.emu.block(710000013)
    bot.at(8, 0)
    await bot.tick()
    bot.at(15, 0)
    await bot.tick()
    records = [
        record
        for kind in ("prompt", "remind_1")
        for record in await bot.deps.db.schedule.records(DAY, kind)
        if record.key.target == 710000013
    ]
    assert {record.status for record in records} == {SendStatus.BLOCKED}
    notices = [text for text in day.admin.texts() if "710000013" in text]
    assert len(notices) == 1 and "李秀霞（前进社区·第六网格" in notices[0]  # named, not just an id
    attempts = [record.attempts for record in records]
    assert attempts == [1]  # the 15:00 reminder skips her: unreachable until she writes


async def test_urgent_incident_alert_acknowledgement_and_repost(day: Day) -> None:
    bot = day.bot
    worker = day.worker(710000011)  # QJ-05, 前进社区
    bot.at(10, 0)
    await draft_suspected_case(bot, worker, "5号楼 林某某 核酸阳性，已上报疾控")
    await bot.press(worker, "✅ 提交")
    alert = day.community.last()
    assert "紧急" in alert.plain_text and "核酸阳性" in alert.plain_text
    assert alert.buttons == [["✅ 已知悉"]]
    assert not any("核酸阳性" in text for text in day.street.texts())

    bot.at(10, 31)
    await bot.tick()
    repost = day.street.last()
    assert "转报上级" in repost.plain_text and "核酸阳性" in repost.plain_text

    await bot.press_on(day.supervisor, repost, "✅ 已知悉", chat=day.street)
    assert "已确认" in (day.supervisor.callback_answers()[-1].text or "")
    assert "赵主任" in day.community.last().plain_text  # every posting shows who acknowledged
    assert "赵主任" in day.street.last().plain_text
    alerts = await bot.deps.db.alerts.on_day(DAY)
    assert len(alerts) == 1 and alerts[0].acknowledged_by_name == "赵主任"
    bot.at(12, 0)
    await bot.tick()
    assert len([t for t in day.street.texts() if "核酸阳性" in t]) == 1


async def test_digest_reaches_every_bound_group_once_and_matches_the_command(day: Day) -> None:
    bot = day.bot
    await file_zero(bot, day.worker(710000001))
    bot.at(17, 30)
    await file_zero(bot, day.worker(710000005))
    bot.at(20, 0)
    await bot.tick()
    await bot.tick()
    assert day.community.last().photo is not None  # the chart comes after the text
    scheduled = day.community.texts()[-1]
    assert "第二网格" in scheduled  # missing, named
    records = await bot.deps.db.schedule.records(DAY, "digest")
    assert len(records) == 2 and all(not record.delayed for record in records)
    await bot.send(day.supervisor, "/digest", chat=day.community)
    assert day.community.texts()[-1] == scheduled
    assert day.community.last().photo is not None


async def test_excused_grid_and_away_worker(day: Day) -> None:
    bot = day.bot
    assert "病假" in texts(
        await bot.send(day.supervisor, "/excuse QJ-05 病假，楼长代查", chat=day.community)
    )
    assert "没有网格编号" in texts(
        await bot.send(day.supervisor, "/excuse DG-01 x", chat=day.community)
    )
    away = texts(await bot.send(day.worker(710000001), "/away"))
    assert "王超" in away
    refused = texts(await bot.send(day.worker(710000002), "/away"))
    assert "不能请假" in refused
    bot.at(8, 0)
    await bot.tick()
    assert prompts_in(day.worker(710000011)) == []  # excused grid
    assert prompts_in(day.worker(710000001)) == []  # away
    assert len(prompts_in(day.worker(710000002))) == 1


async def play_the_day(day: Day, *, restart_at: tuple[int, int] | None) -> dict[int, list[str]]:
    """The acceptance day: QJ-01 detailed, QJ-03 zero, QJ-05 urgent (acknowledged), QJ-06 late
    after two nags, DG-01/DG-04 zero, DG-02 detailed, DG-03 never; QJ-02/QJ-04 have nobody
    bound. Returns what every chat received, in order."""
    bot = day.bot

    async def at(hour: int, minute: int) -> None:
        bot.at(hour, minute)
        if restart_at == (hour, minute):
            await bot.restart()
        await bot.tick()

    await at(8, 0)
    await at(9, 30)
    await file_detailed(bot, day.worker(710000001), {"screened": "120"})
    await at(10, 0)
    await file_zero(bot, day.worker(710000005))
    await file_zero(bot, day.worker(710000015))
    await file_zero(bot, day.worker(710000021))
    await file_detailed(bot, day.worker(710000017), {"screened": "80"})
    await at(11, 0)
    worker = day.worker(710000011)
    await draft_suspected_case(bot, worker, "5号楼 林某某 核酸阳性，已上报疾控")
    await bot.press(worker, "✅ 提交")
    await at(11, 10)
    await bot.press_on(day.supervisor, day.community.last(), "✅ 已知悉", chat=day.community)
    for hour, minute in ((12, 0), (15, 0), (16, 30), (17, 0)):
        await at(hour, minute)
    await at(17, 20)
    await file_zero(bot, day.worker(710000013))
    for hour, minute in ((18, 0), (20, 0), (20, 30)):
        await at(hour, minute)
    chats = [*day.workers.values(), day.community, day.street, day.admin]
    return {chat.id: [_shown(message) for message in chat.inbox()] for chat in chats}


def _shown(message: SentMessage) -> str:
    """A message's text; a photo as ``[photo]`` and its caption."""
    if message.photo is not None:
        return f"[photo] {message.photo.caption}"
    return message.plain_text or ""


@pytest.mark.parametrize("restart_at", [None, (12, 0), (17, 0)])
async def test_acceptance_day_is_the_same_with_or_without_a_restart(
    day: Day, bot: Harness, restart_at: tuple[int, int] | None
) -> None:
    seen = await play_the_day(day, restart_at=restart_at)
    assert {chat: len(seen[chat]) for chat in (day.community.id, day.street.id)} == {
        day.community.id: 5,  # binding, alert, escalation, digest, its chart
        day.street.id: 4,  # binding, escalation, digest, its chart
    }
    assert len(seen[710000002]) == 1  # QJ-01's colleague filed at 09:30: only the prompt
    assert len(seen[710000020]) == 4  # DG-03 never reports: prompt, 2 reminders, late nag
    assert len(seen[710000013]) == 6  # QJ-06: prompt, 2 reminders, late nag, preview, filed
    community, street = seen[day.community.id], seen[day.street.id]
    assert sum(text.startswith("🚨") for text in community) == 1
    assert not any("转报上级" in text for text in street)  # acknowledged in time
    escalation = next(text for text in community if text.startswith("🔔"))
    assert "第二网格" in escalation and "第四网格" in escalation and "第六网格" not in escalation
    street_escalation = next(text for text in street if text.startswith("🔔"))
    assert "东关社区" in street_escalation and "第三网格" in street_escalation
    records = await bot.deps.db.schedule.records(DAY, "digest")
    assert len(records) == 2 and {record.status for record in records} == {SendStatus.SENT}
    assert community[-1].startswith("[photo] 📊 学院南路街道/前进社区")  # the chart, after the text
    digest = "\n".join(community[-4:-1])
    assert "17:20" in digest  # the late report, with its time
    late_worker = seen[710000013]
    assert sum("提醒" in text for text in late_worker) == 2 and any(
        "迟报" in t for t in late_worker
    )
    never = seen[710000020]  # DG-03
    assert sum("提醒" in text for text in never) == 2
    for uid, (name, _) in BOUND.items():
        assert sum("早上好" in text for text in seen[uid]) == 1, name
    ledger = {
        (record.key.kind, record.key.target): record.status
        for kind in ("prompt", "remind_1", "remind_2", "late_nag", "escalate", "digest")
        for record in await bot.deps.db.schedule.records(DAY, kind)
    }
    assert set(ledger.values()) == {SendStatus.SENT}
    assert ("escalate", day.community.id) in ledger and ("escalate", day.street.id) in ledger


async def test_a_send_that_keeps_failing_is_reported_and_nothing_else_is_lost(day: Day) -> None:
    bot = day.bot
    db = bot.deps.db
    for grid in await db.roster.grids():
        if grid.code != "QJ-06":  # leave one grid, with one reachable worker, due
            await db.schedule.excuse(
                grid.id, DAY, reason="测试", actor=ADMIN_ID, at=bot.clock.now()
            )
    bot.emu.fail_next("sendMessage", status=502, times=4)
    bot.at(8, 0)
    await bot.tick()
    [prompt] = await db.schedule.records(DAY, "prompt")
    assert prompt.status == SendStatus.FAILED and prompt.attempts == 4
    assert "Bad Gateway" in (prompt.error or "")
    assert sum("失败" in text for text in day.admin.texts()) == 1
    bot.at(15, 0)
    await bot.tick()
    [reminder] = await db.schedule.records(DAY, "remind_1")
    assert reminder.status == SendStatus.SENT
    assert "提醒" in day.worker(710000013).last().plain_text


async def test_digest_command_takes_a_day_and_explains_a_bad_one(day: Day) -> None:
    bot = day.bot
    assert "看不懂日期" in texts(
        await bot.send(day.supervisor, "/digest 2026-13-45", chat=day.community)
    )
    assert "还没到" in texts(
        await bot.send(day.supervisor, "/digest 2026-12-01", chat=day.community)
    )
    replies = texts(await bot.send(day.supervisor, "/digest yesterday", chat=day.community))
    assert "2026-11-21" in replies
    outsider = bot.group(-100_900, "无关的群")
    outsider.add_member(day.supervisor)
    assert "没有绑定" in texts(await bot.send(day.supervisor, "/digest", chat=outsider))


async def test_a_supervisor_corrects_any_day_of_their_area_with_a_reason(day: Day) -> None:
    bot = day.bot
    bot.at(10, 0, DAY - timedelta(days=5))
    await file_detailed(bot, day.worker(710000001), {"screened": "100", "arrivals": "4"})
    bot.at(9, 0)
    say = day.supervisor
    usage = texts(await bot.send(say, "/fix QJ-01", chat=day.community))
    assert "用法" in usage and "screened" in usage
    assert "没有网格编号" in texts(
        await bot.send(say, "/fix DG-01 11-17 screened 1 原因", chat=day.community)
    )
    assert "没有已提交" in texts(
        await bot.send(say, "/fix QJ-02 11-17 screened 1 原因", chat=day.community)
    )
    assert "不是" in texts(
        await bot.send(say, "/fix QJ-01 11-17 排查人数 300余 漏报", chat=day.community)
    )
    rejected = texts(
        await bot.send(say, "/fix QJ-01 11-17 arrivals_risk 9 核对后", chat=day.community)
    )
    assert "❌" in rejected  # of which from risk areas cannot exceed the 4 arrivals
    done = texts(
        await bot.send(say, "/fix QJ-01 11-17 排查人数 130 漏报3号楼30人", chat=day.community)
    )
    assert "100 → 130" in done and "第 2 版" in done
    report = await bot.report("QJ-01", DAY - timedelta(days=5))
    assert report is not None and report.current.values["screened"] == 130
    assert report.current.created_by is None and report.current.created_by_name == "赵主任"
    assert report.versions[0].values["screened"] == 100
    bot.at(20, 0)
    await bot.tick()
    digest = texts(day.community.inbox()[-2:])
    assert "赵主任" in digest and "漏报3号楼30人" in digest  # the next digest shows the correction


async def test_a_scheduled_send_answered_late_is_not_sent_again(day: Day) -> None:
    """Telegram answers a prompt after the client's read timeout (shortened from 20 s to keep
    the test quick) but delivers it: it is not sent again, so every worker has one prompt;
    the send log says it was sent, unconfirmed. (Replies are retried: see test_faults.)"""
    bot = day.bot
    bot.read_timeout = 0.5
    await bot.restart()
    bot.emu.fail_next("sendMessage", delay=1.5)
    bot.at(8, 0)
    await bot.tick()
    await bot.emu.wait_for(lambda: all(len(prompts_in(u)) == 1 for u in day.workers.values()))
    records = await bot.deps.db.schedule.records(DAY, "prompt")
    assert {record.status for record in records} == {SendStatus.SENT}
    assert {record.attempts for record in records} == {1}
    assert len(bot.emu.calls_to("sendMessage")) == len(day.workers) + 2  # and the 2 bindings


async def test_cron_triggers_fire_at_the_planned_local_times(bot: Harness) -> None:
    """The scheduler registers one cron trigger per planned time of day, in the zone."""
    queue: JobQueue[Any] = JobQueue()
    queue.set_application(bot.running.application)
    bot.running.outbound.runner.schedule(queue)
    jobs = {job.name: job for job in queue.scheduler.get_jobs()}
    assert set(jobs) == {
        "daily 08:00",
        "daily 15:00",
        "daily 16:30",
        "daily 17:00",
        "daily 18:00",
        "daily 20:00",
        "alerts",
        "send log",
        "catch-up",
    }
    after = datetime(2026, 11, 22, 21, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    fire = jobs["daily 08:00"].trigger.get_next_fire_time(None, after)
    assert fire.isoformat() == "2026-11-23T08:00:00+08:00"
    pruning = jobs["send log"].trigger.get_next_fire_time(None, after)
    assert pruning.isoformat() == "2026-11-23T03:30:00+08:00"


async def test_a_typed_day_with_markup_is_shown_back_safely(day: Day) -> None:
    reply = texts(await day.bot.send(day.supervisor, "/digest <b>11-31", chat=day.community))
    assert "<b>11-31" in reply and "看不懂日期" in reply


async def test_the_ledger_counts_the_reminders_each_grid_was_sent(day: Day) -> None:
    await play_the_day(day, restart_at=None)
    sent = await export(day.bot, day.admin, f"/export {DAY:%m-%d} {DAY:%m-%d}")
    assert sent.document is not None
    rows = by_grid_day(sheets(sent.document.content)["日报台账"])
    assert rows["QJ-01", DAY][10] == 0  # filed at 09:30
    assert rows["DG-03", DAY][10] == 3  # never reports: two reminders and the late nag
    assert rows["QJ-06", DAY][10] == 3  # filed late
