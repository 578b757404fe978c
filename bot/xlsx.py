"""A streaming XLSX writer: rows go to disk as they come, so memory does not grow with them.

Each sheet's rows are written as SpreadsheetML to a temporary file, deflated in a worker
thread as they come (:mod:`bot.zipped`); :meth:`XlsxBook.close` packs the parts into the
workbook. Several sheets can be filled at the same time (a ledger
writes its four sheets in one pass over the days). The header row is bold and frozen; column
widths fit the header and the first :data:`WIDTH_SAMPLE` rows; dates and datetimes are real
Excel dates (aware datetimes in the book's zone), numbers are numbers, text is text. A sheet
that reaches Excel's 1,048,576 rows goes on in "Title (2)", with the header again.

Why not openpyxl's write-only mode: it spends about 0.3 ms per row of 30 cells (a year of 500
grids took a minute); this writes the same rows about ten times faster. openpyxl still reads
rosters, and the tests read what this writes with it.
"""

from __future__ import annotations

import math
import re
import tempfile
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import BinaryIO, Self, TypeAlias
from xml.sax.saxutils import escape, quoteattr

from bot.zipped import DeflatedMember, Deflater, Member, pack

Cell: TypeAlias = str | int | float | bool | date | datetime | None
"""A value a sheet can hold; None is an empty cell."""
Row: TypeAlias = Sequence[Cell]

MAX_ROWS = 1_048_576
"""Excel's rows per sheet, header included."""
MAX_TEXT = 32_767
"""Excel's characters per cell."""
WIDTH_SAMPLE = 300
"""Rows (after the header) whose contents decide the column widths."""
MIN_WIDTH, MAX_WIDTH = 6, 60
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

ROW_NUMBER = "\x01"
"""Stands for the row's number in a spelled XLSX row (:meth:`XlsxSheet.extend_spelled`). XML
cannot carry it, so it is never part of a cell's content (escaped as ``_x0001_``)."""

_EPOCH = datetime(1899, 12, 30)
_EPOCH_DAY = _EPOCH.date()
_UNSAFE_IN_XML = re.compile("[\x00-\x08\x0b\x0c\r\x0e-\x1f\ufffe\uffff]")
"""Characters XML cannot carry (or, like CR, would not keep): written as ``_xHHHH_``."""
_ESCAPE_LOOKALIKE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
_TITLE_MAX = 31
_HEADER_STYLE = 1
_ROW_END = "</row>"
_ROW_END_BYTES, _ROW_NUMBER_BYTES = _ROW_END.encode(), ROW_NUMBER.encode()
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


@dataclass(frozen=True, slots=True)
class SheetSpec:
    """A sheet to write: title, header, rows, and number formats.

    ``formats`` maps a column index (0-based) to an Excel number format for the numbers in
    that column (e.g. ``{9: "0.0%"}``); dates and datetimes get ``date_format`` and
    ``datetime_format`` wherever they are.
    """

    title: str
    header: Sequence[str]
    rows: Iterable[Row] = ()
    formats: Mapping[int, str] = field(default_factory=dict)
    date_format: str = DATE_FORMAT
    datetime_format: str = DATETIME_FORMAT


@dataclass(frozen=True, slots=True)
class RowSpelling:
    """How a table spells its rows as text, for a database that spells whole rows itself
    (:mod:`storage.ledger_export`), so that no Python runs per cell.

    Cell ``i`` holding a number is ``numbers[i][0] + number + numbers[i][1]``; holding text,
    ``texts[i][0] + text(value) + texts[i][1]``; an empty cell is ``""``. Cells are joined
    by ``separator``; a row starts with ``start`` and ends with ``end``. ``text`` is the
    table's own escaping (the same as :meth:`append` applies). With ``serial_dates`` days
    and times are Excel serial numbers (days since 1899-12-30 in the book's zone),
    otherwise ``2026-11-22`` and ``2026-11-22 16:05`` in the book's zone.

    ``shared``, if given, spells a whole cell of text that many rows repeat (a grid's name, a
    status word): cell ``i`` holding ``value`` is ``shared(i, value)``, spelled once and
    reused (an XLSX book keeps such text once, in its shared strings).
    """

    numbers: tuple[tuple[str, str], ...]
    texts: tuple[tuple[str, str], ...]
    text: Callable[[str], str]
    separator: str
    end: str
    serial_dates: bool
    start: str = ""
    shared: Callable[[int, str], str] | None = None

    def repeated(self, index: int, value: str) -> str:
        """Cell ``index`` holding text ``value`` that many rows repeat, as a whole cell."""
        if self.shared is not None:
            return self.shared(index, value)
        before, after = self.texts[index]
        return before + self.text(value) + after


