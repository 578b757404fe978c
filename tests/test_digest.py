"""The evening digest, checked section by section against figures computed by hand.

The street 幸福街道 has two communities. On 2024-03-05 (deadline 17:00, Shanghai time):

- 东社区: 东一网格 on time (16:20, detailed), 东二网格 late (18:45, detailed), ``<A&B>`` a zero
  report on time (15:00);
- 西社区: 西一网格 a zero report filed late (19:30), 西二网格 missing (2 reminders, workers
  王五 and 赵六), 西三网格 excused (网格员住院; it also missed yesterday, 3 reminders).

Everyone but 西三网格 reported on 2024-03-04 (西一网格 late), each typing its opening
balances then. 东二网格's 03-04 report was corrected after the previous digest (排查人数
0 → 80); 东一网格's was corrected before it (not listed).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from bot.domain.digest import (
    CountTotal,
    Digest,
    DigestInput,
    GridInput,
    StockTotal,
    UrgentIncident,
    compile_digest,
    needs_attachment,
    render_digest,
    render_plain,
)
from bot.domain.form import load_form
from bot.domain.models import (
    Area,
    FieldValue,
    Grid,
    Incident,
    Report,
    ReportKind,
    ReportVersion,
    Values,
)
from bot.domain.status import Completeness, GridDay, Tally
from bot.domain.stocks import zero_values
from bot.i18n import LOCALES, Locale

FORM = load_form()
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2024, 3, 5)
YESTERDAY = date(2024, 3, 4)

STREET = Area(1, "幸福街道", "幸福街道", None)
EAST = Area(2, "幸福街道/东社区", "东社区", 1)
WEST = Area(3, "幸福街道/西社区", "西社区", 1)


def grid(grid_id: int, code: str, name: str, area: Area) -> Grid:
    return Grid(grid_id, code, name, area.id, area.path, 300, 1000, True)


G1 = grid(11, "E01", "东一网格", EAST)
G2 = grid(12, "E02", "东二网格", EAST)
G3 = grid(13, "E03", "<A&B>", EAST)
G4 = grid(21, "W01", "西一网格", WEST)
G5 = grid(22, "W02", "西二网格", WEST)
G6 = grid(23, "W03", "西三网格", WEST)


def at(day: date, hhmm: str) -> datetime:
    """A Shanghai wall-clock time, stored in UTC as storage does."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def values(**answers: FieldValue) -> Values:
    return {**zero_values(FORM), **answers}


def version(
    answers: Values,
    when: datetime,
    *,
    number: int = 1,
    kind: ReportKind = ReportKind.DETAILED,
    baseline: dict[str, int] | None = None,
    incidents: tuple[Incident, ...] = (),
    by: str = "张三",
    reason: str | None = None,
) -> ReportVersion:
    return ReportVersion(number, kind, answers, incidents, baseline or {}, when, 1, by, reason)


def report(
    grid_: Grid, day: date, hhmm: str, *versions: ReportVersion, late: bool = False
) -> Report:
    return Report(grid_.id * 100 + day.day, grid_.id, day, at(day, hhmm), 1, "张三", late, versions)


def first(
    grid_: Grid,
    day: date,
    hhmm: str,
    answers: Values,
    *,
    late: bool = False,
    kind: ReportKind = ReportKind.DETAILED,
    baseline: dict[str, int] | None = None,
    incidents: tuple[Incident, ...] = (),
) -> Report:
    """A report never corrected."""
    filed = version(answers, at(day, hhmm), kind=kind, baseline=baseline, incidents=incidents)
    return report(grid_, day, hhmm, filed, late=late)


# --- the reports -------------------------------------------------------------------------

