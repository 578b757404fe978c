"""Running figures: what a grid's reports add up to, kept per report day.

The digest needs, for every grid, each count's sum since the beginning, each stock's closing
and how often each figure was non-zero. Walking a grid's whole history for that every evening
makes the digest cost grow with every day of history, so these are kept instead: each report
day of a grid stores its :class:`FieldRun` per field, computed from the previous report day's
runs and that day's current version (:func:`advance`). Filing a report adds one day; a
correction recomputes its day and every later day of the grid (:func:`replay`).

Per field, so a field that is not asked on some days fits: ``asked`` counts the days it was
answered, ``first`` is the first of them, and a day it is not asked adds nothing. Each day
is read with its own form (:mod:`bot.domain.form_versions`): a field its form does not have
keeps its runs unchanged (a dropped count keeps its total, a dropped stock its last
closing, which is no longer carried on).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import NamedTuple

from bot.domain.form_versions import FormSource
from bot.domain.models import FieldValue, Report
from bot.domain.stocks import closings


class FieldRun(NamedTuple):
    """One field of one grid, as of one of its report days. A tuple, so that the runs of
    ten thousand grids load in milliseconds (stored as the JSON array of its items)."""

    value: int | None
    """A count: that day's answer (None: not asked that day). A stock: that day's closing."""
    total: int
    """A count: its sum over every report day so far. A stock: its closing (= ``value``)."""
    asked: int
    """Report days so far on which it was answered (a stock: on which it was derived)."""
    nonzero: int
    """Report days so far on which it was not 0 (a stock: its closing)."""
    first: str | None
    """The first report day on which it was asked (ISO ``YYYY-MM-DD``), None before."""


Runs = dict[str, FieldRun]
"""Every count and stock field of a grid as of one report day, by field key."""


def advance(
    forms: FormSource,
    previous: Mapping[str, FieldRun] | None,
    day: date,
    values: Mapping[str, FieldValue],
    baseline: Mapping[str, int],
) -> Runs:
    """The runs of a report day (its current version's ``values`` and ``baseline``), given
    those of the grid's previous report day (None for its first), with the form of ``day``."""
    form = forms.form_for(day)
    before = previous or {}
    runs: Runs = {key: run._replace(value=None) for key, run in before.items()}
    for field in form.counts():
        answer = values.get(field.key)
        value = answer if isinstance(answer, int) and not isinstance(answer, bool) else None
        runs[field.key] = _count(before.get(field.key), value, day)
    openings = {
        stock.key: baseline.get(stock.key, closing_of(before.get(stock.key)))
        for stock in form.stocks()
    }
    for key, closing in closings(form, openings, values).items():
        runs[key] = _stock(before.get(key), closing, day)
    return runs


def replay(
    forms: FormSource, previous: Mapping[str, FieldRun] | None, reports: Iterable[Report]
) -> Iterator[tuple[date, Runs]]:
    """The runs of each of ``reports`` (one grid's, in day order), starting from ``previous``
    (the runs of the report day before the first of them, or None)."""
    runs = previous
    for report in reports:
        version = report.current
        runs = advance(forms, runs, report.day, version.values, version.baseline)
        yield report.day, runs


_NEVER = FieldRun(None, 0, 0, 0, None)


def _count(before: FieldRun | None, value: int | None, day: date) -> FieldRun:
    before = before or _NEVER
    if value is None:
        return FieldRun(None, before.total, before.asked, before.nonzero, before.first)
    return FieldRun(
        value,
        before.total + value,
        before.asked + 1,
        before.nonzero + (value != 0),
        before.first or day.isoformat(),
    )


def _stock(before: FieldRun | None, closing: int, day: date) -> FieldRun:
    before = before or _NEVER
    return FieldRun(
        closing,
        closing,
        before.asked + 1,
        before.nonzero + (closing != 0),
        before.first or day.isoformat(),
    )


def closing_of(run: FieldRun | None) -> int:
    """A stock's closing balance in its runs of a day: what the grid's next report opens
    with (0 when the stock has none, or that day's form did not have it)."""
    return 0 if run is None or run.value is None else run.value
