"""The report form is data: a TOML file turned into pydantic models when it is loaded.

A form lists the fields a grid reports each day, in the order they are asked, the incident
categories and the validation rules. Rules and skip logic (``ask_if``) are comparisons
between operands; an operand is an int literal, a reference or a list of references summed:

- ``screened``: a count field's answer;
- ``home_isolation``: a stock's closing balance (opening + inflows − outflows);
- ``home_isolation.opening``: a stock's opening balance (yesterday's closing);
- ``grid.households`` / ``grid.population``: the grid's size from the roster.

Nothing here is ever evaluated as code: comparisons go through a table of operators.
"""

from __future__ import annotations

import dataclasses
import operator
import re
import string
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.i18n import Locale, short_lang, t

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,30}$"
CATEGORY_PATTERN = r"^[a-z][a-z0-9_]{0,15}$"
RULE_PATTERN = r"^[a-z][a-z0-9_]{0,40}$"
GRID_REFS = ("grid.households", "grid.population")
OPENING_SUFFIX = ".opening"
DEFAULT_FORM_NAME = "bot/forms/default.toml"

Operand: TypeAlias = StrictInt | StrictStr | list[StrictStr]
"""An int literal, a reference, or a list of references whose values are summed."""

Op: TypeAlias = Literal["<", "<=", ">", ">=", "==", "!="]
Severity: TypeAlias = Literal["hard", "soft"]

_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_COMPARE_PLACEHOLDERS = frozenset({"left", "right"})
_SPIKE_PLACEHOLDERS = frozenset({"field", "value", "median", "factor"})
_LABEL_NUMBERING = re.compile(r"^(?:\(\d+\)|\d+[.、)]?|[一二三四五六七八九十]+、)")
_LABEL_TRAILING_BRACKETS = re.compile(r"\([^()]*\)$")


class _Problem(ValueError):
    """A form mistake found by a validator: where it is, and an i18n reason key."""

    def __init__(self, where: str, reason: str, /, **params: object) -> None:
        super().__init__(t("en", reason, **params))
        self.where = where
        self.key = reason
        self.params = params


class FormError(Exception):
    """A form file that cannot be used; ``render`` says in one line where and why."""

    def __init__(
        self,
        file: str,
        key: str,
        params: Mapping[str, object] | None = None,
        *,
        where: str | None = None,
        more: int = 0,
    ) -> None:
        self.file = file
        self.key = key
        self.params: dict[str, object] = dict(params or {})
        self.where = where
        self.more = more
        super().__init__(self.render("en"))

    def render(self, locale: Locale) -> str:
        """One line naming the file, the place in it (when known) and the reason."""
        reason = t(locale, self.key, **self.params)
        if self.where:
            line = t(locale, "form.load.error_at", file=self.file, where=self.where, reason=reason)
        else:
            line = t(locale, "form.load.error", file=self.file, reason=reason)
        if self.more:
            line += t(locale, "form.load.more", count=self.more)
        return " ".join(line.split())


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    """A string in both languages of the bot."""

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def __call__(self, locale: Locale) -> str:
        return self.zh if short_lang(locale) == "zh" else self.en


class Comparison(_Model):
    """``left op right``: a rule's check or a field's ``ask_if``."""

    left: Operand
    op: Op
    right: Operand

    @field_validator("left", "right")
    @classmethod
    def _non_empty_sum(cls, value: Operand) -> Operand:
        if isinstance(value, list) and not value:
            raise ValueError("a list operand needs at least one reference")
        return value

    def references(self) -> list[str]:
        """Every reference used on either side, left to right."""
        return [*_operand_refs(self.left), *_operand_refs(self.right)]

    def holds(self, left: int, right: int) -> bool:
        """Whether the comparison is true for these operand values."""
        return _OPERATORS[self.op](left, right)


class Choice(_Model):
    """One option of a ``choice`` field."""

    key: str = Field(pattern=KEY_PATTERN)
    label: Text