G1_BASE = {"home_isolation": 10, "central_isolation": 2}
G1_Y_V1 = values(screened=100, households_visited=30, home_iso_in=3, home_iso_out=1, disinfection=1)
G1_YESTERDAY = report(
    G1,
    YESTERDAY,
    "16:00",
    version(G1_Y_V1, at(YESTERDAY, "16:00"), baseline=G1_BASE),
    version(
        {**G1_Y_V1, "disinfection": 2},
        at(YESTERDAY, "18:00"),
        number=2,
        baseline=G1_BASE,
        reason="少算一轮",
    ),
)
G1_TODAY = first(
    G1,
    DAY,
    "16:20",
    values(
        screened=120,
        households_visited=40,
        arrivals=2,
        arrivals_risk=1,
        home_iso_in=2,
        home_iso_out=4,
        central_iso_in=1,
        fever_found=1,
        fever_referred=1,
        disinfection=2,
        difficulties="口罩不足，请补充 200 只",
    ),
    incidents=(Incident("suspected", "3栋2单元 林某某 发热咳嗽", True),),
)

G2_BASE = {"home_isolation": 5, "central_isolation": 0}
G2_YESTERDAY = report(
    G2,
    YESTERDAY,
    "16:30",
    version(
        values(screened=0, households_visited=20, disinfection=1),
        at(YESTERDAY, "16:30"),
        baseline=G2_BASE,
    ),
    version(
        values(screened=80, households_visited=20, disinfection=1),
        at(DAY, "09:12"),
        number=2,
        baseline=G2_BASE,
        by="李四",
        reason="漏填排查人数",
    ),
)
G2_TODAY = first(
    G2,
    DAY,
    "18:45",
    values(screened=90, households_visited=25, home_iso_in=1, disinfection=1),
    late=True,
)

G3_YESTERDAY = first(
    G3,
    YESTERDAY,
    "15:00",
    values(screened=50, households_visited=10, disinfection=1),
    baseline={"home_isolation": 4, "central_isolation": 0},
)
G3_TODAY = first(G3, DAY, "15:00", zero_values(FORM), kind=ReportKind.ZERO)

G4_YESTERDAY = first(
    G4,
    YESTERDAY,
    "17:30",
    values(screened=60, households_visited=15, disinfection=1),
    late=True,
    baseline={"home_isolation": 0, "central_isolation": 1},
)
G4_TODAY = first(G4, DAY, "19:30", zero_values(FORM), kind=ReportKind.ZERO, late=True)

G5_YESTERDAY = first(
    G5,
    YESTERDAY,
    "16:45",
    values(screened=40, households_visited=12, disinfection=1),
    baseline={"home_isolation": 3, "central_isolation": 0},
)


def grid_input(
    grid_: Grid,
    today: Report | None,
    yesterday: Report | None,
    *,
    excused: str | None = None,
    reminders: int = 0,
    reminders_yesterday: int = 0,
    workers: tuple[str, ...] = (),
) -> GridInput:
    history = tuple(item for item in (yesterday, today) if item is not None)
    return GridInput.from_history(
        FORM,
        GridDay(grid_, DAY, today, excused, reminders),
        GridDay(grid_, YESTERDAY, yesterday, None, reminders_yesterday),
        history,
        workers,
    )


GRIDS = (
    grid_input(G1, G1_TODAY, G1_YESTERDAY, workers=("张三",)),
    grid_input(G2, G2_TODAY, G2_YESTERDAY, workers=("李四",)),
    grid_input(G3, G3_TODAY, G3_YESTERDAY),
    grid_input(G4, G4_TODAY, G4_YESTERDAY),
    grid_input(G5, None, G5_YESTERDAY, reminders=2, workers=("王五", "赵六")),
    grid_input(G6, None, None, excused="网格员住院", reminders_yesterday=3),
)
INCIDENTS = (
    UrgentIncident(
        G1, "suspected", "3栋2单元 林某某 发热咳嗽", at(DAY, "11:05"), "陈主任", at(DAY, "11:20")
    ),
    UrgentIncident(G4, "leave_iso", "5栋 王某某 擅自外出", at(DAY, "14:30")),
)
DATA = DigestInput(
    forms=FORM,
    area=STREET,
    day=DAY,
    tz=SHANGHAI,
    grids=GRIDS,
    sub_areas=(EAST, WEST),
    incidents=INCIDENTS,
    corrections_since=at(YESTERDAY, "20:00"),
)
DIGEST = compile_digest(DATA)


