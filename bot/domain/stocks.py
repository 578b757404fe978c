"""Stock and flow arithmetic, and the skip logic that depends on it.

Hand-made reports go wrong where a stock is retyped every day: start + new − released ≠ end.
Here a stock is never typed (except once, as the baseline of a grid's first report): its
opening is the previous report's closing and its closing is opening + inflows − outflows.
Because openings are recomputed from the whole series, correcting an earlier day flows into
every later day.

Each day's stocks are those of that day's form: a stock added later starts from the
baseline the worker types once, a dropped stock stops being carried (its history stays).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.domain.form import GRID_REFS, OPENING_SUFFIX, Comparison, FieldDef, Form, Operand
from bot.domain.form_versions import FormSource
from bot.domain.models import FieldValue, Report, Values

GridSize = Mapping[str, int | None]
"""``households`` and ``population`` of a grid; None (or absent) when unknown."""


@dataclass(frozen=True, slots=True)
class StockDay:
    """One report day of a grid's stocks (each mapping is keyed by stock key)."""

    day: date
    opening: dict[str, int]
    inflow: dict[str, int]
    outflow: dict[str, int]
    closing: dict[str, int]
    rebased: frozenset[str]
    """Stocks whose opening that day is a baseline typed by the worker."""


def closings(
    form: Form, openings: Mapping[str, int], values: Mapping[str, FieldValue]
) -> dict[str, int]:
    """The closing balance of every stock. A missing opening or flow counts as 0."""
    return {
        stock.key: openings.get(stock.key, 0)
        + flow_total(values, stock.inflows)
        - flow_total(values, stock.outflows)
        for stock in form.stocks()
    }


def stock_series(forms: FormSource, reports: Sequence[Report]) -> list[StockDay]:
    """Walk one grid's reports in day order, carrying each closing into the next opening.

    A day's opening is the baseline of that report's current version when it has one for the
    stock, else the previous report's closing, else 0.
    """
    if len({report.grid_id for report in reports}) > 1:
        raise ValueError("stock_series needs the reports of a single grid")
    series: list[StockDay] = []
    previous: dict[str, int] = {}
    for report in sorted(reports, key=lambda item: item.day):
        day = next_stock_day(forms, report, previous)
        series.append(day)
        previous = day.closing
    return series


def next_stock_day(forms: FormSource, report: Report, previous: Mapping[str, int]) -> StockDay:
    """One step of :func:`stock_series`: ``report``'s stocks, given the closings of the grid's
    previous report (empty for its first). Lets a long series be walked without holding it.
    The stocks are those of the report's day's form."""
    version = report.current
    stocks = forms.form_for(report.day).stocks()
    opening = {
        stock.key: version.baseline.get(stock.key, previous.get(stock.key, 0)) for stock in stocks
    }
    inflow = {stock.key: flow_total(version.values, stock.inflows) for stock in stocks}
    outflow = {stock.key: flow_total(version.values, stock.outflows) for stock in stocks}
    return StockDay(
        day=report.day,
        opening=opening,
        inflow=inflow,
        outflow=outflow,
        closing={key: opening[key] + inflow[key] - outflow[key] for key in opening},
        rebased=frozenset(version.baseline) & opening.keys(),
    )


def openings_for(
    forms: FormSource, previous_reports: Sequence[Report], *, day: date | None = None
) -> dict[str, int]:
    """The openings of the next report: the latest closings (0 for a stock with no history),
    for the stocks of ``day``'s form (None: the latest form).

    With ``day``, only reports before that day count, and a baseline already given on that
    day's own report wins (correcting a grid's first report keeps its baseline).
    """
    before = [r for r in previous_reports if day is None or r.day < day]
    series = stock_series(forms, before)
    closing = series[-1].closing if series else {}
    stocks = forms.form_for(date.max if day is None else day).stocks()
    openings = {stock.key: closing.get(stock.key, 0) for stock in stocks}
    same_day = [r for r in previous_reports if day is not None and r.day == day]
    for report in same_day:
        openings.update({k: v for k, v in report.current.baseline.items() if k in openings})
    return openings


