"""Fill-in template entry: the whole report in one message.

The bot sends a template (one ``label：`` line per question); the worker copies it, fills in
after each colon and sends it back. Parsing is forgiving about how a line is written (either
language, full- or half-width colon, numbering, units) and strict about the values: every
problem is reported with its line number, all at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date

from bot.domain.answers import check_text, parse_answer
from bot.domain.form import FieldDef, Form, Text, normalise_label
from bot.domain.models import FieldValue, Values
from bot.domain.numbers import InputError, parse_count
from bot.domain.stocks import GridSize, applies, closings, fill_skipped
from bot.i18n import LOCALES, Locale, listing, t

_COLON = re.compile(r"[:：]")
_MISSING = "form.template.missing"


@dataclass(frozen=True)
class TemplateError:
    """One problem in a filled-in template; ``line`` is 1-based, None for a missing line."""

    line: int | None
    field: str | None
    key: str
    params: dict[str, object] = dataclass_field(default_factory=dict)
    label: Text | None = None
    """The label of ``field``, for the message."""

    def render(self, locale: Locale) -> str:
        """The problem in ``locale``, prefixed by its line (and field) when known."""
        message = InputError(self.key, self.params).render(locale)
        if self.line is None:
            return message
        if self.label is None:
            return t(locale, "form.template.at_line", line=self.line, message=message)
        return t(
            locale,
            "form.template.at_line_field",
            line=self.line,
            field=self.label(locale),
            message=message,
        )


@dataclass(frozen=True)
class TemplateResult:
    """What a filled-in template says: values (every question), problems, and whether the
    message looked like a template at all."""

    values: Values
    errors: list[TemplateError]
    recognised: bool

    @property
    def ok(self) -> bool:
        """A template without problems."""
        return self.recognised and not self.errors

    def error_message(self, locale: Locale) -> str:
        """All problems in one message, or how to use the template when it was not one."""
        if not self.recognised:
            return t(locale, "form.template.not_recognised")
        shown = [e.render(locale) for e in self.errors if not _is_missing(e)]
        missing = [e.label(locale) for e in self.errors if _is_missing(e) and e.label]
        if missing:
            shown.append(t(locale, "form.template.missing_many", fields=listing(locale, missing)))
        lines = [t(locale, "form.template.problems", count=len(shown))]
        lines.extend(t(locale, "form.template.bullet", text=text) for text in shown)
        return "\n".join(lines)


def render_template(
    form: Form,
    locale: Locale,
    *,
    grid_name: str,
    day: date,
    openings: Mapping[str, int],
    grid: GridSize,
) -> str:
    """The template message: header, one line of instructions, one line per question.

    A question whose ``ask_if`` is already known to be false is left out.
    """
    lines = [
        t(locale, "form.template.header", grid=grid_name, day=day.isoformat()),
        t(locale, "form.template.instruction"),
    ]
    for question in form.questions():
        if applies(form, question, {}, openings, grid):
            lines.append(t(locale, "form.template.line", label=_line_label(question, locale)))
    return "\n".join(line.rstrip() for line in lines)


def parse_template(
    form: Form,
    text: str,
    *,
    openings: Mapping[str, int],
    grid: GridSize,
) -> TemplateResult:
    """Read a filled-in template; see the module docstring."""
    reader = _Reader(form)
    for number, line in enumerate(text.splitlines(), start=1):
        reader.read_line(number, line)
    typed = reader.values
    values = {**fill_skipped(form, typed, openings, grid), **typed}
    errors = reader.errors
    unreadable = {error.field for error in errors if error.field is not None}
    errors.extend(_missing(form, values, openings, grid, reader.blank_lines, unreadable))
    stock_lines = {
        key: line
        for key, line in reader.stock_lines.items()
        if not unreadable.intersection([*form.field(key).inflows, *form.field(key).outflows])
    }
    errors.extend(_stock_errors(form, stock_lines, values, openings))
    errors.sort(key=lambda error: error.line if error.line is not None else 1 << 30)
    return TemplateResult(values=values, errors=errors, recognised=reader.recognised)


def _missing(
    form: Form,
    values: Values,
    openings: Mapping[str, int],
    grid: GridSize,
    blank_lines: Mapping[str, int],
    unreadable: set[str],
) -> list[TemplateError]:
    """Required answers not given; optional ones become None in ``values``.

    A question that depends on an unreadable answer is not reported: the worker fixes that
    answer first.
    """
    errors = []
    for question in form.questions():
        if question.key in values or question.key in unreadable:
            continue
        depends = form.involved(question.ask_if) if question.ask_if else ()
        if unreadable.intersection(depends):
            continue
        if question.required and applies(form, question, values, openings, grid):
            line = blank_lines.get(question.key)
            errors.append(_error(line, question, _MISSING, field=question.label))
        else:
            values[question.key] = None
    return errors


class _Reader:
    """Reads lines one by one, collecting values and problems."""

    def __init__(self, form: Form) -> None:
        self.form = form
        self.by_label = {
            normalise_label(name): f for f in form.fields for name in f.labels() if name.strip()
        }
        self.values: Values = {}
        self.errors: list[TemplateError] = []
        self.first_line: dict[str, int] = {}
        self.blank_lines: dict[str, int] = {}
        self.stock_lines: dict[str, tuple[int, str]] = {}
        self.recognised = False
        self.text_field: FieldDef | None = None
        self.ignored = {_plain(t(locale, "form.template.instruction")) for locale in LOCALES}
        self.headers = {_plain(_header_prefix(locale)) for locale in LOCALES} - {""}

    def read_line(self, number: int, line: str) -> None:
        plain = _plain(line)
        if not plain or plain in self.ignored or any(plain.startswith(h) for h in self.headers):
            return
        parts = _COLON.split(line, maxsplit=1)
        if len(parts) == 1:
            self._continuation(number, line)
            return
        self.text_field = None
        label, raw = parts[0], parts[1].strip()
        target = self.by_label.get(normalise_label(label))
        if target is None:
            expected = _expected(self.form)
            self.errors.append(
                _error(
                    number,
                    None,
                    "form.template.unknown_label",
                    label=label.strip(),
                    expected=expected,
                )
            )
            return
        self.recognised = True
        self._answer(number, target, raw)

    def _continuation(self, number: int, line: str) -> None:
        """A line without a colon continues a text answer, or is a mistake."""
        current = self.text_field
        if current is not None:
            previous = self.values.get(current.key)
            addition = line.strip()
            self.values[current.key] = addition if previous is None else f"{previous}\n{addition}"
            self.blank_lines.pop(current.key, None)
            self._check_text(number, current)
            return
        self.errors.append(_error(number, None, "form.template.no_colon", text=line.strip()))

    def _answer(self, number: int, target: FieldDef, raw: str) -> None:
        first = self.first_line.setdefault(target.key, number)
        if first != number:
            self.errors.append(_error(number, target, "form.template.duplicate", first=first))
            return
        if target.kind == "stock":
            self.stock_lines[target.key] = (number, raw)
            return
        if not raw:
            self.blank_lines[target.key] = number
            self.text_field = target if target.kind == "text" else None
            return
        try:
            self.values[target.key] = raw if target.kind == "text" else parse_answer(target, raw)
        except InputError as exc:
            self.errors.append(TemplateError(number, target.key, exc.key, exc.params, target.label))
            return
        if target.kind == "text":
            self.text_field = target
            self._check_text(number, target)

    def _check_text(self, number: int, target: FieldDef) -> None:
        value = self.values.get(target.key)
        if not isinstance(value, str):
            return
        try:
            check_text(target, value)
        except InputError as exc:
            del self.values[target.key]
            self.text_field = None
            self.errors.append(TemplateError(number, target.key, exc.key, exc.params, target.label))


def _is_missing(error: TemplateError) -> bool:
    """A required answer without any line: listed together in one line of the message."""
    return error.key == _MISSING and error.line is None


def _stock_errors(
    form: Form,
    stock_lines: Mapping[str, tuple[int, str]],
    values: Values,
    openings: Mapping[str, int],
) -> list[TemplateError]:
    """A stock line is derived: accepted when empty or equal to the derived figure."""
    derived = closings(form, openings, values)
    errors = []
    for key, (number, raw) in stock_lines.items():
        stock = form.field(key)
        closing = derived[key]
        try:
            if not raw or parse_count(raw) == closing:
                continue
        except InputError:
            pass
        inflow = sum(_int(values.get(flow)) for flow in stock.inflows)
        outflow = sum(_int(values.get(flow)) for flow in stock.outflows)
        params = {
            "text": raw,
            "opening": openings.get(key, 0),
            "inflow": inflow,
            "outflow": outflow,
            "closing": closing,
        }
        errors.append(TemplateError(number, key, "form.template.stock_line", params, stock.label))
    return errors


def _error(
    line: int | None, target: FieldDef | None, key: str, /, **params: object
) -> TemplateError:
    if target is None:
        return TemplateError(line, None, key, dict(params))
    return TemplateError(line, target.key, key, dict(params), target.label)


def _line_label(question: FieldDef, locale: Locale) -> str:
    label = question.label(locale)
    if question.unit is not None:
        label += t(locale, "form.template.unit", unit=question.unit(locale))
    if not question.required:
        label += t(locale, "form.template.optional")
    return label


def _expected(form: Form) -> Text:
    """The labels a template may use, in both languages."""
    return Text(
        zh="、".join(question.label.zh for question in form.questions()),
        en=", ".join(question.label.en for question in form.questions()),
    )


def _header_prefix(locale: Locale) -> str:
    """The fixed start of the header line (before the grid name)."""
    return t(locale, "form.template.header", grid="\0", day="").split("\0")[0]


def _plain(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def _int(value: FieldValue) -> int:
    return value if isinstance(value, int) else 0