def plain(locale: Locale = "zh_CN", digest: Digest = DIGEST) -> list[str]:
    return render_plain(digest, locale).split("\n")


def section(lines: list[str], heading: str) -> list[str]:
    """The lines of one section: after its heading, up to the next blank line."""
    start = lines.index(heading) + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


# --- 1. reporting status -----------------------------------------------------------------


def test_completeness_by_hand() -> None:
    assert DIGEST.status.completeness == Completeness(
        expected=5, reported=4, on_time=2, late=2, zero=2, missing=1, excused=1
    )
    assert DIGEST.status.yesterday == Completeness(
        expected=6, reported=5, on_time=4, late=1, zero=0, missing=1, excused=0
    )


def test_zero_missing_late_and_excused_are_never_confused() -> None:
    status = DIGEST.status
    assert [day.grid.name for day in status.on_time] == ["东一网格", "<A&B>"]
    assert [day.grid.name for day in status.late] == ["东二网格", "西一网格"]
    assert [day.grid.name for day in status.zero] == ["<A&B>", "西一网格"]
    assert [missing.day.grid.name for missing in status.missing] == ["西二网格"]
    assert [day.grid.name for day in status.excused] == ["西三网格"]
    assert status.missing[0].workers == ("王五", "赵六")
    assert status.missing[0].day.reminders == 2


def test_status_section_zh() -> None:
    assert section(plain(), "一、报送情况") == [
        "应报 5 个网格，已报 4 个（按时 2，迟报 2），未报 1 个；免报 1 个（不计入应报）。",
        "报送率 80.0%（昨日 83.3%），及时率 40.0%（昨日 66.7%）。",
        "迟报（2）：",
        "• 东社区·东二网格 18:45",
        "• 西社区·西一网格 19:30（零报告）",
        "零报告（2，今日无新增、无异常）：",
        "• 东社区·<A&B> 15:00",
        "• 西社区·西一网格 19:30（迟报）",
        "未报（1）：",
        "• 西社区·西二网格：王五、赵六，已催报 2 次",
        "免报（1）：",
        "• 西社区·西三网格：网格员住院",
    ]


# --- 2. attention ------------------------------------------------------------------------


def test_attention_unacknowledged_first() -> None:
    assert section(plain(), "二、需要关注") == [
        "• 🚨 西社区·西一网格 14:30 擅自离开居家隔离：5栋 王某某 擅自外出（⚠️ 尚未确认）",
        "• 🚨 东社区·东一网格 11:05 疑似病例：3栋2单元 林某某 发热咳嗽（陈主任 11:20 已确认）",
    ]
    assert DIGEST.attention.negative_stocks == ()


def test_a_negative_stock_needs_attention() -> None:
    broken = first(G1, DAY, "16:00", values(home_iso_out=3), baseline={"home_isolation": 1})
    data = DigestInput(FORM, STREET, DAY, SHANGHAI, (grid_input(G1, broken, None),))
    digest = compile_digest(data)
    assert [(n.grid.id, n.key, n.closing) for n in digest.attention.negative_stocks] == [
        (11, "home_isolation", -2)
    ]
    assert section(plain(digest=digest), "二、需要关注") == [
        "• 东社区·东一网格：居家隔离在管为 -2 人，小于 0，请核对并更正"
    ]


def test_nothing_needs_attention() -> None:
    data = DigestInput(FORM, STREET, DAY, SHANGHAI, GRIDS[1:3])
    assert section(plain(digest=compile_digest(data)), "二、需要关注") == ["无"]


# --- 3. totals ---------------------------------------------------------------------------


def totals_of(digest: Digest) -> dict[str, tuple[int, ...]]:
    return {
        total.key: (total.today, total.yesterday, total.cumulative)
        if isinstance(total, CountTotal)
        else (total.current, total.yesterday)
        for total in digest.totals.fields
    }


