"""What the evening digest (汇总) is compiled from, and what it is compiled into.

Everything here is plain data: storage fills in :class:`DigestInput`, the domain turns it into
a :class:`Digest`, and the renderer turns that into text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import NamedTuple

from bot.domain.form import Form
from bot.domain.form_versions import FormSource
from bot.domain.models import Area, Grid, Report, ReportKind, Values
from bot.domain.running import FieldRun, Runs, replay
from bot.domain.status import Completeness, GridDay, GridDayKind, Tally

Figure = tuple[str, int]
"""A field key and its number (a count's value today or a stock's closing)."""


# --- input ---------------------------------------------------------------------------------


class SoFar(NamedTuple):
    """What a digest reads of a grid's running figures as of a day (see
    :class:`~bot.domain.running.FieldRun`), by position in a list of fields: the day's
    form's counts, then its stocks (ten thousand grids an evening: two tuples of numbers,
    not an object per field)."""

    totals: tuple[int, ...]
    """Each field's total: a count's sum over every report day so far, a stock's closing
    (0 for a field the grid has no run of)."""
    nonzero: tuple[int, ...]
    """Each field's report days so far on which it was not 0."""


def so_far(keys: Sequence[str], runs: Mapping[str, FieldRun]) -> SoFar | None:
    """What a digest reads of these runs, of the fields ``keys`` in that order (None: the
    grid has no run of any of them)."""
    found = [runs.get(key) for key in keys]
    if all(run is None for run in found):
        return None
    return SoFar(
        tuple(0 if run is None else run.total for run in found),
        tuple(0 if run is None else run.nonzero for run in found),
    )


class DayBefore(NamedTuple):
    """What a digest reads of a grid's day before its day (yesterday): how the grid stood,
    and its report's counts then. Ten thousand an evening, so a tuple of plain values."""

    kind: GridDayKind
    counts: tuple[int, ...]
    """The report's answers to the digest day's form's counts, in that form's order
    (``form.counts()``); 0 without a report, for a count it was not asked and for an answer
    that is not a number."""

    @property
    def is_missing(self) -> bool:
        """No report and no excuse."""
        return self.kind is GridDayKind.MISSING

    @classmethod
    def of(cls, form: Form, day: GridDay) -> DayBefore:
        """The grid-day ``day`` read with ``form`` (the digest day's)."""
        report = day.report
        keys = [field.key for field in form.counts()]
        answers = [None] * len(keys) if report is None else [report.values.get(k) for k in keys]
        return cls(day.kind, counts_of(answers))


def counts_of(answers: Sequence[object]) -> tuple[int, ...]:
    """Answers to counts as numbers: 0 for one that is not a number (or no answer)."""
    if _INTS.issuperset(map(type, answers)):
        return tuple(answers)  # type: ignore[arg-type]
    if _INTS_OR_NONE.issuperset(map(type, answers)):  # counts not asked that day
        return tuple(map(_NONE_AS_0.get, answers, answers))  # type: ignore[arg-type]
    return tuple(answer if isinstance(answer, int) else 0 for answer in answers)


_INTS = frozenset({int})
_INTS_OR_NONE = frozenset({int, type(None)})
_NONE_AS_0 = {None: 0}


