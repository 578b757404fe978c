"""/export and ``gridbot export`` end to end: the ledger of three simulated days (see
``ledger_scenario``), opened with openpyxl and csv and checked sheet by sheet."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import zipfile
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from harness import ADMIN_ID, Harness, file_detailed, file_zero, texts
from ledger_scenario import D1, D2, D3, TZ, ledger_harness, moment
from test_cli import gridbot

import handlers.export
from bot.clock import ManualClock
from bot.emulator import BotApiEmulator, SentMessage, SimUser


@pytest.fixture
async def ledger_bot(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Harness]:
    """The bot after the three days of ``ledger_scenario``."""
    async with ledger_harness(emulator, clock, tmp_path / "gridbot.sqlite3") as harness:
        yield harness


Rows = list[tuple[Any, ...]]

REPORT_HEADER = (
    "日期",
    "区域",
    "网格编号",
    "网格",
    "报送状态",
    "报告类型",
    "提交时间",
    "提交人",
    "更正次数",
    "免报原因",
    "催报次数",
    "异常情况数",
    "排查人数（人）",
    "入户走访户数（户）",
    "新增返乡/外来人员（人）",
    "其中来自中高风险地区（人）",
    "新增居家隔离（人）",
    "解除居家隔离（人）",
    "居家隔离在管（人）",
    "新增集中隔离（人）",
    "解除集中隔离（人）",
    "集中隔离在管（人）",
    "发现发热人员（人）",
    "其中送发热门诊（人）",
    "新增密切接触者（人）",
    "公共区域消杀次数（次）",
    "困难和诉求",
)


async def export(bot: Harness, user: SimUser, command: str, *, replies: int = 2) -> SentMessage:
    """Send an /export (a background task) and wait for its ``replies``; the last one."""
    await bot.send(user, command)
    return (await user.wait_for_message(replies))[-1]


def sheets(content: bytes) -> dict[str, Rows]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def by_grid_day(rows: Rows) -> dict[tuple[str, date], tuple[Any, ...]]:
    return {(row[2], row[0].date()): row for row in rows[1:]}


async def test_admin_gets_an_xlsx_ledger_that_matches_the_database(ledger_bot: Harness) -> None:
    admin = ledger_bot.user(ADMIN_ID, "管理员")
    sent = await export(ledger_bot, admin, "/export 11-20 today")
    assert sent.document is not None
    assert sent.document.filename == "台账_全部_2026-11-20_2026-11-22.xlsx"
    assert "日报 30 行，异常情况 2 条，更正 2 条" in (sent.document.caption or "")
    tables = sheets(sent.document.content)
    assert list(tables) == ["日报台账", "异常情况", "报送完整性", "更正记录"]

    reports = tables["日报台账"]
    assert reports[0] == REPORT_HEADER
    assert len(reports) == 1 + 3 * 10  # every grid on every day, reported or not
    rows = by_grid_day(reports)
    assert rows["QJ-01", D1] == (
        datetime(2026, 11, 20),
        "学院南路街道/前进社区",
        "QJ-01",
        "第一网格",
        "按时",
        "详细报告",
        datetime(2026, 11, 20, 10, 0),
        "王娜",
        1,
        None,
        0,
        1,
        130,  # as corrected
        40,
        3,
        1,
        3,  # as corrected
        0,
        48,  # 45 + 3
        0,
        0,
        4,
        1,
        1,
        0,
        2,
        "口罩不足，请支援500只",
    )
    assert rows["QJ-01", D2][4:8] == ("零报告", "零报告", datetime(2026, 11, 21, 8, 50), "王娜")
    assert rows["QJ-01", D2][12:] == (0, 0, 0, 0, 0, 0, 48, 0, 0, 4, 0, 0, 0, 0, None)
    assert rows["QJ-01", D3][18] == 47  # 48 + 1 − 2
    assert rows["QJ-05", D1][4:8] == ("迟报", "详细报告", datetime(2026, 11, 20, 18, 30), "徐涛")
    assert (rows["QJ-05", D1][18], rows["QJ-05", D2][18]) == (10, 7)
    assert rows["DG-01", D1][4:6] == ("迟报", "零报告")  # a late zero report is both
    assert rows["QJ-03", D1][4:6] == ("零报告", "零报告")
    assert rows["DG-04", D1][4:12] == ("免报", None, None, None, None, "整栋封控", 0, None)
    missing = rows["QJ-02", D1]
    assert missing[4] == "未报"
    assert missing[5:10] == (None,) * 5 and missing[11:] == (None,) * 16  # never zeros
    statuses = [row[4] for row in reports[1:]]
    assert {s: statuses.count(s) for s in set(statuses)} == {
        "按时": 3,
        "迟报": 2,
        "零报告": 2,
        "未报": 22,
        "免报": 1,
    }

    assert tables["异常情况"] == [
        ("日期", "区域", "网格编号", "网格", "序号", "类别", "紧急", "情况说明", "报告提交时间"),
        (
            datetime(2026, 11, 20),
            "学院南路街道/前进社区",
            "QJ-01",
            "第一网格",
            1,
            "发热/症状",
            "否",
            "3栋2单元林某某发热38.2℃，已送发热门诊",
            datetime(2026, 11, 20, 10, 0),
        ),
        (
            datetime(2026, 11, 22),
            "学院南路街道/前进社区",
            "QJ-01",
            "第一网格",
            1,
            "擅自离开居家隔离",
            "是",
            "5栋张某某擅自离开居家隔离，已劝返",
            datetime(2026, 11, 22, 11, 0),
        ),
    ]

    completeness = tables["报送完整性"]
    assert completeness[0] == (
        "日期",
        "区域",
        "应报",
        "已报",
        "按时",
        "迟报",
        "零报告",
        "未报",
        "免报",
        "报送率",
        "及时率",
    )
    counts = {(row[0].date(), row[1]): row[2:9] for row in completeness[1:]}
    assert counts == {
        (D1, "学院南路街道"): (9, 4, 2, 2, 2, 5, 1),
        (D1, "学院南路街道/东关社区"): (3, 1, 0, 1, 1, 2, 1),
        (D1, "学院南路街道/前进社区"): (6, 3, 2, 1, 1, 3, 0),
        (D2, "学院南路街道"): (10, 2, 2, 0, 1, 8, 0),
        (D2, "学院南路街道/东关社区"): (4, 0, 0, 0, 0, 4, 0),
        (D2, "学院南路街道/前进社区"): (6, 2, 2, 0, 1, 4, 0),
        (D3, "学院南路街道"): (10, 1, 1, 0, 0, 9, 0),
        (D3, "学院南路街道/东关社区"): (4, 0, 0, 0, 0, 4, 0),
        (D3, "学院南路街道/前进社区"): (6, 1, 1, 0, 0, 5, 0),
    }
    rates = {(row[0].date(), row[1]): row[9:] for row in completeness[1:]}
    assert rates[D1, "学院南路街道/前进社区"] == (0.5, pytest.approx(2 / 6))
    assert rates[D1, "学院南路街道"] == (pytest.approx(4 / 9), pytest.approx(2 / 9))

    assert tables["更正记录"] == [
        (
            "报告日期",
            "区域",
            "网格编号",
            "网格",
            "版本",
            "更正时间",
            "更正人",
            "更正原因",
            "项目",
            "原值",
            "新值",
        ),
        (
            datetime(2026, 11, 20),
            "学院南路街道/前进社区",
            "QJ-01",
            "第一网格",
            2,
            datetime(2026, 11, 21, 10, 0),
            "王超",
            "漏报10人",
            "排查人数",
            120,
            130,
        ),
        (
            datetime(2026, 11, 20),
            "学院南路街道/前进社区",
            "QJ-01",
            "第一网格",
            2,
            datetime(2026, 11, 21, 10, 0),
            "王超",
            "漏报10人",
            "新增居家隔离",
            2,
            3,
        ),
    ]


async def test_the_spreadsheet_has_real_dates_a_frozen_header_and_fitting_columns(
    ledger_bot: Harness,
) -> None:
    admin = ledger_bot.user(ADMIN_ID, "管理员")
    sent = await export(ledger_bot, admin, "/export 2026-11-20")
    assert sent.document is not None
    book = openpyxl.load_workbook(io.BytesIO(sent.document.content))
    reports = book["日报台账"]
    assert reports.max_row == 11  # one day: the header and the ten grids
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
    assert reports["A2"].is_date and reports["A2"].number_format == "yyyy-mm-dd"
    assert reports["G2"].is_date and reports["G2"].number_format == "yyyy-mm-dd hh:mm"
    assert reports["M2"].data_type == "n"
    widths = {key: dimension.width for key, dimension in reports.column_dimensions.items()}
    assert widths["B"] > widths["C"] >= 10  # the area path is the widest text
    assert book["报送完整性"]["J2"].number_format == "0.0%"


async def test_csv_export_is_a_zip_of_utf8_files_with_a_bom(ledger_bot: Harness) -> None:
    admin = ledger_bot.user(ADMIN_ID, "管理员")
    sent = await export(ledger_bot, admin, "/export 11-20 11-21 前进社区 csv")
    assert sent.document is not None
    assert sent.document.filename == "台账_前进社区_2026-11-20_2026-11-21.zip"
    with zipfile.ZipFile(io.BytesIO(sent.document.content)) as archive:
        assert archive.namelist() == [
            "日报台账.csv",
            "异常情况.csv",
            "报送完整性.csv",
            "更正记录.csv",
        ]
        raw = {name: archive.read(name) for name in archive.namelist()}
    assert all(content.startswith("\ufeff".encode()) for content in raw.values())
    tables = {
        name: list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        for name, content in raw.items()
    }
    reports = tables["日报台账.csv"]
    assert reports[0] == list(REPORT_HEADER)
    assert len(reports) == 1 + 2 * 6  # 前进社区's six grids, two days
    qj01 = next(row for row in reports if row[0] == "2026-11-20" and row[2] == "QJ-01")
    assert qj01[4:9] == ["按时", "详细报告", "2026-11-20 10:00", "王娜", "1"]
    assert qj01[18] == "48" and qj01[26] == "口罩不足，请支援500只"
    qj02 = next(row for row in reports if row[0] == "2026-11-20" and row[2] == "QJ-02")
    assert qj02[4] == "未报" and set(qj02[5:10] + qj02[11:]) == {""}
    assert tables["报送完整性.csv"][1] == [
        "2026-11-20",
        "学院南路街道/前进社区",
        "6",
        "3",
        "2",
        "1",
        "1",
        "3",
        "0",
        "50.0%",
        "33.3%",
    ]
    assert len(tables["异常情况.csv"]) == 2 and len(tables["更正记录.csv"]) == 3


async def test_english_admins_get_english_headers(ledger_bot: Harness) -> None:
    admin = ledger_bot.user(ADMIN_ID, "Admin", lang="en")
    sent = await export(ledger_bot, admin, "/export yesterday")
    assert sent.document is not None
    assert sent.document.filename == "ledger_all_2026-11-21_2026-11-21.xlsx"
    tables = sheets(sent.document.content)
    assert list(tables) == ["Daily reports", "Incidents", "Completeness", "Corrections"]
    assert tables["Daily reports"][0][:6] == (
        "Date",
        "Area",
        "Grid code",
        "Grid",
        "Status",
        "Report type",
    )
    assert tables["Daily reports"][0][12] == "People screened (people)"
    statuses = {row[2]: row[4:6] for row in tables["Daily reports"][1:]}
    assert statuses["QJ-01"] == ("zero report", "zero report")
    assert statuses["QJ-05"] == ("on time", "detailed report")
    assert statuses["QJ-02"] == ("missing", None)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/export 11-31", "看不懂日期“11-31”"),
        ("/export 2026-12-01", "“2026-12-01”还没到（今天是 2026-11-22）"),
        ("/export 11-21 11-20", "开始日期 2026-11-21 晚于结束日期 2026-11-20"),
        ("/export 0d", "天数要在 1 到 3660 之间"),
        ("/export 11-01 11-02 11-03", "日期最多写两个"),
    ],
)
async def test_bad_dates_are_explained_with_examples(
    ledger_bot: Harness, command: str, expected: str
) -> None:
    admin = ledger_bot.user(ADMIN_ID, "管理员")
    reply = (await export(ledger_bot, admin, command, replies=1)).plain_text or ""
    assert expected in reply
    assert "/export 30d 前进社区" in reply  # the usage, with examples


async def test_an_unknown_area_lists_the_areas(ledger_bot: Harness) -> None:
    admin = ledger_bot.user(ADMIN_ID, "管理员")
    reply = (await export(ledger_bot, admin, "/export 7d 西城区", replies=1)).plain_text or ""
    assert "没有找到区域“西城区”" in reply
    assert "学院南路街道/东关社区" in reply


async def test_a_ledger_over_the_upload_limit_is_refused_with_what_to_do(
    ledger_bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers.export, "UPLOAD_LIMIT", 2_000)
    admin = ledger_bot.user(ADMIN_ID, "管理员")
    reply = (await export(ledger_bot, admin, "/export 11-20 today 前进社区")).plain_text or ""
    assert "超过 Telegram 的 0 MB 上限" in reply
    assert (
        "gridbot export --from 2026-11-20 --to 2026-11-22 --area 学院南路街道/前进社区"
        " --format xlsx --out 台账_前进社区_2026-11-20_2026-11-22.xlsx"
    ) in reply
    assert all(message.document is None for message in admin.inbox())


async def test_only_admins_in_a_private_chat_get_ledgers(ledger_bot: Harness) -> None:
    worker = ledger_bot.user(710000001, "王娜", username="grid_qj01_1")
    stranger = ledger_bot.user(555_000_001, "路人")
    admin = ledger_bot.user(ADMIN_ID, "管理员")
    group = ledger_bot.group(-100_500, "前进社区防控群", admins=(admin,))
    assert "只有管理员" in (
        (await export(ledger_bot, worker, "/export", replies=1)).plain_text or ""
    )
    refusal = (await export(ledger_bot, stranger, "/export", replies=1)).plain_text or ""
    assert "不在网格员名单" in refusal
    await ledger_bot.send(admin, "/export", chat=group)
    assert "私聊" in texts(await group.wait_for_message(1))
    assert all(m.document is None for who in (worker, stranger, group) for m in who.inbox())


async def test_cli_exports_while_the_bot_runs(ledger_bot: Harness, tmp_path: Path) -> None:
    """``gridbot export`` reads the live database from another process."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GRIDBOT_")}
    env |= {"GRIDBOT_DB": str(ledger_bot.settings.db), "GRIDBOT_LOCALE": "en"}
    out = tmp_path / "ledger.zip"
    result = await asyncio.to_thread(
        gridbot,
        env,
        *("export", "--from", "2026-11-20", "--to", "2026-11-21", "--area", "东关社区"),
        *("--format", "csv", "--out", str(out), "--lang", "zh_CN"),
    )
    assert result.returncode == 0, result.stderr
    assert f"Wrote {out}" in result.stdout and "8 daily report rows" in result.stdout
    with zipfile.ZipFile(out) as archive:
        reports = archive.read("日报台账.csv").decode("utf-8-sig").splitlines()
    assert len(reports) == 1 + 2 * 4
    excused = "2026-11-20,学院南路街道/东关社区,DG-04,第四网格,免报,,,,,整栋封控,0"
    assert excused + "," * 16 in reports  # every row has every column, empty where not asked

    bad = await asyncio.to_thread(gridbot, env, "export", "--from", "11-32", "--out", str(out))
    assert bad.returncode == 2
    assert 'I cannot read the date "11-32"' in bad.stderr


