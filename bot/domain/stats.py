"""Completeness and timeliness over a period, per area and per grid (``/stats``), and the
list of grids that have not reported yet (``/late``). Pure: storage counts the grid-days
(:class:`PeriodCounts`), this module adds them up by area and spells them.

The figures are those of public-health reporting systems: expected reports, reports
received, reports received on time. Each grid-day is one :class:`GridDayKind`, as the digest
and the ledger count it (:meth:`bot.domain.status.Completeness.from_counts`), so a rate here
is exactly the digest's rate summed over days:

- reporting rate = reports received / expected;
- on-time rate = reports received on time / expected;
- zero-report share = zero reports / reports received;
- days missing = grid-days without a report or an excuse;
- median submission time = the median moment of filing, counted from the start of the
  report day (``+1`` marks the next day, for deadlines such as 08:00 the next morning).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Literal, NamedTuple

from bot.domain.dates import DayRange
from bot.domain.digest.text import TELEGRAM_LIMIT, Line, to_messages
from bot.domain.ledger import Scope
from bot.domain.models import Area, Grid
from bot.domain.status import Completeness, GridDayKind, percent
from bot.i18n import Locale, t

_DASH = "—"
_DAY_MINUTES = 24 * 60


def median_minute(counts: Mapping[int, int]) -> float | None:
    """The median of submission minutes, given how many fell on each minute (None: none)."""
    total = sum(counts.values())
    if total == 0:
        return None
    middle = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for minute in sorted(counts):
        seen += counts[minute]
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


class DayStart(NamedTuple):
    """A day of the period and the moment it starts in the configured zone (Unix seconds):
    submission minutes count from it."""

    day: date
    midnight: int


def day_starts(days: DayRange, tz: tzinfo) -> list[DayStart]:
    """Each day of ``days`` with its start in zone ``tz``."""
    return [
        DayStart(day, int(datetime.combine(day, time(0), tzinfo=tz).timestamp()))
        for day in days.days()
    ]


@dataclass(frozen=True, slots=True)
class PeriodCounts:
    """What storage counted of a scope's grid-days over a period (a grid-day of each grid
    :meth:`Scope.listed` lists that day, of the :class:`GridDayKind` its report or excusal
    makes it; a submission minute counted from the start of the report day, rounded down)."""

    kinds: Mapping[int, Sequence[int]]
    """By a grid's position in the scope: its grid-days of each :class:`GridDayKind` (by
    value); a grid never listed in the period is left out."""
    medians: Mapping[int, float]
    """By a grid's position in the scope: the median minute of its reports' submissions."""
    minutes: Mapping[int, Mapping[int, int]]
    """By area id: how many reports of the grids directly in that area were submitted at
    each minute."""


def period_stats(scope: Scope, days: DayRange, counted: PeriodCounts) -> Stats:
    """The figures of ``scope`` over ``days`` from what storage counted: each area's are
    those of the grids in it and below it."""
    own: dict[int, list[int]] = {}  # by area id: the grid-days of the grids directly in it
    grids = []
    for pos, item in enumerate(scope.grids):
        kinds = counted.kinds.get(pos)
        if kinds is None:
            continue
        area = own.setdefault(item.grid.area_id, [0] * len(GridDayKind))
        own[item.grid.area_id] = [mine + theirs for mine, theirs in zip(area, kinds, strict=True)]
        figures = Figures(Completeness.from_counts(kinds), counted.medians.get(pos))
        grids.append((item.grid, figures))
    paths = {area.id: area.path for area in scope.areas}

    def figures_within(area: Area | None) -> Figures:
        covered = [id_ for id_, path in paths.items() if area is None or area.covers(path)]
        kinds = [
            sum(column)
            for column in zip(*(own.get(id_, _NONE) for id_ in covered), _NONE, strict=True)
        ]
        minutes: Counter[int] = Counter()
        for id_ in covered:
            minutes.update(counted.minutes.get(id_, {}))
        return Figures(Completeness.from_counts(kinds), median_minute(minutes))

    root = scope.area
    return Stats(
        days=days,
        area=root,
        total=figures_within(root),
        areas=tuple(
            (area, figures_within(area))
            for area in scope.areas
            if root is None or area.id != root.id
        ),
        grids=tuple(grids),
    )


_NONE = (0,) * len(GridDayKind)


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
    by_area = Counter(item.grid.area_path for item in late)
    if len(late) > LATE_LISTED and len(by_area) > 1:
        lines.append(Line(t(locale, "stats.late.by_area", count=len(late))))
        lines += [
            Line(t(locale, "stats.late.area", area=area, missing=missing))
            for area, missing in by_area.items()
        ]
        return to_messages(lines, max_chars)
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


LATE_LISTED = 60
"""Above this many missing grids in more than one area, ``/late`` counts them by area (a
district's 750 were 8 messages of names); one area's ``/late`` lists each of its grids."""


def _worker(locale: Locale, name: str, username: str | None, reach: Reach) -> str:
    shown = f"{name} @{username}" if username else name
    return shown if reach == "bound" else t(locale, UNREACHABLE_NOTE[reach], worker=shown)
