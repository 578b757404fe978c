"""What workers type cannot turn into a formula or change in a ledger: CSV cells that would
start a formula are kept as text, XLSX strings are escaped the way Excel reads them.

These rules are checked on the writers' output (the XML and CSV bytes), so they hold for any
writer that replaces ``bot.xlsx`` / ``bot.csvzip``."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import openpyxl
from harness import ADMIN_ID, Harness, file_detailed
from hypothesis import given
from hypothesis import strategies as st

from bot.csvzip import FORMULA_STARTS, CsvZipBook, csv_text
from bot.xlsx import Cell, SheetSpec, write_xlsx

HOSTILE = [
    '=HYPERLINK("http://127.0.0.1/","点我")',
    "+1+2",
    "-3+4",
    "@SUM(A1:A9)",
    "\t=1",
    "a_x0041_b",
    "_X00e9_ stays",
    "bell\x07 and nul\x00",
]
_EXCEL_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def excel_shows(stored: str) -> str:
    """How Excel reads a stored string: each ``_xHHHH_`` is the character HHHH."""
    return _EXCEL_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), stored)


def xlsx_strings(values: list[str]) -> list[str]:
    """The stored text of one column of ``values``, as an XLSX reader gets it."""
    target = io.BytesIO()
    write_xlsx(target, [SheetSpec("t", ["text"], [[value] for value in values], {})], tz=None)
    sheet = openpyxl.load_workbook(io.BytesIO(target.getvalue()))["t"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells)  # text, never a formula
    return [str(cell.value) for cell in cells]


def csv_cells(values: list[str]) -> list[str]:
    target = io.BytesIO()
    with CsvZipBook(target) as book:
        table = book.add_sheet(SheetSpec("t", ["text"], [], {}))
        for value in values:
            table.append([value])
    with zipfile.ZipFile(io.BytesIO(target.getvalue())) as archive:
        text = archive.read("t.csv").decode("utf-8-sig")
    return [row[0] for row in csv.reader(io.StringIO(text, newline=""))][1:]


def test_xlsx_escapes_what_looks_like_an_escape_and_control_characters() -> None:
    stored = xlsx_strings(HOSTILE)
    assert stored[5] == "a_x005F_x0041_b"
    assert stored[6] == "_X00e9_ stays"  # only a lowercase x makes an escape
    assert stored[7] == "bell_x0007_ and nul_x0000_"
    assert [excel_shows(value) for value in stored] == HOSTILE
    assert stored[0] == HOSTILE[0]  # an inline string: shown as typed, not evaluated


@given(st.lists(st.text(max_size=60), min_size=1, max_size=5))
def test_excel_shows_exactly_the_text_written(values: list[str]) -> None:
    assert [excel_shows(value) for value in xlsx_strings(values)] == values


def test_csv_cells_never_start_a_formula() -> None:
    cells = csv_cells(HOSTILE)
    assert cells[:5] == ["'" + value for value in HOSTILE[:5]]
    assert cells[5] == "a_x0041_b"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


@given(st.text(max_size=40))
def test_a_spelled_csv_cell_is_what_the_csv_writer_writes(value: str) -> None:
    """The ledger's reports table is spelled by the database with ``csv_text``; it reads
    back as the same cell as one appended through the writer."""
    spelled = list(csv.reader(io.StringIO(csv_text(value) + ",x\r\n", newline="")))
    assert spelled == [[csv_cells([value])[0], "x"]]


async def test_a_worker_typed_formula_stays_text_in_both_ledgers(bot: Harness) -> None:
    worker = bot.user(710000001, "王娜", username="grid_qj01_1")
    await bot.start_bot(worker)
    typed = '=HYPERLINK("http://127.0.0.1/","x") _x0041_'
    await file_detailed(bot, worker, {"difficulties": typed})
    admin = bot.user(ADMIN_ID, "管理员")
    await bot.send(admin, "/export today today 前进社区 csv")
    zipped = (await admin.wait_for_message(2))[-1].document
    assert zipped is not None
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        rows = list(csv.reader(io.StringIO(archive.read("日报台账.csv").decode("utf-8-sig"))))
    assert ["'" + typed] == [cell for row in rows for cell in row if typed in cell]
    await bot.send(admin, "/export today today 前进社区")
    book = (await admin.wait_for_message(2))[-1].document
    assert book is not None
    with zipfile.ZipFile(io.BytesIO(book.content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "=HYPERLINK(&quot;" in xml or '=HYPERLINK("' in xml
    assert "_x005F_x0041_" in xml and "<f>" not in xml


def _written_by_csv_module(row: list[Cell], tz: ZoneInfo) -> str:
    """``row`` as the csv module writes it, each cell as the ledger shows it: text kept
    from starting a formula (a NUL as U+FFFD), times in ``tz``, a rate (column 1) as a
    percent."""

    def shown(index: int, value: Cell) -> object:
        if isinstance(value, str):
            value = value.replace("\x00", "\ufffd")
            return "'" + value if value.startswith(FORMULA_STARTS) else value
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, datetime):
            return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float) and index == 1:
            return f"{value * 100:.1f}%"
        return value

    text = io.StringIO()
    csv.writer(text).writerow([shown(index, value) for index, value in enumerate(row)])
    return text.getvalue()


cells = st.one_of(
    st.text(max_size=12),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
)


@given(st.lists(st.lists(cells, max_size=4), max_size=4))
def test_rows_are_written_as_the_csv_module_writes_them(rows: list[list[Cell]]) -> None:
    tz = ZoneInfo("Asia/Shanghai")
    target = io.BytesIO()
    with CsvZipBook(target, tz=tz) as book:
        table = book.add_sheet(SheetSpec("t", ["a", "rate", "c", "d"], [], {1: "0.0%"}))
        table.extend(rows)
    with zipfile.ZipFile(io.BytesIO(target.getvalue())) as archive:
        text = archive.read("t.csv").decode("utf-8-sig")
    assert text == "a,rate,c,d\r\n" + "".join(_written_by_csv_module(row, tz) for row in rows)
