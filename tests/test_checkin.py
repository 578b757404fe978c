"""The check-in conversation end to end: simulated workers, the emulator over HTTP, real SQLite."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

from harness import (
    DAY,
    EVERYTHING_ZERO,
    Harness,
    answer_questions,
    current_question,
    file_detailed,
    texts,
)

from bot.domain.models import Incident, ReportKind
from bot.emulator import SimUser

WANG_NA = (710000001, "王娜", "grid_qj01_1")  # QJ-01, roster id
WANG_CHAO = (710000002, "王超", "grid_qj01_2")  # QJ-01, roster id
WANG_XIUJING = (710000005, "王秀静", "grid_qj03_1")  # QJ-03, roster id


def worker(bot: Harness, who: tuple[int, str, str], lang: str = "zh-hans") -> SimUser:
    user_id, name, username = who
    return bot.user(user_id, name, username=username, lang=lang)


# --------------------------------------------------------------------------- zero report


async def test_zero_report_takes_two_taps_and_is_stored_as_zero(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    preview = texts(await bot.press(wang, "0️⃣ 零报告（今日无新增）"))
    assert "零报告" in preview and "无异常" in preview
    assert await bot.report("QJ-01") is None  # nothing filed by the first tap
    filed = texts(await bot.press(wang, "✅ 确认提交零报告"))
    assert "已提交" in filed and "按时" in filed

    report = await bot.report("QJ-01")
    assert report is not None
    assert report.kind == ReportKind.ZERO
    assert not report.late
    assert report.submitted_by_name == "王娜"
    assert report.current.incidents == ()
    counts = [field.key for field in bot.deps.form.counts()]
    assert all(report.current.values[key] == 0 for key in counts)


async def test_zero_report_carries_stocks_from_the_last_report(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    bot.at(10, 0, DAY - timedelta(days=1))
    await file_detailed(
        bot,
        wang,
        {
            "home_isolation.opening": "45",
            "home_iso_in": "3",
            "home_iso_out": "2",
            "central_isolation.opening": "4",
            "disinfection": "1",
        },
    )
    bot.at(9, 0)
    preview = texts(await bot.send(wang, "/zero"))
    assert "居家隔离在管：46 人（沿用）" in preview
    await bot.press(wang, "✅ 确认提交零报告")
    report = await bot.report("QJ-01")
    assert report is not None and report.kind == ReportKind.ZERO


async def test_zero_detailed_zero_and_missing_are_three_different_things(bot: Harness) -> None:
    wang, xiujing = worker(bot, WANG_NA), worker(bot, WANG_XIUJING)
    await bot.send(wang, "/zero")
    await bot.press(wang, "✅ 确认提交零报告")
    await file_detailed(bot, xiujing, {})
    zero, detailed = await bot.report("QJ-01"), await bot.report("QJ-03")
    assert zero is not None and zero.kind == ReportKind.ZERO
    assert detailed is not None and detailed.kind == ReportKind.DETAILED
    assert await bot.report("QJ-02") is None


# --------------------------------------------------------------------------- detailed report


async def test_detailed_report_with_bad_input_rules_and_an_incident(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.send(wang, "/report")
    assert current_question(bot, wang) == "home_isolation.opening"
    await bot.send(wang, "46")
    await bot.send(wang, "0")
    assert current_question(bot, wang) == "screened"

    for bad, says in [
        ("x", "不是"),
        ("300余", "300"),
        ("约50", "50"),
        ("??", "数字"),
        ("若干", "数字"),
        ("1.5", "整数"),
    ]:
        reply = texts(await bot.send(wang, bad))
        assert says in reply, (bad, reply)
        assert current_question(bot, wang) is None or current_question(bot, wang) == "screened"
    await bot.send(wang, "１２０")  # full-width digits
    assert current_question(bot, wang) == "households_visited"
    await bot.send(wang, "一百零五户")  # Chinese numerals and a unit
    await bot.send(wang, "12人")  # arrivals
    reply = texts(await bot.send(wang, "13"))  # of which from risk areas > arrivals: hard rule
    assert "❌" in reply and current_question(bot, wang) == "arrivals_risk"
    await bot.send(wang, "2")
    await answer_questions(
        bot,
        wang,
        {
            "home_iso_in": "3",
            "home_iso_out": "1",
            "fever_found": "1",
            "fever_referred": "1",
            "disinfection": "0",
            "difficulties": "消毒液快用完了",
        },
    )
    # disinfection 0 is a soft rule: confirm it
    assert "⚠️" in wang.last().plain_text
    await bot.press(wang, "✅ 确认无误")
    await answer_questions(bot, wang, {"difficulties": "消毒液快用完了"})

    await bot.press(wang, "⚠️ 添加一条异常情况")
    await bot.press(wang, "发热/症状")
    await bot.send(wang, "3号楼2单元 林某某 发热38.2℃，已送发热门诊")
    await bot.press(wang, "不紧急")
    summary = texts(await bot.press(wang, "✅ 完成"))
    assert "居家隔离在管：48 人" in summary and "46" in summary
    assert "林某某" in summary
    done = texts(await bot.press(wang, "✅ 提交"))
    assert "已提交" in done

    report = await bot.report("QJ-01")
    assert report is not None and report.kind == ReportKind.DETAILED
    values = report.current.values
    assert values["screened"] == 120
    assert values["households_visited"] == 105
    assert values["arrivals"] == 12 and values["arrivals_risk"] == 2
    assert values["home_iso_in"] == 3 and values["home_iso_out"] == 1
    assert values["central_iso_out"] == 0  # skipped: nobody to release
    assert values["disinfection"] == 0
    assert values["difficulties"] == "消毒液快用完了"
    assert report.current.baseline == {"home_isolation": 46, "central_isolation": 0}
    assert report.current.incidents == (
        Incident("fever", "3号楼2单元 林某某 发热38.2℃，已送发热门诊", False),
    )


async def test_personal_data_in_an_incident_is_refused(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.send(wang, "/report")
    await answer_questions(bot, wang, {**EVERYTHING_ZERO, "disinfection": "1"})
    await bot.press(wang, "⚠️ 添加一条异常情况")
    await bot.press(wang, "疑似病例")
    reply = texts(await bot.send(wang, "林某某 电话13812345678 疑似"))
    assert "手机号" in reply
    reply = texts(await bot.send(wang, "5号楼 林某某 核酸阳性，已上报疾控"))
    assert "紧急" in reply  # a suspected case is always urgent
    await bot.press(wang, "✅ 完成")
    await bot.press(wang, "✅ 提交")
    report = await bot.report("QJ-01")
    assert report is not None
    assert report.current.incidents == (
        Incident("suspected", "5号楼 林某某 核酸阳性，已上报疾控", True),
    )


async def test_editing_a_field_from_the_summary(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.send(wang, "/report")
    await answer_questions(bot, wang, {**EVERYTHING_ZERO, "screened": "50", "disinfection": "1"})
    await bot.press(wang, "✅ 无异常情况")
    await bot.press(wang, "✏️ 修改某项")
    await bot.press(wang, "排查人数: 50")
    await bot.send(wang, "60")
    assert "排查人数：60" in wang.last().plain_text
    await bot.press(wang, "✅ 提交")
    report = await bot.report("QJ-01")
    assert report is not None and report.current.values["screened"] == 60


# --------------------------------------------------------------------------- template


async def test_template_entry_in_one_message_with_english_labels(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.send(wang, "/template")
    await bot.send(wang, "10")  # the opening balances come first, once
    await bot.send(wang, "0")
    template = wang.last().plain_text
    assert "排查人数" in template
    filled = "\n".join(
        [
            "People screened: 200",
            "Households visited: 80",
            "New arrivals: 3",
            "Of which from risk areas: 1",
            "New in home isolation: 2",
            "Released from home isolation: 1",
            "新增集中隔离：0",
            "发现发热人员：0",
            "新增密切接触者：0",
            "公共区域消杀次数：2",
        ]
    )
    reply = texts(await bot.send(wang, "Pepole screened: x\n" + filled))
    assert "第 1 行" in reply or "line 1" in reply
    await bot.send(wang, filled)
    await bot.press(wang, "✅ 无异常情况")
    summary = wang.last().plain_text
    assert "居家隔离在管：11 人" in summary
    await bot.press(wang, "✅ 提交")
    report = await bot.report("QJ-01")
    assert report is not None
    assert report.current.values["screened"] == 200
    assert report.current.values["arrivals_risk"] == 1
    assert report.current.values["disinfection"] == 2


# --------------------------------------------------------------------------- one report per grid


async def test_first_of_two_workers_files_and_the_other_sees_it(bot: Harness) -> None:
    na, chao = worker(bot, WANG_NA), worker(bot, WANG_CHAO)
    await bot.send(chao, "/report")
    await answer_questions(bot, chao, {**EVERYTHING_ZERO, "disinfection": "1"})
    await bot.press(chao, "✅ 无异常情况")
    await file_detailed(bot, na, {"screened": "77", "disinfection": "1"})
    reply = texts(await bot.press(chao, "✅ 提交"))
    assert "王娜" in reply and "提交" in reply
    report = await bot.report("QJ-01")
    assert report is not None
    assert report.submitted_by_name == "王娜" and report.current.values["screened"] == 77
    status = texts(await bot.send(chao, "/status"))
    assert "王娜" in status and "按时" in status


async def test_a_report_after_the_deadline_is_marked_late_with_its_time(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    bot.at(17, 42)
    await bot.send(wang, "/zero")
    reply = texts(await bot.press(wang, "✅ 确认提交零报告"))
    assert "17:42" in reply and "迟报" in reply
    report = await bot.report("QJ-01")
    assert report is not None and report.late
    assert report.submitted_at.astimezone(bot.clock.tz).strftime("%H:%M") == "17:42"
    assert "迟报" in texts(await bot.send(wang, "/status"))


# --------------------------------------------------------------------------- corrections


async def test_correction_needs_a_reason_and_keeps_the_previous_version(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await file_detailed(bot, wang, {"screened": "100", "disinfection": "1"})
    bot.at(11, 30)
    await bot.send(wang, "/correct")
    await bot.press(wang, "排查人数: 100")
    await bot.send(wang, "130")
    summary = wang.last().plain_text
    assert "100 → 130" in summary
    await bot.press(wang, "✅ 改完了，填写更正原因")
    assert "原因" in texts(await bot.send(wang, "x"))  # too short
    await bot.send(wang, "漏报了3号楼的30人")
    assert "漏报了3号楼的30人" in wang.last().plain_text
    reply = texts(await bot.press(wang, "✅ 提交更正"))
    assert "第 2 版" in reply

    report = await bot.report("QJ-01")
    assert report is not None and len(report.versions) == 2
    first, second = report.versions
    assert first.values["screened"] == 100 and first.reason is None
    assert second.values["screened"] == 130 and second.reason == "漏报了3号楼的30人"
    assert second.created_by_name == "王娜"
    assert second.created_at.astimezone(bot.clock.tz).strftime("%H:%M") == "11:30"
    assert report.submitted_at < second.created_at
    assert "更正 1 次" in texts(await bot.send(wang, "/status"))


# ----------------------------------------------------------- restarts and stale buttons


async def test_draft_survives_a_restart_mid_conversation(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.send(wang, "/report")
    await answer_questions_until(
        bot, wang, "arrivals", {"screened": "88", "households_visited": "20"}
    )
    await bot.restart()
    assert current_question(bot, wang) == "arrivals"
    await bot.send(wang, "5")  # answered straight away, as if nothing happened
    assert current_question(bot, wang) == "arrivals_risk"
    await bot.restart()
    resumed = texts(await bot.send(wang, "/report"))
    assert "继续填写" in resumed
    assert current_question(bot, wang) == "arrivals_risk"
    await answer_questions(bot, wang, {**EVERYTHING_ZERO, "disinfection": "1"})
    await bot.press(wang, "✅ 无异常情况")
    await bot.press(wang, "✅ 提交")
    report = await bot.report("QJ-01")
    assert report is not None
    assert report.current.values["screened"] == 88 and report.current.values["arrivals"] == 5


def stored_conversation(path: Path, user_id: int) -> tuple[object, dict[str, object]]:
    """The check-in state and draft of ``user_id`` as committed to the database file, read
    through a connection of its own (what a restarted bot would find after a crash)."""
    with sqlite3.connect(path) as conn:
        (state,) = conn.execute(
            "SELECT state FROM ptb_conversations WHERE name = 'checkin' AND key = ?",
            (f"[{user_id},{user_id}]",),
        ).fetchone()
        (data,) = conn.execute(
            "SELECT data FROM ptb_user_data WHERE user_id = ?", (user_id,)
        ).fetchone()
    return json.loads(state), json.loads(json.loads(data)["draft"])


async def test_every_answer_is_committed_once_its_update_is_handled(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.send(wang, "/report")
    await answer_questions_until(bot, wang, "households_visited", {"screened": "88"})
    state, draft = await asyncio.to_thread(stored_conversation, bot.settings.db, WANG_NA[0])
    assert state == "ask"
    assert draft["values"] == {"screened": 88} and draft["current"] == "households_visited"
    await bot.send(wang, "20")
    _, draft = await asyncio.to_thread(stored_conversation, bot.settings.db, WANG_NA[0])
    assert draft["values"] == {"screened": 88, "households_visited": 20}


async def test_the_first_update_of_a_worker_is_committed_with_it(bot: Harness) -> None:
    """PTB marks a user's data to be saved only once all handlers are done; the update's own
    flush saves it too, so the first update of a worker (since the start) is not left to the
    next one or to the minute's periodic save."""
    wang = worker(bot, WANG_NA)
    await bot.send(wang, "/report")
    state, draft = await asyncio.to_thread(stored_conversation, bot.settings.db, WANG_NA[0])
    assert state == "ask" and draft["current"] == current_question(bot, wang)