def test_totals_by_hand() -> None:
    assert totals_of(DIGEST) == {
        # new today, yesterday (with 东二网格's correction 0 → 80), cumulative
        "screened": (210, 330, 540),
        "households_visited": (65, 87, 152),
        "arrivals": (2, 0, 2),
        "arrivals_risk": (1, 0, 1),
        "home_iso_in": (3, 3, 6),
        "home_iso_out": (4, 1, 5),
        "central_iso_in": (1, 0, 1),
        "central_iso_out": (0, 0, 0),
        "fever_found": (1, 0, 1),
        "fever_referred": (1, 0, 1),
        "close_contacts": (0, 0, 0),
        "disinfection": (3, 6, 9),
        # stocks, now and end of yesterday: openings 10+5+4+0+3 = 22, +2 on 03-04 = 24,
        # −2 (东一) +1 (东二) on 03-05 = 23, 西二网格 carried at 3
        "home_isolation": (23, 24),
        # 2+0+0+1+0 = 3, then 东一 +1 = 4
        "central_isolation": (4, 3),
    }
    assert [grid_.name for grid_ in DIGEST.totals.carried] == ["西二网格"]


def test_totals_section_zh() -> None:
    lines = section(plain(), "三、数据汇总")
    assert lines[0] == "• 排查人数：今日 210 人（较昨日 −120），累计 540"
    assert "• 新增居家隔离：今日 3 人（较昨日 ±0），累计 6" in lines
    assert "• 公共区域消杀次数：今日 3 次（较昨日 −3），累计 9" in lines
    assert "• 居家隔离在管：23 人（较昨日 −1）" in lines
    assert "• 集中隔离在管：4 人（较昨日 +1）" in lines
    assert lines[-1] == "注：西社区·西二网格 今日未报，在管数沿用其最近一次报告。"
    assert len(lines) == 15


# --- roll-up -----------------------------------------------------------------------------


def test_roll_up_by_hand() -> None:
    east, west = DIGEST.sub_areas
    assert (east.area, west.area) == (EAST, WEST)
    assert east.completeness == Completeness(3, 3, 2, 1, 1, 0, 0)
    assert west.completeness == Completeness(2, 1, 0, 1, 1, 1, 1)
    # 东: 10 + 6 + 4 now, 12 + 5 + 4 yesterday; 西: 0 + 3 (carried) + 0 both days
    assert totals_of_lines(east.totals.fields)["home_isolation"] == (20, 21)
    assert totals_of_lines(west.totals.fields)["home_isolation"] == (3, 3)
    assert [g.name for g in west.totals.carried] == ["西二网格"]
    assert west.figures == (("home_isolation", 3), ("central_isolation", 1))
    assert section(plain(), "分区汇总") == [
        "• 东社区：应报 3，已报 3，未报 0，免报 0；报送率 100.0%，及时率 66.7%",
        "  东社区今日：新增返乡/外来人员 2 人，其中来自中高风险地区 1 人，居家隔离在管 20 人，"
        "新增集中隔离 1 人，集中隔离在管 3 人，发现发热人员 1 人，其中送发热门诊 1 人",
        "• 西社区：应报 2，已报 1，未报 1，免报 1；报送率 50.0%，及时率 0.0%",
        "  西社区今日：居家隔离在管 3 人，集中隔离在管 1 人",
    ]


def totals_of_lines(fields: tuple[CountTotal | StockTotal, ...]) -> dict[str, tuple[int, ...]]:
    return {
        total.key: (total.today, total.yesterday, total.cumulative)
        if isinstance(total, CountTotal)
        else (total.current, total.yesterday)
        for total in fields
    }


