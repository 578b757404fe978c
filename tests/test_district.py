"""A whole district (``tests/data/district-roster.csv``, the 985-grid sample: 10 streets, 100
communities, every community with its own 第一网格, two or three workers on most grids, a
third of them not bound to Telegram) through one reporting day: the evening digest each level
of the tree receives stays readable and complete, and a grid with several workers gets one
report."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from io import BytesIO
from pathlib import Path

import pytest
from harness import ADMIN_ID, DAY, Harness, started
from ledger_scenario import counts
from openpyxl import load_workbook

from bot.clock import ManualClock
from bot.domain.models import Grid
from bot.domain.stats import LATE_LISTED
from bot.emulator import BotApiEmulator, SentMessage, SimGroup, SimUser
from bot.usecases import filing, supervision

DISTRICT_ROSTER = Path(__file__).parent / "data" / "district-roster.csv"
DISTRICT, STREET = "示范区", "示范区/东湖街道"
TELEGRAM_LIMIT = 4096


@pytest.fixture
async def district(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Harness]:
    """The bot with the district roster imported; by 16:00 four grids in five have filed
    (one in four of those a zero report), every fortieth is excused, the rest are missing."""
    harness = Harness(emulator, clock, tmp_path / "gridbot.sqlite3")
    async with started(harness, DISTRICT_ROSTER):
        harness.at(16, 0)
        await _file_the_day(harness)
        yield harness


async def _file_the_day(bot: Harness) -> None:
    grids = await bot.deps.db.roster.grids()
    workers = await bot.deps.db.roster.active_workers_of([grid.id for grid in grids])
    for n, grid in enumerate(grids):
        first = workers[grid.id][0].id
        if n % 40 == 39:
            await supervision.excuse_grid(
                bot.deps, grid_code=grid.code, reason="封控", actor_id=ADMIN_ID, area=None
            )
        elif n % 5 == 4:
            continue
        elif n % 4 == 3:
            await filing.file_zero_report(bot.deps, worker_id=first, grid_id=grid.id, day=DAY)
        else:
            await filing.file_report(
                bot.deps,
                worker_id=first,
                grid_id=grid.id,
                day=DAY,
                values=counts(screened=10, households_visited=3),
                incidents=(),
                baseline={"home_iso": 0, "central_iso": 0},
            )


async def _digest_in(bot: Harness, admin: SimUser, area: str, chat_id: int) -> list[SentMessage]:
    group: SimGroup = bot.group(chat_id, area, admins=(admin,))
    await bot.send(admin, f"/bindgroup {area}", chat=group)
    # a thousand grids' digest, table and chart: more than a second's work on a busy machine
    return await bot.send(admin, "/digest", chat=group, timeout=120)


def _texts(sent: list[SentMessage]) -> list[str]:
    return [message.plain_text for message in sent if message.text is not None]


def _table(sent: list[SentMessage]) -> list[tuple[object, ...]]:
    [document] = [message.document for message in sent if message.document is not None]
    return list(load_workbook(BytesIO(document.content)).active.iter_rows(values_only=True))


async def test_the_district_and_a_street_digest_read_whole_with_every_grid_in_the_table(
    district: Harness,
) -> None:
    admin = district.user(ADMIN_ID, "Admin")
    sent = await _digest_in(district, admin, DISTRICT, -100_900)
    [text] = _texts(sent)
    assert len(text) <= TELEGRAM_LIMIT
    assert "应报 961 个网格，已报 788 个（按时 788，迟报 0），未报 173 个；免报 24 个" in text
    # the long lists are cut at 20 names, each naming its community and code
    assert "• 光明社区·第五网格（S01C07-05）：王军、贾梅，已催报 0 次" in text
    assert "……另有 153 个，见附件表格。" in text
    # one roll-up line per street, adding up to the district
    assert text.count("街道：应报") == 10
    assert "• 东湖街道：应报 86，已报 71，未报 15，免报 2" in text
    assert "• 排查人数：今日 5910 人" in text  # 591 detailed reports of 10
    table = _table(sent)
    assert table[0][:4] == ("区域", "网格编号", "网格", "状态")
    assert len(table) == 1 + 985
    assert Counter(row[3] for row in table[1:]) == {
        "按时": 591,
        "零报告": 197,
        "未报": 173,
        "免报": 24,
    }
    assert len({row[1] for row in table[1:]}) == 985  # repeated names, distinct codes
    [text] = _texts(await _digest_in(district, admin, STREET, -100_901))
    assert "应报 86 个网格，已报 71 个" in text
    assert text.count("社区：应报") == 10
    assert "……另有" not in text.split("未报（15）")[1].split("免报")[0]  # 15 fit in full


async def test_a_grid_with_two_workers_gets_one_report(district: Harness) -> None:
    bot = district
    grid, first, second = await _missing_grid_with_two_bound_workers(bot)
    one = bot.user(first, "网格员甲")
    other = bot.user(second, "网格员乙")
    await bot.send(one, "/zero")
    await bot.press(one, "✅ 确认提交零报告")
    told = await bot.send(other, "/zero")
    filer = await bot.worker(first)
    assert filer is not None
    assert f"{grid.name} 2026-11-22 的日报已由 {filer.name} 于 16:00 提交" in told[-1].plain_text
    report = await bot.report(grid.code)
    assert report is not None
    assert [version.created_by for version in report.versions] == [filer.id]


async def _missing_grid_with_two_bound_workers(bot: Harness) -> tuple[Grid, int, int]:
    grids = await bot.deps.db.roster.grids()
    workers = await bot.deps.db.roster.active_workers_of([grid.id for grid in grids])
    for grid in grids:
        bound = [worker.telegram_id for worker in workers[grid.id] if worker.telegram_id]
        missing = await bot.report(grid.code) is None
        if len(bound) >= 2 and missing and grid.id not in await bot.deps.db.schedule.excused(DAY):
            return grid, bound[0], bound[1]
    raise AssertionError("the district roster has no missing grid with two bound workers")


async def test_the_districts_grids_are_summed_up_by_area(district: Harness) -> None:
    """``/grids`` for the whole district (985 grids) sums each community up instead of
    listing every grid and worker; one street's 88 grids are listed in full."""
    admin = district.user(ADMIN_ID, "Admin")
    sent = [message.plain_text for message in await district.send(admin, "/grids")]
    text = "\n".join(sent)
    assert len(sent) <= 3
    assert text.startswith("共 985 个网格")
    assert text.count("\n• ") == 100  # a line per community
    assert "• 示范区/东湖街道/光明社区：" in text
    assert "网格较多（985 个），以上按区域汇总。" in text
    assert "✅" not in text and "⏳" not in text  # no worker listed
    street = "\n".join(m.plain_text for m in await district.send(admin, f"/grids {STREET}"))
    assert street.startswith("共 88 个网格")
    assert "网格较多" not in street and "✅" in street


