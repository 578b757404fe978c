"""/stats and /late over the three simulated days of ``ledger_scenario``, against figures
computed by hand; who may ask, and where."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from harness import ADMIN_ID, Harness, texts
from ledger_scenario import COMMUNITY, EAST, ledger_harness

from bot.clock import ManualClock
from bot.domain.dates import DayRange
from bot.domain.ledger import RosterGrid, Scope
from bot.domain.models import Area, Grid
from bot.domain.stats import (
    Figures,
    PeriodCounts,
    clock_minutes,
    median_minute,
    percent,
    period_stats,
)
from bot.domain.status import Completeness
from bot.emulator import BotApiEmulator, SimGroup, SimUser


@pytest.fixture
async def ledger_bot(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Harness]:
    """The bot after the three days of ``ledger_scenario``."""
    async with ledger_harness(emulator, clock, tmp_path / "gridbot.sqlite3") as harness:
        yield harness


SUPERVISOR = 800_000_001


async def ask(bot: Harness, user: SimUser, command: str, chat: SimGroup | None = None) -> str:
    """Send a command that may run in the background; everything it answered."""
    await bot.send(user, command, chat=chat)
    return texts(await (chat or user).wait_for_message(1))


async def bound_group(bot: Harness, chat_id: int, path: str) -> SimGroup:
    admin = bot.user(ADMIN_ID, "管理员")
    group = bot.group(chat_id, path.rsplit("/", 1)[-1] + "防控群", admins=(admin,))
    await bot.send(admin, f"/bindgroup {path}", chat=group)
    return group


async def test_stats_match_the_figures_computed_by_hand(ledger_bot: Harness) -> None:
    admin = ledger_bot.user(ADMIN_ID, "管理员")
    shown = await ask(ledger_bot, admin, "/stats 3d")
    # Expected grid-days: D1 9 (DG-04 excused), D2 10, D3 10 = 29. Reported: D1 QJ-01,
    # QJ-03 (zero), QJ-05 (late), DG-01 (late zero); D2 QJ-01 (zero), QJ-05; D3 QJ-01 = 7,
    # 5 on time, 3 zero. Submission times in order: 08:50 09:30 10:00 11:00 16:00 18:30
    # 19:00, median 11:00.
    assert "📊 全部区域 报送统计：2026-11-20 至 2026-11-22（3 天）" in shown
    assert (
        "合计：应报 29，已报 7（报送率 24.1%），按时 5（及时率 17.2%），迟报 2；零报告占 42.9%；"
        "未报 22 次，免报 1 次；提交时间中位数 11:00。"
    ) in shown
    assert (
        "• 学院南路街道/前进社区：报送率 33.3%（6/18），及时率 27.8%，零报告 33.3%，未报 12 次，"
        "中位数 10:30" in shown
    )
    assert (
        "• 学院南路街道/东关社区：报送率 9.1%（1/11），及时率 0.0%，零报告 100.0%，未报 10 次，"
        "中位数 19:00" in shown
    )
    assert (
        "• QJ-01 第一网格：已报 3/3（100.0%），按时 3（100.0%），零报告 33.3%，未报 0 天，"
        "中位数 10:00" in shown
    )
    assert (
        "• QJ-05 第五网格：已报 2/3（66.7%），按时 1（33.3%），零报告 0.0%，未报 1 天，"
        "中位数 17:15" in shown
    )
    assert (
        "• DG-04 第四网格：已报 0/2（0.0%），按时 0（0.0%），零报告 —，未报 2 天，中位数 —" in shown
    )


async def test_a_supervisor_group_sees_its_own_area_only(ledger_bot: Harness) -> None:
    community = await bound_group(ledger_bot, -100_101, COMMUNITY)
    supervisor = ledger_bot.user(SUPERVISOR, "赵主任")
    community.add_member(supervisor)
    shown = await ask(ledger_bot, supervisor, "/stats 11-21 today", community)
    assert "📊 学院南路街道/前进社区 报送统计：2026-11-21 至 2026-11-22（2 天）" in shown
    # D2 QJ-01 zero 08:50, QJ-05 16:00; D3 QJ-01 11:00: 3 of 12, all on time.
    assert "应报 12，已报 3（报送率 25.0%），按时 3（及时率 25.0%）" in shown
    assert "QJ-0" in shown and "DG-0" not in shown

    refused = await ask(ledger_bot, supervisor, "/stats 7d 东关社区", community)
    assert "“东关社区”不在本群负责的区域（学院南路街道/前进社区）内" in refused
    assert "没有找到区域“西城区”" in await ask(ledger_bot, supervisor, "/late 西城区", community)
    late = await ask(ledger_bot, supervisor, "/late", community)
    assert "⏰ 学院南路街道/前进社区 2026-11-22 截至 16:00 的报送情况（截止时间 17:00）" in late
    assert "应报 6，已报 1，未报 5；免报 0。" in late
    assert "• QJ-02 第二网格（学院南路街道/前进社区）：黄刚 @grid_qj02_1（未绑定机器人" in late
    assert "QJ-01" not in late and "DG-0" not in late


async def test_supervisor_commands_are_refused_outside_their_group(ledger_bot: Harness) -> None:
    supervisor = ledger_bot.user(SUPERVISOR, "赵主任")
    worker = ledger_bot.user(710000001, "王娜", username="grid_qj01_1")
    unbound = ledger_bot.group(-100_999, "闲聊群")
    unbound.add_member(supervisor)
    for command in ("/stats", "/late"):
        assert "不在网格员名单" in await ask(ledger_bot, supervisor, command)
        assert "主管群里发送" in await ask(ledger_bot, worker, command)
        assert "还没有绑定区域" in await ask(ledger_bot, supervisor, command, unbound)
    east = await bound_group(ledger_bot, -100_102, EAST)
    east.add_member(supervisor)
    assert "东关社区" in await ask(ledger_bot, supervisor, "/late", east)
    assert "不在本群负责的区域" in await ask(ledger_bot, supervisor, "/late 前进社区", east)


async def test_admins_get_late_lists_anywhere(ledger_bot: Harness) -> None:
    admin = ledger_bot.user(ADMIN_ID, "Admin", lang="en")
    shown = await ask(ledger_bot, admin, "/late 东关社区")
    assert "⏰ 学院南路街道/东关社区, 2026-11-22 as of 16:00 (deadline 17:00)" in shown
    assert "4 expected, 0 reported, 4 missing; 0 excused." in shown
    assert "林芳强 @grid_dg02_1; reminded 0 time(s)" in shown
    everywhere = await ask(ledger_bot, admin, "/late")
    assert "10 expected, 1 reported, 9 missing" in everywhere


async def test_bad_periods_are_explained(ledger_bot: Harness) -> None:
    admin = ledger_bot.user(ADMIN_ID, "管理员")
    reply = await ask(ledger_bot, admin, "/stats 12-31")  # last December: before the roster
    assert "2025-12-31 至 2025-12-31（1 天）" in reply and "这段时间没有应报的网格" in reply
    reply = await ask(ledger_bot, admin, "/stats 2026-13-01")
    assert "看不懂日期“2026-13-01”" in reply and "/stats 30d 前进社区" in reply


# --- the arithmetic, without Telegram --------------------------------------------------------

STREET = Area(1, "街道", "街道", None)
COMMUNITY_AREA = Area(2, "街道/社区", "社区", 1)
ON_STREET = Grid(1, "G-1", "网格", 1, "街道", None, None, True)
IN_COMMUNITY = Grid(2, "G-2", "网格", 2, "街道/社区", None, None, True)
NEVER_LISTED = Grid(3, "G-3", "网格", 2, "街道/社区", None, None, False)
SCOPE = Scope(
    None,
    (STREET, COMMUNITY_AREA),
    tuple(RosterGrid(grid, date(2026, 1, 1)) for grid in (ON_STREET, IN_COMMUNITY, NEVER_LISTED)),
)
DAYS = DayRange(date(2026, 1, 1), date(2026, 1, 4))


def test_median_submission_time_is_the_middle_of_the_minutes_counted() -> None:
    filed = {16 * 60: 1, 17 * 60 + 30: 1, 31 * 60 + 30: 1, 9 * 60: 1}  # one at 07:30 the next day
    assert median_minute(filed) == (16 * 60 + 17 * 60 + 30) / 2
    assert clock_minutes(median_minute(filed)) == "16:45"
    assert clock_minutes(31 * 60 + 30) == "07:30+1"
    assert median_minute({600: 2, 700: 1}) == 600
    assert median_minute({}) is None


def test_an_area_adds_up_the_grids_in_and_below_it_and_merges_their_minutes() -> None:
    counted = PeriodCounts(
        kinds={0: [1, 1, 1, 0, 0, 1], 1: [0, 0, 0, 3, 1, 0]},
        medians={0: 16 * 60 + 15},
        minutes={STREET.id: {9 * 60: 1, 16 * 60: 1, 16 * 60 + 30: 1, 31 * 60 + 30: 1}},
    )
    stats = period_stats(SCOPE, DAYS, counted)
    on_street = Completeness(
        expected=4, reported=4, on_time=2, late=2, zero=2, missing=0, excused=0
    )
    in_community = Completeness(
        expected=3, reported=0, on_time=0, late=0, zero=0, missing=3, excused=1
    )
    assert stats.grids == (
        (ON_STREET, Figures(on_street, 16 * 60 + 15)),
        (IN_COMMUNITY, Figures(in_community, None)),
    )
    everything = Completeness(
        expected=7, reported=4, on_time=2, late=2, zero=2, missing=3, excused=1
    )
    assert stats.total == Figures(everything, 16 * 60 + 15)
    assert stats.areas == (
        (STREET, Figures(everything, 16 * 60 + 15)),
        (COMMUNITY_AREA, Figures(in_community, None)),
    )
    assert stats.total.zero_share == 0.5 and percent(stats.total.counts.on_time_rate) == "28.6%"


def test_a_grid_without_reports_has_no_median_and_no_zero_share() -> None:
    counted = PeriodCounts(kinds={1: [0, 0, 0, 4, 0, 0]}, medians={}, minutes={})
    (grid, figures), *_ = period_stats(SCOPE, DAYS, counted).grids
    assert grid == IN_COMMUNITY and figures.counts.missing == 4
    assert figures.median_minute is None and figures.zero_share is None
    assert clock_minutes(None) == "—" and percent(None) == "—"
