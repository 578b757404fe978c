"""The schedule: for a given day and settings, which sends are planned when."""

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.domain.plan import DailyTimes, SendKind, day_plan


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, db=Path("unused.sqlite3"), **values)  # type: ignore[arg-type,call-arg]


def test_default_day_in_shanghai() -> None:
    plan = day_plan(DailyTimes.from_settings(settings()), date(2026, 11, 22))
    assert [(item.key, item.at.strftime("%H:%M %z")) for item in plan] == [
        ("prompt", "08:00 +0800"),
        ("remind_1", "15:00 +0800"),
        ("remind_2", "16:30 +0800"),
        ("late_nag", "17:00 +0800"),
        ("escalate", "18:00 +0800"),
        ("digest", "20:00 +0800"),
    ]
    windows = {item.key: item.valid_until.strftime("%H:%M") for item in plan}
    assert windows == {
        "prompt": "15:00",
        "remind_1": "16:30",
        "remind_2": "17:00",
        "late_nag": "18:00",
        "escalate": "20:00",
        "digest": "23:00",
    }


def test_a_zone_with_daylight_saving_time_keeps_local_times() -> None:
    times = DailyTimes.from_settings(settings(timezone="America/New_York"))
    before = day_plan(times, date(2026, 3, 7))  # EST
    after = day_plan(times, date(2026, 3, 8))  # EDT from 02:00
    assert [item.at.strftime("%H:%M") for item in before] == [
        item.at.strftime("%H:%M") for item in after
    ]
    assert before[0].at.utcoffset() == timedelta(hours=-5)
    assert after[0].at.utcoffset() == timedelta(hours=-4)
    assert after[0].at.astimezone(UTC) - before[0].at.astimezone(UTC) == timedelta(hours=23)


def test_nothing_is_planned_on_a_day_off() -> None:
    times = DailyTimes.from_settings(settings(report_days="mon-fri"))
    assert day_plan(times, date(2026, 11, 21)) == []  # a Saturday
    assert day_plan(times, date(2026, 11, 20))[0].kind == SendKind.PROMPT


def test_configured_times_and_reminders() -> None:
    times = DailyTimes.from_settings(
        settings(
            prompt_at="07:30",
            remind_at="16:00,11:00,14:00",
            deadline="17:30",
            escalate_at="19:00",
            digest_at="21:00",
        )
    )
    plan = day_plan(times, date(2026, 11, 22))
    assert [(item.key, item.at.time()) for item in plan] == [
        ("prompt", time(7, 30)),
        ("remind_1", time(11, 0)),
        ("remind_2", time(14, 0)),
        ("remind_3", time(16, 0)),
        ("late_nag", time(17, 30)),
        ("escalate", time(19, 0)),
        ("digest", time(21, 0)),
    ]
    assert plan[0].at.tzinfo == ZoneInfo("Asia/Shanghai")
    assert times.times_of_day()[0] == time(7, 30)


@pytest.mark.parametrize(
    ("variable", "value", "culprit"),
    [
        ("GRIDBOT_REMIND_AT", "15:00,21:00", "21:00"),
        ("GRIDBOT_DEADLINE", "07:00", "07:00"),
        ("GRIDBOT_ESCALATE_AT", "23:00", "23:00"),
    ],
)
def test_inconsistent_times_stop_start_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str, culprit: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert variable in str(caught.value) and culprit in str(caught.value)


def test_bad_weekdays_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRIDBOT_REPORT_DAYS", "someday")
    with pytest.raises(ConfigError, match="GRIDBOT_REPORT_DAYS"):
        load_settings()


def test_plan_times_are_aware_datetimes() -> None:
    plan = day_plan(DailyTimes.from_settings(settings()), date(2026, 11, 22))
    assert all(isinstance(item.at, datetime) and item.at.tzinfo for item in plan)
