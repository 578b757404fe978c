"""The status of one grid on one day, and how complete an area's reporting is.

Two questions are kept apart everywhere: *what* was filed (a detailed report or a zero
report, 零报告) and *when* (on time or late, 迟报). A grid-day without a report is either
missing (未报) or excused (免报, with a reason): silence is never a zero report.

Completeness follows the public-health surveillance convention: the expected reports are
those of every grid that should report; excused grids are shown separately and left out of
the expected count. Both rates are fractions of the expected reports (WHO "completeness"
and "timeliness").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import NamedTuple

from bot.domain.models import Filed, Grid, ReportKind
from bot.i18n import Locale, t


class DayStatus(StrEnum):
    """One word for a grid-day. A late zero report is LATE here; see :attr:`GridDay.is_zero`."""

    ON_TIME = "on_time"
    LATE = "late"
    ZERO = "zero"
    MISSING = "missing"
    EXCUSED = "excused"

    def label(self, locale: Locale) -> str:
        """The status as a short word: ``按时`` / ``迟报`` / ``零报告`` / ``未报`` / ``免报``."""
        return t(locale, f"status_of_day.{self.value}")


class GridDayKind(IntEnum):
    """What a grid-day is, of the exclusive cases :class:`Completeness` counts and the ledger
    shows: no report (missing or excused), or a report by its timeliness and whether it is a
    zero report (a late zero report is both late and zero)."""

    ON_TIME = 0
    LATE = 1
    ZERO = 2
    MISSING = 3
    EXCUSED = 4
    LATE_ZERO = 5

    @property
    def status(self) -> DayStatus:
        """The status shown in the ledger."""
        return _STATUS_OF[self]

    @classmethod
    def of_report(cls, late: bool, kind: ReportKind) -> GridDayKind:
        """A report's case: its timeliness and kind."""
        return _REPORT_KINDS[late, kind == ReportKind.ZERO]


@dataclass(frozen=True, slots=True)
class GridDay:
    """A grid on a day: its report (None when nothing was filed), an excuse, reminders sent.

    A report beats an excuse: a grid that was excused but reported anyway counts as reported.
    """

    grid: Grid
    day: date
    report: Filed | None = None
    excused_reason: str | None = None
    reminders: int = 0

    def __post_init__(self) -> None:
        report = self.report
        if report is not None and (report.grid_id != self.grid.id or report.day != self.day):
            raise ValueError(f"report {report.id} is not grid {self.grid.id}'s for {self.day}")
        if self.reminders < 0:
            raise ValueError("reminders cannot be negative")

    @property
    def is_reported(self) -> bool:
        """A report (detailed or zero, on time or late) was filed."""
        return self.report is not None

    @property
    def is_zero(self) -> bool:
        """The report filed is a zero report (on time or late)."""
        return self.report is not None and self.report.kind == ReportKind.ZERO

    @property
    def is_late(self) -> bool:
        """The report was filed after the deadline."""
        return self.report is not None and self.report.late

    @property
    def is_excused(self) -> bool:
        """No report, and the grid was excused from reporting."""
        return self.report is None and self.excused_reason is not None

    @property
    def is_missing(self) -> bool:
        """No report and no excuse: the grid is chased and named."""
        return self.report is None and self.excused_reason is None

    @property
    def submitted_at(self) -> datetime | None:
        """When the report was first filed (corrections do not move it)."""
        return None if self.report is None else self.report.submitted_at

    @property
    def kind(self) -> GridDayKind:
        """Which of :class:`GridDayKind`'s cases the grid-day is."""
        report = self.report
        if report is None:
            return GridDayKind.MISSING if self.excused_reason is None else GridDayKind.EXCUSED
        return GridDayKind.of_report(report.late, report.kind)

    @property
    def status(self) -> DayStatus:
        """Timeliness first: a late zero report is LATE (and :attr:`is_zero`)."""
        if self.is_late:
            return DayStatus.LATE
        if self.is_zero:
            return DayStatus.ZERO
        if self.is_reported:
            return DayStatus.ON_TIME
        return DayStatus.EXCUSED if self.is_excused else DayStatus.MISSING