class FieldDef(_Model):
    """One field of the form.

    ``count``: a flow, new today, an integer ≥ 0. ``stock``: derived, never asked:
    opening + sum(inflows) − sum(outflows). ``choice``: one of ``choices``. ``text``: free text.
    """

    key: str = Field(pattern=KEY_PATTERN)
    kind: Literal["count", "stock", "choice", "text"]
    label: Text
    help: Text
    unit: Text | None = None
    unit_one: Text | None = None
    """The unit after the number 1, where the language says it differently (person/people)."""
    required: bool = True
    min: int = Field(default=0, ge=0)
    max: int | None = None
    choices: list[Choice] = Field(default_factory=list)
    inflows: list[str] = Field(default_factory=list)
    outflows: list[str] = Field(default_factory=list)
    ask_if: Comparison | None = None
    max_length: int = Field(default=500, ge=1, le=4000)
    aliases: list[str] = Field(default_factory=list)
    always_shown: bool = False
    """A count or stock a grid's digest line always shows when it is not 0 (fever cases, the
    people under management), whatever else is chosen for the line."""
    marker: bool = False
    """A count of rare events (fever cases): the area chart marks the days it is not 0."""

    @model_validator(mode="after")
    def _consistent(self) -> FieldDef:
        if self.max is not None and self.max < self.min:
            raise _Problem("max", "form.load.reason.max_below_min", min=self.min, max=self.max)
        if self.kind == "choice" and not self.choices:
            raise _Problem("choices", "form.load.reason.choices_missing")
        if self.kind != "choice" and self.choices:
            raise _Problem("choices", "form.load.reason.choices_unexpected", kind=self.kind)
        if len({choice.key for choice in self.choices}) != len(self.choices):
            raise _Problem("choices", "form.load.reason.choices_duplicate")
        if self.kind == "stock":
            if not self.inflows and not self.outflows:
                raise _Problem("inflows", "form.load.reason.no_flows")
            if self.ask_if is not None:
                raise _Problem("ask_if", "form.load.reason.stock_ask_if")
        elif self.inflows or self.outflows:
            raise _Problem("inflows", "form.load.reason.flows_unexpected", kind=self.kind)
        return self

    def labels(self) -> list[str]:
        """Every name this field goes by: key, both labels, aliases."""
        return [self.key, self.label.zh, self.label.en, *self.aliases]


class IncidentCategory(_Model):
    """A kind of incident (异常情况); the key goes into Telegram callback data."""

    key: str = Field(pattern=CATEGORY_PATTERN)
    label: Text
    urgent: bool = False


class CompareRule(_Model):
    """A check between two operands; the message may use ``{left}`` and ``{right}``."""

    type: Literal["compare"]
    id: str = Field(pattern=RULE_PATTERN)
    severity: Severity
    message: Text
    check: Comparison

    @model_validator(mode="after")
    def _message_placeholders(self) -> CompareRule:
        _check_placeholders(self.message, _COMPARE_PLACEHOLDERS)
        return self


class SpikeRule(_Model):
    """A value far above its recent median (a typo such as 1200 for 120).

    The message may use ``{field}`` (the field's label), ``{value}``, ``{median}``, ``{factor}``.
    """

    type: Literal["spike"]
    id: str = Field(pattern=RULE_PATTERN)
    severity: Literal["soft"] = "soft"
    message: Text
    fields: list[str] | Literal["*"] = "*"
    factor: float = Field(default=3, gt=1)
    window_days: int = Field(default=14, ge=1, le=366)
    min_history: int = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _message_placeholders(self) -> SpikeRule:
        _check_placeholders(self.message, _SPIKE_PLACEHOLDERS)
        return self


Rule: TypeAlias = Annotated[CompareRule | SpikeRule, Field(discriminator="type")]


