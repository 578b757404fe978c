"""What the page shows, as JSON: the form in the worker's language, the draft's state, the
summary — all computed by the same domain code as the chat (nothing is re-implemented in
the page's script)."""

from __future__ import annotations

from typing import Any

from bot.domain.answers import INCIDENT_MAX_CHARS, check_incident_description, parse_answer
from bot.domain.draft import (
    BASELINE_SUFFIX,
    Draft,
    DraftIncident,
    asked_fields,
    drop_inapplicable,
    final_values,
    record_answer,
    report_kind,
)
from bot.domain.form import FieldDef, Form
from bot.domain.models import FieldValue
from bot.domain.numbers import InputError, parse_count
from bot.domain.rules import Violation, evaluate
from bot.domain.stocks import closings, operands
from bot.domain.summary import summary_lines
from bot.i18n import Locale

Json = dict[str, Any]


def form_view(form: Form, draft: Draft, locale: Locale) -> Json:
    """The day's form: every field with its help and unit, the openings still to be given
    (a grid's first report), and the incident categories."""
    return {
        "title": form.title(locale),
        "fields": [_field_view(field, locale) for field in form.fields],
        "openings": [
            _opening_view(form.field(key), locale) for key in _openings_asked(form, draft)
        ],
        "categories": [
            {"key": item.key, "label": item.label(locale), "urgent": item.urgent}
            for item in form.incident_categories
        ],
        "incident_max": INCIDENT_MAX_CHARS,
    }


def _openings_asked(form: Form, draft: Draft) -> list[str]:
    """Stocks whose opening balance this draft asks for (still missing, or already typed)."""
    asked = {*draft.pending_baseline, *draft.baseline}
    return [stock.key for stock in form.stocks() if stock.key in asked]


def _field_view(field: FieldDef, locale: Locale) -> Json:
    return {
        "key": field.key,
        "kind": field.kind,
        "label": field.label(locale),
        "help": field.help(locale),
        "unit": field.unit(locale) if field.unit else "",
        "required": field.required,
        "max_length": field.max_length,
        "choices": [{"key": c.key, "label": c.label(locale)} for c in field.choices],
    }


def _opening_view(stock: FieldDef, locale: Locale) -> Json:
    return {
        "key": stock.key + BASELINE_SUFFIX,
        "label": stock.label(locale),
        "help": stock.help(locale),
        "unit": stock.unit(locale) if stock.unit else "",
    }


def state_view(form: Form, draft: Draft, revision: int) -> Json:
    """The draft as the page shows it: answers, which questions are asked now (conditional
    ones appear as their condition holds), the live stocks, and the incidents; ``revision``
    (:func:`bot.domain.draft.draft_revision`) tells the page which of two states is newer."""
    openings = draft.all_openings()
    return {
        "revision": revision,
        "day": draft.day.isoformat(),
        "values": {key: _shown(value) for key, value in draft.values.items()},
        "openings": {key + BASELINE_SUFFIX: value for key, value in draft.baseline.items()},
        "asked": shown_fields(form, draft),
        "stocks": {
            key: {"opening": openings.get(key), "closing": value}
            for key, value in closings(form, openings, draft.values).items()
        },
        "pending_openings": [key + BASELINE_SUFFIX for key in draft.pending_baseline],
        "incidents": [item.model_dump() for item in draft.incidents],
    }


def shown_fields(form: Form, draft: Draft) -> list[str]:
    """The questions on the page now: those that apply, a conditional one only once its
    condition is known to hold (the chat asks in order, so it never shows one early)."""
    openings = draft.all_openings()
    return [
        key
        for key in asked_fields(form, draft)
        if (condition := form.field(key).ask_if) is None
        or operands(form, condition, draft.values, openings, draft.grid_facts) is not None
    ]


def _shown(value: FieldValue) -> str:
    return "" if value is None else str(value)


