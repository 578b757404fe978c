"""Writing a ledger export: the database's days → the ledger's tables → an XLSX or a zip of
CSVs. One path for ``/export`` and ``gridbot export``.

The export reads a snapshot (see :mod:`storage.ledger`) one day at a time and appends each
day's rows to all four tables at once, so neither the database reads nor the file writing
hold more than a day in memory, however long the range.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from bot.csvzip import CsvZipBook
from bot.dependencies import Dependencies
from bot.domain.dates import DayRange
from bot.domain.ledger_tables import ExportFormat, LedgerTables, Sheet
from bot.domain.models import Area
from bot.i18n import Locale, t
from bot.xlsx import Row, SheetSpec, XlsxBook
from storage.ledger import LedgerReader, snapshot

_FILE_BAD = re.compile(r'[\\/:*?"<>|\s]+')


class _Table(Protocol):
    rows_written: int

    def append(self, row: Row) -> None: ...


class _Book(Protocol):
    def add_sheet(self, spec: SheetSpec) -> _Table: ...

    def close(self) -> None: ...

    def discard(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LedgerRequest:
    """What to export: which days, which part of the tree, which format, which language."""

    days: DayRange
    area: Area | None
    format: ExportFormat
    locale: Locale


@dataclass(frozen=True, slots=True)
class LedgerFile:
    """An export written to disk."""

    path: Path
    size: int
    rows: dict[Sheet, int]


def ledger_file_name(request: LedgerRequest) -> str:
    """``台账_前进社区_2026-11-16_2026-11-22.xlsx`` (``ledger_…`` in English)."""
    where = request.area.name if request.area else t(request.locale, "export.file_everywhere")
    name = t(
        request.locale,
        "export.file_name",
        area=where,
        first=request.days.first.isoformat(),
        last=request.days.last.isoformat(),
    )
    suffix = ".xlsx" if request.format == "xlsx" else ".zip"
    return _FILE_BAD.sub("_", name) + suffix


async def write_ledger(deps: Dependencies, request: LedgerRequest, target: Path) -> LedgerFile:
    """Write the ledger of ``request`` to ``target`` (a file path)."""
    settings = deps.settings
    async with snapshot(deps.db) as view:
        reader = LedgerReader(view)
        scope = await reader.scope(request.area, settings.timezone, settings.report_days)
        tables = LedgerTables(deps.forms, request.locale, scope, request.days)
        book: _Book = (
            XlsxBook(target, tz=settings.timezone)
            if request.format == "xlsx"
            else CsvZipBook(target, tz=settings.timezone)
        )
        try:
            sheets = {
                layout.sheet: book.add_sheet(
                    SheetSpec(layout.title, layout.header, formats=layout.formats)
                )
                for layout in tables.layouts()
            }
            first = request.days.first
            eve = await view.figures.as_of(scope.grid_ids, first - timedelta(days=1))
            tables.start_from(eve, first)
            async for records in reader.days(scope, request.days):
                for sheet, rows in tables.day(records).items():
                    for row in rows:
                        sheets[sheet].append(row)
        except BaseException:
            book.discard()
            raise
    await asyncio.to_thread(book.close)
    counts = {sheet: table.rows_written for sheet, table in sheets.items()}
    written = await asyncio.to_thread(target.stat)
    return LedgerFile(target, written.st_size, counts)
