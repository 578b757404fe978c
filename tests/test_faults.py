"""Replies that arrive: with Telegram answering sendMessage with 500s, 429s and slow answers,
every worker whose report was stored gets exactly one confirmation — at once, or (when the
retries ran out) before anything else on their next message.

12 workers in ``make test``; the soak run (``pytest -m soak``) has 40 workers and slow answers
of 6 s (the bot's read timeout raised to 10 s for it, so a slow answer is not abandoned).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from harness import DAY, Harness

from bot.emulator import BotApiEmulator, SimUser, UserAction

CONFIRM_BUTTON = "✅ 确认提交零报告"
CONFIRMATION = "✅ 已提交"
HEADER = "area,grid_code,grid_name,worker_name,worker_username,worker_id,households,population\n"


def roster(path: Path, grids: int) -> Path:
    rows = [
        f"故障街道/社区,F-{n:03d},第{n}网格,网格员{n},,{730000000 + n},300,900\n"
        for n in range(grids)
    ]
    path.write_text(HEADER + "".join(rows), "utf-8")
    return path


@dataclass(frozen=True)
class Faults:
    """What was injected into the next sendMessage calls."""

    server_errors: int
    rate_limits: int
    slow: int


def inject(emu: BotApiEmulator, calls: int, seed: int, slow: float) -> Faults:
    """The next ``calls`` sendMessage calls: 20% answer 500, 20% answer 429 (retry after 1 s),
    10% answer ``slow`` seconds late (within the read timeout), the rest normally."""
    rng = random.Random(seed)
    counts = Faults(0, 0, 0)
    for _ in range(calls):
        roll = rng.random()
        if roll < 0.2:
            emu.fail_next("sendMessage", status=500)
            counts = Faults(counts.server_errors + 1, counts.rate_limits, counts.slow)
        elif roll < 0.4:
            emu.fail_next("sendMessage", retry_after=1)
            counts = Faults(counts.server_errors, counts.rate_limits + 1, counts.slow)
        elif roll < 0.5:
            emu.fail_next("sendMessage", delay=slow)
            counts = Faults(counts.server_errors, counts.rate_limits, counts.slow + 1)
        else:
            emu.fail_next("sendMessage", delay=0.0)
    return counts


async def handled(bot: Harness, action: UserAction) -> None:
    """Wait until the bot handled ``action`` (slow answers and retries can take a while)."""
    await bot.emu.wait_processed(bot.running.application.update_queue, action.update_id, 90)


async def file_zero_like_a_person(bot: Harness, user: SimUser) -> None:
    """/zero and the confirm button; when the bot's answer never came, try again (a person
    would), at most a few times."""
    for _ in range(4):
        await handled(bot, await user.send("/zero"))
        if any(CONFIRM_BUTTON in row for message in user.inbox()[-1:] for row in message.buttons):
            await handled(bot, await user.press(CONFIRM_BUTTON))
            return


def confirmations(user: SimUser) -> int:
    return sum(CONFIRMATION in (message.plain_text or "") for message in user.inbox())


@pytest.mark.parametrize(
    ("seed", "workers", "slow"),
    [(11, 12, 0.3), (12, 12, 0.3), pytest.param(13, 40, 6.0, marks=pytest.mark.soak)],
)
async def test_every_stored_report_gets_exactly_one_confirmation(
    bot: Harness, tmp_path: Path, seed: int, workers: int, slow: float
) -> None:
    if slow >= bot.read_timeout:
        bot.read_timeout = slow + 4
        await bot.restart()
    await bot.import_roster(roster(tmp_path / "faults.csv", workers))
    users = [bot.user(730000000 + n, f"网格员{n}") for n in range(workers)]
    faults = inject(bot.emu, workers * 4, seed, slow)
    for user in users:
        await file_zero_like_a_person(bot, user)
    owed_before = len(await bot.deps.db.schedule.unfinished("confirm:", since=DAY))
    bot.emu.clear_faults()  # Telegram works again: the next message gets what is owed
    for user in users:
        await handled(bot, await user.send("/status"))

    stored = {}
    for n, user in enumerate(users):
        grid = await bot.deps.db.roster.grid_by_code(f"F-{n:03d}")
        assert grid is not None
        stored[user.id] = await bot.deps.db.reports.get(grid.id, DAY)
    filed = [user for user in users if stored[user.id] is not None]
    assert faults.server_errors and faults.rate_limits and faults.slow
    assert len(filed) >= workers * 3 // 4, "the faults should not stop most workers"
    assert {user.id: confirmations(user) for user in filed} == {user.id: 1 for user in filed}
    assert all(confirmations(user) == 0 for user in users if stored[user.id] is None)
    owed = await bot.deps.db.schedule.unfinished("confirm:", since=DAY)
    assert owed == []
    calls = bot.emu.calls_to("sendMessage")
    print(  # the figures the README's Reliability section publishes (pytest -s)
        f"faults seed={seed}: {len(filed)}/{workers} reports stored, "
        f"{sum(map(confirmations, filed))} confirmations ({owed_before} on the next message); "
        f"sendMessage calls {len(calls)}, failed {sum(not call.ok for call in calls)}; "
        f"injected 500×{faults.server_errors} 429×{faults.rate_limits} slow×{faults.slow}"
    )


def deliveries(emu: BotApiEmulator, update_id: int) -> int:
    """How many getUpdates answers carried this update."""
    return sum(
        any(update.get("update_id") == update_id for update in call.result or [])
        for call in emu.calls_to("getUpdates")
        if call.ok
    )


async def test_an_update_delivered_again_is_neither_filed_nor_answered_twice(
    bot: Harness,
) -> None:
    """The bot handles the worker's confirm, but every getUpdates that would confirm it to
    Telegram fails (a 502 from a proxy) until the bot restarts: Telegram delivers the update
    again to the new process. It is recognised and dropped: one report, one confirmation."""
    wang = bot.user(730000001, "网格员1")
    await bot.import_roster(roster(bot.settings.db.parent / "faults.csv", 2))
    await handled(bot, await wang.send("/zero"))
    await bot.emu.wait_for(lambda: bot.emu.polls_waiting > 0)  # the next poll is held
    bot.emu.fail_next("getUpdates", status=502, times=1000)
    press = await wang.press(CONFIRM_BUTTON)
    await bot.emu.wait_for(lambda: confirmations(wang) == 1)
    await asyncio.wait_for(bot.running.application.update_queue.join(), 10)
    seen_before = len(wang.inbox())
    await bot.stop()  # its last poll, confirming the update, fails too
    bot.emu.clear_faults()
    await bot.start()
    await handled(bot, press)

    assert deliveries(bot.emu, press.update_id) == 2, "Telegram delivered the update again"
    assert len(wang.inbox()) == seen_before and confirmations(wang) == 1
    grid = await bot.deps.db.roster.grid_by_code("F-001")
    assert grid is not None
    report = await bot.deps.db.reports.get(grid.id, DAY)
    assert report is not None and [version.version for version in report.versions] == [1]
    print(f"redelivered: update {press.update_id} delivered 2 times, handled once")


async def test_a_reply_answered_late_is_sent_again_the_trade_off(bot: Harness) -> None:
    """Replies are retried after a late answer, since losing a confirmation is worse than a
    second copy: if Telegram's answer is lost in a 504 after the read timeout (shortened from
    20 s), the retry delivers the one confirmation; if Telegram delivered it late, the worker
    sees it twice. That is the price; a 20 s read timeout keeps it rare. (Scheduled sends are
    not sent again: test_day.)"""
    bot.read_timeout = 0.5
    await bot.restart()
    await bot.import_roster(roster(bot.settings.db.parent / "faults.csv", 2))
    lost, late = bot.user(730000000, "网格员0"), bot.user(730000001, "网格员1")
    for user, fault in ((lost, {"status": 504}), (late, {})):
        await handled(bot, await user.send("/zero"))
        bot.emu.fail_next("sendMessage", delay=1.5, **fault)  # the confirmation
        await handled(bot, await user.press(CONFIRM_BUTTON))
        await bot.emu.wait_for(lambda user=user: confirmations(user) >= 1)
    await bot.emu.wait_for(lambda: confirmations(late) == 2)
    assert confirmations(lost) == 1
    print("late answers: a reply lost in a 504 after the timeout once, one delivered late twice")


async def test_failed_polls_are_one_line_each_and_polling_goes_on(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram (or a proxy before it) answers getUpdates with 502 twice: each failure is one
    warning line without a traceback, and the bot goes on polling and answers the worker."""
    wang = bot.user(730000001, "网格员1")
    await bot.import_roster(roster(bot.settings.db.parent / "faults.csv", 2))
    await bot.emu.wait_for(lambda: bot.emu.polls_waiting > 0)
    bot.emu.fail_next("getUpdates", status=502, times=2)
    await handled(bot, await wang.send("/zero"))

    failed = [call for call in bot.emu.calls_to("getUpdates") if not call.ok]
    assert len(failed) == 2
    assert wang.last().buttons, "the worker was answered"
    polling = [record for record in caplog.records if "polling Telegram" in record.getMessage()]
    assert [record.levelname for record in polling] == ["WARNING", "WARNING"]
    assert [record for record in caplog.records if record.exc_info] == []
