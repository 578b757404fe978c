"""Which grids a ledger covers on a day, and how areas are named in commands."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.ledger import RosterGrid, Scope, find_area
from bot.domain.models import Area, Grid, Report, ReportKind, ReportVersion
from bot.domain.status import GridDay

TZ = ZoneInfo("Asia/Shanghai")
STREET = Area(1, "街道", "街道", None)
NORTH = Area(2, "街道/北社区", "北社区", 1)
SOUTH = Area(3, "街道/南社区", "南社区", 1)
OTHER_NORTH = Area(4, "镇/北社区", "北社区", None)
SATURDAY, SUNDAY = date(2026, 11, 21), date(2026, 11, 22)


def grid(grid_id: int, area: Area, *, active: bool = True) -> Grid:
    return Grid(grid_id, f"G-{grid_id}", f"网格{grid_id}", area.id, area.path, None, None, active)


def filed(grid_id: int, day: date) -> Report:
    at = datetime(day.year, day.month, day.day, 10, tzinfo=TZ)
    version = ReportVersion(1, ReportKind.ZERO, {}, (), {}, at, 1, "王娜", None)
    return Report(grid_id * 100, grid_id, day, at, 1, "王娜", False, (version,))


def scope(report_days: frozenset[int] = frozenset(range(1, 8))) -> Scope:
    grids = (
        RosterGrid(grid(1, NORTH), SATURDAY),
        RosterGrid(grid(2, NORTH), SUNDAY),  # joined on Sunday
        RosterGrid(grid(3, SOUTH), SATURDAY),
        RosterGrid(grid(4, SOUTH, active=False), SATURDAY),  # deactivated
    )
    return Scope(STREET, (STREET, NORTH, SOUTH), grids, report_days)


def statuses(
    covered: Scope, day: date, reports: dict[int, Report], excused: dict[int, str] | None = None
) -> list[tuple[int, str]]:
    """Each grid the ledger lists on ``day``, with its status."""
    return [
        (
            item.grid.id,
            GridDay(
                item.grid, day, reports.get(item.grid.id), (excused or {}).get(item.grid.id)
            ).status.value,
        )
        for item in covered.listed(day, reports)
    ]


def test_expected_grids_and_the_ones_that_reported_anyway() -> None:
    assert statuses(scope(), SATURDAY, {4: filed(4, SATURDAY)}, {3: "停电"}) == [
        (1, "missing"),
        (3, "excused"),
        (4, "zero"),  # deactivated, but its report is shown
    ]  # grid 2 was not on the roster yet


def test_no_one_is_missing_on_a_day_off() -> None:
    weekdays = scope(frozenset(range(1, 7)))  # Sundays off
    assert statuses(weekdays, SUNDAY, {3: filed(3, SUNDAY)}) == [(3, "zero")]


def test_areas_are_named_by_path_or_by_a_name_only_one_has() -> None:
    areas = [STREET, NORTH, SOUTH, OTHER_NORTH]
    assert find_area(areas, "街道 ／ 南社区") == SOUTH
    assert find_area(areas, "南社区") == SOUTH
    assert find_area(areas, "北社区") is None  # two areas have that name
    assert find_area(areas, "镇/北社区") == OTHER_NORTH
    assert find_area(areas, "西城区") is None