def needs_baseline(
    forms: FormSource, previous_reports: Sequence[Report], *, day: date | None = None
) -> list[str]:
    """Stocks of ``day``'s form (None: the latest) with no history: the bot asks the worker
    for their current number, once per grid.

    A stock has history once a report carries a baseline for it, or a report filed under a
    form that had the stock answered one of its flows (a stock added to the form later has
    neither, even when its flows were asked before).
    """
    missing = []
    for stock in forms.form_for(date.max if day is None else day).stocks():
        flows = {*stock.inflows, *stock.outflows}
        known = any(
            stock.key in report.current.baseline
            or (
                forms.form_for(report.day).has_field(stock.key)
                and bool(flows & report.current.values.keys())
            )
            for report in previous_reports
        )
        if not known:
            missing.append(stock.key)
    return missing


def zero_values(form: Form) -> Values:
    """The answers of a zero report: every count 0, every text or choice None."""
    return {field.key: 0 if field.kind == "count" else None for field in form.questions()}


def applies(
    form: Form,
    field: FieldDef | str,
    values: Mapping[str, FieldValue],
    openings: Mapping[str, int],
    grid: GridSize,
) -> bool:
    """Whether a field is asked. When its ``ask_if`` cannot be decided yet, it is asked."""
    definition = form.field(field) if isinstance(field, str) else field
    if definition.ask_if is None:
        return True
    return _Resolver(form, values, openings, grid).applies(definition) is not False


def fill_skipped(
    form: Form, values: Mapping[str, FieldValue], openings: Mapping[str, int], grid: GridSize
) -> Values:
    """A copy of ``values`` where every field that is not asked is 0 (count) or None."""
    filled: Values = dict(values)
    resolver = _Resolver(form, filled, openings, grid)
    for field in form.questions():
        if resolver.applies(field) is False:
            filled[field.key] = 0 if field.kind == "count" else None
    return filled


def operands(
    form: Form,
    comparison: Comparison,
    values: Mapping[str, FieldValue],
    openings: Mapping[str, int],
    grid: GridSize,
) -> tuple[int, int] | None:
    """Both sides of a comparison, or None while some reference has no value yet."""
    return _Resolver(form, values, openings, grid).comparison(comparison)


class _Resolver:
    """Values of references for one report being filled in.

    An unanswered count is unknown, except when its own ``ask_if`` is known to be false:
    then it is skipped, so 0.
    """

    def __init__(
        self,
        form: Form,
        values: Mapping[str, FieldValue],
        openings: Mapping[str, int],
        grid: GridSize,
    ) -> None:
        self.form = form
        self.values = values
        self.openings = openings
        self.grid = grid

    def reference(self, ref: str) -> int | None:
        if ref in GRID_REFS:
            return self.grid.get(ref.removeprefix("grid."))
        if ref.endswith(OPENING_SUFFIX):
            return self.openings.get(ref.removesuffix(OPENING_SUFFIX), 0)
        field = self.form.field(ref)
        if field.kind == "stock":
            inflow = self.operand(field.inflows) if field.inflows else 0
            outflow = self.operand(field.outflows) if field.outflows else 0
            if inflow is None or outflow is None:
                return None
            return self.openings.get(ref, 0) + inflow - outflow
        return self.count(field)

    def count(self, field: FieldDef) -> int | None:
        value = self.values.get(field.key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if value is None and self.applies(field) is False:
            return 0
        return None

    def operand(self, operand: Operand) -> int | None:
        if isinstance(operand, int):
            return operand
        refs = [operand] if isinstance(operand, str) else operand
        parts = [self.reference(ref) for ref in refs]
        return None if any(part is None for part in parts) else sum(p or 0 for p in parts)

    def comparison(self, comparison: Comparison) -> tuple[int, int] | None:
        left, right = self.operand(comparison.left), self.operand(comparison.right)
        return None if left is None or right is None else (left, right)

    def applies(self, field: FieldDef) -> bool | None:
        """True / False, or None when the ``ask_if`` cannot be decided yet."""
        if field.ask_if is None:
            return True
        pair = self.comparison(field.ask_if)
        return None if pair is None else field.ask_if.holds(*pair)


def flow_total(values: Mapping[str, FieldValue], keys: Sequence[str]) -> int:
    """The sum of these flows' answers (a missing or non-number answer counts as 0)."""
    return sum(value for key in keys if isinstance(value := values.get(key), int))
