"""Writing a ledger export: the database's days → the ledger's tables → an XLSX or a zip of
CSVs. One path for ``/export`` and ``gridbot export``.

The export runs in a worker thread on its own snapshot of the database
(:mod:`storage.ledger_export`), one day at a time, and appends each day's rows to all four
tables at once, so neither the database reads nor the file writing hold more than a day in
memory, however long the range. The reports table's rows come spelled by the database.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

from bot.csvzip import CsvZipBook
from bot.dependencies import Dependencies
from bot.domain.dates import DayRange
from bot.domain.form_versions import FormSource
from bot.domain.ledger_tables import ExportFormat, LedgerTables, Sheet
from bot.domain.models import Area
from bot.i18n import Locale, t
from bot.xlsx import WIDTH_SAMPLE, Row, RowSpelling, SheetSpec, XlsxBook
from storage.ledger_export import LedgerSource, open_snapshot, read_scope, utc_offsets

_FILE_BAD = re.compile(r'[\\/:*?"<>|\s]+')


class _Table(Protocol):
    rows_written: int

    def append(self, row: Row) -> None: ...

    def spelling(self) -> RowSpelling: ...

    def extend_spelled(self, rows: Iterable[str]) -> None: ...

    def measure(self, row: Row) -> None: ...


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
    """Write the ledger of ``request`` to ``target`` (a file path), in a worker thread: the
    event loop goes on meanwhile."""
    settings = deps.settings
    job = _Job(
        deps.db.path, deps.forms, settings.timezone, settings.report_days, request, deps.now()
    )
    counts = await asyncio.to_thread(job.write, target)
    written = await asyncio.to_thread(target.stat)
    return LedgerFile(target, written.st_size, counts)


@dataclass(frozen=True, slots=True)
class _Job:
    """An export, as run in a worker thread on its own snapshot of the database."""

    db: Path
    forms: FormSource
    tz: tzinfo
    report_days: frozenset[int]
    request: LedgerRequest
    now: datetime

    def write(self, target: Path) -> dict[Sheet, int]:
        request = self.request
        with open_snapshot(self.db) as conn:
            scope = read_scope(conn, request.area, self.tz, self.report_days)
            source = LedgerSource(conn, scope)
            tables = LedgerTables(self.forms, request.locale, scope, request.days)
            book: _Book = (
                XlsxBook(target, tz=self.tz)
                if request.format == "xlsx"
                else CsvZipBook(target, tz=self.tz)
            )
            try:
                sheets = {
                    layout.sheet: book.add_sheet(
                        SheetSpec(layout.title, layout.header, formats=layout.formats)
                    )
                    for layout in tables.layouts()
                }
                self._fill(source, tables, sheets)
            except BaseException:
                book.discard()
                raise
            book.close()
        return {sheet: table.rows_written for sheet, table in sheets.items()}

    def _fill(
        self, source: LedgerSource, tables: LedgerTables, sheets: dict[Sheet, _Table]
    ) -> None:
        """Every day's rows, in day order, each table's appended as they come."""
        days, scope = self.request.days, source.scope
        columns = tables.report_columns()
        offsets = self._offsets()
        reports = sheets[Sheet.REPORTS]
        spelled = source.report_rows(columns, reports.spelling(), offsets)
        plain = source.report_rows(columns, PLAIN, offsets)
        measured = 0
        for day in days.days():
            reporting, asked = scope.is_reporting_day(day), tables.asked(day)
            if measured < WIDTH_SAMPLE:
                for row in plain.day(day, reporting, asked)[0]:
                    reports.measure(row.split(PLAIN.separator))
                    measured += 1
            rows, tally = spelled.day(day, reporting, asked)
            reports.extend_spelled(rows)
            _append(sheets[Sheet.INCIDENTS], tables.incidents(day, source.incidents(day)))
            _append(sheets[Sheet.COMPLETENESS], tables.completeness(day, tally))
            _append(sheets[Sheet.CORRECTIONS], tables.corrections(source.corrected(day)))

    def _offsets(self) -> list[tuple[str, int]]:
        """The zone's UTC offsets over every time the ledger can show: from the day before
        its first day to a day after now."""
        first = datetime.combine(self.request.days.first - timedelta(days=1), time(), self.tz)
        last = max(self.now, datetime.combine(self.request.days.last, time(), self.tz))
        return utc_offsets(self.tz, first, last + timedelta(days=1))


def _append(table: _Table, rows: list[Row]) -> None:
    for row in rows:
        table.append(row)


PLAIN = RowSpelling(
    numbers=(("", ""),) * 1000,
    texts=(("", ""),) * 1000,
    text=lambda value: value.replace("\x1f", " "),
    separator="\x1f",
    end="",
    serial_dates=False,
)
"""Rows as plain text, cells separated by a character text never holds here: what the
column widths are measured on."""
