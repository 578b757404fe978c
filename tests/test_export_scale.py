"""A year of 500 grids exports in seconds, the file opens, and memory does not grow with the
range: the export streams one day at a time."""

from __future__ import annotations

import time
import tracemalloc
import zipfile
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from ledger_scenario import counts

from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.dates import DayRange
from bot.domain.ledger_tables import Sheet
from bot.ledger_file import LedgerRequest, write_ledger
from storage import synthetic

TZ = ZoneInfo("Asia/Shanghai")
FIRST = date(2025, 1, 1)
YEAR = DayRange(FIRST, date(2025, 12, 31))
ANSWERS = counts(screened=10, households_visited=3, arrivals=1, home_iso_in=1, home_iso_out=1)


async def populate(deps: Dependencies, grids: int, days: DayRange) -> int:
    """The benchmarks' generated district (:mod:`storage.synthetic`): ``grids`` grids in 50
    communities of 5 streets of one district, every tenth grid-day without a report, with
    excusals, incidents, alerts and the day's sends. Returns the reports filed."""
    joined = datetime(2024, 12, 31, 9, tzinfo=TZ)
    categories = deps.form.incident_categories
    return await synthetic.populate(deps.db, grids, days, ANSWERS, joined, categories)


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Dependencies]:
    settings = Settings(_env_file=None, db=tmp_path / "big.sqlite3", timezone=TZ)  # type: ignore[call-arg]
    clock = ManualClock(datetime(2026, 1, 1, 9, tzinfo=TZ))
    async with open_dependencies(settings, clock) as opened:
        yield opened


async def test_a_year_of_500_grids_exports_and_opens(deps: Dependencies, tmp_path: Path) -> None:
    started = time.perf_counter()
    filed = await populate(deps, 500, YEAR)
    populated = time.perf_counter()
    target = tmp_path / "year.xlsx"
    result = await write_ledger(deps, LedgerRequest(YEAR, None, "xlsx", "zh_CN"), target)
    exported = time.perf_counter()
    print(
        f"\n500 grids × 365 days: {filed} reports filed in {populated - started:.1f} s,"
        f" exported in {exported - populated:.1f} s, {result.size / 1e6:.1f} MB"
    )

    assert filed == 164_250
    assert result.rows[Sheet.REPORTS] == 500 * 365
    assert result.rows[Sheet.COMPLETENESS] == (1 + 5 + 50) * 365  # district, streets, communities
    book = openpyxl.load_workbook(target, read_only=True)
    sheet = book["日报台账"]
    assert sheet.max_row == 500 * 365 + 1
    first_rows = list(sheet.iter_rows(min_row=1, max_row=3, values_only=True))
    assert first_rows[0][:5] == ("日期", "区域", "网格编号", "网格", "报送状态")
    with zipfile.ZipFile(target) as archive, archive.open("xl/worksheets/sheet1.xml") as xml:
        rows = count_rows(xml)
    assert rows == 500 * 365 + 1


def count_rows(xml: IO[bytes]) -> int:
    """The ``<row`` elements of a sheet's XML, read a megabyte at a time (a tag cut in two
    by a chunk's end is counted once: each chunk is searched with the last bytes before it)."""
    rows, tail = 0, b""
    for chunk in iter(lambda: xml.read(1 << 20), b""):
        joined = tail + chunk
        rows += joined.count(b"<row ")
        tail = joined[-4:]
    return rows


async def peak_memory(deps: Dependencies, days: DayRange, target: Path) -> int:
    """The most memory Python held while exporting ``days`` (tracemalloc, in bytes)."""
    tracemalloc.start()
    try:
        await write_ledger(deps, LedgerRequest(days, None, "xlsx", "en"), target)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_memory_does_not_grow_with_the_range(deps: Dependencies, tmp_path: Path) -> None:
    await populate(deps, 5, YEAR)
    month = DayRange(YEAR.last.replace(day=2), YEAR.last)
    warm_up = DayRange(YEAR.first, YEAR.first)
    await peak_memory(deps, warm_up, tmp_path / "warm-up.xlsx")  # caches, lazy imports
    for_a_month = await peak_memory(deps, month, tmp_path / "month.xlsx")
    for_a_year = await peak_memory(deps, YEAR, tmp_path / "year.xlsx")
    print(f"\npeak memory: 30 days {for_a_month / 1e6:.2f} MB, 365 days {for_a_year / 1e6:.2f} MB")
    assert for_a_year < 1.5 * for_a_month
