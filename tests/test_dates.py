"""Day arguments: what each form means, and the errors for the ones that cannot be used."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.dates import DateArgError, DayRange, parse_day, parse_range, split_day_args
from bot.domain.ledger_tables import parse_export_args

TODAY = date(2026, 1, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-02", date(2026, 1, 2)),
        ("2026/1/2", date(2026, 1, 2)),
        ("20260102", date(2026, 1, 2)),
        ("２０２６－０１－０２", date(2026, 1, 2)),  # full-width, typed on a phone
        ("01-02", date(2026, 1, 2)),
        ("12-30", date(2025, 12, 30)),  # no year: the latest such day, here last December
        ("today", TODAY),
        ("今天", TODAY),
        ("Yesterday", date(2026, 1, 4)),
        ("昨天", date(2026, 1, 4)),
        ("7d", date(2025, 12, 30)),  # the first of the last 7 days
        ("7天", date(2025, 12, 30)),
        ("1d", TODAY),
    ],
)
def test_day_arguments(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2026-02-30", "export.date.bad"),
        ("13-01", "export.date.bad"),
        ("2026-1", "export.date.bad"),
        ("0d", "export.date.bad_count"),
        ("9999d", "export.date.bad_count"),
    ],
)
def test_bad_day_arguments(text: str, key: str) -> None:
    with pytest.raises(DateArgError) as raised:
        parse_day(text, TODAY)
    assert raised.value.key == key


def test_ranges() -> None:
    assert parse_range([], TODAY, default_days=7) == DayRange(date(2025, 12, 30), TODAY)
    assert parse_range(["30d"], TODAY, default_days=7) == DayRange(date(2025, 12, 7), TODAY)
    assert parse_range(["01-02"], TODAY, default_days=7) == DayRange(
        date(2026, 1, 2), date(2026, 1, 2)
    )
    assert parse_range(["12-30", "yesterday"], TODAY, default_days=7) == DayRange(
        date(2025, 12, 30), date(2026, 1, 4)
    )
    assert len(DayRange(date(2025, 12, 30), TODAY)) == 7
    assert list(DayRange(TODAY, TODAY).days()) == [TODAY]


@pytest.mark.parametrize(
    ("tokens", "key"),
    [
        (["2026-01-06"], "export.date.future"),
        (["01-04", "01-03"], "export.date.reversed"),
        (["01-01", "01-02", "01-03"], "export.date.too_many"),
    ],
)
def test_bad_ranges(tokens: list[str], key: str) -> None:
    with pytest.raises(DateArgError) as raised:
        parse_range(tokens, TODAY, default_days=7)
    assert raised.value.key == key


def test_export_arguments_split_into_days_area_and_format() -> None:
    assert split_day_args(["7d", "前进社区"]) == (["7d"], ["前进社区"])
    parsed = parse_export_args(["01-01", "today", "学院南路街道", "/", "前进社区", "CSV"], TODAY)
    assert parsed.days == DayRange(date(2026, 1, 1), TODAY)
    assert parsed.area == "学院南路街道 / 前进社区"
    assert parsed.format == "csv"
    assert parse_export_args([], TODAY).area is None
    assert parse_export_args([], TODAY).format == "xlsx"