class Form(_Model):
    """A whole form: fields in the order they are asked, incident categories and rules."""

    version: int = Field(ge=1)
    title: Text
    fields: list[FieldDef] = Field(min_length=1)
    incident_categories: list[IncidentCategory] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_check(self) -> Form:
        _check_form(self)
        return self

    @cached_property
    def _index(self) -> _FormIndex:
        """Look-ups every update makes, worked out once per form (a form never changes: a
        new one is a new version). A plain attribute: pydantic's private attributes take
        microseconds to read, and a question is looked up a dozen times an update."""
        return _FormIndex(
            by_key={field.key: field for field in self.fields},
            questions=tuple(field for field in self.fields if field.kind != "stock"),
        )

    def form_for(self, day: date) -> Form:
        """This form, whatever the day: a single form is a history of one version
        (see :class:`bot.domain.form_versions.FormHistory`)."""
        return self

    def field(self, key: str) -> FieldDef:
        """The field with this key; KeyError if there is none."""
        return self._index.by_key[key]

    def has_field(self, key: str) -> bool:
        """Whether the form has a field with this key."""
        return key in self._index.by_key

    def questions(self) -> list[FieldDef]:
        """The fields asked, in order: every field except the derived stocks."""
        return list(self._index.questions)

    def stocks(self) -> list[FieldDef]:
        """The derived stock fields, in form order."""
        return [field for field in self.fields if field.kind == "stock"]

    def counts(self) -> list[FieldDef]:
        """The count fields, in form order."""
        return [field for field in self.fields if field.kind == "count"]

    def category(self, key: str) -> IncidentCategory:
        """The incident category with this key; KeyError if there is none."""
        for category in self.incident_categories:
            if category.key == key:
                return category
        raise KeyError(key)

    def has_category(self, key: str) -> bool:
        """Whether the form has an incident category with this key (callback data may be stale)."""
        return any(category.key == key for category in self.incident_categories)

    def spike_fields(self, rule: SpikeRule) -> list[str]:
        """The count fields a spike rule watches (``"*"`` = every count field)."""
        if rule.fields == "*":
            return [field.key for field in self.counts()]
        return list(rule.fields)

    def involved(self, comparison: Comparison) -> tuple[str, ...]:
        """The fields whose answers a comparison depends on, in order of mention.

        A stock's closing involves its flows; openings and grid sizes involve no answer.
        """
        known = self._index.involved.get(id(comparison))
        if known is not None and known[0] is comparison:
            return known[1]
        involved = self._involved(comparison)
        self._index.involved[id(comparison)] = (comparison, involved)
        return involved

    def _involved(self, comparison: Comparison) -> tuple[str, ...]:
        keys: list[str] = []
        for ref in comparison.references():
            if ref in GRID_REFS or ref.endswith(OPENING_SUFFIX):
                continue
            field = self.field(ref)
            keys.extend([*field.inflows, *field.outflows] if field.kind == "stock" else [ref])
        return tuple(dict.fromkeys(keys))


@dataclasses.dataclass(frozen=True)
class _FormIndex:
    """What :attr:`Form._index` keeps."""

    by_key: dict[str, FieldDef]
    questions: tuple[FieldDef, ...]
    involved: dict[int, tuple[Comparison, tuple[str, ...]]] = dataclasses.field(
        default_factory=dict
    )
    """:meth:`Form.involved` of the comparisons asked about so far, by ``id`` (kept with the
    comparison itself, so an id reused by another object is never mistaken for it)."""


def normalise_label(text: str) -> str:
    """A label compared loosely: width, case and spaces ignored, leading numbering
    (``1.``, ``①``, ``(2)``, ``三、``) and trailing bracketed notes (a unit, ``(选填)``) dropped."""
    label = "".join(unicodedata.normalize("NFKC", text).lower().split())
    label = _LABEL_NUMBERING.sub("", label)
    while True:
        shorter = _LABEL_TRAILING_BRACKETS.sub("", label)
        if shorter == label or not shorter:
            return label
        label = shorter