@dataclass(frozen=True, slots=True)
class Completeness:
    """How complete a set of grids' reporting is on one day.

    ``reported = on_time + late``; ``zero`` counts zero reports among them, on time or late;
    ``expected = reported + missing``; ``excused`` grids are outside ``expected``.
    """

    expected: int
    reported: int
    on_time: int
    late: int
    zero: int
    missing: int
    excused: int

    @classmethod
    def from_grid_days(cls, grid_days: Iterable[GridDay]) -> Completeness:
        """Count the grid-days of one day, each grid once (ValueError otherwise)."""
        days = list(grid_days)
        _check_one_day(days)
        return cls.from_kinds(day.kind for day in days)

    @classmethod
    def from_kinds(cls, kinds: Iterable[GridDayKind]) -> Completeness:
        """Count the cases of grid-days of one day, a case per grid."""
        counted = Counter(kinds)
        return cls.from_counts([counted[kind] for kind in GridDayKind])

    @classmethod
    def from_counts(cls, counts: Sequence[int]) -> Completeness:
        """From the number of grid-days of each kind (by :class:`GridDayKind` value)."""
        kind = GridDayKind
        on_time = counts[kind.ON_TIME] + counts[kind.ZERO]
        late = counts[kind.LATE] + counts[kind.LATE_ZERO]
        return cls(
            expected=on_time + late + counts[kind.MISSING],
            reported=on_time + late,
            on_time=on_time,
            late=late,
            zero=counts[kind.ZERO] + counts[kind.LATE_ZERO],
            missing=counts[kind.MISSING],
            excused=counts[kind.EXCUSED],
        )

    @classmethod
    def combined(cls, parts: Sequence[Completeness]) -> Completeness:
        """The completeness of disjoint sets of grids on one day taken together (an area's
        from its sub-areas')."""
        return cls(
            expected=sum(part.expected for part in parts),
            reported=sum(part.reported for part in parts),
            on_time=sum(part.on_time for part in parts),
            late=sum(part.late for part in parts),
            zero=sum(part.zero for part in parts),
            missing=sum(part.missing for part in parts),
            excused=sum(part.excused for part in parts),
        )

    @property
    def reporting_rate(self) -> float | None:
        """Reports received / expected; None when nothing was expected."""
        return None if self.expected == 0 else self.reported / self.expected

    @property
    def on_time_rate(self) -> float | None:
        """Reports received on time / expected; None when nothing was expected."""
        return None if self.expected == 0 else self.on_time / self.expected


class TallyRow(NamedTuple):
    """One grid over a period: how many days it reported late and how many it missed (a
    tuple: Monday's tally makes one for each of ten thousand grids)."""

    grid: Grid
    late: int
    missing: int


@dataclass(frozen=True, slots=True)
class Tally:
    """Late and missing days per grid over a period (the weekly 通报)."""

    first_day: date
    last_day: date
    rows: tuple[TallyRow, ...]

    @classmethod
    def from_grid_days(cls, grid_days: Iterable[GridDay]) -> Tally:
        """Tally grid-days of several days; rows in order of each grid's first appearance."""
        days = list(grid_days)
        if not days:
            raise ValueError("a tally needs at least one grid-day")
        if len({(day.grid.id, day.day) for day in days}) != len(days):
            raise ValueError("a grid appears twice on the same day")
        grids: dict[int, Grid] = {}
        late: dict[int, int] = {}
        missing: dict[int, int] = {}
        for day in days:
            grid_id = day.grid.id
            grids.setdefault(grid_id, day.grid)
            late[grid_id] = late.get(grid_id, 0) + day.is_late
            missing[grid_id] = missing.get(grid_id, 0) + day.is_missing
        rows = tuple(TallyRow(grid, late[key], missing[key]) for key, grid in grids.items())
        return cls(min(d.day for d in days), max(d.day for d in days), rows)

    @property
    def offenders(self) -> tuple[TallyRow, ...]:
        """Grids late or missing at least once: most missed first, then most late."""
        flagged = [row for row in self.rows if row.late or row.missing]
        return tuple(sorted(flagged, key=lambda row: (-row.missing, -row.late)))


_STATUS_OF = {
    GridDayKind.ON_TIME: DayStatus.ON_TIME,
    GridDayKind.LATE: DayStatus.LATE,
    GridDayKind.ZERO: DayStatus.ZERO,
    GridDayKind.MISSING: DayStatus.MISSING,
    GridDayKind.EXCUSED: DayStatus.EXCUSED,
    GridDayKind.LATE_ZERO: DayStatus.LATE,
}
_REPORT_KINDS = {
    (False, False): GridDayKind.ON_TIME,
    (True, False): GridDayKind.LATE,
    (False, True): GridDayKind.ZERO,
    (True, True): GridDayKind.LATE_ZERO,
}
"""A report's kind by (late, zero report)."""


def _check_one_day(days: Sequence[GridDay]) -> None:
    if len({day.day for day in days}) > 1:
        raise ValueError("completeness is counted for one day at a time")
    if len({day.grid.id for day in days}) != len(days):
        raise ValueError("a grid appears twice on the same day")


def percent(rate: float | None) -> str:
    """A rate as shown to people: ``85.7%``; a dash when nothing was expected."""
    return "—" if rate is None else f"{rate * 100:.1f}%"