def assert_parts_sum_to_whole(digest: Digest) -> None:
    whole = totals_of_lines(digest.totals.fields)
    parts = [totals_of_lines(line.totals.fields) for line in digest.sub_areas]
    for key, numbers in whole.items():
        summed = tuple(sum(part[key][i] for part in parts) for i in range(len(numbers)))
        assert summed == numbers, key
    counts = [line.completeness for line in digest.sub_areas]
    for name in ("expected", "reported", "on_time", "late", "zero", "missing", "excused"):
        total = getattr(digest.status.completeness, name)
        assert sum(getattr(count, name) for count in counts) == total, name


def test_sub_areas_sum_exactly_to_the_area() -> None:
    assert_parts_sum_to_whole(DIGEST)


def test_grids_directly_under_the_area_get_their_own_roll_up_line() -> None:
    office = grid(31, "S01", "街道直属网格", STREET)
    direct = first(office, DAY, "10:00", values(screened=7), baseline={"home_isolation": 2})
    data = DigestInput(
        FORM, STREET, DAY, SHANGHAI, (*GRIDS, grid_input(office, direct, None)), (EAST, WEST)
    )
    digest = compile_digest(data)
    assert [(line.area.name, line.direct) for line in digest.sub_areas] == [
        ("东社区", False),
        ("西社区", False),
        ("幸福街道", True),
    ]
    assert_parts_sum_to_whole(digest)
    assert totals_of(digest)["screened"] == (217, 330, 547)
    assert "【幸福街道直属网格】" in plain(digest=digest)


def test_no_sub_areas_no_roll_up() -> None:
    data = DigestInput(FORM, STREET, DAY, SHANGHAI, GRIDS)
    lines = plain(digest=compile_digest(data))
    assert "分区汇总" not in lines
    assert not any(line.startswith("【") for line in lines)


# --- 4. per grid -------------------------------------------------------------------------


def test_one_line_per_grid_zh() -> None:
    lines = plain()
    start = lines.index("四、各网格情况") + 1
    assert lines[start : start + 8] == [
        "【东社区】",
        "• 东一网格：按时 16:20｜新增返乡/外来人员 2 人，其中来自中高风险地区 1 人，"
        "居家隔离在管 10 人，新增集中隔离 1 人，集中隔离在管 3 人，发现发热人员 1 人，"
        "其中送发热门诊 1 人，异常 1 起",
        "• 东二网格：迟报 18:45｜排查人数 90 人，入户走访户数 25 户，新增居家隔离 1 人，"
        "居家隔离在管 6 人，公共区域消杀次数 1 次",
        "• <A&B>：零报告 15:00｜居家隔离在管 4 人",
        "【西社区】",
        "• 西一网格：迟报 19:30（零报告）｜集中隔离在管 1 人",
        "• 西二网格：未报（已催报 2 次）",
        "• 西三网格：免报：网格员住院",
    ]


def test_missing_two_days_running_is_said() -> None:
    again = grid_input(G6, None, None, reminders=1, reminders_yesterday=3)
    digest = compile_digest(DigestInput(FORM, STREET, DAY, SHANGHAI, (again,)))
    assert "• 西社区·西三网格：未报（已催报 1 次，昨日也未报）" in plain(digest=digest)
    assert "• 西社区·西三网格：无在册网格员，已催报 1 次，昨日也未报" in plain(digest=digest)


def test_attachment_replaces_the_table() -> None:
    assert not needs_attachment(DIGEST)
    assert needs_attachment(DIGEST, threshold=5)
    messages = render_digest(DIGEST, "zh_CN", table_attached=True)
    text = "\n".join(messages)
    assert "各网格明细见附件表格（共 6 个网格）。" in text
    assert "东一网格：按时" not in text


# --- 5-7. corrections, requests, ledger --------------------------------------------------


def test_corrections_since_the_previous_digest() -> None:
    (correction,) = DIGEST.corrections
    assert (correction.grid, correction.day, correction.by) == (G2, YESTERDAY, "李四")
    assert section(plain(), "五、更正情况") == [
        "• 东社区·东二网格 2024-03-04 的报告：李四 09:12 更正，原因：漏填排查人数",
        "  排查人数：0 → 80",
    ]


