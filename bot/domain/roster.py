"""Reading a roster file (CSV or XLSX) into validated rows, or errors an admin can act on.

Pure parsing: nothing here touches the database. ``storage.roster.RosterRepo.apply`` applies
the rows, and must only be called when :attr:`RosterParse.errors` is empty.

Line numbers are those a spreadsheet user sees (the header is line 1); ``line == 0`` marks
an error about the file as a whole. Error reasons are catalog keys (``roster.error.*``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import TypeVar

from bot.domain.models import RosterError, RosterRow
from bot.i18n import Locale, t

_T = TypeVar("_T")

FILE_LINE = 0
"""The ``line`` of errors about the whole file."""

MAX_NAME = 64
MAX_INTEGER = 2**63 - 1
"""The largest integer SQLite stores."""

REQUIRED = ("area", "grid_code", "grid_name", "worker_name")
OPTIONAL = ("worker_username", "worker_id", "households", "population")

HEADERS: dict[str, tuple[str, ...]] = {
    "area": ("area", "区域"),
    "grid_code": ("grid_code", "网格编号"),
    "grid_name": ("grid_name", "网格名称"),
    "worker_name": ("worker_name", "网格员姓名"),
    "worker_username": ("worker_username", "用户名"),
    "worker_id": ("worker_id", "TelegramID"),
    "households": ("households", "户数"),
    "population": ("population", "人口"),
}
"""Each column's accepted header names (English first, then Chinese)."""

_GRID_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
_INT = re.compile(r"[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+")
_TRAILING_ZERO_FRACTION = re.compile(r"\.0+$")
_SCIENTIFIC = re.compile(r"[0-9.]+[eE][+-]?[0-9]+")
_AREA_SEPARATORS = re.compile(r"[/／]")


@dataclass(frozen=True, slots=True)
class RosterParse:
    """The outcome of reading a roster file: apply ``rows`` only if ``errors`` is empty
    (``rows`` then holds every row; otherwise only the rows that were valid on their own)."""

    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RosterError] = field(default_factory=list)

    def error_report(self, locale: Locale) -> list[str]:
        """The rejection, as the CLI and the chat show it: how many problems, then each one
        with its line number (or none, for a problem with the whole file)."""
        lines = [t(locale, "roster.report.rejected", count=len(self.errors))]
        for problem in self.errors:
            reason = t(locale, problem.reason, **problem.params)
            lines.append(
                t(locale, "roster.report.error_line", line=problem.line, reason=reason)
                if problem.line != FILE_LINE
                else t(locale, "roster.report.error_file", reason=reason)
            )
        return lines


def split_area_path(text: str) -> list[str]:
    """The segments of an area path (``街道/社区``): split on ``/`` or ``／``, each trimmed."""
    return [segment.strip() for segment in _AREA_SEPARATORS.split(text)]


def normalize_area_path(text: str) -> str:
    """The canonical form of an area path (segments trimmed, joined with ``/``)."""
    return "/".join(split_area_path(text))


