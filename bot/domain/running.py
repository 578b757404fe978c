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
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import NamedTuple

from bot.domain.form import Form
from bot.domain.form_versions import FormSource
from bot.domain.models import FieldValue, Report
from bot.domain.stocks import flow_total


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
    those of the grid's previous report day (None for its first), with the form of ``day``.

    Called for every report day when the figures are rebuilt (millions of times for a big
    district), hence the plain tuples and the form's fields read once per form."""
    plan = _plan(forms.form_for(day))
    first = day.isoformat()
    before = previous or {}
    runs: Runs = {
        key: _new((None, run[1], run[2], run[3], run[4]))
        for key, run in before.items()
        if key not in plan.keys
    }
    for key in plan.counts:
        run = before.get(key, _NEVER)
        value = values.get(key)
        if type(value) is not int:  # not asked, or not a number (a bool is not a count)
            runs[key] = _new((None, run[1], run[2], run[3], run[4]))
        else:
            runs[key] = _new(
                (value, run[1] + value, run[2] + 1, run[3] + (value != 0), run[4] or first)
            )
    for key, inflows, outflows in plan.stocks:
        run = before.get(key, _NEVER)
        closing = (
            (baseline[key] if key in baseline else closing_of(run))
            + flow_total(values, inflows)
            - flow_total(values, outflows)
        )
        runs[key] = _new((closing, closing, run[2] + 1, run[3] + (closing != 0), run[4] or first))
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
_new = partial(tuple.__new__, FieldRun)
"""A :class:`FieldRun` from a tuple of its items (without a Python call per run)."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """What :func:`advance` needs of a form: its count keys, and each stock's key and flows."""

    keys: frozenset[str]
    counts: tuple[str, ...]
    stocks: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]


_PLANS: dict[int, tuple[Form, _Plan]] = {}
_PLANS_KEPT = 64


def _plan(form: Form) -> _Plan:
    """The form's plan, made once per form (by identity: forms are immutable)."""
    found = _PLANS.get(id(form))
    if found is None or found[0] is not form:
        counts = tuple(field.key for field in form.counts())
        stocks = tuple(
            (field.key, tuple(field.inflows), tuple(field.outflows)) for field in form.stocks()
        )
        found = (form, _Plan(frozenset(counts + tuple(s[0] for s in stocks)), counts, stocks))
        if len(_PLANS) >= _PLANS_KEPT:
            _PLANS.clear()
        _PLANS[id(form)] = found
    return found[1]


def closing_of(run: FieldRun | None) -> int:
    """A stock's closing balance in its runs of a day: what the grid's next report opens
    with (0 when the stock has none, or that day's form did not have it)."""
    return 0 if run is None or run.value is None else run.value