def write_xlsx(
    target: Path | BinaryIO, sheets: Iterable[SheetSpec], *, tz: tzinfo | None = None
) -> None:
    """Write ``sheets`` as one workbook to ``target``; rows are written as they come."""
    with XlsxBook(target, tz=tz) as book:
        for spec in sheets:
            sheet = book.add_sheet(spec)
            for row in spec.rows:
                sheet.append(row)


class SpooledBook(ABC):
    """Tables spooled to files in a temporary folder, deflated in a worker thread as they are
    written (:mod:`bot.zipped`), packed into ``target`` by :meth:`close` (the common part of
    :class:`XlsxBook` and :class:`bot.csvzip.CsvZipBook`).

    As a context manager it closes on success and discards on an error.
    """

    def __init__(self, target: Path | BinaryIO, *, tz: tzinfo | None, prefix: str) -> None:
        self._target = target
        self.tz = tz
        self._folder = tempfile.TemporaryDirectory(prefix=prefix)
        self._deflater = Deflater()
        self._members: list[DeflatedMember] = []
        self._closed = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is None:
            self.close()
        else:
            self.discard()

    def close(self) -> None:
        """Write the target and remove the temporary files."""
        if self._closed:
            return
        try:
            self._end_files()
            for member in self._members:
                member.close()
            self._deflater.finish()
            if isinstance(self._target, Path):
                with self._target.open("wb") as out:
                    pack(out, self._contents())
            else:
                pack(self._target, self._contents())
        finally:
            self.discard()

    def discard(self) -> None:
        """Remove the temporary files without writing anything."""
        self._closed = True
        self._deflater.stop()
        for member in self._members:
            member.discard()
        self._folder.cleanup()

    def _spool(self, name: str) -> DeflatedMember:
        """A new file in the temporary folder, deflated as it is written."""
        member = self._deflater.member(Path(self._folder.name) / name)
        self._members.append(member)
        return member

    @abstractmethod
    def _end_files(self) -> None:
        """Write what ends each spooled file."""

    @abstractmethod
    def _contents(self) -> list[Member]:
        """The archive's members, from the spooled files once they are all deflated."""


class XlsxBook(SpooledBook):
    """A workbook being written: add sheets, append rows to any of them, then close.

    ``tz``: aware datetimes are shown in this zone (Excel has no time zones); None keeps
    each datetime's own wall time.
    """

    def __init__(
        self, target: Path | BinaryIO, *, tz: tzinfo | None = None, max_rows: int = MAX_ROWS
    ) -> None:
        if max_rows < 2:
            raise ValueError("a sheet needs room for its header and one row")
        super().__init__(target, tz=tz, prefix="gridbot-xlsx-")
        self.max_rows = max_rows
        self._parts: list[_Part] = []
        self._sheets: list[XlsxSheet] = []
        self.styles = _Styles()
        self.shared = _SharedStrings()

    def add_sheet(self, spec: SheetSpec) -> XlsxSheet:
        """A new sheet (``spec.rows`` is ignored: append rows to the returned sheet)."""
        sheet = XlsxSheet(self, spec)
        self._sheets.append(sheet)
        return sheet

    def new_part(self, title: str, number: int) -> _Part:
        """A fresh worksheet part for a sheet's ``number``-th part (1: the sheet itself,
        then "Title (2)"…), under a valid title no other part has (used by the sheets)."""
        taken = {part.title.casefold() for part in self._parts}
        name = _unique_title(title, taken, number)
        part = _Part(name, self._spool(f"part{len(self._parts) + 1}.xml"))
        self._parts.append(part)
        return part

    def _end_files(self) -> None:
        for part in self._parts:
            part.body.write("</sheetData></worksheet>")

    def _contents(self) -> list[Member]:
        """The package; each sheet's continuations follow it, whenever they were started."""
        for sheet in self._sheets:
            sheet.finish()
        parts = [part for sheet in self._sheets for part in sheet.parts]
        shared = bool(self.shared)
        whole = [
            ("[Content_Types].xml", _content_types(len(parts), shared)),
            ("_rels/.rels", _ROOT_RELS),
            ("xl/workbook.xml", _workbook([part.title for part in parts])),
            ("xl/_rels/workbook.xml.rels", _workbook_rels(len(parts), shared)),
            ("xl/styles.xml", self.styles.xml()),
            *([("xl/sharedStrings.xml", self.shared.xml())] if shared else []),
        ]
        return [Member(name, text.encode("utf-8")) for name, text in whole] + [
            Member(
                f"xl/worksheets/sheet{number}.xml",
                part.head(selected=number == 1).encode("utf-8"),
                part.body,
            )
            for number, part in enumerate(parts, start=1)
        ]


