"""One parser for every typed answer: counts, choices, free text."""

import pytest

from bot.domain.answers import parse_answer
from bot.domain.form import Choice, FieldDef, Text, load_form
from bot.domain.numbers import InputError
from bot.domain.template import parse_template

WEATHER = FieldDef(
    key="weather",
    kind="choice",
    label=Text(zh="天气", en="Weather"),
    help=Text(zh="今天的天气", en="Today's weather"),
    choices=[
        Choice(key="sunny", label=Text(zh="晴", en="Sunny")),
        Choice(key="rain", label=Text(zh="雨", en="Rain")),
    ],
)


def test_counts_use_the_fields_bounds() -> None:
    screened = load_form().field("screened")
    assert parse_answer(screened, "１２人") == 12
    with pytest.raises(InputError) as caught:
        parse_answer(screened, "999999")
    assert caught.value.key == "form.error.too_large"


@pytest.mark.parametrize("typed", ["rain", "雨", " Rain ", "ＲＡＩＮ"])
def test_a_choice_by_key_or_either_label(typed: str) -> None:
    assert parse_answer(WEATHER, typed) == "rain"


def test_a_wrong_choice_lists_the_options_in_the_users_language() -> None:
    with pytest.raises(InputError) as caught:
        parse_answer(WEATHER, "snow")
    assert "晴、雨" in caught.value.render("zh_CN")
    assert "Sunny, Rain" in caught.value.render("en")


def test_free_text_is_trimmed_optional_bounded_and_free_of_personal_numbers() -> None:
    difficulties = load_form().field("difficulties")
    assert parse_answer(difficulties, "  消毒液不足  ") == "消毒液不足"
    assert parse_answer(difficulties, "   ") is None  # optional
    for typed, key in [
        ("林某某 13812345678", "form.error.personal_data"),
        ("身份证 11010519491231002X", "form.error.personal_data"),
        ("长" * (difficulties.max_length + 1), "form.error.text_too_long"),
    ]:
        with pytest.raises(InputError) as caught:
            parse_answer(difficulties, typed)
        assert caught.value.key == key
        assert caught.value.render("en") and caught.value.render("zh_CN")


def test_the_template_refuses_personal_numbers_too() -> None:
    form = load_form()
    lines = [f"{field.label.zh}：0" for field in form.questions() if field.kind == "count"]
    lines.append("困难和诉求：请联系林某某 13812345678")
    result = parse_template(form, "\n".join(lines), openings={}, grid={})
    assert [error.key for error in result.errors] == ["form.error.personal_data"]
    assert "difficulties" not in result.values
