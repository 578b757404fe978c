"""A grid-day's status and an area's completeness: zero, missing, late and excused kept apart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.models import Grid, Report, ReportKind, ReportVersion
from bot.domain.status import Completeness, DayStatus, GridDay, Tally
from bot.i18n import LOCALES

DAY = date(2024, 3, 5)


def grid(grid_id: int) -> Grid:
    return Grid(grid_id, f"G{grid_id:02}", f"网格{grid_id}", 1, "街道/社区", None, None, True)


def report(
    grid_id: int, day: date = DAY, *, kind: ReportKind = ReportKind.DETAILED, late: bool = False
) -> Report:
    at = datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)
    version = ReportVersion(1, kind, {}, (), {}, at, 1, "张三", None)
    return Report(grid_id, grid_id, day, at, 1, "张三", late, (version,))


def reported(grid_id: int, kind: ReportKind = ReportKind.DETAILED, late: bool = False) -> GridDay:
    return GridDay(grid(grid_id), DAY, report(grid_id, kind=kind, late=late))


ON_TIME = reported(1)
LATE = reported(2, late=True)
ZERO = reported(3, ReportKind.ZERO)
ZERO_LATE = reported(4, ReportKind.ZERO, late=True)
MISSING = GridDay(grid(5), DAY, None, None, reminders=2)
EXCUSED = GridDay(grid(6), DAY, None, "病假")


@pytest.mark.parametrize(
    ("grid_day", "status", "flags"),
    [
        # flags: reported, zero, late, missing, excused
        (ON_TIME, DayStatus.ON_TIME, (True, False, False, False, False)),
        (LATE, DayStatus.LATE, (True, False, True, False, False)),
        (ZERO, DayStatus.ZERO, (True, True, False, False, False)),
        (ZERO_LATE, DayStatus.LATE, (True, True, True, False, False)),
        (MISSING, DayStatus.MISSING, (False, False, False, True, False)),
        (EXCUSED, DayStatus.EXCUSED, (False, False, False, False, True)),
    ],
)
def test_each_kind_of_grid_day(
    grid_day: GridDay, status: DayStatus, flags: tuple[bool, ...]
) -> None:
    assert grid_day.status == status
    got = (
        grid_day.is_reported,
        grid_day.is_zero,
        grid_day.is_late,
        grid_day.is_missing,
        grid_day.is_excused,
    )
    assert got == flags


def test_submitted_at_only_with_a_report() -> None:
    assert ON_TIME.submitted_at == datetime(2024, 3, 5, 8, 0, tzinfo=UTC)
    assert MISSING.submitted_at is None
    assert EXCUSED.submitted_at is None


def test_a_report_beats_an_excuse() -> None:
    day = GridDay(grid(1), DAY, report(1), "病假")
    assert day.status == DayStatus.ON_TIME
    assert not day.is_excused


def test_a_report_must_be_the_grids_for_the_day() -> None:
    with pytest.raises(ValueError, match="not grid 2"):
        GridDay(grid(2), DAY, report(1))
    with pytest.raises(ValueError, match="not grid 1"):
        GridDay(grid(1), DAY + timedelta(days=1), report(1))


@pytest.mark.parametrize("locale", LOCALES)
def test_every_status_has_a_label(locale: str) -> None:
    labels = {status.label(locale) for status in DayStatus}  # type: ignore[arg-type]
    assert len(labels) == len(DayStatus)


def test_status_labels_zh() -> None:
    assert [status.label("zh_CN") for status in DayStatus] == [
        "按时",
        "迟报",
        "零报告",
        "未报",
        "免报",
    ]


def test_completeness_counts_by_hand() -> None:
    counts = Completeness.from_grid_days([ON_TIME, LATE, ZERO, ZERO_LATE, MISSING, EXCUSED])
    assert counts == Completeness(
        expected=5, reported=4, on_time=2, late=2, zero=2, missing=1, excused=1
    )
    assert counts.reporting_rate == pytest.approx(0.8)
    assert counts.on_time_rate == pytest.approx(0.4)


def test_rates_are_none_when_nothing_is_expected() -> None:
    counts = Completeness.from_grid_days([EXCUSED])
    assert counts.expected == 0
    assert counts.reporting_rate is None
    assert counts.on_time_rate is None
    assert Completeness.from_grid_days([]).reporting_rate is None


def test_completeness_refuses_a_grid_twice_or_two_days() -> None:
    with pytest.raises(ValueError, match="twice"):
        Completeness.from_grid_days([ON_TIME, ON_TIME])
    other_day = GridDay(grid(9), DAY - timedelta(days=1))
    with pytest.raises(ValueError, match="one day"):
        Completeness.from_grid_days([ON_TIME, other_day])


def test_weekly_tally() -> None:
    week = [DAY - timedelta(days=offset) for offset in range(7)]
    late_grid, missing_grid, clean_grid = grid(1), grid(2), grid(3)
    days = []
    for index, day in enumerate(week):
        days.append(GridDay(late_grid, day, report(1, day, late=index < 3)))
        days.append(GridDay(missing_grid, day, None, "病假" if index == 0 else None))
        days.append(GridDay(clean_grid, day, report(3, day, kind=ReportKind.ZERO)))
    tally = Tally.from_grid_days(days)
    assert (tally.first_day, tally.last_day) == (date(2024, 2, 28), date(2024, 3, 5))
    assert [(row.grid.id, row.late, row.missing) for row in tally.rows] == [
        (1, 3, 0),
        (2, 0, 6),
        (3, 0, 0),
    ]
    assert [row.grid.id for row in tally.offenders] == [2, 1]


def test_tally_refuses_a_grid_day_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        Tally.from_grid_days([MISSING, MISSING])
    with pytest.raises(ValueError, match="at least one"):
        Tally.from_grid_days([])
