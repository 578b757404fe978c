"""Reading roster files: the sample, encodings and formats, and every kind of bad row."""

from __future__ import annotations

import io

import openpyxl
import pytest
from storage_fixtures import SAMPLE_ROSTER

from bot.domain.models import RosterError
from bot.domain.roster import FILE_LINE, normalize_area_path, parse_roster
from bot.i18n import LOCALES, t

HEADER = "area,grid_code,grid_name,worker_name,worker_username,worker_id,households,population"
GOOD = "学院南路街道/前进社区,QJ-01,第一网格,王娜,grid_qj01_1,710000001,445,1276"


def csv_of(*lines: str) -> bytes:
    return "\n".join((HEADER, *lines)).encode("utf-8")


def reasons(errors: list[RosterError]) -> list[tuple[int, str]]:
    return [(error.line, error.reason.removeprefix("roster.error.")) for error in errors]


def assert_renders(errors: list[RosterError]) -> None:
    """Each error has a message in every locale, with all its placeholders filled."""
    for error in errors:
        for locale in LOCALES:
            assert "{" not in t(locale, error.reason, **error.params)


def test_sample_roster() -> None:
    parsed = parse_roster(SAMPLE_ROSTER.name, SAMPLE_ROSTER.read_bytes())
    assert parsed.errors == []
    assert len(parsed.rows) == 22
    assert len({row.grid_code for row in parsed.rows}) == 10
    assert {row.area_path for row in parsed.rows} == {
        "学院南路街道/前进社区",
        "学院南路街道/东关社区",
    }
    first = parsed.rows[0]
    assert (first.line, first.worker_name, first.worker_username) == (2, "王娜", "grid_qj01_1")
    assert (first.worker_id, first.households, first.population) == (710000001, 445, 1276)
    assert parsed.rows[2].worker_id is None
    assert parsed.rows[-1].line == 23


def test_gb18030_semicolons_and_chinese_headers() -> None:
    text = (
        " 区域 ;网格编号;网格名称;网格员姓名;用户名;TelegramID;户数;人口\n"
        "学院南路街道 ／ 前进社区;qj-01;第一网格;王娜;@Grid_QJ01_1;７１００００００１;1,276;\n"
    )
    parsed = parse_roster("名单.CSV", text.encode("gb18030"))
    assert parsed.errors == []
    (row,) = parsed.rows
    assert row.area_path == "学院南路街道/前进社区"
    assert (row.grid_code, row.worker_username) == ("qj-01", "Grid_QJ01_1")
    assert (row.worker_id, row.households, row.population) == (710000001, 1276, None)