async def test_after_days_of_check_ins_the_ledger_matches_what_was_filed(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> None:
    """The acceptance scenario: workers file through the conversation on two days; the
    ledger an admin exports says the same as the database."""
    clock.set(moment(D1, 8))
    bot = Harness(emulator, clock, tmp_path / "gridbot.sqlite3")
    await bot.start()
    try:
        await bot.import_roster()
        wang = bot.user(710000001, "王娜", username="grid_qj01_1")
        xiujing = bot.user(710000005, "王秀静", username="grid_qj03_1")
        bot.at(9, 0, D1)
        await file_zero(bot, wang)
        bot.at(18, 0, D1)
        opening = {"home_isolation.opening": "5", "central_isolation.opening": "0"}
        await file_detailed(bot, xiujing, {**opening, "screened": "300", "home_iso_in": "2"})
        # within a millisecond of the next minute: the ledger shows the minute filed in
        clock.set(moment(D2, 10) + timedelta(seconds=59, microseconds=999_600))
        await file_detailed(bot, wang, {**opening, "screened": "12", "home_iso_in": "1"})
        admin = bot.user(ADMIN_ID, "管理员")
        sent = await export(bot, admin, "/export 11-20 11-21 前进社区")
        assert sent.document is not None
        rows = by_grid_day(sheets(sent.document.content)["日报台账"])
        for code, day in [("QJ-01", D1), ("QJ-03", D1), ("QJ-01", D2)]:
            report = await bot.report(code, day)
            assert report is not None
            row = rows[code, day]
            filed = report.submitted_at.astimezone(TZ).replace(tzinfo=None, microsecond=0)
            assert row[6] == filed
            assert row[7] == report.submitted_by_name
            assert row[12] == report.current.values["screened"]
        assert rows["QJ-01", D1][4:6] == ("零报告", "零报告")
        assert rows["QJ-03", D1][4:6] == ("迟报", "详细报告")
        assert rows["QJ-03", D1][12] == 300 and rows["QJ-03", D1][18] == 7  # 5 + 2
        assert rows["QJ-01", D2][4:6] == ("按时", "详细报告")
        assert rows["QJ-01", D2][18] == 1  # the zero report's 0, then + 1
        assert rows["QJ-03", D2][4] == "未报" and rows["QJ-03", D2][12] is None
        assert sorted(code for code, _ in rows) == sorted(
            f"QJ-0{n}" for n in range(1, 7) for _ in range(2)
        )
    finally:
        await bot.stop()
