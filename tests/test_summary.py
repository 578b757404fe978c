"""How a report reads back: answers, derived stocks with their arithmetic, incidents, diffs."""

from __future__ import annotations

from bot.domain.form import load_form
from bot.domain.models import Incident, ReportKind, Values
from bot.domain.stocks import zero_values
from bot.domain.summary import diff_lines, quantity, summary_lines
from bot.i18n import Locale

FORM = load_form()
OPENINGS = {"home_isolation": 46, "central_isolation": 0}
VALUES: Values = {
    **zero_values(FORM),
    "screened": 120,
    "households_visited": 40,
    "home_iso_in": 3,
    "home_iso_out": 1,
    "disinfection": 2,
    "difficulties": "口罩不足",
}


def lines(
    locale: Locale = "zh_CN",
    kind: ReportKind = ReportKind.DETAILED,
    incidents: tuple[Incident, ...] = (),
    values: Values = VALUES,
) -> list[str]:
    return summary_lines(
        FORM, locale, values=values, openings=OPENINGS, kind=kind, incidents=incidents
    )


def test_detailed_report_zh() -> None:
    assert lines() == [
        "排查人数：120 人",
        "入户走访户数：40 户",
        "新增返乡/外来人员：0 人",
        "新增居家隔离：3 人",
        "解除居家隔离：1 人",
        "居家隔离在管：48 人（昨日 46 + 新增 3 − 解除 1）",
        "新增集中隔离：0 人",
        "集中隔离在管：0 人（昨日 0 + 新增 0 − 解除 0）",
        "发现发热人员：0 人",
        "新增密切接触者：0 人",
        "公共区域消杀次数：2 次",
        "困难和诉求：口罩不足",
        "无异常情况",
    ]


def test_detailed_report_en() -> None:
    text = lines("en")
    assert text[0] == "People screened: 120 people"
    assert "In home isolation: 48 people (yesterday 46 + new 3 − released 1)" in text
    assert text[-1] == "No incidents"


def test_skipped_questions_are_left_out_and_asked_ones_shown() -> None:
    text = lines(values={**VALUES, "arrivals": 2, "arrivals_risk": 1})
    assert "其中来自中高风险地区：1 人" in text
    assert not any(line.startswith("其中送发热门诊") for line in text)


def test_unanswered_reads_as_not_filled_in_never_as_zero() -> None:
    text = lines(values={**VALUES, "difficulties": None, "screened": None})
    assert "困难和诉求：未填写" in text
    assert "排查人数：未填写" in text


def test_zero_report() -> None:
    assert lines(kind=ReportKind.ZERO) == [
        "零报告：今日无新增、无异常",
        "居家隔离在管：46 人（沿用）",
        "集中隔离在管：0 人（沿用）",
    ]
    assert lines("en", kind=ReportKind.ZERO)[0].startswith("Zero report")


def test_incidents_with_urgent_marked() -> None:
    incidents = (
        Incident("suspected", "3号楼 林某某 咳嗽发热", urgent=True),
        Incident("gathering", "2号楼 聚餐 8人", urgent=False),
        Incident("retired_kind", "旧类别", urgent=False),
    )
    text = lines(incidents=incidents)
    assert text[-4:] == [
        "异常情况 3 起：",
        "• ⚠️ 紧急 疑似病例：3号楼 林某某 咳嗽发热",
        "• 聚集/聚餐：2号楼 聚餐 8人",
        "• retired_kind：旧类别",
    ]
    assert "• ⚠️ URGENT Suspected case: 3号楼 林某某 咳嗽发热" in lines("en", incidents=incidents)


def test_lines_are_short_for_a_phone() -> None:
    assert all(len(line) <= 40 for line in lines())


def test_diff_lines() -> None:
    new = {**VALUES, "screened": 130, "difficulties": None, "home_iso_out": 2}
    assert diff_lines(FORM, "zh_CN", VALUES, new) == [
        "排查人数：120 → 130",
        "解除居家隔离：1 → 2",
        "困难和诉求：口罩不足 → 未填写",
    ]
    assert diff_lines(FORM, "en", VALUES, new)[0] == "People screened: 120 → 130"
    assert diff_lines(FORM, "zh_CN", VALUES, dict(VALUES)) == []


def test_diff_lines_keep_fields_no_longer_in_the_form() -> None:
    old = {**VALUES, "masks": 10}
    new = {**VALUES, "masks": 12}
    assert diff_lines(FORM, "zh_CN", old, new) == ["masks：10 → 12"]


def test_quantity() -> None:
    assert quantity(FORM.field("households_visited"), "zh_CN", 40) == "40 户"
    assert quantity(FORM.field("households_visited"), "en", 40) == "40 households"
    assert quantity(FORM.field("difficulties"), "en", 3) == "3"
