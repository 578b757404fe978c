"""Completeness and timeliness over a period, per area and per grid (``/stats``), and the
list of grids that have not reported yet (``/late``). Pure: storage feeds the days in.

The figures are those of public-health reporting systems: expected reports, reports
received, reports received on time. Each day is counted with
:meth:`bot.domain.status.Completeness.from_grid_days` and the days are added up, so a rate
here is exactly the digest's rate summed over days:

- reporting rate = reports received / expected;
- on-time rate = reports received on time / expected;
- zero-report share = zero reports / reports received;
- days missing = grid-days without a report or an excuse;
- median submission time = the median moment of filing, counted from the start of the
  report day (``+1`` marks the next day, for deadlines such as 08:00 the next morning).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, time, tzinfo
from typing import Literal

from bot.domain.dates import DayRange
from bot.domain.digest.text import TELEGRAM_LIMIT, Line, to_messages
from bot.domain.ledger import DayRecords, Scope
from bot.domain.models import Area, Grid
from bot.domain.status import Completeness, GridDay, percent
from bot.i18n import Locale, t

_NOTHING = Completeness(0, 0, 0, 0, 0, 0, 0)
_DASH = "—"
_DAY_MINUTES = 24 * 60


def add(first: Completeness, second: Completeness) -> Completeness:
    """Two counts added up (e.g. two days, or two areas)."""
    return Completeness(
        **{
            item.name: getattr(first, item.name) + getattr(second, item.name)
            for item in fields(first)
        }
    )


class _Minutes:
    """Submission moments as minutes after the start of the report day, kept as a histogram:
    memory follows the number of distinct minutes (at most a few thousand), not of reports."""

    def __init__(self) -> None:
        self._counts: Counter[int] = Counter()

    def add(self, minute: int) -> None:
        self._counts[minute] += 1

    def median(self) -> float | None:
        total = sum(self._counts.values())
        if total == 0:
            return None
        middle = [(total - 1) // 2, total // 2]
        found: list[int] = []
        seen = 0
        for minute in sorted(self._counts):
            seen += self._counts[minute]
            while middle and middle[0] < seen:
                found.append(minute)
                middle.pop(0)
        return sum(found) / 2


@dataclass(frozen=True, slots=True)
class Figures:
    """One area's or grid's figures over the period."""

    counts: Completeness
    """Every day's counts, added up."""
    median_minute: float | None
    """Median submission time in minutes after the start of the report day; None without
    reports."""

    @property
    def zero_share(self) -> float | None:
        """Zero reports / reports received; None without reports."""
        return None if self.counts.reported == 0 else self.counts.zero / self.counts.reported


@dataclass(frozen=True, slots=True)
class Stats:
    """The figures of a scope over a period."""

    days: DayRange
    area: Area | None
    total: Figures
    areas: tuple[tuple[Area, Figures], ...]
    """The areas below the scope's own area (every area when the scope is the whole tree)."""
    grids: tuple[tuple[Grid, Figures], ...]
    """The grids that were expected or reported on some day of the period."""


class _Tally:
    def __init__(self) -> None:
        self.counts = _NOTHING
        self.minutes = _Minutes()

    def figures(self) -> Figures:
        return Figures(self.counts, self.minutes.median())


