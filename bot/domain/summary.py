"""How a report reads back to the worker (and in digests): short plain-text lines.

The caller HTML-escapes. Stocks are shown with their arithmetic so a worker can see at a
glance that yesterday + new − released adds up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.form import FieldDef, Form
from bot.domain.models import FieldValue, Incident, ReportKind
from bot.domain.stocks import GridSize, applies, closings
from bot.i18n import Locale, t


def summary_lines(
    form: Form,
    locale: Locale,
    *,
    values: Mapping[str, FieldValue],
    openings: Mapping[str, int],
    kind: ReportKind,
    incidents: Sequence[Incident],
    grid: GridSize | None = None,
) -> list[str]:
    """The report as lines: answers, derived stocks, then incidents.

    A zero report reads as one explicit "nothing new, nothing abnormal" line plus the stocks
    carried over. Fields skipped by their ``ask_if`` are left out.
    """
    if kind == ReportKind.ZERO:
        lines = [t(locale, "form.summary.zero")]
        lines.extend(_carried(stock, locale, openings) for stock in form.stocks())
        return lines + _incident_lines(form, locale, incidents, zero=True)
    closing = closings(form, openings, values)
    lines = []
    for field in form.fields:
        if field.kind == "stock":
            lines.append(_stock_line(field, locale, values, openings, closing[field.key]))
        elif applies(form, field, values, openings, grid or {}):
            value = _shown(field, locale, values.get(field.key))
            lines.append(t(locale, "form.summary.line", label=field.label(locale), value=value))
    return lines + _incident_lines(form, locale, incidents, zero=False)


def diff_lines(
    form: Form, locale: Locale, old: Mapping[str, FieldValue], new: Mapping[str, FieldValue]
) -> list[str]:
    """What a correction changed, one line per changed answer: ``排查人数：120 → 130``."""
    lines = []
    for field in form.questions():
        before, after = old.get(field.key), new.get(field.key)
        if before != after:
            lines.append(
                _diff(
                    locale,
                    field.label(locale),
                    _bare(field, locale, before),
                    _bare(field, locale, after),
                )
            )
    known = {field.key for field in form.fields}
    for key in sorted((old.keys() | new.keys()) - known):
        before, after = old.get(key), new.get(key)
        if before != after:
            lines.append(_diff(locale, key, _raw(locale, before), _raw(locale, after)))
    return lines


def quantity(field: FieldDef, locale: Locale, value: int) -> str:
    """A number with the field's unit: ``120 人`` / ``120 people``."""
    if field.unit is None:
        return str(value)
    unit = field.unit_one if value == 1 and field.unit_one is not None else field.unit
    return t(locale, "form.summary.quantity", value=value, unit=unit(locale))


def _stock_line(
    stock: FieldDef,
    locale: Locale,
    values: Mapping[str, FieldValue],
    openings: Mapping[str, int],
    closing: int,
) -> str:
    return t(
        locale,
        "form.summary.stock",
        label=stock.label(locale),
        closing=quantity(stock, locale, closing),
        opening=openings.get(stock.key, 0),
        inflow=sum(_int(values.get(key)) for key in stock.inflows),
        outflow=sum(_int(values.get(key)) for key in stock.outflows),
    )


def _carried(stock: FieldDef, locale: Locale, openings: Mapping[str, int]) -> str:
    closing = quantity(stock, locale, openings.get(stock.key, 0))
    return t(locale, "form.summary.stock_carried", label=stock.label(locale), closing=closing)


def _incident_lines(
    form: Form, locale: Locale, incidents: Sequence[Incident], *, zero: bool
) -> list[str]:
    if not incidents:
        return [] if zero else [t(locale, "form.summary.no_incidents")]
    lines = [t(locale, "form.summary.incidents", count=len(incidents))]
    for incident in incidents:
        key = "form.summary.incident_urgent" if incident.urgent else "form.summary.incident"
        category = _category_label(form, locale, incident.category)
        lines.append(t(locale, key, category=category, description=incident.description))
    return lines


def _category_label(form: Form, locale: Locale, key: str) -> str:
    try:
        return form.category(key).label(locale)
    except KeyError:
        return key


def _shown(field: FieldDef, locale: Locale, value: FieldValue) -> str:
    """An answer as it reads in a summary line."""
    if isinstance(value, int):
        return quantity(field, locale, value)
    return _bare(field, locale, value)


def _bare(field: FieldDef, locale: Locale, value: FieldValue) -> str:
    """An answer without unit: a number, a choice's label, a text, or "none"."""
    if field.kind == "choice" and isinstance(value, str):
        for choice in field.choices:
            if choice.key == value:
                return choice.label(locale)
    return _raw(locale, value)


def _raw(locale: Locale, value: FieldValue) -> str:
    """An answer as stored; no answer reads as "not filled in", never as zero."""
    if value is None or value == "":
        return t(locale, "form.summary.blank")
    return str(value)


def _diff(locale: Locale, label: str, before: str, after: str) -> str:
    return t(locale, "form.summary.diff", label=label, old=before, new=after)


def _int(value: FieldValue) -> int:
    return value if isinstance(value, int) else 0
