"""The digest's numbers: one grid's figures, totals over grids, corrections, telling figures.

New today is the sum of a count over the day's reports; cumulative is its sum over every
report so far; a stock is the sum of each grid's latest closing, carried forward from an
earlier day for a grid that has not reported today. Current versions count, so a
correction of an earlier day changes yesterday's and the cumulative figures too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import compress, pairwise
from typing import NamedTuple

from bot.domain.digest.model import (
    Correction,
    CountTotal,
    Figure,
    GridInput,
    SoFar,
    StockTotal,
    Totals,
)
from bot.domain.form import Form
from bot.domain.form_versions import FormSource, first_asked
from bot.domain.models import Filed, Grid, Report

TELLING_FIGURES = 4
"""How many figures a grid or sub-area line shows."""


class GridNumbers(NamedTuple):
    """One grid's numbers on a day, by position: the form's counts in form order for
    ``today``, ``yesterday`` and ``cumulative``, its stocks in form order for ``stocks`` and
    ``stocks_yesterday`` (ten thousand grids an evening: tuples add up at C speed, and a
    named tuple is made five times as fast as a frozen dataclass)."""

    keys: tuple[str, ...]
    """The form's count keys, then its stock keys (``seen``'s order)."""
    today: tuple[int, ...]
    """Counts of the day's report; all 0 without one."""
    yesterday: tuple[int, ...]
    cumulative: tuple[int, ...]
    stocks: tuple[int, ...]
    """Current closings: the day's, or the last known ones when ``carried``."""
    stocks_yesterday: tuple[int, ...]
    seen: tuple[int, ...]
    """Per count, then stock: in how many of the grid's reports so far it was not zero."""
    carried: bool
    """No report on the day, so the stocks come from an earlier day."""

    @classmethod
    def of(cls, form: Form, item: GridInput) -> GridNumbers:
        """A grid's numbers from its day, yesterday and running figures."""
        layout = _layout(form)
        counts, stocks = layout.counts, layout.stocks
        runs = item.so_far or _never(len(layout.keys))
        return cls(
            keys=layout.keys,
            today=_values(counts, item.today.report),
            yesterday=(0,) * len(counts) if item.yesterday is None else item.yesterday.counts,
            cumulative=runs.totals[: len(counts)],
            stocks=runs.totals[len(counts) :],
            stocks_yesterday=item.stocks_yesterday or (0,) * len(stocks),
            seen=runs.nonzero,
            carried=item.today.report is None and item.so_far is not None,
        )

    def line(self, form: Form) -> tuple[Figure, ...]:
        """The grid's line: its most telling headline numbers (new today for a count, current
        for a stock), chosen by how rarely each is non-zero in the grid's own reports, so the
        grid has the same line at every level of the tree."""
        return _chosen(_layout(form), self.today + self.stocks, self.seen, TELLING_FIGURES)


def totals(forms: FormSource, day: date, grids: Sequence[tuple[Grid, GridNumbers]]) -> Totals:
    """Every count and stock field of ``day``'s form summed over ``grids``, in form order.

    A field yesterday's form did not ask has no yesterday (None, never 0), and a count added
    after the first form says since when its cumulative figure runs.
    """
    form = forms.form_for(day)
    layout = _layout(form)
    numbers = [item for _, item in grids]
    today = _sums([item.today for item in numbers], len(layout.counts))
    before = _sums([item.yesterday for item in numbers], len(layout.counts))
    cumulative = _sums([item.cumulative for item in numbers], len(layout.counts))
    current = _sums([item.stocks for item in numbers], len(layout.stocks))
    earlier = _sums([item.stocks_yesterday for item in numbers], len(layout.stocks))
    asked_yesterday = forms.form_for(day - timedelta(days=1)).has_field
    fields: list[CountTotal | StockTotal] = []
    for field in form.fields:
        key = field.key
        if field.kind == "count":
            at = layout.counts.index(key)
            yesterday = before[at] if asked_yesterday(key) else None
            since = first_asked(forms, key, day)
            fields.append(CountTotal(key, today[at], yesterday, cumulative[at], since))
        elif field.kind == "stock":
            at = layout.stocks.index(key)
            yesterday = earlier[at] if asked_yesterday(key) else None
            fields.append(StockTotal(key, current[at], yesterday))
    carried = tuple(grid for grid, item in grids if item.carried)
    return Totals(tuple(fields), carried)


def _sums(vectors: Sequence[tuple[int, ...]], width: int) -> list[int]:
    """The sum of each position over ``vectors`` (all ``width`` long)."""
    return list(map(sum, zip(*vectors, strict=True))) if vectors else [0] * width


def combined(parts: Sequence[Totals]) -> Totals:
    """The totals of disjoint groups of grids on the same day added up (a parent area's
    from its sub-areas'): the same as :func:`totals` over all their grids."""
    columns = zip(*(part.fields for part in parts), strict=True)
    fields = tuple(_added(list(column)) for column in columns)
    carried = sorted((grid for part in parts for grid in part.carried), key=_grid_order)
    return Totals(fields, tuple(carried))


def _added(column: list[CountTotal | StockTotal]) -> CountTotal | StockTotal:
    first = column[0]
    if isinstance(first, CountTotal):
        counts = [item for item in column if isinstance(item, CountTotal)]
        return CountTotal(
            first.key,
            sum(item.today for item in counts),
            None if first.yesterday is None else sum(item.yesterday or 0 for item in counts),
            sum(item.cumulative for item in counts),
            first.since,
        )
    stocks = [item for item in column if isinstance(item, StockTotal)]
    return StockTotal(
        first.key,
        sum(item.current for item in stocks),
        None if first.yesterday is None else sum(item.yesterday or 0 for item in stocks),
    )


