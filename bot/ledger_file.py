"""Writing a ledger export: the database's days → the ledger's tables → an XLSX or a zip of
CSVs. One path for ``/export`` and ``gridbot export``.

The export runs in a worker thread on its own snapshot of the database
(:mod:`storage.ledger_export`), one day at a time, and appends each day's rows to all four
tables at once; meanwhile two more worker threads read the next days, on two connections
sharing the snapshot (half of the grids each: the database spelling the reports table's
rows is most of the work, and it runs without Python's lock, so an export uses two cores).
Neither the reads nor the file writing hold more than a few days in memory, however long
the range.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

from bot.ahead import made_ahead
from bot.csvzip import CsvZipBook
from bot.dependencies import Dependencies
from bot.domain.dates import DayRange
from bot.domain.form_versions import FormSource
from bot.domain.ledger_tables import (
    ExportFormat,
    IncidentRecord,
    LedgerTables,
    Sheet,
)
from bot.domain.models import Area, Report
from bot.domain.status import GridDayKind
from bot.i18n import Locale, t
from bot.xlsx import WIDTH_SAMPLE, Row, RowSpelling, SheetSpec, XlsxBook
from storage.ledger_export import (
    LedgerSource,
    ReportRows,
    SpelledRows,
    Tally,
    open_snapshot,
    read_scope,
    utc_offsets,
)

_FILE_BAD = re.compile(r'[\\/:*?"<>|\s]+')


class _Table(Protocol):
    rows_written: int

    def append(self, row: Row) -> None: ...

    def extend(self, rows: Sequence[Row]) -> None: ...

    def spelling(self) -> RowSpelling: ...

    def extend_spelled(self, text: bytes, rows: int) -> None: ...

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
        with open_snapshot(self.db, _READERS) as conns:
            scope = read_scope(conns[0], request.area, self.tz, self.report_days)
            grids = len(scope.grids)
            sources = [
                LedgerSource(
                    conn, scope, range(n * grids // len(conns), (n + 1) * grids // len(conns))
                )
                for n, conn in enumerate(conns)
            ]
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
                self._fill(sources, tables, sheets)
            except BaseException:
                book.discard()
                raise
            book.close()
        return {sheet: table.rows_written for sheet, table in sheets.items()}

    def _fill(
        self, sources: list[LedgerSource], tables: LedgerTables, sheets: dict[Sheet, _Table]
    ) -> None:
        """Every day's rows, in day order, each table's appended as they come; the next days
        are read meanwhile, each source's share of the grids in its own worker thread (see
        :func:`_read`)."""
        columns = tables.report_columns()
        offsets = self._offsets()
        reports = sheets[Sheet.REPORTS]
        days = list(self.request.days.days())
        plains = [source.report_rows(columns, PLAIN, offsets) for source in sources]
        _measure(reports, plains, days, tables)
        shares = [
            _read(days, source, tables, source.report_rows(columns, reports.spelling(), offsets))
            for source in sources
        ]
        with made_ahead(shares, _DAYS_AHEAD) as read:
            for parts in zip(*[read] * len(sources), strict=False):
                day = _joined(parts)
                for piece in day.pieces:
                    reports.extend_spelled(piece.text, piece.count)
                sheets[Sheet.INCIDENTS].extend(tables.incidents(day.day, day.incidents))
                sheets[Sheet.COMPLETENESS].extend(tables.completeness(day.day, day.tally))
                sheets[Sheet.CORRECTIONS].extend(tables.corrections(day.corrected))

    def _offsets(self) -> list[tuple[str, int]]:
        """The zone's UTC offsets over every time the ledger can show: from the day before
        its first day to a day after now."""
        first = datetime.combine(self.request.days.first - timedelta(days=1), time(), self.tz)
        last = max(self.now, datetime.combine(self.request.days.last, time(), self.tz))
        return utc_offsets(self.tz, first, last + timedelta(days=1))


_READERS = 2
"""Connections reading at once, each a share of the grids in its own worker thread: SQLite
spelling the rows is most of an export's work, and it runs without Python's lock. Each
connection's page cache holds its share's pages, so memory does not grow with them."""
_DAYS_AHEAD = 1
"""Days each reader reads ahead of the one being written: memory holds at most this many
more."""
PIECE_BYTES = 48 * 1024
"""About how much text a reader reads in one step of a day's query: the rows of as many
grids as that holds at the most a row has taken so far (:class:`_Pieces`). A piece's text,
and the database's buffer joining it (up to twice as big), stay under the C library's
threshold for giving a block its own mapping (128 KiB at first): each such block freed
raises the threshold, the next big ones then come from the reader threads' heaps and
fragment them, and a year's XLSX export ended 28 MB bigger than a month's (a day's rows of
1,000 grids are 600 KB). Each step costs about 40 µs more, so pieces are not smaller."""
_FIRST_PIECE_GRIDS = 16
"""Grids in a reader's first pieces, until it has read a row."""