@dataclass(frozen=True, slots=True)
class GridInput:
    """One grid of the digest: today, yesterday, its running figures, its workers."""

    today: GridDay
    yesterday: DayBefore | None
    """None when there is no day before to compare with (it was not a reporting day, or the
    bot was not in service yet)."""
    so_far: SoFar | None
    """Each of the day's form's counts' and stocks' total and how often it was not zero as
    of the digest day (None: no run of any yet), from its running figures (see
    :mod:`bot.domain.running`). Cumulative totals, stocks and prevalence come from them."""
    stocks_yesterday: tuple[int, ...]
    """The day's form's stocks' totals (closings) as of the day before, in that form's order
    (``form.stocks()``), 0 for one the grid had none of; empty: none at all (all 0)."""
    corrected: tuple[Report, ...] = ()
    """Its reports up to the digest day that have corrections, with every version (the
    digest lists the corrections made since the previous digest)."""
    workers: tuple[str, ...] = ()
    """Names of the grid's active workers, named when the grid has not reported."""
    unreachable: frozenset[str] = frozenset()
    """Those of ``workers`` the bot cannot reach (never bound their Telegram account): they
    got no reminder, so the supervisor phones them."""

    def __post_init__(self) -> None:
        grid_id = self.today.grid.id
        if self.corrected and any(report.grid_id != grid_id for report in self.corrected):
            raise ValueError(f"the corrected reports of grid {grid_id} include another grid's")

    @classmethod
    def from_history(
        cls,
        form: Form,
        today: GridDay,
        yesterday: GridDay | None,
        history: Sequence[Report],
        workers: tuple[str, ...] = (),
    ) -> GridInput:
        """Computed from scratch from the grid's reports (those after the day are ignored)."""
        if any(report.grid_id != today.grid.id for report in history):
            raise ValueError(f"the history of grid {today.grid.id} has another grid's report")
        if yesterday is not None and (
            yesterday.grid.id != today.grid.id or yesterday.day != today.day - _ONE_DAY
        ):
            raise ValueError(f"yesterday of grid {today.grid.id} is another grid's or day's")
        reports = sorted((r for r in history if r.day <= today.day), key=lambda r: r.day)
        by_day = dict(replay(form, None, reports))
        before = _latest(by_day, today.day - _ONE_DAY)
        stocks = [field.key for field in form.stocks()]
        keys = [field.key for field in form.counts()] + stocks
        return cls(
            today,
            None if yesterday is None else DayBefore.of(form, yesterday),
            so_far(keys, _latest(by_day, today.day)),
            tuple(before[key].total if key in before else 0 for key in stocks),
            tuple(report for report in reports if len(report.versions) > 1),
            workers,
        )

    @property
    def grid(self) -> Grid:
        """The grid."""
        return self.today.grid


def _latest(by_day: dict[date, Runs], day: date) -> Runs:
    """The runs of the latest report day on or before ``day`` (empty without one)."""
    known = [known_day for known_day in by_day if known_day <= day]
    return by_day[max(known)] if known else {}


@dataclass(frozen=True, slots=True)
class UrgentIncident:
    """An urgent incident of the day and whether a supervisor has acknowledged it."""

    grid: Grid
    category: str
    """An incident category key of the form (shown as its label) or free text."""
    description: str
    at: datetime
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    passed_up_at: datetime | None = None
    """When nobody had acknowledged it in time and it was first re-posted to a group above."""

    @property
    def acknowledged(self) -> bool:
        """Whether someone has acknowledged it."""
        return self.acknowledged_by is not None


@dataclass(frozen=True, slots=True)
class DigestInput:
    """Everything the digest of one area for one day is compiled from."""

    forms: FormSource
    """The form of each day: the digest asks the form of its day, older reports (cumulative
    figures, corrections) their own day's."""
    area: Area
    day: date
    tz: tzinfo
    """Times are shown in this zone."""
    grids: tuple[GridInput, ...]
    """The grids under ``area`` that report that day (active ones), at any depth."""
    sub_areas: tuple[Area, ...] = ()
    """The direct children of ``area``; with any, the digest has one roll-up line each."""
    incidents: tuple[UrgentIncident, ...] = ()
    """The day's urgent incidents in these grids."""
    corrections_since: datetime | None = None
    """When the previous digest was compiled: corrections made after it are listed
    (None: there was none, every correction of the grids' reports is listed)."""
    weekly: Tally | None = None
    """Last week's late and missing days per grid, on the first reporting day of a week."""
    reporting_day: bool = True
    """Whether grids were asked to report that day (``GRIDBOT_REPORT_DAYS``)."""

    def __post_init__(self) -> None:
        days = [item.today for item in self.grids]
        if {day.day for day in days} - {self.day}:
            raise ValueError(f"every grid's today must be {self.day}")
        if len({day.grid.id for day in days}) != len(days):
            raise ValueError("a grid appears twice in the digest")


# --- output --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MissingGrid:
    """A grid that has not reported: who to chase, and how often it was reminded."""

    day: GridDay
    workers: tuple[str, ...]
    missing_yesterday: bool
    unreachable: frozenset[str] = frozenset()
    """Workers the bot cannot reach (see :class:`GridInput`)."""


@dataclass(frozen=True, slots=True)
class ReportingStatus:
    """Section 1. The lists overlap on purpose: a late zero report is in ``late`` and ``zero``."""

    completeness: Completeness
    yesterday: Completeness | None
    """Over the grids that have a yesterday; None when none has."""
    on_time: tuple[GridDay, ...]
    late: tuple[GridDay, ...]
    zero: tuple[GridDay, ...]
    missing: tuple[MissingGrid, ...]
    excused: tuple[GridDay, ...]