class Refused(Exception):
    """An answer or an incident the page must show as refused (the draft is unchanged)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def apply_answer(form: Form, draft: Draft, key: str, raw: str, locale: Locale) -> list[str]:
    """Check and record one answer as the chat does; returns the soft warnings it raised.

    An empty count or choice takes the answer back (the question is unanswered again). A
    refused answer (unreadable, or a hard rule) is not kept: Refused says why.
    """
    if key.endswith(BASELINE_SUFFIX):
        return _apply_opening(form, draft, key, raw, locale)
    if not form.has_field(key) or key not in asked_fields(form, draft):
        raise Refused([])
    field = form.field(key)
    if not raw.strip() and field.kind != "text":
        draft.take_back(key)
        drop_inapplicable(form, draft)
        return []
    try:
        value = parse_answer(field, raw)
    except InputError as error:
        draft.take_back(key)
        raise Refused([error.render(locale)]) from None
    violations = evaluate(form, {**draft.values, key: value}, draft.rule_context(), touching=key)
    hard = [item.render(locale) for item in violations if item.severity == "hard"]
    if hard:
        draft.take_back(key)
        raise Refused(hard)
    record_answer(draft, key, value)
    drop_inapplicable(form, draft)
    return [item.render(locale) for item in draft.unconfirmed(violations)]


def _apply_opening(form: Form, draft: Draft, key: str, raw: str, locale: Locale) -> list[str]:
    stock = key.removesuffix(BASELINE_SUFFIX)
    if stock not in _openings_asked(form, draft):
        raise Refused([])
    if not raw.strip():
        draft.take_back(key)
        return []
    try:
        record_answer(draft, key, parse_count(raw))
    except InputError as error:
        raise Refused([error.render(locale)]) from None
    drop_inapplicable(form, draft)
    return []


def set_incidents(form: Form, draft: Draft, items: object, locale: Locale) -> None:
    """Replace the draft's incidents with the page's list, each checked as in chat."""
    if not isinstance(items, list):
        raise Refused([])
    incidents: list[DraftIncident] = []
    problems: list[str] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not form.has_category(str(item.get("category"))):
            raise Refused([])
        category = str(item["category"])
        try:
            description = check_incident_description(str(item.get("description") or ""))
        except InputError as error:
            problems.append(f"{number}. {error.render(locale)}")
            continue
        urgent = bool(item.get("urgent")) or form.category(category).urgent
        incidents.append(DraftIncident(category=category, description=description, urgent=urgent))
    if problems:
        raise Refused(problems)
    draft.replace_incidents(incidents)


def unanswered(form: Form, draft: Draft, locale: Locale) -> list[str]:
    """Labels of the openings and questions still to be answered."""
    openings = [form.field(key).label(locale) for key in draft.pending_baseline]
    return openings + [
        form.field(key).label(locale)
        for key in shown_fields(form, draft)
        if key not in draft.values and not _skippable(form.field(key))
    ]


def skip_unanswered_optional(form: Form, draft: Draft) -> None:
    """Optional questions left empty in the page count as skipped (the chat's Skip)."""
    for key in asked_fields(form, draft):
        if key not in draft.values and _skippable(form.field(key)):
            record_answer(draft, key, None)


def _skippable(field: FieldDef) -> bool:
    """An optional text: left empty, it is skipped (counts and choices are always asked)."""
    return field.kind == "text" and not field.required


def review(form: Form, draft: Draft, locale: Locale) -> Json:
    """The summary the chat shows before submitting, with what the rules say."""
    values = final_values(form, draft)
    violations = evaluate(form, values, draft.rule_context())
    return {
        "lines": summary_lines(
            form,
            locale,
            values=values,
            openings=draft.all_openings(),
            kind=report_kind(form, draft, values),
            incidents=draft.incident_values(),
        ),
        "missing": unanswered(form, draft, locale),
        "hard": _rendered(violations, "hard", locale),
        "soft": [item.render(locale) for item in draft.unconfirmed(violations)],
    }


def confirm_warnings(form: Form, draft: Draft) -> None:
    """The worker confirmed the soft warnings shown ("are you sure?" → yes)."""
    draft.confirm(evaluate(form, final_values(form, draft), draft.rule_context()))


def _rendered(violations: list[Violation], severity: str, locale: Locale) -> list[str]:
    return [item.render(locale) for item in violations if item.severity == severity]