def parse_roster(filename: str, content: bytes) -> RosterParse:
    """Read a roster file (``.csv`` or ``.xlsx``, chosen by the file name)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in {".csv", ".txt"}:
        table = _read_csv(content)
    elif suffix in {".xlsx", ".xlsm"}:
        table = _read_xlsx(content)
    else:
        return _file_error("unsupported_type", name=filename)
    if table is None:
        return _file_error("unreadable", name=filename)
    return _parse_table(table)


# --- reading the file into a table of strings ------------------------------------------


def _read_csv(content: bytes) -> list[list[str]] | None:
    text = _decode(content)
    if text is None:
        return None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=first_line.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        return None


def _decode(content: bytes) -> str | None:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel "Unicode text"), else GB18030."""
    encodings = ("utf-16",) if content.startswith((b"\xff\xfe", b"\xfe\xff")) else ()
    for encoding in (*encodings, "utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _read_xlsx(content: bytes) -> list[list[str]] | None:
    """The first sheet's cells as text; None if the file is not a readable workbook."""
    try:
        import openpyxl  # with numpy and Pillow, about 20 MB: only for .xlsx rosters

        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            return [
                [_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)
            ]
        finally:
            workbook.close()
    except Exception:  # any damage inside an untrusted workbook means "unreadable"
        return None


def _cell_text(value: object) -> str:
    """A cell as the text the user typed: Excel's 710000001.0 comes back as 710000001."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


# --- validating the table ----------------------------------------------------------------


class _Bad(Exception):
    """A cell that cannot be accepted: catalog key suffix and its parameters."""

    def __init__(self, reason: str, **params: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def _error(line: int, reason: str, **params: str) -> RosterError:
    return RosterError(line=line, reason=f"roster.error.{reason}", params=params)


def _file_error(reason: str, **params: str) -> RosterParse:
    return RosterParse(errors=[_error(FILE_LINE, reason, **params)])


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-]", "", unicodedata.normalize("NFKC", text)).casefold()


_HEADER_LOOKUP = {_header_key(name): column for column, names in HEADERS.items() for name in names}


def _is_blank(cells: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _parse_table(table: list[list[str]]) -> RosterParse:
    if not table or all(_is_blank(cells) for cells in table):
        return _file_error("empty")
    header = _read_header(table[0])
    if isinstance(header, RosterError):
        return RosterParse(errors=[header])
    rows: list[RosterRow] = []
    errors: list[RosterError] = []
    for line, cells in enumerate(table[1:], start=2):
        if _is_blank(cells):
            continue
        row, row_errors = _parse_row(line, header, cells)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    if not rows and not errors:
        return _file_error("no_rows")
    errors.extend(_cross_row_errors(rows, header))
    errors.sort(key=lambda error: error.line)
    return RosterParse(rows=rows, errors=errors)


@dataclass(frozen=True, slots=True)
class _Header:
    """Where each known column is, and how the user wrote its name."""

    index: dict[str, int]
    label: dict[str, str]

    def cell(self, cells: Sequence[str], column: str) -> str:
        position = self.index.get(column)
        if position is None or position >= len(cells):
            return ""
        return cells[position].strip()


def _read_header(cells: Sequence[str]) -> _Header | RosterError:
    index: dict[str, int] = {}
    label: dict[str, str] = {}
    for position, text in enumerate(cells):
        column = _HEADER_LOOKUP.get(_header_key(text))
        if column is None:
            continue  # extra columns (notes, phone numbers…) are ignored
        if column in index:
            return _error(1, "duplicate_column", column=label[column], other=text.strip())
        index[column] = position
        label[column] = text.strip()
    missing = [column for column in REQUIRED if column not in index]
    if missing:
        names = ", ".join("/".join(HEADERS[column]) for column in missing)
        return _error(1, "missing_columns", columns=names)
    for column in OPTIONAL:
        label.setdefault(column, HEADERS[column][0])
    return _Header(index=index, label=label)


class _CellReader:
    """Reads the cells of one row, collecting every problem rather than stopping at one."""

    def __init__(self, line: int, header: _Header, cells: Sequence[str]) -> None:
        self.line = line
        self.header = header
        self.cells = cells
        self.errors: list[RosterError] = []

    def read(self, column: str, parse: Callable[[str, str], _T], fallback: _T) -> _T:
        """``parse(cell, column label)``; on a bad cell, note the error and return fallback."""
        try:
            return parse(self.header.cell(self.cells, column), self.header.label[column])
        except _Bad as bad:
            self.errors.append(_error(self.line, bad.reason, **bad.params))
            return fallback


def _parse_row(
    line: int, header: _Header, cells: Sequence[str]
) -> tuple[RosterRow | None, list[RosterError]]:
    reader = _CellReader(line, header, cells)
    row = RosterRow(
        line=line,
        area_path=reader.read("area", _area, ""),
        grid_code=reader.read("grid_code", _grid_code, ""),
        grid_name=reader.read("grid_name", _name, ""),
        worker_name=reader.read("worker_name", _name, ""),
        worker_username=reader.read("worker_username", _username, None),
        worker_id=reader.read("worker_id", _worker_id, None),
        households=reader.read("households", _count, None),
        population=reader.read("population", _count, None),
    )
    return (None if reader.errors else row), reader.errors


def _area(text: str, column: str) -> str:
    if not text:
        raise _Bad("required", column=column)
    segments = split_area_path(text)
    if any(not segment or len(segment) > MAX_NAME for segment in segments):
        raise _Bad("area", value=text)
    return "/".join(segments)


def _grid_code(text: str, column: str) -> str:
    if not text:
        raise _Bad("required", column=column)
    code = unicodedata.normalize("NFKC", text).strip()
    if not _GRID_CODE.fullmatch(code):
        raise _Bad("grid_code", value=text)
    return code


def _name(text: str, column: str) -> str:
    if not text:
        raise _Bad("required", column=column)
    if len(text) > MAX_NAME:
        raise _Bad("too_long", column=column, length=str(len(text)), max=str(MAX_NAME))
    return text


def _username(text: str, column: str) -> str | None:
    if not text:
        return None
    username = unicodedata.normalize("NFKC", text).strip().removeprefix("@")
    if not _USERNAME.fullmatch(username):
        raise _Bad("username", value=text)
    return username


def _worker_id(text: str, column: str) -> int | None:
    if not text:
        return None
    if _SCIENTIFIC.fullmatch(text):
        raise _Bad("worker_id_scientific", value=text)
    number = _whole_number(text)
    if number is None or not 0 < number <= MAX_INTEGER:
        raise _Bad("worker_id", value=text)
    return number


def _count(text: str, column: str) -> int | None:
    if not text:
        return None
    number = _whole_number(text)
    if number is None or number > MAX_INTEGER:
        raise _Bad("number", column=column, value=text)
    return number


def _whole_number(text: str) -> int | None:
    """A non-negative integer: full-width digits, 1,276 and 1276.0 accepted."""
    plain = _TRAILING_ZERO_FRACTION.sub("", unicodedata.normalize("NFKC", text).strip())
    if not _INT.fullmatch(plain):
        return None
    return int(plain.replace(",", ""))


def _cross_row_errors(rows: list[RosterRow], header: _Header) -> list[RosterError]:
    """Rows of one grid must agree; a username or Telegram id may appear only once."""
    errors: list[RosterError] = []
    first_of_grid: dict[str, RosterRow] = {}
    first_username: dict[str, int] = {}
    first_worker_id: dict[int, int] = {}
    for row in rows:
        first = first_of_grid.setdefault(row.grid_code.casefold(), row)
        errors.extend(_grid_mismatches(first, row, header))
        if row.worker_username is not None:
            seen = first_username.setdefault(row.worker_username.casefold(), row.line)
            if seen != row.line:
                errors.append(
                    _error(
                        row.line,
                        "duplicate_username",
                        value=row.worker_username,
                        first_line=str(seen),
                    )
                )
        if row.worker_id is not None:
            seen = first_worker_id.setdefault(row.worker_id, row.line)
            if seen != row.line:
                errors.append(
                    _error(
                        row.line,
                        "duplicate_worker_id",
                        value=str(row.worker_id),
                        first_line=str(seen),
                    )
                )
    return errors


_GRID_FIELDS = {
    "area_path": "area",
    "grid_name": "grid_name",
    "households": "households",
    "population": "population",
}


def _grid_mismatches(first: RosterRow, row: RosterRow, header: _Header) -> list[RosterError]:
    errors = []
    for attribute, column in _GRID_FIELDS.items():
        expected, value = getattr(first, attribute), getattr(row, attribute)
        if expected != value:
            errors.append(
                _error(
                    row.line,
                    "grid_mismatch",
                    code=first.grid_code,
                    column=header.label[column],
                    first_line=str(first.line),
                    expected="" if expected is None else str(expected),
                    value="" if value is None else str(value),
                )
            )
    return errors
