"""Reading counts typed on a phone: what is accepted, and what is refused with which message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.numbers import DEFAULT_EXAMPLE, LIMIT, InputError, parse_count
from bot.i18n import LOCALES, catalog

ACCEPTED = [
    ("12", 12),
    ("0", 0),
    ("007", 7),
    ("１２", 12),
    ("１，２００", 1200),
    ("  12  ", 12),
    ("\u300012\u3000", 12),
    ("12 人", 12),
    ("1,200", 1200),
    ("1，200", 1200),
    ("1 200", 1200),
    ("12,345,678", 12345678),
    ("12人", 12),
    ("12户", 12),
    ("3次", 3),
    ("4个", 4),
    ("4个人", 4),
    ("5名", 5),
    ("1例", 1),
    ("2起", 2),
    ("2处", 2),
    ("30人次", 30),
    ("30户次", 30),
    ("6辆", 6),
    ("7份", 7),
    ("12 people", 12),
    ("12 persons", 12),
    ("40 households", 40),
    ("2 times", 2),
    ("12。", 12),
    ("零", 0),
    ("〇", 0),
    ("十", 10),
    ("十二", 12),
    ("二十", 20),
    ("二十二", 22),
    ("两", 2),
    ("一百零五", 105),
    ("一百一十", 110),
    ("一百一", 110),
    ("三百五", 350),
    ("两千三百", 2300),
    ("两千三", 2300),
    ("一千零一十", 1010),
    ("一万二千", 12000),
    ("一万二", 12000),
    ("一万零五", 10005),
    ("十万", 100000),
    ("3万", 30000),
    ("1万2千", 12000),
    ("十二人", 12),
    ("壹佰零伍", 105),
    ("无", 0),
    ("没有", 0),
    ("无人", 0),
    ("没有人", 0),
    ("none", 0),
    ("None", 0),
    ("no", 0),
    ("NO", 0),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted(text: str, expected: int) -> None:
    assert parse_count(text) == expected


REFUSED = [
    # placeholders
    *[
        (text, "form.error.placeholder", DEFAULT_EXAMPLE)
        for text in [
            "x", "X", "xx", "×", "Ｘ", "_", "__", "___", "?", "??", "？？", "若干", "不详",
            "未知", "待定", "-", "—", "/", "...", "…", "x人", "若干人", "n/a",
        ]
    ],
    # approximations, with the nearest exact figure as the example
    ("300余", "form.error.approximate", 300),
    ("300余人", "form.error.approximate", 300),
    ("300多", "form.error.approximate", 300),
    ("一百多", "form.error.approximate", 100),
    ("约50", "form.error.approximate", 50),
    ("大约50", "form.error.approximate", 50),
    ("大概50人", "form.error.approximate", 50),
    ("50左右", "form.error.approximate", 50),
    ("约300余", "form.error.approximate", 300),
    ("近百", "form.error.approximate", 100),
    ("上百", "form.error.approximate", 100),
    ("上千", "form.error.approximate", 1000),
    ("十几", "form.error.approximate", 10),
    ("十来个", "form.error.approximate", 10),
    ("五六个", "form.error.approximate", 5),
    ("一两个", "form.error.approximate", 1),
    ("两三人", "form.error.approximate", 2),
    ("三四十", "form.error.approximate", 30),
    ("50+", "form.error.approximate", 50),
    ("50＋", "form.error.approximate", 50),
    ("~50", "form.error.approximate", 50),
    ("～50", "form.error.approximate", 50),
    ("≈50", "form.error.approximate", 50),
    ("50-60", "form.error.approximate", 50),
    ("50~60", "form.error.approximate", 50),
    ("50到60人", "form.error.approximate", 50),
    ("about 50", "form.error.approximate", 50),
    ("around 50 people", "form.error.approximate", 50),
    ("50ish", "form.error.approximate", 50),
    ("12?", "form.error.approximate", 12),
    # vague amounts: no exact figure can be read, so the default example
    ("几十", "form.error.approximate", DEFAULT_EXAMPLE),
    ("数十", "form.error.approximate", DEFAULT_EXAMPLE),
    ("几个", "form.error.approximate", DEFAULT_EXAMPLE),
    ("好几人", "form.error.approximate", DEFAULT_EXAMPLE),
    ("一些", "form.error.approximate", DEFAULT_EXAMPLE),
    ("several", "form.error.approximate", DEFAULT_EXAMPLE),
    # decimals, rounded as the example
    ("12.5", "form.error.decimal", 13),
    ("12.4", "form.error.decimal", 12),
    ("１２．５", "form.error.decimal", 13),
    ("0.5", "form.error.decimal", 1),
    ("一点五", "form.error.decimal", 1),
    # negative numbers, the magnitude as the example
    ("-3", "form.error.negative", 3),
    ("−3", "form.error.negative", 3),
    ("－3", "form.error.negative", 3),
    ("- 3人", "form.error.negative", 3),
    ("负三", "form.error.negative", 3),
    # anything else, with a number found in the text as the example
    ("abc", "form.error.not_a_number", DEFAULT_EXAMPLE),
    ("共12人", "form.error.not_a_number", 12),
    ("1 2", "form.error.not_a_number", 1),
    ("1,2", "form.error.not_a_number", 1),
    ("12%", "form.error.not_a_number", 12),
    ("人", "form.error.not_a_number", DEFAULT_EXAMPLE),
    ("一二三", "form.error.not_a_number", DEFAULT_EXAMPLE),
    ("十百", "form.error.not_a_number", DEFAULT_EXAMPLE),
    ("万", "form.error.not_a_number", DEFAULT_EXAMPLE),
    ("上午", "form.error.not_a_number", DEFAULT_EXAMPLE),
    ("9" * 101, "form.error.not_a_number", DEFAULT_EXAMPLE),
]  # fmt: skip


@pytest.mark.parametrize(("text", "key", "example"), REFUSED)
def test_refused(text: str, key: str, example: int) -> None:
    with pytest.raises(InputError) as caught:
        parse_count(text)
    assert caught.value.key == key
    assert caught.value.params["example"] == example
    for locale in LOCALES:
        message = caught.value.render(locale)
        assert str(caught.value.params["text"]) in message
        assert str(example) in message


def test_refusal_message_says_what_to_send() -> None:
    with pytest.raises(InputError) as caught:
        parse_count("300余")
    assert caught.value.render("zh_CN") == "“300余”不是准确数字。请只发送准确的数字，例如 300。"
    assert "300" in caught.value.render("en")


@pytest.mark.parametrize("text", ["", "   ", "\u3000", "\n"])
def test_empty(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_count(text)
    assert caught.value.key == "form.error.empty"
    assert str(DEFAULT_EXAMPLE) in caught.value.render("zh_CN")


def test_upper_bound() -> None:
    assert parse_count("500", maximum=500) == 500
    with pytest.raises(InputError) as caught:
        parse_count("12000", maximum=500)
    assert caught.value.key == "form.error.too_large"
    assert caught.value.params == {"text": "12000", "maximum": 500}
    assert "12000" in caught.value.render("zh_CN")
    assert "500" in caught.value.render("en")


def test_lower_bound() -> None:
    assert parse_count("1", minimum=1) == 1
    with pytest.raises(InputError) as caught:
        parse_count("无", minimum=1)
    assert caught.value.key == "form.error.too_small"
    assert caught.value.params["minimum"] == 1
    assert "1" in caught.value.render("en")


def test_absurd_numbers_are_too_large_without_a_maximum() -> None:
    with pytest.raises(InputError) as caught:
        parse_count("99999999999")
    assert caught.value.key == "form.error.too_large"
    assert caught.value.params["maximum"] == LIMIT


def test_long_text_is_quoted_short() -> None:
    with pytest.raises(InputError) as caught:
        parse_count("今天排查了很多人，" * 5)
    assert len(str(caught.value.params["text"])) <= 30
    assert str(caught.value.params["text"]).endswith("…")


def test_input_error_accepts_params_as_mapping_or_keywords() -> None:
    assert InputError("form.error.empty", {"example": 1}).params == {"example": 1}
    assert InputError("form.error.empty", example=2).params == {"example": 2}


def test_every_error_key_exists_in_both_catalogs() -> None:
    keys = {key for _, key, _ in REFUSED} | {
        "form.error.empty",
        "form.error.too_large",
        "form.error.too_small",
    }
    for locale in LOCALES:
        assert keys <= catalog(locale).keys()


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)


def _chinese(n: int) -> str:
    """Standard Chinese numerals for 0..99999 (十二, 一百零五, 一万零一十)."""
    digits = "零一二三四五六七八九"
    if n == 0:
        return "零"
    if 10 <= n < 20:
        return "十" + (digits[n - 10] if n > 10 else "")
    out, zero = "", False
    for value, unit in ((10000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += digits[digit] + unit
    return out


def test_chinese_renderer_in_this_test_is_standard() -> None:
    assert [_chinese(n) for n in (0, 10, 12, 20, 105, 110, 1010, 10010, 99999)] == [
        "零", "十", "十二", "二十", "一百零五", "一百一十", "一千零一十", "一万零一十",
        "九万九千九百九十九",
    ]  # fmt: skip


counts = st.integers(min_value=0, max_value=LIMIT)
units = st.sampled_from(["", "人", " 人", "户", "次", "人次", " people", " households", " times"])
spaces = st.sampled_from(["", " ", "  ", "\u3000", "\t"])


@given(counts, units, spaces, spaces)
def test_ascii_round_trip(n: int, unit: str, before: str, after: str) -> None:
    assert parse_count(f"{before}{n}{unit}{after}") == n


@given(counts, units)
def test_full_width_round_trip(n: int, unit: str) -> None:
    assert parse_count(_full_width(str(n)) + unit) == n


@given(counts, st.sampled_from([",", "，", " "]), units)
def test_thousands_separators_round_trip(n: int, separator: str, unit: str) -> None:
    assert parse_count(f"{n:,}".replace(",", separator) + unit) == n


@given(st.integers(min_value=0, max_value=99999), units)
def test_chinese_numerals_round_trip(n: int, unit: str) -> None:
    assert parse_count(_chinese(n) + unit) == n


@given(st.integers(min_value=1, max_value=LIMIT))
def test_refusals_never_lose_the_number(n: int) -> None:
    for text, key in ((f"{n}余", "approximate"), (f"约{n}", "approximate"), (f"-{n}", "negative")):
        with pytest.raises(InputError) as caught:
            parse_count(text)
        assert caught.value.key == f"form.error.{key}"
        assert caught.value.params["example"] == n


@given(st.text(max_size=40))
def test_any_text_is_a_count_or_an_input_error(text: str) -> None:
    try:
        value = parse_count(text, maximum=1000)
    except InputError as error:
        for locale in LOCALES:
            assert error.render(locale)
    else:
        assert 0 <= value <= 1000