@dataclass
class _Part:
    """One worksheet: its rows so far, in a temporary file."""

    title: str
    body: DeflatedMember
    rows: int = 0
    columns: int = 0
    widths: list[float] = field(default_factory=list)

    def head(self, *, selected: bool) -> str:
        """Everything before the rows: dimension, frozen header, column widths."""
        last = f"{_column(max(self.columns, 1) - 1)}{max(self.rows, 1)}"
        tab = ' tabSelected="1"' if selected else ""
        cols = "".join(
            f'<col min="{index}" max="{index}" width="{width:.1f}" customWidth="1"/>'
            for index, width in enumerate(self.widths, start=1)
        )
        cols = f"<cols>{cols}</cols>" if cols else ""
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<dimension ref="A1:{last}"/>'
            f'<sheetViews><sheetView workbookViewId="0"{tab}>'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            "</sheetView></sheetViews>"
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"{cols}<sheetData>"
        )


class XlsxSheet:
    """A sheet being written; it spans several parts when it outgrows one."""

    def __init__(self, book: XlsxBook, spec: SheetSpec) -> None:
        self._book = book
        self.title = spec.title
        self.header = [str(name) for name in spec.header]
        self._letters = [_column(index) for index in range(len(self.header))]
        styles = book.styles
        self._date_style = styles.number_format(spec.date_format)
        self._datetime_style = styles.number_format(spec.datetime_format)
        self._column_styles = {
            index: styles.number_format(code) for index, code in spec.formats.items()
        }
        self._widths = [_width(name) for name in self.header]
        self._sampled = 0
        self.parts: list[_Part] = []
        self._part = self._start_part()
        self.rows_written = 0
        """Data rows appended so far (headers not counted)."""

    def _start_part(self) -> _Part:
        part = self._book.new_part(self.title, len(self.parts) + 1)
        self.parts.append(part)
        header = [
            self._cell(index, 1, name, _HEADER_STYLE) for index, name in enumerate(self.header)
        ]
        part.body.write(f'<row r="1">{"".join(header)}</row>')
        part.rows, part.columns = 1, len(self.header)
        return part

    def append(self, row: Row) -> None:
        """Add one row below the last."""
        self.extend((row,))

    def extend(self, rows: Sequence[Row]) -> None:
        """Add ``rows`` below the last (in one write to each part they go to)."""
        part, lines = self._part, list[str]()
        for row in rows:
            if part.rows >= self._book.max_rows:
                part.body.write("".join(lines))
                part, lines = self._start_part(), []
                self._part = part
            number = part.rows + 1
            lines.append(f'<row r="{number}">{self._cells(row, number)}</row>')
            part.rows = number
            part.columns = max(part.columns, len(row))
            self.rows_written += 1
            self.measure(row)
        part.body.write("".join(lines))

    def spelling(self) -> RowSpelling:
        """How this sheet spells a row (see :class:`RowSpelling`): a whole ``<row>``, whose
        reference and each cell's hold :data:`ROW_NUMBER` for the row's number; repeated
        text goes to the book's shared strings."""
        styles = self._column_styles
        letters = self._letters
        shared = self._book.shared

        def repeated(index: int, value: str) -> str:
            return f'<c r="{letters[index]}{ROW_NUMBER}" t="s"><v>{shared.index(value)}</v></c>'

        return RowSpelling(
            numbers=tuple(
                (f'<c r="{letter}{ROW_NUMBER}"{_style(styles.get(index, 0))}><v>', "</v></c>")
                for index, letter in enumerate(letters)
            ),
            texts=tuple(
                (
                    f'<c r="{letter}{ROW_NUMBER}" t="inlineStr"><is><t xml:space="preserve">',
                    "</t></is></c>",
                )
                for letter in letters
            ),
            text=_xml_text,
            separator="",
            end=_ROW_END,
            serial_dates=True,
            start=f'<row r="{ROW_NUMBER}">',
            shared=repeated,
        )

    def extend_spelled(self, text: bytes, rows: int) -> None:
        """Add ``rows`` rows spelled as :meth:`spelling` says, joined in ``text`` (UTF-8),
        below the last (each row ends with ``</row>``, which no cell's content can hold)."""
        spelled = text.split(_ROW_END_BYTES, rows)[:rows]
        while spelled:
            part = self._part
            if part.rows >= self._book.max_rows:
                part = self._part = self._start_part()
            first, fitting = part.rows + 1, spelled[: self._book.max_rows - part.rows]
            numbers = [b"%d" % number for number in range(first, first + len(fitting))]
            numbered = map(bytes.replace, fitting, repeat(_ROW_NUMBER_BYTES), numbers)
            part.body.write_bytes(_ROW_END_BYTES.join(numbered) + _ROW_END_BYTES)
            part.rows += len(fitting)
            self.rows_written += len(fitting)
            del spelled[: len(fitting)]

    def measure(self, row: Row) -> None:
        """Let ``row`` count for the column widths (only the first :data:`WIDTH_SAMPLE`
        rows measured do)."""
        if self._sampled < WIDTH_SAMPLE:
            self._sample(row)

    def finish(self) -> None:
        """Give every part the column widths measured so far."""
        widths = [min(max(width, MIN_WIDTH), MAX_WIDTH) for width in self._widths]
        for part in self.parts:
            part.widths = widths

    def _sample(self, row: Row) -> None:
        self._sampled += 1
        while len(self._widths) < len(row):
            self._widths.append(0)
        for index, value in enumerate(row):
            self._widths[index] = max(self._widths[index], _width(value))

    def _cells(self, row: Row, number: int) -> str:
        """The row's ``<c>`` elements. Text and whole numbers, nearly every cell of a ledger,
        take the short way; everything else goes through :meth:`_cell`."""
        letters = self._letters
        while len(row) > len(letters):
            letters.append(_column(len(letters)))
        styles = self._column_styles
        cells = []
        for index, value in enumerate(row):
            kind = type(value)
            if kind is str:
                cells.append(_text(f"{letters[index]}{number}", value, 0))  # type: ignore[arg-type]
            elif kind is int and index not in styles:
                cells.append(f'<c r="{letters[index]}{number}"><v>{value}</v></c>')
            elif value is not None:
                cells.append(self._cell(index, number, value, 0))
        return "".join(cells)

    def _letter(self, index: int) -> str:
        while index >= len(self._letters):
            self._letters.append(_column(len(self._letters)))
        return self._letters[index]

    def _cell(self, index: int, number: int, value: Cell, style: int) -> str:
        """One ``<c>`` element (empty string for an empty cell)."""
        if value is None:
            return ""
        ref = f"{self._letter(index)}{number}"
        if isinstance(value, str):
            return _text(ref, value, style)
        if isinstance(value, bool):
            return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, datetime):
            return _number(ref, self._serial(value), self._datetime_style)
        if isinstance(value, date):
            return _number(ref, (value - _EPOCH_DAY).days, self._date_style)
        if isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                return ""
            return _number(ref, value, self._column_styles.get(index, style))
        raise TypeError(f"cannot write {type(value).__name__} to a sheet: {value!r}")

    def _serial(self, moment: datetime) -> float:
        if moment.tzinfo is not None and self._book.tz is not None:
            moment = moment.astimezone(self._book.tz)
        delta = moment.replace(tzinfo=None) - _EPOCH
        return delta.days + delta.seconds / 86_400 + delta.microseconds / 86_400_000_000