@dataclass(frozen=True, slots=True)
class NegativeStock:
    """A stock whose current closing is below zero: more released than were ever in."""

    grid: Grid
    key: str
    closing: int


@dataclass(frozen=True, slots=True)
class Attention:
    """Section 2: urgent incidents (unacknowledged first) and hard anomalies."""

    incidents: tuple[UrgentIncident, ...]
    negative_stocks: tuple[NegativeStock, ...]

    @property
    def empty(self) -> bool:
        """Nothing needs attention."""
        return not self.incidents and not self.negative_stocks


@dataclass(frozen=True, slots=True)
class CountTotal:
    """A count field summed over grids: new today and yesterday, and since the beginning
    (only the days it was asked: from ``since`` when it was added to the form later)."""

    key: str
    today: int
    yesterday: int | None
    """None: yesterday's form did not ask it."""
    cumulative: int
    since: date | None = None
    """The first day the field was asked, when that is after the form's first version."""

    @property
    def change(self) -> int | None:
        """Today against yesterday (None when yesterday did not ask it)."""
        return None if self.yesterday is None else self.today - self.yesterday


@dataclass(frozen=True, slots=True)
class StockTotal:
    """A stock summed over grids, now and at the end of yesterday."""

    key: str
    current: int
    yesterday: int | None
    """None: yesterday's form did not have it."""

    @property
    def change(self) -> int | None:
        """Now against the end of yesterday (None when yesterday's form did not have it)."""
        return None if self.yesterday is None else self.current - self.yesterday


@dataclass(frozen=True, slots=True)
class Totals:
    """Section 3: one total per count or stock field, in form order."""

    fields: tuple[CountTotal | StockTotal, ...]
    carried: tuple[Grid, ...]
    """Grids that did not report today whose stocks are their last known closings."""

    def figures(self) -> dict[str, int]:
        """Each field's headline number: new today for a count, current for a stock."""
        return {
            total.key: total.today if isinstance(total, CountTotal) else total.current
            for total in self.fields
        }


@dataclass(frozen=True, slots=True)
class AreaLine:
    """A sub-area's roll-up; ``direct`` is the grids directly under the digest's own area."""

    area: Area
    direct: bool
    completeness: Completeness
    totals: Totals
    figures: tuple[Figure, ...]
    """Its most telling totals, in form order."""


class GridLine(NamedTuple):
    """Section 4: one grid in a line (every grid at every level of the tree: a tuple, which
    is made five times as fast as a frozen dataclass)."""

    today: GridDay
    yesterday: DayBefore | None
    sub_area: Area | None
    figures: tuple[Figure, ...]
    """The report's most telling numbers, in form order (none without a report)."""
    incidents: int
    """Incidents in today's report, urgent or not."""


@dataclass(frozen=True, slots=True)
class Correction:
    """One correction of a report: the version before and after, who, when, why."""

    grid: Grid
    day: date
    """The day whose report was corrected."""
    old_kind: ReportKind
    new_kind: ReportKind
    old: Values
    new: Values
    old_baseline: dict[str, int]
    new_baseline: dict[str, int]
    by: str
    at: datetime
    reason: str | None


@dataclass(frozen=True, slots=True)
class Request:
    """Section 6: a difficulty or request, the answer to one of the form's text fields."""

    grid: Grid
    key: str
    text: str


@dataclass(frozen=True, slots=True)
class Digest:
    """The compiled evening digest, sections in the order the supervisor reads them."""

    form: Form
    """The form of the digest's day."""
    forms: FormSource
    """Every day's form (a correction of an earlier day is shown with its day's form)."""
    area: Area
    day: date
    tz: tzinfo
    status: ReportingStatus
    attention: Attention
    totals: Totals
    sub_areas: tuple[AreaLine, ...]
    grids: tuple[GridLine, ...]
    corrections: tuple[Correction, ...]
    requests: tuple[Request, ...]
    weekly: Tally | None
    clashes: frozenset[int] = frozenset()
    """Grids whose community and name together are shared by another grid in the digest:
    they are named with their code too (see :mod:`bot.domain.grid_names`)."""
    reporting_day: bool = True
    """Whether grids were asked to report that day (``GRIDBOT_REPORT_DAYS``)."""


_ONE_DAY = timedelta(days=1)