async def answer_questions_until(
    bot: Harness, user: SimUser, stop_at: str, answers: dict[str, str]
) -> None:
    while (key := current_question(bot, user)) != stop_at:
        assert key is not None
        await bot.send(user, answers.get(key, "0"))


async def test_old_and_forged_buttons_answer_expired_and_change_nothing(bot: Harness) -> None:
    wang, chao = worker(bot, WANG_NA), worker(bot, WANG_CHAO)
    await bot.send(wang, "/report")
    first_question = wang.last()
    await bot.send(wang, "46")
    await bot.send(wang, "0")
    await bot.press_on(wang, first_question, "0")  # the button of an answered question
    assert "过期" in (wang.callback_answers()[-1].text or "")
    assert current_question(bot, wang) == "screened"

    await bot.forge(wang, "c:ffffff:1:submit", wang.last().message_id)
    assert "过期" in (wang.callback_answers()[-1].text or "")
    live_data = wang.last().callback_data[0]
    await bot.send(chao, "hi")
    await bot.forge(chao, live_data, chao.last().message_id)  # someone else's button
    assert "过期" in (chao.callback_answers()[-1].text or "")
    assert await bot.report("QJ-01") is None
    assert current_question(bot, wang) == "screened"


async def test_pressing_submit_twice_files_once(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.send(wang, "/report")
    await answer_questions(bot, wang, {**EVERYTHING_ZERO, "disinfection": "1"})
    await bot.press(wang, "✅ 无异常情况")
    summary = wang.last()
    await bot.press_on(wang, summary, "✅ 提交")
    await bot.forge(wang, summary.callback_data[0], summary.message_id)
    assert "过期" in (wang.callback_answers()[-1].text or "")
    report = await bot.report("QJ-01")
    assert report is not None and len(report.versions) == 1


# --------------------------------------------------------------------------- English


async def test_the_whole_check_in_in_english(bot: Harness) -> None:
    wang = worker(bot, WANG_NA, lang="en")
    greeting = texts(await bot.start_bot(wang))
    assert "You are registered for" in greeting
    await bot.send(wang, "/report")
    await bot.send(wang, "0")
    await bot.send(wang, "0")
    reply = texts(await bot.send(wang, "about 50"))
    assert "exact" in reply.lower() and "50" in reply
    await answer_questions(bot, wang, {"difficulties": "Skip", "disinfection": "1"})
    await bot.press(wang, "✅ No incidents")
    assert "Please check" in wang.last().plain_text
    done = texts(await bot.press(wang, "✅ Submit"))
    assert "filed" in done and "on time" in done
    report = await bot.report("QJ-01")
    assert report is not None and report.kind == ReportKind.DETAILED


async def test_an_earlier_day_can_be_corrected_within_the_window(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    for days_ago in (3, 1):
        bot.at(10, 0, DAY - timedelta(days=days_ago))
        await file_detailed(bot, wang, {"screened": str(10 * days_ago)})
    bot.at(9, 0)
    await file_detailed(bot, wang, {"screened": "5"})
    offered = texts(await bot.send(wang, "/correct"))
    assert "选择" in offered
    assert wang.last().buttons == [["2026-11-22"], ["2026-11-21"]]  # 11-19 is out of the window
    await bot.press(wang, "2026-11-21")
    await bot.press(wang, "排查人数: 10")
    await bot.send(wang, "12")
    await bot.press(wang, "✅ 改完了，填写更正原因")
    await bot.send(wang, "昨天少报了2人")
    await bot.press(wang, "✅ 提交更正")
    yesterday = await bot.report("QJ-01", DAY - timedelta(days=1))
    assert yesterday is not None and yesterday.current.values["screened"] == 12
    assert yesterday.current.reason == "昨天少报了2人"
    today = await bot.report("QJ-01")
    assert today is not None and len(today.versions) == 1

    refused = texts(await bot.send(wang, "/correct 2026-11-19"))
    assert "不能由网格员更正" in refused and "2026-11-20" in refused
    assert (
        "看不懂" in texts(await bot.send(wang, "/correct 31-31"))
        or "日期" in wang.last().plain_text
    )


async def test_an_edited_answer_is_not_read_silently(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.send(wang, "/report")
    answer = await wang.send("46")
    await bot.emu.wait_processed(bot.running.application.update_queue, answer.update_id)
    before = len(wang.inbox())
    edited = await wang.edit(answer, "47")
    await bot.emu.wait_processed(bot.running.application.update_queue, edited.update_id)
    reply = texts(wang.inbox()[before:])
    assert "修改过的消息不会被重新读取" in reply
    assert current_question(bot, wang) is None  # the reply is the hint, not a next question
    await bot.send(wang, "/report")  # shows the current question again
    assert current_question(bot, wang) == "central_isolation.opening"
    await answer_questions(bot, wang, EVERYTHING_ZERO)
    await bot.press(wang, "✅ 无异常情况")
    await bot.press(wang, "✅ 提交")
    report = await bot.report("QJ-01")
    assert report is not None
    assert report.current.baseline == {"home_isolation": 46, "central_isolation": 0}