class _SharedStrings:
    """The book's shared strings: text many rows repeat, kept once (only what a spelling
    calls repeated: names, labels; free text stays in its cell, so this stays small)."""

    def __init__(self) -> None:
        self._indexes: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._indexes)

    def index(self, value: str) -> int:
        """The index of ``value`` in the shared strings (added if new)."""
        found = self._indexes.get(value)
        if found is None:
            found = self._indexes[value] = len(self._indexes)
        return found

    def xml(self) -> str:
        items = "".join(
            f'<si><t xml:space="preserve">{_xml_text(value)}</t></si>' for value in self._indexes
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<sst xmlns="{_MAIN}" uniqueCount="{len(self._indexes)}">{items}</sst>'
        )


class _Styles:
    """The cell formats in use: 0 plain, 1 bold header, then one per number format."""

    def __init__(self) -> None:
        self._formats: dict[str, int] = {}

    def number_format(self, code: str) -> int:
        """The style index of cells with number format ``code``."""
        if code not in self._formats:
            self._formats[code] = len(self._formats) + 2
        return self._formats[code]

    def xml(self) -> str:
        codes = list(self._formats)
        num_fmts = "".join(
            f'<numFmt numFmtId="{164 + i}" formatCode={quoteattr(code)}/>'
            for i, code in enumerate(codes)
        )
        if codes:
            num_fmts = f'<numFmts count="{len(codes)}">{num_fmts}</numFmts>'
        xfs = "".join(
            f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0"'
            ' applyNumberFormat="1"/>'
            for i in range(len(codes))
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<styleSheet xmlns="{_MAIN}">'
            f"{num_fmts}"
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            f'<cellXfs count="{2 + len(codes)}">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
            f"{xfs}</cellXfs>"
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>"
        )


