"""Grid names repeat (every community of the sample roster has a 第一网格 and a 第四网格): every
grid a street-level text names says which one it is."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import ADMIN_ID, Harness
from ledger_scenario import COMMUNITY, D1, D3, STREET, ledger_harness

from bot.clock import ManualClock
from bot.domain.digest import render_plain
from bot.domain.grid_names import clashing, grid_name
from bot.domain.models import Grid
from bot.emulator import BotApiEmulator
from bot.usecases.digests import compile_area_digest

_BARE = re.compile(r"^• 第.网格")


@pytest.fixture
async def bot(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Harness]:
    async with ledger_harness(emulator, clock, tmp_path / "gridbot.sqlite3") as harness:
        yield harness


async def test_the_street_digest_names_every_grid_with_its_community(bot: Harness) -> None:
    street = await bot.deps.db.roster.area_by_path(STREET)
    assert street is not None
    text = render_plain(await compile_area_digest(bot.deps, street, D3), "zh_CN")
    status = text.split("二、")[0]
    assert "• 前进社区·第四网格：" in status and "• 东关社区·第四网格：" in status
    assert "• 东关社区·第四网格：张明、张静娟（未绑定，收不到催报，请电话联系）" in status
    assert not [line for line in status.splitlines() if _BARE.match(line)]
    first = render_plain(await compile_area_digest(bot.deps, street, D1), "zh_CN")
    assert "• 东关社区·第一网格 19:00（零报告）" in first  # the zero-report list
    grids = first.split("四、")[1].split("五、")[0]  # under each community's heading: plain
    assert "【前进社区】" in grids and "• 第一网格：" in grids


async def test_the_escalation_names_the_community_of_each_missing_grid(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin")
    group = bot.group(-100_100, "学院南路街道指挥部", admins=(admin,))
    await bot.send(admin, f"/bindgroup {STREET}", chat=group)
    bot.at(18, 0, D3)
    await bot.tick()
    escalation = "\n".join(message.plain_text for message in group.inbox())
    assert "第四网格（QJ-04，学院南路街道/前进社区）" in escalation
    assert "第四网格（DG-04，学院南路街道/东关社区）" in escalation
    # who got no reminder because they never bound Telegram is said, so they get a phone call
    assert "：张明、张静娟（未绑定，收不到催报，请电话联系）；" in escalation


def test_names_clash_across_streets_then_the_code_says_which() -> None:
    def grid(grid_id: int, code: str, path: str) -> Grid:
        return Grid(grid_id, code, "第一网格", 1, path, None, None, True)

    one, other = grid(1, "A-01", "甲街道/前进社区"), grid(2, "B-01", "乙街道/前进社区")
    third = grid(3, "C-01", "乙街道/和平社区")
    clashes = clashing([one, other, third])
    assert clashes == {1, 2}
    assert grid_name(one, "zh_CN", within="区", clashes=clashes) == "前进社区·第一网格（A-01）"
    assert grid_name(third, "en", within="区", clashes=clashes) == "第一网格, 和平社区"
    assert grid_name(third, "zh_CN", within="乙街道/和平社区") == "第一网格"


async def test_a_grid_has_the_same_line_at_every_level_and_its_fever_case_on_it(
    bot: Harness,
) -> None:
    lines = {}
    for path in (COMMUNITY, STREET):
        area = await bot.deps.db.roster.area_by_path(path)
        assert area is not None
        text = render_plain(await compile_area_digest(bot.deps, area, D1), "zh_CN")
        section = text.split("【前进社区】")[-1] if path == STREET else text
        lines[path] = next(line for line in section.splitlines() if line.startswith("• 第一网格："))
    assert lines[COMMUNITY] == lines[STREET]
    assert "发现发热人员 1 人" in lines[STREET] and "居家隔离在管 48 人" in lines[STREET]