def test_tab_separated_with_bom_blank_lines_and_extra_columns() -> None:
    text = (
        "Area\tGrid Code\tgrid_name\tWORKER_NAME\tnotes\n"
        "\t\t\t\t\n"
        "学院南路街道/前进社区\tQJ-01\t第一网格\t王娜\t楼栋长\n"
    )
    parsed = parse_roster("roster.txt", b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert parsed.errors == []
    (row,) = parsed.rows
    assert row.line == 3  # the blank line 2 is skipped but still counted
    assert row.worker_username is None and row.worker_id is None


def test_xlsx_with_numbers_excel_made_floats() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(
        ["学院南路街道/东关社区", "DG-01", "第一网格", "李娜军", None, 710000015.0, 459, 1219.0]
    )
    sheet.append([None] * 8)
    sheet.append(
        ["学院南路街道/东关社区", "DG-01", "第一网格", "胡桂", "grid_dg01_3", None, 459, 1219]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = parse_roster("roster.xlsx", buffer.getvalue())
    assert parsed.errors == []
    assert [(row.line, row.worker_id, row.population) for row in parsed.rows] == [
        (2, 710000015, 1219),
        (4, None, 1219),
    ]


def test_every_bad_row_is_reported_with_its_line() -> None:
    long_name = "王" * 65
    content = csv_of(
        GOOD,  # 2
        "学院南路街道//前进社区,QJ-02,第二网格,黄刚,,,310,866",  # 3
        "学院南路街道/前进社区,QJ 03,第三网格,王秀静,,,483,1125",  # 4
        f"学院南路街道/前进社区,QJ-04,第四网格,{long_name},,,629,1514",  # 5
        "学院南路街道/前进社区,QJ-04,第四网格,孙敏,1abc,,629,1514",  # 6
        "学院南路街道/前进社区,QJ-04,第四网格,孙敏,,-5,629,1514",  # 7
        "学院南路街道/前进社区,QJ-04,第四网格,孙敏,,7.1E+08,629,1514",  # 8
        "学院南路街道/前进社区,QJ-04,第四网格,孙敏,,,约600,1514",  # 9
        "学院南路街道/前进社区,QJ-05,,,,,518,1373",  # 10
        "学院南路街道/东关社区,QJ-01,第一网格,王超,,,445,1276",  # 11
        "学院南路街道/前进社区,QJ-06,第六网格,刘明,GRID_QJ01_1,,494,1185",  # 12
        "学院南路街道/前进社区,QJ-06,第六网格,李秀霞,,710000001,494,1185",  # 13
        ",,,,,,,",  # 14: blank, skipped
        ",QJ-07,第七网格,张明,,,,",  # 15
    )
    parsed = parse_roster("roster.csv", content)
    assert reasons(parsed.errors) == [
        (3, "area"),
        (4, "grid_code"),
        (5, "too_long"),
        (6, "username"),
        (7, "worker_id"),
        (8, "worker_id_scientific"),
        (9, "number"),
        (10, "required"),
        (10, "required"),
        (11, "grid_mismatch"),
        (12, "duplicate_username"),
        (13, "duplicate_worker_id"),
        (15, "required"),
    ]
    by_line = {error.line: error for error in parsed.errors}
    assert by_line[11].params == {
        "code": "QJ-01",
        "column": "area",
        "first_line": "2",
        "expected": "学院南路街道/前进社区",
        "value": "学院南路街道/东关社区",
    }
    assert by_line[12].params["first_line"] == "2"
    assert [e.params["column"] for e in parsed.errors if e.line == 10] == [
        "grid_name",
        "worker_name",
    ]
    assert_renders(parsed.errors)


def test_rows_of_one_grid_must_agree_on_every_grid_column() -> None:
    content = csv_of(GOOD, "学院南路街道/前进社区,qj-01,一网格,王超,,,446,")
    parsed = parse_roster("roster.csv", content)
    columns = [error.params["column"] for error in parsed.errors]
    assert columns == ["grid_name", "households", "population"]
    assert parsed.errors[-1].params["value"] == ""
    assert_renders(parsed.errors)


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("roster.xls", b"\xd0\xcf\x11\xe0", (FILE_LINE, "unsupported_type")),
        ("roster.xlsx", b"not a zip file", (FILE_LINE, "unreadable")),
        ("roster.csv", b"", (FILE_LINE, "empty")),
        ("roster.csv", b"\n ,, \n", (FILE_LINE, "empty")),
        ("roster.csv", HEADER.encode(), (FILE_LINE, "no_rows")),
        ("roster.csv", b"area,grid_code\nx,y", (1, "missing_columns")),
        (
            "roster.csv",
            "area,区域,grid_code,grid_name,worker_name".encode(),
            (1, "duplicate_column"),
        ),
    ],
)
def test_file_level_errors(filename: str, content: bytes, expected: tuple[int, str]) -> None:
    parsed = parse_roster(filename, content)
    assert reasons(parsed.errors) == [expected]
    assert parsed.rows == []
    assert_renders(parsed.errors)


def test_missing_columns_are_named_in_both_languages() -> None:
    (error,) = parse_roster("roster.csv", b"area,grid_code\nx,y").errors
    assert error.params["columns"] == "grid_name/网格名称, worker_name/网格员姓名"


def test_valid_rows_are_returned_alongside_errors() -> None:
    parsed = parse_roster("roster.csv", csv_of(GOOD, "x,QJ 02,第二网格,黄刚,,,,"))
    assert [row.line for row in parsed.rows] == [2]
    assert reasons(parsed.errors) == [(3, "grid_code")]


def test_area_path_normalisation() -> None:
    assert normalize_area_path(" 学院南路街道 ／前进社区 ") == "学院南路街道/前进社区"


def test_excel_unicode_text_is_utf16_with_tabs() -> None:
    text = f"{HEADER}\n{GOOD}\n".replace(",", "\t")
    parsed = parse_roster("roster.txt", text.encode("utf-16"))
    assert parsed.errors == []
    assert [row.worker_id for row in parsed.rows] == [710000001]