@dataclass(frozen=True, slots=True)
class _Day:
    """What the database holds of a day, as the tables need it: the reports table's rows in
    pieces (in scope order), the grid-days of each kind of each area, incidents and
    corrected reports."""

    day: date
    pieces: list[SpelledRows]
    tally: Tally
    incidents: list[IncidentRecord]
    corrected: list[Report]


def _measure(
    table: _Table, plains: list[ReportRows], days: list[date], tables: LedgerTables
) -> None:
    """Let the first rows of the reports table, as plain text, count for its column widths
    (the table measures the first :data:`WIDTH_SAMPLE`): each day's, share by share."""
    measured = 0
    for day in days:
        for plain in plains:
            for sample in _Pieces(plain.share).read(plain, day, tables):
                if measured >= WIDTH_SAMPLE:
                    return
                for row in sample.text.decode().split(PLAIN.end)[: sample.count]:
                    table.measure(row.split(PLAIN.separator))
                measured += sample.count


class _Pieces:
    """A reader's share of the grids read a piece at a time (see :data:`PIECE_BYTES`)."""

    def __init__(self, share: range) -> None:
        self._share = share
        self._row_bytes = 0
        """The most text a row of a piece has taken so far (on average over the piece)."""

    def read(self, rows: ReportRows, day: date, tables: LedgerTables) -> Iterator[SpelledRows]:
        """``day``'s rows of the share, piece by piece, as they are read."""
        reporting, asked = rows.scope.is_reporting_day(day), tables.asked(day)
        first, share = self._share.start, self._share
        while first < share.stop:
            grids = PIECE_BYTES // self._row_bytes if self._row_bytes else _FIRST_PIECE_GRIDS
            piece = range(first, min(first + max(grids, 1), share.stop))
            found = rows.day(day, reporting, asked, piece)
            if found.count:
                self._row_bytes = max(self._row_bytes, -(-len(found.text) // found.count))
            yield found
            first = piece.stop


def _joined(parts: tuple[_Day, ...]) -> _Day:
    """A day's records from its shares' (in scope order)."""
    tally: Counter[tuple[int, GridDayKind]] = Counter()
    for part in parts:
        tally.update(part.tally)
    return _Day(
        parts[0].day,
        [piece for part in parts for piece in part.pieces],
        tally,
        [record for part in parts for record in part.incidents],
        [report for part in parts for report in part.corrected],
    )


def _read(
    days: list[date], source: LedgerSource, tables: LedgerTables, spelled: ReportRows
) -> Iterator[_Day]:
    """Each of ``days``' records of the source's grids, read in order (in the thread that
    iterates), a piece of the grids at a time (see :data:`PIECE_BYTES`); incidents and
    corrected reports only on days that have any."""
    pieces = _Pieces(source.share)
    for day in days:
        rows = list(pieces.read(spelled, day, tables))
        tally: Counter[tuple[int, GridDayKind]] = Counter()
        for piece in rows:
            tally.update(piece.tally)
        incidents = source.incidents(day) if any(piece.incidents for piece in rows) else []
        corrected = source.corrected([id_ for piece in rows for id_ in piece.corrected])
        yield _Day(day, rows, tally, incidents, corrected)


PLAIN = RowSpelling(
    numbers=(("", ""),) * 1000,
    texts=(("", ""),) * 1000,
    text=lambda value: value.replace("\x1f", " ").replace("\x1e", " "),
    separator="\x1f",
    end="\x1e",
    serial_dates=False,
)
"""Rows as plain text, cells and rows ended by characters text never holds here: what the
column widths are measured on."""
