"""A zip of CSV files, written a row at a time (the CSV twin of :class:`bot.xlsx.XlsxBook`).

Each table is a CSV file in UTF-8 with a byte-order mark, which Excel and WPS need to open
Chinese text correctly. Dates are ``2026-11-22``, times ``2026-11-22 16:05`` in the book's
zone, numbers stay numbers, and columns with a percent format read ``85.7%``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from bot.xlsx import Cell, Row, RowSpelling, SheetSpec, SpooledBook
from bot.zipped import DeflatedMember, Member

_FILE_BAD = re.compile(r'[\\/:*?"<>|]')


class CsvZipBook(SpooledBook):
    """CSV tables being written; :meth:`close` zips them into ``target``."""

    def __init__(self, target: Path | BinaryIO, *, tz: tzinfo | None = None) -> None:
        super().__init__(target, tz=tz, prefix="gridbot-csv-")
        self._tables: list[CsvTable] = []

    def add_sheet(self, spec: SheetSpec) -> CsvTable:
        """A new CSV file named after ``spec.title`` (``spec.rows`` is ignored)."""
        taken = {table.name.casefold() for table in self._tables}
        name = _file_name(spec.title, taken)
        table = CsvTable(self._spool(f"{len(self._tables)}.csv"), name, spec, self.tz)
        self._tables.append(table)
        return table

    def _end_files(self) -> None:
        """Nothing: a CSV file ends with its last row."""

    def _contents(self) -> list[Member]:
        return [Member(table.name, b"", table.file) for table in self._tables]


class CsvTable:
    """One CSV file of the zip."""

    def __init__(self, file: DeflatedMember, name: str, spec: SheetSpec, tz: tzinfo | None) -> None:
        self.name = name
        self.file = file
        file.write("\ufeff")  # the byte-order mark
        self._writer = csv.writer(file)
        self._columns = len(spec.header)
        self._percent = frozenset(i for i, code in spec.formats.items() if code.endswith("%"))
        self._tz = tz
        self._writer.writerow(spec.header)
        self.rows_written = 0
        """Data rows appended so far (the header not counted)."""

    def append(self, row: Row) -> None:
        """Add one row."""
        self.extend([row])

    def extend(self, rows: Sequence[Row]) -> None:
        """Add ``rows``, in one write."""
        if not rows:
            return
        cell = self._cell
        lines = [
            ",".join(
                [
                    # text and whole numbers, most of the cells, without a call
                    csv_text(value)
                    if (kind := type(value)) is str
                    else str(value)
                    if kind is int
                    else cell(index, value)
                    for index, value in enumerate(row)
                ]
            )
            for row in rows
        ]
        for number, line in enumerate(lines):
            if not line and rows[number]:  # a lone empty cell: quoted, as the csv module does
                lines[number] = '""'
        self.file.write("\r\n".join(lines) + "\r\n")
        self.rows_written += len(rows)

    def spelling(self) -> RowSpelling:
        """How this table spells a row: the same text as :meth:`append` writes."""
        bare = ("", "")
        return RowSpelling(
            numbers=(bare,) * self._columns,
            texts=(bare,) * self._columns,
            text=csv_text,
            separator=",",
            end="\r\n",
            serial_dates=False,
        )

    def extend_spelled(self, text: bytes, rows: int) -> None:
        """Add ``rows`` rows spelled as :meth:`spelling` says, joined in ``text`` (UTF-8)."""
        self.file.write_bytes(text)
        self.rows_written += rows

    def measure(self, row: Row) -> None:
        """Nothing: a CSV file has no column widths."""

    def _cell(self, index: int, value: Cell) -> str:
        """Cell ``index`` holding ``value`` as the csv module writes it (text through
        :func:`csv_text`, a float by its repr unless the column is a percent)."""
        if isinstance(value, str):
            return csv_text(value)
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(int(value))
        if isinstance(value, int):
            return str(value)
        if isinstance(value, datetime):
            return self._moment(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float):
            return self._number(index, value)
        return _quoted(str(value))

    def _moment(self, value: datetime) -> str:
        """A time in the book's zone, to the minute."""
        moment = value.astimezone(self._tz) if value.tzinfo and self._tz else value
        if moment.year >= _FOUR_DIGIT_YEARS:  # what strftime writes, cheaper
            return moment.isoformat(" ", "minutes")[:16]
        return moment.strftime("%Y-%m-%d %H:%M")

    def _number(self, index: int, value: float) -> str:
        """A float as the csv module writes it (its repr: never quoted), or as a percent."""
        return f"{value * 100:.1f}%" if index in self._percent else repr(value)


_FOUR_DIGIT_YEARS = 1000


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a CSV cell as a formula: such text (typed by a worker, say)
gets a leading apostrophe, so it stays text."""


def _guarded(value: str) -> str:
    """``value`` kept from starting a formula, a NUL shown as U+FFFD (many CSV readers, and
    the database's row spelling, stop at a NUL)."""
    value = value.replace("\x00", "\ufffd")
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


_QUOTED = re.compile('[,"\r\n]')


@lru_cache(maxsize=16384)
def csv_text(value: str) -> str:
    """``value`` as a cell of a CSV row, as :meth:`CsvTable.append` writes it: kept from
    starting a formula, a NUL shown as U+FFFD, and quoted when it holds a comma, a quote or
    a line break."""
    return _quoted(_guarded(value))


def _quoted(text: str) -> str:
    """``text`` quoted as the csv module quotes a cell, where it must be."""
    if _QUOTED.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _file_name(title: str, taken: set[str]) -> str:
    base = _FILE_BAD.sub("_", title).strip() or "table"
    name, number = f"{base}.csv", 1
    while name.casefold() in taken:
        number += 1
        name = f"{base} ({number}).csv"
    return name