def test_without_a_previous_digest_every_correction_is_listed() -> None:
    data = DigestInput(FORM, STREET, DAY, SHANGHAI, GRIDS)
    lines = section(plain(digest=compile_digest(data)), "五、更正情况")
    assert lines == [
        "• 东社区·东一网格 2024-03-04 的报告：张三 2024-03-04 18:00 更正，原因：少算一轮",
        "  公共区域消杀次数：1 → 2",
        "• 东社区·东二网格 2024-03-04 的报告：李四 09:12 更正，原因：漏填排查人数",
        "  排查人数：0 → 80",
    ]


def test_kind_and_opening_corrections_are_shown() -> None:
    zero = version(zero_values(FORM), at(DAY, "15:00"), kind=ReportKind.ZERO)
    fixed = version(
        values(screened=5),
        at(DAY, "21:00"),
        number=2,
        baseline={"home_isolation": 7},
    )
    corrected = report(G3, DAY, "15:00", zero, fixed)
    digest = compile_digest(
        DigestInput(FORM, STREET, DAY, SHANGHAI, (grid_input(G3, corrected, None),))
    )
    assert section(plain(digest=digest), "五、更正情况") == [
        "• 东社区·<A&B> 2024-03-05 的报告：张三 21:00 更正",
        "  报告类型：零报告 → 详细报告",
        "  排查人数：0 → 5",
        "  居家隔离在管（期初）：未填写 → 7",
    ]


def test_requests_and_ledger() -> None:
    lines = plain()
    assert section(lines, "六、困难和诉求") == ["• 东社区·东一网格：口罩不足，请补充 200 只"]
    assert lines[-1] == "完整台账（各网格每日明细和更正记录）：发送 /export 导出表格。"


