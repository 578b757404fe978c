"""The streaming XLSX writer and the CSV zip, read back with openpyxl and csv."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.csvzip import CsvZipBook
from bot.xlsx import RowSpelling, SheetSpec, XlsxBook, write_xlsx

TZ = ZoneInfo("Asia/Shanghai")
ROWS = [
    [
        date(2026, 11, 22),
        "第一网格 <A&B>",
        12,
        0.5,
        True,
        None,
        datetime(2026, 11, 22, 8, 5, tzinfo=UTC),
    ],
    [date(2026, 11, 23), " 前后有空格 ", -3, 1.25, False, "x\x07y", datetime(2026, 11, 23, 9, 30)],
]


def read(content: bytes | Path) -> openpyxl.Workbook:
    source = io.BytesIO(content) if isinstance(content, bytes) else content
    return openpyxl.load_workbook(source)


def test_values_keep_their_types_and_times_their_zone() -> None:
    target = io.BytesIO()
    spec = SheetSpec(
        "网格", ["日期", "网格", "人数", "比例", "是否", "空", "时间"], ROWS, {3: "0.0%"}
    )
    write_xlsx(target, [spec], tz=TZ)
    sheet = read(target.getvalue())["网格"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("日期", "网格", "人数", "比例", "是否", "空", "时间")
    assert values[1] == (
        datetime(2026, 11, 22),
        "第一网格 <A&B>",
        12,
        0.5,
        True,
        None,
        datetime(2026, 11, 22, 16, 5),  # 08:05 UTC is 16:05 in Shanghai
    )
    assert values[2][1] == " 前后有空格 " and values[2][5] == "x_x0007_y"  # Excel shows x\x07y
    assert values[2][6] == datetime(2026, 11, 23, 9, 30)  # a naive time stays as it is
    assert sheet["A2"].number_format == "yyyy-mm-dd"
    assert sheet["G2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["D2"].number_format == "0.0%"
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width > sheet.column_dimensions["C"].width


def test_a_full_sheet_goes_on_in_a_numbered_one(tmp_path: Path) -> None:
    target = tmp_path / "long.xlsx"
    with XlsxBook(target, max_rows=4) as book:  # header + 3 rows per sheet
        first = book.add_sheet(SheetSpec("报告", ["n"]))
        second = book.add_sheet(SheetSpec("报告", ["m"]))  # same title: made unique
        for n in range(8):
            first.append([n])
        second.append(["only"])
    workbook = read(target)
    # the second sheet took "报告 (2)"; the first one's continuations follow it in order
    assert workbook.sheetnames == ["报告", "报告 (3)", "报告 (4)", "报告 (2)"]
    parts = [list(workbook[name].iter_rows(values_only=True)) for name in workbook.sheetnames]
    assert parts == [
        [("n",), (0,), (1,), (2,)],
        [("n",), (3,), (4,), (5,)],
        [("n",), (6,), (7,)],
        [("m",), ("only",)],
    ]
    assert first.rows_written == 8


def test_sheet_titles_are_made_valid() -> None:
    target = io.BytesIO()
    write_xlsx(target, [SheetSpec("a/b:c*d?[e]" + "长" * 40, ["x"], [[1]])])
    (name,) = read(target.getvalue()).sheetnames
    assert name == "a_b_c_d__e_" + "长" * 20 and len(name) == 31


def test_a_failed_write_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "broken.xlsx"
    with pytest.raises(TypeError), XlsxBook(target) as book:
        book.add_sheet(SheetSpec("x", ["n"])).append([object()])  # type: ignore[list-item]
    assert not target.exists()


def test_csv_zip_has_a_bom_and_readable_values(tmp_path: Path) -> None:
    target = tmp_path / "tables.zip"
    with CsvZipBook(target, tz=TZ) as book:
        table = book.add_sheet(
            SheetSpec(
                "网格/表",
                ["日期", "网格", "人数", "比例", "是否", "空", "时间"],
                formats={3: "0.0%"},
            )
        )
        for row in ROWS:
            table.append(row)
        book.add_sheet(SheetSpec("网格/表", ["空表"]))
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == ["网格_表.csv", "网格_表 (2).csv"]
        content = archive.read("网格_表.csv")
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[1] == ["2026-11-22", "第一网格 <A&B>", "12", "50.0%", "1", "", "2026-11-22 16:05"]
    assert rows[2][6] == "2026-11-23 09:30"


def spell(spelling: RowSpelling, row: list[int | str | None]) -> str:
    """``row`` spelled as a database would spell it for ``spelling`` (see RowSpelling)."""
    cells = []
    for index, value in enumerate(row):
        if value is None:
            cells.append("")
        elif isinstance(value, str):
            before, after = spelling.texts[index]
            cells.append(before + spelling.text(value) + after)
        else:
            before, after = spelling.numbers[index]
            cells.append(f"{before}{value}{after}")
    return spelling.start + spelling.separator.join(cells) + spelling.end


def test_spelled_rows_read_back_like_appended_ones(tmp_path: Path) -> None:
    target = tmp_path / "spelled.xlsx"
    rows: list[list[int | str | None]] = [[1, "<甲&乙>", None], [2, "bell\x07 _x0041_", 3]]
    with XlsxBook(target, max_rows=2) as book:  # header + 1 row per part
        sheet = book.add_sheet(SheetSpec("表", ["n", "text", "m"]))
        sheet.extend_spelled(
            "".join(spell(sheet.spelling(), row) for row in rows).encode(), len(rows)
        )
    workbook = read(target)
    assert workbook.sheetnames == ["表", "表 (2)"]
    parts = [list(workbook[name].iter_rows(values_only=True)) for name in workbook.sheetnames]
    assert parts == [
        [("n", "text", "m"), (1, "<甲&乙>", None)],
        [("n", "text", "m"), (2, "bell_x0007_ _x005F_x0041_", 3)],  # as Excel escapes
    ]
    assert sheet.rows_written == 2

    zipped = tmp_path / "spelled.zip"
    with CsvZipBook(zipped) as book:
        table = book.add_sheet(SheetSpec("表", ["n", "text", "m"]))
        table.extend_spelled(
            "".join(spell(table.spelling(), row) for row in rows).encode(), len(rows)
        )
        table.append(rows[1])
    with zipfile.ZipFile(zipped) as archive:
        content = archive.read("表.csv").decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(content, newline="")))
    assert lines[1:3] == [["1", "<甲&乙>", ""], ["2", "bell\x07 _x0041_", "3"]]
    assert lines[3] == lines[2]  # the same row appended


def test_repeated_text_is_kept_once_in_the_shared_strings(tmp_path: Path) -> None:
    target = tmp_path / "shared.xlsx"
    names = ["第一网格 <A&B>", " 前后有空格 ", "第一网格 <A&B>", "bell\x07 _x0041_"]
    with XlsxBook(target) as book:
        sheet = book.add_sheet(SheetSpec("表", ["n", "name", "free"]))
        spelling = sheet.spelling()
        sheet.extend_spelled(
            "".join(
                spelling.start
                + spell(spelling, [number]).removeprefix(spelling.start).removesuffix(spelling.end)
                + spelling.repeated(1, name)
                + spell(spelling, [None, None, "free"]).removeprefix(spelling.start)
                for number, name in enumerate(names)
            ).encode(),
            len(names),
        )
    assert list(read(target)["表"].iter_rows(values_only=True)) == [
        ("n", "name", "free"),
        (0, "第一网格 <A&B>", "free"),
        (1, " 前后有空格 ", "free"),
        (2, "第一网格 <A&B>", "free"),
        (3, "bell_x0007_ _x0041_", "free"),  # openpyxl undoes only the _x005F_ escape
    ]
    with zipfile.ZipFile(target) as archive:
        shared = archive.read("xl/sharedStrings.xml").decode()
    assert shared.count("<si>") == 3 and "&lt;A&amp;B&gt;" in shared
    assert ">bell_x0007_ _x005F_x0041_<" in shared  # as Excel escapes

    zipped = tmp_path / "shared.zip"
    with CsvZipBook(zipped) as csv_book:
        table = csv_book.add_sheet(SheetSpec("表", ["name"]))
        table.extend_spelled(
            "".join(table.spelling().repeated(0, name) + "\r\n" for name in names).encode(),
            len(names),
        )
    with zipfile.ZipFile(zipped) as archive:
        content = archive.read("表.csv").decode("utf-8-sig")
    assert [row[0] for row in csv.reader(io.StringIO(content, newline=""))][1:] == names