def load_form(path: Path | None = None) -> Form:
    """Load and validate a form file (None: the packaged default form).

    Raises :class:`FormError` naming the file, the place in it and the reason.
    """
    name = DEFAULT_FORM_NAME if path is None else str(path)
    return parse_form(read_form_text(path), name)


def read_form_text(path: Path | None = None) -> str:
    """The text of a form file (None: the packaged default form); FormError when unreadable."""
    name = DEFAULT_FORM_NAME if path is None else str(path)
    try:
        if path is None:
            return (resources.files("bot") / "forms" / "default.toml").read_text("utf-8")
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise FormError(name, "form.load.reason.missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormError(name, "form.load.reason.unreadable", {"detail": str(exc)}) from exc


def parse_form(raw: str, name: str) -> Form:
    """Validate a form's TOML text; ``name`` (a file name) is what errors call it."""
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise FormError(name, "form.load.reason.syntax", {"detail": str(exc)}) from exc
    try:
        return Form.model_validate(data)
    except ValidationError as exc:
        raise _form_error(name, data, exc) from exc


def _operand_refs(operand: Operand) -> list[str]:
    if isinstance(operand, int):
        return []
    return [operand] if isinstance(operand, str) else list(operand)


def _check_placeholders(message: Text, allowed: frozenset[str]) -> None:
    for text in (message.zh, message.en):
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        except ValueError:
            raise _Problem("message", "form.load.reason.message_syntax", text=text) from None
        for name in names:
            if name not in allowed:
                raise _Problem(
                    "message",
                    "form.load.reason.placeholder",
                    name=name,
                    allowed=", ".join(f"{{{item}}}" for item in sorted(allowed)),
                )


def _check_form(form: Form) -> None:
    """Cross-field checks; raise :class:`_Problem` at the first mistake."""
    for problem in _problems(form):
        raise problem


def _problems(form: Form) -> Iterator[_Problem]:
    yield from _duplicates(form)
    index = {field.key: position for position, field in enumerate(form.fields)}
    by_key = {field.key: field for field in form.fields}
    for position, field in enumerate(form.fields):
        where = f"fields[{position}] ({field.key})"
        yield from _flow_problems(field, by_key, where)
        if field.ask_if is not None:
            yield from _ask_if_problems(field.ask_if, position, index, by_key, f"{where}.ask_if")
    for position, rule in enumerate(form.rules):
        where = f"rules[{position}] ({rule.id})"
        if isinstance(rule, CompareRule):
            for ref in rule.check.references():
                yield from _ref_problems(ref, by_key, f"{where}.check")
        elif rule.fields != "*":
            for key in rule.fields:
                if by_key.get(key) is None or by_key[key].kind != "count":
                    yield _Problem(f"{where}.fields", "form.load.reason.not_count", ref=key)
    yield from _label_clashes(form)


def _duplicates(form: Form) -> Iterator[_Problem]:
    groups: list[tuple[str, str, Sequence[str]]] = [
        ("fields", "key", [field.key for field in form.fields]),
        ("incident_categories", "key", [category.key for category in form.incident_categories]),
        ("rules", "id", [rule.id for rule in form.rules]),
    ]
    for table, attribute, keys in groups:
        seen: set[str] = set()
        for position, key in enumerate(keys):
            if key in seen:
                where = f"{table}[{position}] ({key}).{attribute}"
                yield _Problem(where, "form.load.reason.duplicate", key=key)
            seen.add(key)
    for position, field in enumerate(form.fields):
        if field.key == "grid":
            yield _Problem(f"fields[{position}].key", "form.load.reason.reserved", key="grid")


def _flow_problems(
    field: FieldDef, by_key: Mapping[str, FieldDef], where: str
) -> Iterator[_Problem]:
    flows = [*field.inflows, *field.outflows]
    for ref in flows:
        target = by_key.get(ref)
        if target is None:
            yield _Problem(f"{where}.inflows", "form.load.reason.unknown_ref", ref=ref)
        elif target.kind != "count":
            yield _Problem(f"{where}.inflows", "form.load.reason.flow_not_count", ref=ref)
    if len(set(flows)) != len(flows):
        yield _Problem(f"{where}.inflows", "form.load.reason.flow_twice")


def _ref_problems(ref: str, by_key: Mapping[str, FieldDef], where: str) -> Iterator[_Problem]:
    """A reference that does not resolve to a number (see the module docstring)."""
    if ref in GRID_REFS:
        return
    if ref.startswith("grid."):
        yield _Problem(
            where, "form.load.reason.unknown_grid", ref=ref, allowed=", ".join(GRID_REFS)
        )
        return
    stock = ref.removesuffix(OPENING_SUFFIX)
    target = by_key.get(stock)
    if target is None:
        yield _Problem(where, "form.load.reason.unknown_ref", ref=ref)
    elif stock != ref and target.kind != "stock":
        yield _Problem(where, "form.load.reason.opening_not_stock", ref=ref)
    elif target.kind not in ("count", "stock"):
        yield _Problem(where, "form.load.reason.not_number", ref=ref, kind=target.kind)


def _ask_if_problems(
    ask_if: Comparison,
    position: int,
    index: Mapping[str, int],
    by_key: Mapping[str, FieldDef],
    where: str,
) -> Iterator[_Problem]:
    """``ask_if`` may only look back: at earlier answers, openings and the grid."""
    for ref in ask_if.references():
        problems = list(_ref_problems(ref, by_key, where))
        yield from problems
        if problems or ref in GRID_REFS or ref.endswith(OPENING_SUFFIX):
            continue
        target = by_key[ref]
        needed = [*target.inflows, *target.outflows] if target.kind == "stock" else [ref]
        if any(index[key] >= position for key in needed):
            yield _Problem(where, "form.load.reason.ask_if_later", ref=ref)


def _label_clashes(form: Form) -> Iterator[_Problem]:
    """Two fields answering to the same label would make template entry ambiguous."""
    owner: dict[str, str] = {}
    for position, field in enumerate(form.fields):
        for label in field.labels():
            normal = normalise_label(label)
            other = owner.setdefault(normal, field.key)
            if other != field.key:
                where = f"fields[{position}] ({field.key}).label"
                yield _Problem(where, "form.load.reason.label_clash", label=label, other=other)


_UNION_TAGS = frozenset({"int", "str", "list[str]", "compare", "spike"})
_NAMED_TABLES = {"fields": "key", "incident_categories": "key", "rules": "id"}


def _form_error(name: str, data: Mapping[str, Any], exc: ValidationError) -> FormError:
    """The first validation error as a FormError with a readable location."""
    errors = exc.errors()
    first = errors[0]
    where = _location(first["loc"], data)
    more = len({_location(error["loc"], data) for error in errors}) - 1
    problem = first.get("ctx", {}).get("error")
    if isinstance(problem, _Problem):
        where = ".".join(part for part in (where, problem.where) if part)
        return FormError(name, problem.key, problem.params, where=where, more=more)
    detail = " ".join(str(first["msg"]).split())
    return FormError(name, "form.load.reason.invalid", {"detail": detail}, where=where, more=more)


def _location(loc: tuple[int | str, ...], data: Mapping[str, Any]) -> str:
    """``('fields', 3, 'ask_if')`` → ``fields[3] (arrivals_risk).ask_if``."""
    text = ""
    for depth, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            if depth == 1:
                text += _item_name(data, str(loc[0]), part)
        elif part not in _UNION_TAGS:
            text += f".{part}" if text else part
    return text


def _item_name(data: Mapping[str, Any], table: str, position: int) -> str:
    attribute = _NAMED_TABLES.get(table)
    items = data.get(table)
    if attribute is None or not isinstance(items, list) or position >= len(items):
        return ""
    item = items[position]
    name = item.get(attribute) if isinstance(item, dict) else None
    return f" ({name})" if isinstance(name, str) else ""
