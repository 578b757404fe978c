"""Fill-in template entry: rendering the template and reading it back."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.form import Form, load_form
from bot.domain.template import TemplateResult, parse_template, render_template
from bot.i18n import Locale

FORM = load_form()
OPENINGS = {"home_isolation": 46, "central_isolation": 0}
GRID = {"households": 500, "population": 1500}
DAY = date(2026, 11, 22)

FILLED = {
    "screened": "120",
    "households_visited": "40",
    "arrivals": "2",
    "arrivals_risk": "0",
    "home_iso_in": "3",
    "home_iso_out": "1",
    "central_iso_in": "0",
    "central_iso_out": "0",
    "fever_found": "0",
    "fever_referred": "0",
    "close_contacts": "0",
    "disinfection": "2",
    "difficulties": "",
}


def template(locale: Locale = "zh_CN", openings: dict[str, int] = OPENINGS) -> str:
    return render_template(
        FORM, locale, grid_name="第一网格", day=DAY, openings=openings, grid=GRID
    )


def fill(text: str, answers: dict[str, str], locale: Locale = "zh_CN") -> str:
    """Fill the template the way a worker does: type after each colon."""
    lines = []
    for line in text.splitlines():
        for key, answer in answers.items():
            if line.startswith(FORM.field(key).label(locale)):
                line = f"{line}{answer}"
        lines.append(line)
    return "\n".join(lines)


def parse(text: str, openings: dict[str, int] = OPENINGS) -> TemplateResult:
    return parse_template(FORM, text, openings=openings, grid=GRID)


def test_render_zh() -> None:
    lines = template().splitlines()
    assert lines[0] == "【日报模板】第一网格 2026-11-22"
    assert "复制" in lines[1] and ":" not in lines[1] and "：" not in lines[1]
    assert lines[2] == "排查人数（人）："
    assert lines[-1] == "困难和诉求（选填）："
    assert len(lines) == 2 + len(FORM.questions())
    assert not any("在管" in line for line in lines)  # stocks are derived, not typed


def test_render_en() -> None:
    lines = template("en").splitlines()
    assert lines[0] == "[Daily report template] 第一网格 2026-11-22"
    assert ":" not in lines[1]
    assert lines[2] == "People screened (people):"
    assert lines[-1] == "Difficulties and requests (optional):"


def _text(zh: str) -> dict[str, str]:
    return {"zh": zh, "en": zh}


SMALL = Form.model_validate(
    {
        "version": 1,
        "title": _text("小"),
        "fields": [
            {"key": "iso_in", "kind": "count", "label": _text("新增"), "help": _text("h")},
            {
                "key": "iso_out",
                "kind": "count",
                "label": _text("解除"),
                "help": _text("h"),
                "ask_if": {"left": "iso.opening", "op": ">", "right": 0},
            },
            {
                "key": "iso",
                "kind": "stock",
                "label": _text("在管"),
                "help": _text("h"),
                "inflows": ["iso_in"],
                "outflows": ["iso_out"],
            },
        ],
    }
)


def test_render_leaves_out_questions_that_cannot_apply() -> None:
    def lines(opening: int) -> list[str]:
        text = render_template(
            SMALL, "zh_CN", grid_name="G", day=DAY, openings={"iso": opening}, grid={}
        )
        return text.splitlines()[2:]

    assert lines(0) == ["新增："]
    assert lines(5) == ["新增：", "解除："]
    result = parse_template(SMALL, "新增：1", openings={"iso": 0}, grid={})
    assert result.ok and result.values == {"iso_in": 1, "iso_out": 0}


def test_round_trip_zh() -> None:
    result = parse(fill(template(), FILLED))
    assert result.ok, result.error_message("zh_CN")
    assert result.values["screened"] == 120
    assert result.values["home_iso_out"] == 1
    assert result.values["difficulties"] is None
    assert set(result.values) == {field.key for field in FORM.questions()}


def test_round_trip_en() -> None:
    result = parse(fill(template("en"), FILLED, "en"))
    assert result.ok, result.error_message("en")
    assert result.values["households_visited"] == 40


def test_loose_labels_and_values() -> None:
    text = "\n".join(
        [
            "1. 排查人数：１２０人",
            "② 入户走访户数(户): 四十",
            "New arrivals:0",
            "HOME_ISO_IN : 3",
            "解除居家隔离（人）： 1 ",
            "新增集中隔离:无",
            "发热人员：0",
            "密接：0",
            "消杀：2次",
            "difficulties (optional): 口罩不足",
        ]
    )
    result = parse(text)
    assert result.ok, result.error_message("zh_CN")
    assert result.values["screened"] == 120
    assert result.values["households_visited"] == 40
    assert result.values["arrivals_risk"] == 0  # skipped: no arrivals
    assert result.values["central_iso_out"] == 0  # skipped: nobody in central isolation
    assert result.values["fever_referred"] == 0
    assert result.values["difficulties"] == "口罩不足"


def test_text_answer_may_span_lines() -> None:
    answers = {**FILLED, "difficulties": "口罩不足"}
    text = fill(template(), answers) + "\n消毒液也快用完"
    result = parse(text)
    assert result.ok, result.error_message("zh_CN")
    assert result.values["difficulties"] == "口罩不足\n消毒液也快用完"
    blank_then_text = fill(template(), FILLED) + "\n需要手套"
    assert parse(blank_then_text).values["difficulties"] == "需要手套"


def test_bad_values_carry_the_input_error_and_line() -> None:
    answers = {**FILLED, "screened": "300余", "households_visited": "x"}
    result = parse(fill(template(), answers))
    assert not result.ok and result.recognised
    assert [(e.line, e.field, e.key) for e in result.errors] == [
        (3, "screened", "form.error.approximate"),
        (4, "households_visited", "form.error.placeholder"),
    ]
    assert result.errors[0].params["example"] == 300
    message = result.error_message("zh_CN")
    assert "第 3 行（排查人数）：“300余”不是准确数字" in message
    assert "第 4 行（入户走访户数）" in message
    assert "Line 3 (People screened)" in result.error_message("en")


def test_bounds_of_the_field_apply() -> None:
    result = parse(fill(template(), {**FILLED, "households_visited": "50000"}))
    assert [e.key for e in result.errors] == ["form.error.too_large"]


def test_unknown_label_lists_expected_labels() -> None:
    result = parse(fill(template(), FILLED) + "\n吃饭人数：3")
    assert [(e.key, e.line) for e in result.errors] == [("form.template.unknown_label", 16)]
    message = result.error_message("zh_CN")
    assert "吃饭人数" in message and "排查人数、入户走访户数" in message


def test_duplicate_label() -> None:
    result = parse(fill(template(), FILLED) + "\n排查人数：130")
    assert [(e.key, e.line, e.field) for e in result.errors] == [
        ("form.template.duplicate", 16, "screened")
    ]
    assert result.values["screened"] == 120
    assert "第 3 行" in result.error_message("zh_CN")


def test_missing_required_fields_are_listed_in_one_line() -> None:
    result = parse("排查人数：120\n入户走访户数：40")
    assert result.recognised
    missing = [e.field for e in result.errors if e.key == "form.template.missing"]
    assert missing[:3] == ["arrivals", "arrivals_risk", "home_iso_in"]
    assert "difficulties" not in missing  # optional
    message = result.error_message("zh_CN")
    assert len(message.splitlines()) == 2
    assert "新增返乡/外来人员、其中来自中高风险地区" in message


def test_blank_required_line_is_missing_with_its_line() -> None:
    result = parse(fill(template(), {**FILLED, "screened": ""}))
    assert [(e.key, e.line) for e in result.errors] == [("form.template.missing", 3)]


def test_no_missing_error_for_a_question_depending_on_a_bad_answer() -> None:
    answers = {k: v for k, v in FILLED.items() if k != "arrivals_risk"}
    result = parse(fill(template(), {**answers, "arrivals": "约5"}))
    assert [e.field for e in result.errors] == ["arrivals"]


def test_stock_line_matching_the_derived_figure_is_accepted() -> None:
    result = parse(fill(template(), FILLED) + "\n居家隔离在管：48")
    assert result.ok, result.error_message("zh_CN")
    assert "home_isolation" not in result.values


def test_stock_line_not_adding_up_is_explained() -> None:
    result = parse(fill(template(), FILLED) + "\n居家隔离在管（人）：50")
    assert [(e.key, e.line) for e in result.errors] == [("form.template.stock_line", 16)]
    message = result.error_message("zh_CN")
    assert "自动计算" in message and "46 + 新增 3 − 解除 1 = 48" in message


def test_skipped_question_typed_anyway_is_kept_for_the_rules() -> None:
    result = parse(fill(template(), {**FILLED, "arrivals": "0", "arrivals_risk": "3"}))
    assert result.ok
    assert result.values["arrivals_risk"] == 3  # evaluate() will flag 3 > 0


def test_header_and_instruction_lines_are_ignored_in_either_language() -> None:
    text = template("en").splitlines()[:2] + fill(template(), FILLED).splitlines()
    assert parse("\n".join(text)).ok


def test_not_a_template() -> None:
    for text in ["hello", "120", "", "今天一切正常"]:
        result = parse(text)
        assert not result.recognised
        assert "模板" in result.error_message("zh_CN")
    unknown_only = parse("foo: 1")
    assert not unknown_only.recognised


def test_line_without_colon() -> None:
    result = parse(fill(template(), FILLED).replace("排查人数（人）：120", "排查人数 120"))
    keys = [e.key for e in result.errors]
    assert keys == ["form.template.no_colon", "form.template.missing"]


def test_text_too_long() -> None:
    result = parse(fill(template(), {**FILLED, "difficulties": "缺" * 501}))
    assert [e.key for e in result.errors] == ["form.error.text_too_long"]
    assert "500" in result.error_message("en")


BOUNDED = {
    key: st.integers(0, FORM.field(key).max or 500) for key in FILLED if key != "difficulties"
}


@given(st.fixed_dictionaries(BOUNDED))
def test_any_counts_round_trip(counts: dict[str, int]) -> None:
    answers = {key: str(value) for key, value in counts.items()}
    result = parse(fill(template(), answers))
    assert result.ok, result.error_message("en")
    assert {key: result.values[key] for key in counts} == counts
