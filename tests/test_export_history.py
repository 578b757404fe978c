"""A ledger that starts after the first reports opens each grid's stocks from the kept running
figures of the day before, exactly as if every earlier day had been replayed."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import ADMIN_ID, Harness
from ledger_scenario import ledger_harness
from test_export import export

from bot.clock import ManualClock
from bot.emulator import BotApiEmulator


@pytest.fixture
async def ledger_bot(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Harness]:
    async with ledger_harness(emulator, clock, tmp_path / "gridbot.sqlite3") as harness:
        yield harness


async def test_the_last_day_alone_carries_the_corrected_stocks(ledger_bot: Harness) -> None:
    admin = ledger_bot.user(ADMIN_ID, "管理员")
    sent = await export(ledger_bot, admin, "/export 11-22 11-22 前进社区 csv")
    assert sent.document is not None
    with zipfile.ZipFile(io.BytesIO(sent.document.content)) as archive:
        content = archive.read("日报台账.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    home = rows[0].index("居家隔离在管（人）")
    by_code = {row[2]: row for row in rows[1:]}
    # QJ-01: 45 + 3 on D1 (after the correction), a zero report on D2, then + 1 − 2 on D3.
    assert by_code["QJ-01"][home] == "47"
    # QJ-05 did not report on D3: a missing day shows no figures, never a carried stock.
    assert by_code["QJ-05"][4] == "未报" and set(by_code["QJ-05"][home:]) <= {""}