class StatsBuilder:
    """Takes the period's days in any order and adds them up."""

    def __init__(self, scope: Scope, tz: tzinfo) -> None:
        self.scope = scope
        self.tz = tz
        self._total = _Tally()
        self._areas = {area.id: _Tally() for area in scope.areas}
        self._grids: dict[int, _Tally] = {}

    def add(self, records: DayRecords) -> None:
        """Count one day."""
        grid_days = self.scope.grid_days(records)
        self._total.counts = add(self._total.counts, Completeness.from_grid_days(grid_days))
        for area, counts in self.scope.completeness(grid_days):
            self._areas[area.id].counts = add(self._areas[area.id].counts, counts)
        for grid_day in grid_days:
            tally = self._grids.setdefault(grid_day.grid.id, _Tally())
            tally.counts = add(tally.counts, Completeness.from_grid_days([grid_day]))
            minute = self._minute(grid_day)
            if minute is None:
                continue
            tally.minutes.add(minute)
            self._total.minutes.add(minute)
            for area in self.scope.areas_of(grid_day.grid):
                self._areas[area.id].minutes.add(minute)

    def result(self, days: DayRange) -> Stats:
        """The figures of everything counted so far."""
        root = self.scope.area
        areas = [area for area in self.scope.areas if root is None or area.id != root.id]
        return Stats(
            days=days,
            area=root,
            total=self._total.figures(),
            areas=tuple((area, self._areas[area.id].figures()) for area in areas),
            grids=tuple(
                (item.grid, self._grids[item.grid.id].figures())
                for item in self.scope.grids
                if item.grid.id in self._grids
            ),
        )

    def _minute(self, grid_day: GridDay) -> int | None:
        moment = grid_day.submitted_at
        if moment is None:
            return None
        start = datetime.combine(grid_day.day, time(0), tzinfo=self.tz)
        return int((moment - start).total_seconds() // 60)


# --- text ----------------------------------------------------------------------------------


def render_stats(stats: Stats, locale: Locale, *, max_chars: int = TELEGRAM_LIMIT) -> list[str]:
    """``/stats`` as Telegram HTML messages, cut between lines."""
    where = stats.area.path if stats.area else t(locale, "stats.everywhere")
    lines = [
        Line(
            t(
                locale,
                "stats.title",
                area=where,
                first=stats.days.first.isoformat(),
                last=stats.days.last.isoformat(),
                days=len(stats.days),
            ),
            bold=True,
        ),
        Line(t(locale, "stats.total", **_params(stats.total))),
        Line(t(locale, "stats.legend")),
    ]
    if stats.areas:
        lines += [Line(""), Line(t(locale, "stats.areas"), bold=True, keep=True)]
        lines += [
            Line(t(locale, "stats.area_line", area=area.path, **_params(figures)))
            for area, figures in stats.areas
        ]
    lines += [Line(""), Line(t(locale, "stats.grids"), bold=True, keep=True)]
    if not stats.grids:
        lines.append(Line(t(locale, "stats.no_grids")))
    grids = stats.grids
    if len(grids) > LISTED_GRIDS:
        lines.append(Line(t(locale, "stats.worst", shown=LISTED_GRIDS, count=len(grids))))
        grids = tuple(sorted(grids, key=_missed_most)[:LISTED_GRIDS])
    for grid, figures in grids:
        text = t(locale, "stats.grid_line", code=grid.code, grid=grid.name, **_params(figures))
        lines.append(Line(text, bold=figures.counts.missing > 0))
    return to_messages(lines, max_chars)


LISTED_GRIDS = 50
"""Above this many grids, ``/stats`` lists those that missed most days (a district's 10,000
were 179 messages); one area's ``/stats`` lists each of its grids."""


def _missed_most(item: tuple[Grid, Figures]) -> tuple[int, int]:
    """Most missing days first, then most late ones (the sort is stable: area order after)."""
    counts = item[1].counts
    return -counts.missing, -counts.late


def _params(figures: Figures) -> dict[str, object]:
    counts = figures.counts
    return {
        "expected": counts.expected,
        "reported": counts.reported,
        "on_time": counts.on_time,
        "late": counts.late,
        "zero": counts.zero,
        "missing": counts.missing,
        "excused": counts.excused,
        "reporting_rate": percent(counts.reporting_rate),
        "on_time_rate": percent(counts.on_time_rate),
        "zero_share": percent(figures.zero_share),
        "median": clock_minutes(figures.median_minute),
    }


def clock_minutes(minute: float | None) -> str:
    """``16:05``, ``07:30+1`` (the next day), or a dash."""
    if minute is None:
        return _DASH
    whole = round(minute)
    days, rest = divmod(whole, _DAY_MINUTES)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return f"{text}+{days}" if days else text


# --- who has not reported yet ----------------------------------------------------------------


Reach = Literal["bound", "unbound", "blocked"]
"""Whether the bot reaches a worker: bound to Telegram, not bound, or bound but Telegram
refuses the bot's messages (they blocked it)."""
UNREACHABLE_NOTE = {"unbound": "stats.late.unbound", "blocked": "reliability.blocked_late"}


@dataclass(frozen=True, slots=True)
class LateGrid:
    """A grid without a report today, and the workers to chase."""

    grid: Grid
    workers: Sequence[tuple[str, str | None, Reach]]
    """(name, @username or None, whether the bot can reach them)."""
    reminders: int


def render_late(
    locale: Locale,
    *,
    area: Area | None,
    now: datetime,
    deadline: datetime,
    counts: Completeness,
    late: Sequence[LateGrid],
    max_chars: int = TELEGRAM_LIMIT,
) -> list[str]:
    """``/late`` as Telegram HTML messages: the count, then each grid that has not reported."""
    where = area.path if area else t(locale, "stats.everywhere")
    head = t(
        locale,
        "stats.late.title",
        area=where,
        day=now.date().isoformat(),
        time=now.strftime("%H:%M"),
        deadline=deadline.strftime("%H:%M"),
    )
    summary = t(
        locale,
        "stats.late.summary",
        expected=counts.expected,
        reported=counts.reported,
        missing=counts.missing,
        excused=counts.excused,
    )
    lines = [Line(head, bold=True), Line(summary)]
    if not late:
        lines.append(Line(t(locale, "stats.late.none")))
    for item in late:
        workers = t(locale, "stats.late.sep").join(
            _worker(locale, *worker) for worker in item.workers
        )
        text = t(
            locale,
            "stats.late.grid",
            code=item.grid.code,
            grid=item.grid.name,
            area=item.grid.area_path,
            workers=workers or t(locale, "stats.late.no_workers"),
            reminders=item.reminders,
        )
        lines.append(Line(text))
    return to_messages(lines, max_chars)


def _worker(locale: Locale, name: str, username: str | None, reach: Reach) -> str:
    shown = f"{name} @{username}" if username else name
    return shown if reach == "bound" else t(locale, UNREACHABLE_NOTE[reach], worker=shown)
