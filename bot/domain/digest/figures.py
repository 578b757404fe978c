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

from bot.domain.digest.model import Correction, CountTotal, Figure, StockTotal, Totals
from bot.domain.form import Form
from bot.domain.models import FieldValue, Grid, Report
from bot.domain.stocks import StockDay, stock_series

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
    def of(cls, form: Form, history: Sequence[Report], day: date) -> GridNumbers:
        """Compute from the grid's reports; those after ``day`` are ignored."""
        reports = [report for report in history if report.day <= day]
        by_day = {report.day: report for report in reports}
        series = stock_series(form, reports)
        yesterday = day - timedelta(days=1)
        return cls(
            today=_counts(form, [by_day[day]] if day in by_day else []),
            yesterday=_counts(form, [by_day[yesterday]] if yesterday in by_day else []),
            cumulative=_counts(form, reports),
            stocks=_closing_at(form, series, day),
            stocks_yesterday=_closing_at(form, series, yesterday),
            carried=day not in by_day and bool(series),
        )

    def figures(self) -> dict[str, int]:
        """Each field's headline number: new today for a count, current for a stock."""
        return {**self.today, **self.stocks}


def totals(form: Form, grids: Sequence[tuple[Grid, GridNumbers]]) -> Totals:
    """Every count and stock field summed over ``grids``, in form order."""
    fields: list[CountTotal | StockTotal] = []
    for field in form.fields:
        key = field.key
        if field.kind == "count":
            today = sum(numbers.today[key] for _, numbers in grids)
            before = sum(numbers.yesterday[key] for _, numbers in grids)
            cumulative = sum(numbers.cumulative[key] for _, numbers in grids)
            fields.append(CountTotal(key, today, before, cumulative))
        elif field.kind == "stock":
            current = sum(numbers.stocks[key] for _, numbers in grids)
            before = sum(numbers.stocks_yesterday[key] for _, numbers in grids)
            fields.append(StockTotal(key, current, before))
    carried = tuple(grid for grid, numbers in grids if numbers.carried)
    return Totals(tuple(fields), carried)


def prevalence(form: Form, histories: Iterable[Sequence[Report]], day: date) -> dict[str, int]:
    """Per count or stock field, in how many reports up to ``day`` it was not zero
    (a count's value, a stock's closing): the lower, the more telling a non-zero value."""
    seen = {field.key: 0 for field in form.fields if field.kind in ("count", "stock")}
    for history in histories:
        reports = [report for report in history if report.day <= day]
        for report in reports:
            for key, value in _counts(form, [report]).items():
                seen[key] += value != 0
        for stock_day in stock_series(form, reports):
            for key, value in stock_day.closing.items():
                seen[key] += value != 0
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
    order = [field.key for field in form.fields if figures.get(field.key, 0) != 0]
    ranked = sorted(order, key=lambda key: (seen.get(key, 0), order.index(key)))
    chosen = set(ranked[:limit])
    return tuple((key, figures[key]) for key in order if key in chosen)


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


def _counts(form: Form, reports: Iterable[Report]) -> dict[str, int]:
    """Each count field summed over the current versions of ``reports``."""
    summed = {field.key: 0 for field in form.counts()}
    for report in reports:
        values = report.current.values
        for key in summed:
            summed[key] += _int(values.get(key))
    return summed


def _closing_at(form: Form, series: Sequence[StockDay], day: date) -> dict[str, int]:
    """The closings of the last report day on or before ``day`` (0 with none)."""
    known = [stock_day for stock_day in series if stock_day.day <= day]
    if known:
        return dict(known[-1].closing)
    return {stock.key: 0 for stock in form.stocks()}


def _int(value: FieldValue) -> int:
    return value if isinstance(value, int) else 0
