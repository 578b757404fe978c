"""A digest a person can read at any size: with the per-grid table attached, every list of
grids in the text stops after a few and says how many more the table holds, and so do the
grids whose stocks are carried and the corrections (the ledger has them all)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html import unescape
from io import BytesIO
from zoneinfo import ZoneInfo

import openpyxl

from bot.domain.digest import (
    DigestInput,
    GridInput,
    compile_digest,
    needs_attachment,
    render_digest,
)
from bot.domain.form import load_form
from bot.domain.models import Area, Grid, Report, ReportKind, ReportVersion
from bot.domain.status import GridDay
from bot.domain.stocks import zero_values
from bot.outbound.tables import grid_table_xlsx

FORM = load_form()
TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 24)  # a Tuesday: no weekly tally
STREET = Area(1, "幸福街道", "幸福街道", None)
FILED_AT = datetime(2026, 11, 24, 9, tzinfo=UTC)


def grid(n: int) -> Grid:
    return Grid(n, f"G-{n:03d}", f"第{n}网格", STREET.id, STREET.path, 300, 900, True)


def filed(n: int, difficulties: str | None = None) -> Report:
    answers = {**zero_values(FORM), "screened": 5, "difficulties": difficulties}
    version = ReportVersion(1, ReportKind.DETAILED, answers, (), {}, FILED_AT, 1, "网格员", None)
    return Report(n, n, DAY, FILED_AT, 1, "网格员", False, (version,))


def big_digest(missing: int, reported: int) -> list[str]:
    """The plain text of a street whose first ``missing`` grids have not reported."""
    items = [
        GridInput.from_history(FORM, GridDay(grid(n), DAY, None), None, (), ("王五",))
        for n in range(1, missing + 1)
    ]
    items += [
        GridInput.from_history(
            FORM, GridDay(grid(n), DAY, filed(n, "缺口罩")), None, (filed(n, "缺口罩"),)
        )
        for n in range(missing + 1, missing + reported + 1)
    ]
    digest = compile_digest(DigestInput(FORM, STREET, DAY, TZ, tuple(items)))
    assert needs_attachment(digest)
    return [unescape(message) for message in render_digest(digest, "zh_CN", table_attached=True)]


def test_a_long_missing_list_stops_after_twenty() -> None:
    messages = big_digest(missing=500, reported=500)
    text = "\n".join(messages)
    assert "• 第20网格：王五，已催报 0 次" in text
    assert "第21网格：王五" not in text
    assert "……另有 480 个，见附件表格。" in text
    assert text.count("缺口罩") == 20
    assert len(messages) <= 3


def test_the_attached_table_holds_every_grid_and_its_requests() -> None:
    items = [
        GridInput.from_history(FORM, GridDay(grid(n), DAY, filed(n, "缺口罩")), None, ())
        for n in range(1, 41)
    ]
    digest = compile_digest(DigestInput(FORM, STREET, DAY, TZ, tuple(items)))
    content, _ = grid_table_xlsx(digest, "zh_CN")
    sheet = openpyxl.load_workbook(BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 41
    column = rows[0].index(FORM.field("difficulties").label("zh_CN"))
    assert {row[column] for row in rows[1:]} == {"缺口罩"}


def corrected(n: int) -> Report:
    """Grid ``n``'s report of the day, corrected once since it was filed."""
    answers = {**zero_values(FORM), "screened": 5}
    first = ReportVersion(1, ReportKind.DETAILED, answers, (), {}, FILED_AT, 1, "网格员", None)
    fixed_at = FILED_AT + timedelta(hours=1)
    fixed = {**answers, "screened": 7}
    second = ReportVersion(2, ReportKind.DETAILED, fixed, (), {}, fixed_at, 1, "网格员", "漏报")
    return Report(n, n, DAY, FILED_AT, 1, "网格员", False, (first, second))


def yesterdays(n: int) -> Report:
    answers = {**zero_values(FORM), "screened": 5}
    version = ReportVersion(1, ReportKind.DETAILED, answers, (), {}, FILED_AT, 1, "网格员", None)
    return Report(10_000 + n, n, DAY - timedelta(days=1), FILED_AT, 1, "网格员", False, (version,))


def test_carried_grids_and_corrections_stop_after_twenty() -> None:
    """A district's evening: 300 grids missing with their stocks carried from yesterday, 300
    reports corrected since the last digest."""
    items = [
        GridInput.from_history(FORM, GridDay(grid(n), DAY, None), None, (yesterdays(n),))
        for n in range(1, 301)
    ]
    items += [
        GridInput.from_history(FORM, GridDay(grid(n), DAY, corrected(n)), None, (corrected(n),))
        for n in range(301, 601)
    ]
    digest = compile_digest(DigestInput(FORM, STREET, DAY, TZ, tuple(items)))
    assert len(digest.totals.carried) == len(digest.corrections) == 300
    messages = render_digest(digest, "zh_CN", table_attached=True)
    text = unescape("\n".join(messages))
    assert "、第20网格 及另外 280 个网格今日未报，在管数沿用其最近一次报告。" in text
    assert "第21网格" not in text
    assert text.count("更正，原因：漏报") == 20
    assert "……另有 280 条更正，完整记录见 /export 导出台账的更正表。" in text
    assert len(messages) <= 3