def _style(style: int) -> str:
    return f' s="{style}"' if style else ""


def _number(ref: str, value: float, style: int) -> str:
    return f'<c r="{ref}"{_style(style)}><v>{value!r}</v></c>'


def _text(ref: str, value: str, style: int) -> str:
    text = _xml_text(value)
    return (
        f'<c r="{ref}"{_style(style)} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    )


@lru_cache(maxsize=4096)
def _xml_text(value: str) -> str:
    """``value`` as XML character data (cached: a ledger repeats its names on every row)."""
    return escape(excel_string(value[:MAX_TEXT]))


def excel_string(value: str) -> str:
    """``value`` escaped as Excel reads strings (ST_Xstring): characters XML cannot carry
    become ``_xHHHH_``, and text that already looks like such an escape gets its underscore
    escaped (``_x0041_`` is written ``_x005F_x0041_``), so Excel shows exactly ``value``."""
    text = _ESCAPE_LOOKALIKE.sub("_x005F_", value)
    return _UNSAFE_IN_XML.sub(lambda match: f"_x{ord(match.group()):04X}_", text)


def _column(index: int) -> str:
    """``0`` → ``A``, ``26`` → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _width(value: Cell) -> float:
    """Roughly how many character widths ``value`` takes (CJK characters count two)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT) + 2
    if isinstance(value, date | time):
        return len(DATE_FORMAT) + 2
    text = str(value)
    longest = max((line for line in text.split("\n")), key=len, default="")
    wide = sum(unicodedata.east_asian_width(char) in "WF" for char in longest)
    return len(longest) + wide + 2


def _unique_title(title: str, taken: set[str], number: int = 1) -> str:
    """A valid sheet name (at most 31 characters, none of ``[]:*?/\\``) not yet taken:
    ``title``, or ``title (number)`` with the first free number from ``number`` on."""
    base = _TITLE_BAD.sub("_", title).strip("'") or "Sheet"
    while True:
        suffix = f" ({number})" if number > 1 else ""
        candidate = base[: _TITLE_MAX - len(suffix)] + suffix
        if candidate.casefold() not in taken:
            return candidate
        number += 1


def _content_types(sheets: int, shared: bool) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{number}.xml" ContentType="{_CT}.worksheet+xml"/>'
        for number in range(1, sheets + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels"'
        ' ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
        f"{_SHARED_TYPE if shared else ''}{overrides}</Types>"
    )


_SHARED_TYPE = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{_PKG_REL}">'
    '<Relationship Id="rId1" Target="xl/workbook.xml"'
    ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)


def _workbook(titles: Sequence[str]) -> str:
    sheets = "".join(
        f'<sheet name={quoteattr(title)} sheetId="{number}" r:id="rId{number}"/>'
        for number, title in enumerate(titles, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _workbook_rels(sheets: int, shared: bool) -> str:
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    links = "".join(
        f'<Relationship Id="rId{number}" Type="{kind}/worksheet"'
        f' Target="worksheets/sheet{number}.xml"/>'
        for number in range(1, sheets + 1)
    )
    styles = f'<Relationship Id="rId{sheets + 1}" Type="{kind}/styles" Target="styles.xml"/>'
    strings = (
        f'<Relationship Id="rId{sheets + 2}" Type="{kind}/sharedStrings"'
        ' Target="sharedStrings.xml"/>'
        if shared
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_PKG_REL}">{links}{styles}{strings}</Relationships>'
    )