async def test_the_districts_stats_list_the_grids_that_missed_most(district: Harness) -> None:
    """``/stats`` for the whole district lists the 50 grids that missed most days, not all 985
    (the missing ones of the day come first); one community's lists each of its grids."""
    admin = district.user(ADMIN_ID, "Admin")
    sent = await _answered_later(district, admin, "/stats")
    text = "\n".join(sent)
    assert "网格较多（985 个），只列未报天数最多的 50 个。" in text
    grid_lines = [line for line in text.splitlines() if line.startswith("• S")]
    assert len(grid_lines) == 50
    assert all("未报 1 天" in line for line in grid_lines)  # 173 missed the day
    assert len(sent) <= 4 and "正在统计" not in text
    community = "示范区/东湖街道/光明社区"
    shown = "\n".join(await _answered_later(district, admin, f"/stats {community}"))
    assert "网格较多" not in shown
    assert sum(line.startswith("• S01C07-") for line in shown.splitlines()) == 11


async def test_a_long_period_of_the_district_says_it_is_counting_first(
    district: Harness,
) -> None:
    admin = district.user(ADMIN_ID, "Admin")
    first, *rest = await _answered_later(district, admin, "/stats 365d")
    assert first == "正在统计 985 个网格的 365 天，请稍候……"
    assert "报送统计" in rest[0] and "（365 天）" in rest[0]


async def test_the_districts_missing_grids_are_counted_by_area(district: Harness) -> None:
    """``/late`` for the whole district counts its missing grids by community in one message
    instead of naming every grid and worker; one community's lists each missing grid."""
    admin = district.user(ADMIN_ID, "Admin")
    sent = [message.plain_text for message in await district.send(admin, "/late")]
    text = "\n".join(sent)
    missing = int(re.search(r"未报 (\d+)；", text)[1])  # type: ignore[index]
    assert missing > LATE_LISTED and len(sent) == 1
    assert f"未报的网格较多（{missing} 个），以下按区域汇总。" in text
    by_area = re.findall(r"^• (\S+)：未报 (\d+) 个网格$", text, re.MULTILINE)
    assert len(by_area) > 50 and sum(int(count) for _, count in by_area) == missing
    assert "已催报" not in text  # no grid listed
    community, count = by_area[0]
    shown = "\n".join(m.plain_text for m in await district.send(admin, f"/late {community}"))
    assert "较多" not in shown and shown.count("已催报") == int(count)


async def _answered_later(bot: Harness, user: SimUser, command: str) -> list[str]:
    """The texts a command answers from a background task: its first message (a district's
    statistics take a while), then each one that follows within a second."""
    await bot.send(user, command)
    sent = await user.wait_for_message(1, timeout=60)
    while True:
        try:
            sent += await user.wait_for_message(1, timeout=1)
        except AssertionError:  # no more
            return _texts(sent)
