"""Validation of a report's answers against the form's rules.

A *hard* violation (a part bigger than its whole, more people released than were in
isolation) must be fixed before the report is accepted; a *soft* one (more households visited
than the grid has, a sudden tenfold jump) is shown to the worker, who may confirm it.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.domain.form import CompareRule, Form, Severity, SpikeRule, Text
from bot.domain.models import FieldValue, Report
from bot.domain.stocks import operands
from bot.i18n import Locale


@dataclass(frozen=True)
class Violation:
    """A broken rule: which rule, how bad, which fields, and the message with its numbers."""

    rule_id: str
    severity: Severity
    fields: tuple[str, ...]
    message: Text
    params: dict[str, int | float]
    labels: dict[str, Text] = field(default_factory=dict)
    """Text placeholders of the message (``{field}``: the label of the field concerned)."""

    def render(self, locale: Locale) -> str:
        """The message in ``locale`` with its numbers and labels filled in."""
        numbers = {name: _number(value) for name, value in self.params.items()}
        texts = {name: text(locale) for name, text in self.labels.items()}
        return self.message(locale).format(**numbers, **texts)


@dataclass(frozen=True)
class RuleContext:
    """What the rules need besides the answers."""

    openings: Mapping[str, int] = field(default_factory=dict)
    grid: Mapping[str, int | None] = field(default_factory=dict)
    """``households`` / ``population``; None or absent: unknown, rules using it are skipped."""
    history: Mapping[str, Sequence[int]] = field(default_factory=dict)
    """Recent values per field, oldest first, for spike rules."""


def history_window(form: Form) -> int:
    """How many days of history the spike rules look at (0 when there is no spike rule)."""
    return max((rule.window_days for rule in form.rules if isinstance(rule, SpikeRule)), default=0)


def history_from(reports: Sequence[Report], day: date, window_days: int) -> dict[str, list[int]]:
    """Per field, the values reported in the ``window_days`` days before ``day``, oldest first."""
    start = day - timedelta(days=window_days)
    history: dict[str, list[int]] = {}
    for report in sorted(reports, key=lambda item: item.day):
        if not start <= report.day < day:
            continue
        for key, value in report.current.values.items():
            if isinstance(value, int) and not isinstance(value, bool):
                history.setdefault(key, []).append(value)
    return history


def evaluate(
    form: Form,
    values: Mapping[str, FieldValue],
    ctx: RuleContext,
    *,
    touching: str | None = None,
) -> list[Violation]:
    """Every rule the answers break: hard before soft, in form order.

    A rule is checked only once every value it refers to is known. With ``touching``, only
    rules involving that field are checked (right after the worker answers it).
    """
    found: list[Violation] = []
    for rule in form.rules:
        if isinstance(rule, CompareRule):
            found.extend(_compare(form, rule, values, ctx, touching))
        else:
            found.extend(_spikes(form, rule, values, ctx, touching))
    return sorted(found, key=lambda violation: violation.severity != "hard")


def _compare(
    form: Form,
    rule: CompareRule,
    values: Mapping[str, FieldValue],
    ctx: RuleContext,
    touching: str | None,
) -> list[Violation]:
    involved = form.involved(rule.check)
    if touching is not None and touching not in involved:
        return []
    pair = operands(form, rule.check, values, ctx.openings, ctx.grid)
    if pair is None or rule.check.holds(*pair):
        return []
    left, right = pair
    params: dict[str, int | float] = {"left": left, "right": right}
    return [Violation(rule.id, rule.severity, involved, rule.message, params)]


def _spikes(
    form: Form,
    rule: SpikeRule,
    values: Mapping[str, FieldValue],
    ctx: RuleContext,
    touching: str | None,
) -> list[Violation]:
    found = []
    for key in form.spike_fields(rule):
        value = values.get(key)
        if touching not in (None, key) or not isinstance(value, int):
            continue
        history = list(ctx.history.get(key, ()))[-rule.window_days :]
        if len(history) < rule.min_history:
            continue
        median = statistics.median(history)
        if median > 0 and value > rule.factor * median:
            params = {"value": value, "median": median, "factor": rule.factor}
            labels = {"field": form.field(key).label}
            found.append(Violation(rule.id, rule.severity, (key,), rule.message, params, labels))
    return found


def _number(value: int | float) -> int | float:
    """3.0 → 3 and 2.25 → 2.3, so messages read naturally."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, 1)
    return value
