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
from itertools import pairwise

from bot.domain.digest.model import (
    Correction,
    CountTotal,
    Figure,
    GridInput,
    StockTotal,
    Totals,
)
from bot.domain.form import FieldDef, Form
from bot.domain.form_versions import FormSource, first_asked
from bot.domain.models import FieldValue, Grid, Report
from bot.domain.running import Runs

TELLING_FIGURES = 4
"""How many figures a grid or sub-area line shows."""


@dataclass(frozen=True, slots=True)
class GridNumbers:
    """One grid's numbers on a day, keyed by field key."""

    today: dict[str, int]
    """Counts of the day's report; all 0 without one."""
    yesterday: dict[str, int]
    cumulative: dict[str, int]
    stocks: dict[str, int]
    """Current closings: the day's, or the last known ones when ``carried``."""
    stocks_yesterday: dict[str, int]
    carried: bool
    """No report on the day, so the stocks come from an earlier day."""

    @classmethod
    def of(cls, form: Form, item: GridInput) -> GridNumbers:
        """A grid's numbers from its day, yesterday and running figures."""
        yesterday = item.yesterday.report if item.yesterday is not None else None
        counts, stocks = _keys(form.counts()), _keys(form.stocks())
        return cls(
            today=_values(counts, item.today.report),
            yesterday=_values(counts, yesterday),
            cumulative={key: _total(item.runs, key) for key in counts},
            stocks={key: _total(item.runs, key) for key in stocks},
            stocks_yesterday={key: _total(item.runs_yesterday, key) for key in stocks},
            carried=item.today.report is None and bool(item.runs),
        )

    def figures(self) -> dict[str, int]:
        """Each field's headline number: new today for a count, current for a stock."""
        return {**self.today, **self.stocks}


def totals(forms: FormSource, day: date, grids: Sequence[tuple[Grid, GridNumbers]]) -> Totals:
    """Every count and stock field of ``day``'s form summed over ``grids``, in form order.

    A field yesterday's form did not ask has no yesterday (None, never 0), and a count added
    after the first form says since when its cumulative figure runs.
    """
    fields: list[CountTotal | StockTotal] = []
    asked_yesterday = forms.form_for(day - timedelta(days=1)).has_field
    for field in forms.form_for(day).fields:
        key = field.key
        if field.kind == "count":
            today = sum(numbers.today[key] for _, numbers in grids)
            before = sum(numbers.yesterday[key] for _, numbers in grids)
            cumulative = sum(numbers.cumulative[key] for _, numbers in grids)
            fields.append(
                CountTotal(
                    key,
                    today,
                    before if asked_yesterday(key) else None,
                    cumulative,
                    first_asked(forms, key, day),
                )
            )
        elif field.kind == "stock":
            current = sum(numbers.stocks[key] for _, numbers in grids)
            before = sum(numbers.stocks_yesterday[key] for _, numbers in grids)
            fields.append(StockTotal(key, current, before if asked_yesterday(key) else None))
    carried = tuple(grid for grid, numbers in grids if numbers.carried)
    return Totals(tuple(fields), carried)


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


def prevalence(form: Form, grids: Iterable[GridInput]) -> dict[str, int]:
    """Per count or stock field, in how many reports up to the day it was not zero
    (a count's value, a stock's closing): the lower, the more telling a non-zero value."""
    seen = {field.key: 0 for field in form.fields if field.kind in ("count", "stock")}
    for item in grids:
        for key, run in item.runs.items():
            if key in seen:
                seen[key] += run.nonzero
    return seen


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
    """An area's fields, most telling first (see :func:`telling`): ranked once, then used
    for every line of the area."""

    def __init__(self, form: Form, seen: Mapping[str, int]) -> None:
        self._order = [field.key for field in form.fields]
        self._always = [field.key for field in form.fields if field.always_shown]
        position = {key: index for index, key in enumerate(self._order)}
        self._ranked = sorted(self._order, key=lambda key: (seen.get(key, 0), position[key]))

    def pick(self, figures: Mapping[str, int], limit: int = TELLING_FIGURES) -> tuple[Figure, ...]:
        """The non-zero ``figures`` the form always shows, and the ``limit`` most telling
        non-zero others, in form order."""
        always = {key for key in self._always if figures.get(key, 0) != 0}
        others = [key for key in self._ranked if key not in always and figures.get(key, 0) != 0]
        chosen = always | set(others[:limit])
        return tuple((key, figures[key]) for key in self._order if key in chosen)


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


def _values(keys: Sequence[str], report: Report | None) -> dict[str, int]:
    """Each of these counts in ``report``'s current version; all 0 without a report."""
    if report is None:
        return dict.fromkeys(keys, 0)
    values = report.current.values
    return {key: _int(values.get(key)) for key in keys}


def _keys(fields: Iterable[FieldDef]) -> list[str]:
    return [field.key for field in fields]


def _total(runs: Runs, key: str) -> int:
    run = runs.get(key)
    return 0 if run is None else run.total


def _int(value: FieldValue) -> int:
    return value if isinstance(value, int) else 0