def _grid_order(grid: Grid) -> tuple[str, str]:
    return grid.area_path, grid.code


def prevalence(form: Form, numbers: Sequence[GridNumbers]) -> dict[str, int]:
    """Per count or stock field, in how many reports up to the day it was not zero
    (a count's value, a stock's closing) in these grids (their numbers made with ``form``):
    the lower, the more telling a non-zero value."""
    keys = _layout(form).keys
    return dict(zip(keys, _sums([item.seen for item in numbers], len(keys)), strict=True))


def telling(
    form: Form,
    figures: Mapping[str, int],
    seen: Mapping[str, int],
    limit: int = TELLING_FIGURES,
) -> tuple[Figure, ...]:
    """The ``limit`` non-zero figures least often seen non-zero, shown in form order.

    Ties go to the field asked first. A fever case stands out over the daily screening count.
    """
    return Ranking(form, seen).pick(figures, limit)


class Ranking:
    """An area's fields, most telling first (see :func:`telling`): ranked when a line is
    picked, among the line's non-zero figures only (a line shows a few of a form's fields)."""

    def __init__(self, form: Form, seen: Mapping[str, int]) -> None:
        self._layout = _layout(form)
        self._seen = tuple(seen.get(key, 0) for key in self._layout.keys)

    def pick(self, figures: Mapping[str, int], limit: int = TELLING_FIGURES) -> tuple[Figure, ...]:
        """The non-zero ``figures`` the form always shows, and the ``limit`` most telling
        non-zero others, in form order."""
        values = tuple(figures.get(key, 0) for key in self._layout.keys)
        return _chosen(self._layout, values, self._seen, limit)


def _chosen(
    layout: _Layout, values: tuple[int, ...], seen: tuple[int, ...], limit: int
) -> tuple[Figure, ...]:
    """:meth:`Ranking.pick` by position in ``layout.keys`` (``values`` and ``seen`` too): a
    grid's line is picked from its own numbers, ten thousand an evening."""
    shown = list(compress(range(len(values)), values))  # the non-zero ones
    always, order, keys = layout.always, layout.order, layout.keys
    chosen = [at for at in shown if always[at]]
    others = [at for at in shown if not always[at]]
    if len(others) > limit:
        others = [at for _, _, at in sorted([(seen[at], order[at], at) for at in others])]
    chosen += others[:limit]
    chosen.sort(key=order.__getitem__)
    return tuple([(keys[at], values[at]) for at in chosen])


@dataclass(frozen=True, slots=True)
class _Layout:
    """What the digest's numbers need of a form: its count and stock keys, each field's
    position and the fields always shown."""

    counts: tuple[str, ...]
    stocks: tuple[str, ...]
    keys: tuple[str, ...]
    """The counts, then the stocks."""
    order: tuple[int, ...]
    """Each of ``keys``' position among the form's fields."""
    always: tuple[bool, ...]
    """Whether each of ``keys`` is always shown (when not zero)."""


_LAYOUTS: dict[int, tuple[Form, _Layout]] = {}
_LAYOUTS_KEPT = 64


def _layout(form: Form) -> _Layout:
    """The form's layout, made once per form (by identity: forms are immutable)."""
    found = _LAYOUTS.get(id(form))
    if found is None or found[0] is not form:
        counts = tuple(field.key for field in form.counts())
        stocks = tuple(field.key for field in form.stocks())
        keys = counts + stocks
        position = {field.key: index for index, field in enumerate(form.fields)}
        shown = {field.key for field in form.fields if field.always_shown}
        layout = _Layout(
            counts,
            stocks,
            keys,
            tuple(position[key] for key in keys),
            tuple(key in shown for key in keys),
        )
        if len(_LAYOUTS) >= _LAYOUTS_KEPT:
            _LAYOUTS.clear()
        found = _LAYOUTS[id(form)] = (form, layout)
    return found[1]


def corrections_since(
    grid: Grid, reports: Iterable[Report], since: datetime | None
) -> list[Correction]:
    """Every correction of these reports made after ``since`` (None: all), oldest first."""
    found = []
    for report in reports:
        for old, new in pairwise(report.versions):
            if since is None or new.created_at > since:
                found.append(
                    Correction(
                        grid=grid,
                        day=report.day,
                        old_kind=old.kind,
                        new_kind=new.kind,
                        old=old.values,
                        new=new.values,
                        old_baseline=old.baseline,
                        new_baseline=new.baseline,
                        by=new.created_by_name,
                        at=new.created_at,
                        reason=new.reason,
                    )
                )
    return sorted(found, key=lambda correction: correction.at)


def _values(keys: tuple[str, ...], report: Filed | None) -> tuple[int, ...]:
    """Each of these counts in ``report``'s current version; all 0 without a report (and
    for an answer that is not a number)."""
    if report is None:
        return (0,) * len(keys)
    found = tuple(map(report.values.get, keys))
    if _NUMBERS.issuperset(map(type, found)):
        return found  # type: ignore[return-value]
    return tuple(value if isinstance(value, int) else 0 for value in found)


def _never(fields: int) -> SoFar:
    """The figures of a grid without any run of ``fields`` fields."""
    return SoFar((0,) * fields, (0,) * fields)


_NUMBERS = frozenset({int})