def test_sections_come_in_order() -> None:
    lines = plain()
    headings = ["一、报送情况", "二、需要关注", "三、数据汇总", "分区汇总", "四、各网格情况"]
    headings += ["五、更正情况", "六、困难和诉求"]
    positions = [lines.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert lines[0] == "幸福街道 2024-03-05 日报汇总"


def test_weekly_tally_section() -> None:
    week = [GridDay(G5, DAY - timedelta(days=offset), None, None) for offset in range(1, 3)] + [
        GridDay(G4, YESTERDAY, G4_YESTERDAY),
        GridDay(G1, YESTERDAY, G1_YESTERDAY),
    ]
    data = DigestInput(FORM, STREET, DAY, SHANGHAI, GRIDS, weekly=Tally.from_grid_days(week))
    lines = plain(digest=compile_digest(data))
    assert section(lines, "上周迟报、未报通报（2024-03-03 至 2024-03-04）") == [
        "• 西社区·西二网格：未报 2 天，迟报 0 天",
        "• 西社区·西一网格：未报 0 天，迟报 1 天",
    ]


# --- rendering ---------------------------------------------------------------------------


def test_english() -> None:
    lines = plain("en")
    assert lines[0] == "幸福街道 daily digest, 2024-03-05"
    assert section(lines, "1. Reporting")[:2] == [
        "Expected 5 grids, reported 4 (2 on time, 2 late), missing 1; 1 excused (not expected).",
        "Reporting rate 80.0% (yesterday 83.3%), on time 40.0% (yesterday 66.7%).",
    ]
    assert "• 西二网格, 西社区: 王五, 赵六, reminded 2 times" in lines
    assert (
        "• 🚨 西一网格, 西社区 14:30 Left home isolation: 5栋 王某某 擅自外出"
        " (⚠️ NOT acknowledged)" in lines
    )
    assert "• People screened: 210 people today (−120 vs yesterday), 540 so far" in lines
    assert "• 西一网格: late 19:30 (zero report) | In central isolation 1 person" in lines


@pytest.mark.parametrize("locale", LOCALES)
def test_html_is_escaped_and_tags_balanced(locale: Locale) -> None:
    (message,) = render_digest(DIGEST, locale)
    assert "&lt;A&amp;B&gt;" in message
    assert "<A&B>" not in message
    assert message.startswith("<b>幸福街道")
    assert_well_formed(message)
    assert strip_tags(message) == render_plain(DIGEST, locale).strip("\n")


def strip_tags(html: str) -> str:
    return unescape(re.sub(r"</?b>", "", html))


def assert_well_formed(message: str) -> None:
    """Only <b> tags, each opened and closed on the same line; no stray < or &."""
    for line in message.split("\n"):
        assert re.fullmatch(r"(<b>[^<>]*</b>|[^<>]*)", line), line
    bare = re.sub(r"</?b>", "", message)
    assert "<" not in bare and ">" not in bare
    assert not re.search(r"&(?!(amp|lt|gt);)", bare)


def big_digest(count: int) -> Digest:
    """``count`` grids in one community: a third missing, the rest reporting."""
    items = []
    for number in range(count):
        big = grid(1000 + number, f"B{number:03}", f"大网格{number}号<&>", EAST)
        filed = None
        if number % 3:
            filed = first(big, DAY, "16:00", values(screened=number, difficulties="缺消毒液" * 5))
        items.append(grid_input(big, filed, None, reminders=1, workers=("甲", "乙")))
    return compile_digest(DigestInput(FORM, STREET, DAY, SHANGHAI, tuple(items), (EAST,)))


def test_a_large_digest_splits_between_lines() -> None:
    digest = big_digest(300)
    whole = render_digest(digest, "zh_CN", max_chars=10**9)
    messages = render_digest(digest, "zh_CN")
    assert len(messages) > 3
    for message in messages:
        assert len(message.encode("utf-16-le")) // 2 <= 4096
        assert_well_formed(message)
        assert not message.startswith("\n") and not message.endswith("\n")
    lines = [line for message in messages for line in message.split("\n") if line]
    assert lines == [line for line in whole[0].split("\n") if line]


def test_a_line_longer_than_a_message_is_wrapped_without_breaking_entities() -> None:
    digest = big_digest(3)
    messages = render_digest(digest, "zh_CN", max_chars=40)
    for message in messages:
        assert len(message) <= 40
        assert_well_formed(message)
    joined = "".join(strip_tags(message).replace("\n", "") for message in messages)
    assert joined == render_plain(digest, "zh_CN").replace("\n", "")


def test_a_heading_never_ends_a_message() -> None:
    lines = plain()
    headings = {lines[index + 1] for index, line in enumerate(lines[:-1]) if not line}
    headings |= {line for line in lines if line.startswith("【") or line.endswith("：")}
    for max_chars in (150, 200, 300, 500):
        messages = render_digest(DIGEST, "zh_CN", max_chars=max_chars)
        for message in messages[:-1]:
            assert strip_tags(message.split("\n")[-1]) not in headings, (max_chars, message)
        joined = [line for message in messages for line in message.split("\n") if line]
        assert joined == [line for line in render_digest(DIGEST, "zh_CN")[0].split("\n") if line]


def test_max_chars_too_small() -> None:
    with pytest.raises(ValueError, match="at least"):
        render_digest(DIGEST, "zh_CN", max_chars=10)


# --- input checks ------------------------------------------------------------------------


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="today must be"):
        DigestInput(FORM, STREET, YESTERDAY, SHANGHAI, GRIDS)
    with pytest.raises(ValueError, match="twice"):
        DigestInput(FORM, STREET, DAY, SHANGHAI, (GRIDS[0], GRIDS[0]))
    with pytest.raises(ValueError, match="another grid's report"):
        GridInput.from_history(FORM, GridDay(G1, DAY), None, (G2_TODAY,))
    with pytest.raises(ValueError, match="include another grid's"):
        GridInput(GridDay(G1, DAY), None, {}, (), (G2_TODAY,))
    with pytest.raises(ValueError, match="another grid's or day's"):
        GridInput.from_history(FORM, GridDay(G1, DAY), GridDay(G1, DAY), ())
