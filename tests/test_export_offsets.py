"""The zone's UTC offsets an export shifts stored times by (``storage.ledger_export``)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from storage.ledger_export import utc_offsets


def test_a_zone_with_summer_time_changes_offset_at_the_right_second() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    found = utc_offsets(
        berlin, datetime(2026, 3, 1, tzinfo=berlin), datetime(2026, 11, 30, tzinfo=berlin)
    )
    assert found == [
        ("2026-02-28T23:00:00+00:00", 3600),
        ("2026-03-29T01:00:00+00:00", 7200),
        ("2026-10-25T01:00:00+00:00", 3600),
    ]


def test_a_zone_without_changes_has_one_offset() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    found = utc_offsets(
        shanghai, datetime(2025, 1, 1, tzinfo=shanghai), datetime(2026, 12, 31, tzinfo=shanghai)
    )
    assert found == [("2024-12-31T16:00:00+00:00", 28800)]
