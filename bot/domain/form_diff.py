"""What a new form would change against the forms the bot has run with, and whether it is safe.

Renaming a label, rewording a definition, changing a limit, adding or dropping a field, a rule
or an incident category are safe: every past report keeps the form of its day. Two changes
are not, because they would make one key mean two things in the history:

- changing a field's kind or unit (``households_visited`` from 户 to 人);
- reusing a dropped key for something else (a different kind or unit than it had).

A dropped key that comes back as the same kind and unit is fine: its history simply resumes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.form import FieldDef, Form, Text
from bot.domain.form_versions import FormHistory
from bot.i18n import Locale, t

_COMPARED_ATTRIBUTES = (
    "label",
    "help",
    "required",
    "min",
    "max",
    "choices",
    "inflows",
    "outflows",
    "ask_if",
    "max_length",
    "aliases",
    "unit_one",
    "always_shown",
)


@dataclass(frozen=True, slots=True)
class UnsafeChange:
    """A change that would blur the history of one key."""

    key: str
    reason: str
    """``kind``, ``unit`` or ``reused``."""
    old: str
    new: str

    def render(self, locale: Locale) -> str:
        """One line naming the field, what changed and what to do instead."""
        return t(
            locale,
            f"formversion.unsafe.{self.reason}",
            key=self.key,
            old=self.old,
            new=self.new,
        )


@dataclass(frozen=True, slots=True)
class FieldChange:
    """A field in both forms whose definition differs (attribute names, in order)."""

    field: FieldDef
    attributes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FormDiff:
    """Fields, rules and incident categories added, dropped or changed."""

    added: tuple[FieldDef, ...]
    dropped: tuple[FieldDef, ...]
    changed: tuple[FieldChange, ...]
    moved: bool
    """The fields kept are asked in another order."""
    rules_added: tuple[str, ...]
    rules_dropped: tuple[str, ...]
    rules_changed: tuple[str, ...]
    categories_added: tuple[str, ...]
    categories_dropped: tuple[str, ...]
    title_changed: bool
    unsafe: tuple[UnsafeChange, ...]

    @property
    def empty(self) -> bool:
        """The two forms ask the same, the same way."""
        return not (
            self.added
            or self.dropped
            or self.changed
            or self.moved
            or self.rules_added
            or self.rules_dropped
            or self.rules_changed
            or self.categories_added
            or self.categories_dropped
            or self.title_changed
        )


def diff_forms(history: FormHistory, current: Form, new: Form) -> FormDiff:
    """``new`` against ``current`` (the form in force), checked against the whole history."""
    old_keys = {field.key for field in current.fields}
    new_keys = {field.key for field in new.fields}
    kept = [field.key for field in new.fields if field.key in old_keys]
    old_rules = {rule.id: rule for rule in current.rules}
    new_rules = {rule.id: rule for rule in new.rules}
    old_categories = {category.key: category for category in current.incident_categories}
    new_categories = {category.key: category for category in new.incident_categories}
    return FormDiff(
        added=tuple(field for field in new.fields if field.key not in old_keys),
        dropped=tuple(field for field in current.fields if field.key not in new_keys),
        changed=tuple(_changes(current, new)),
        moved=kept != [field.key for field in current.fields if field.key in new_keys],
        rules_added=tuple(key for key in new_rules if key not in old_rules),
        rules_dropped=tuple(key for key in old_rules if key not in new_rules),
        rules_changed=tuple(
            key for key, rule in new_rules.items() if key in old_rules and old_rules[key] != rule
        ),
        categories_added=tuple(key for key in new_categories if key not in old_categories),
        categories_dropped=tuple(key for key in old_categories if key not in new_categories),
        title_changed=current.title != new.title,
        unsafe=tuple(unsafe_changes(history, current, new)),
    )


def unsafe_changes(history: FormHistory, current: Form, new: Form) -> list[UnsafeChange]:
    """Every key of ``new`` that would mean something else than it did (see the module)."""
    found = []
    for field in new.fields:
        before = _last_definition(history, current, field.key)
        if before is None:
            continue
        reused = not current.has_field(field.key)
        if before.kind != field.kind:
            reason = "reused" if reused else "kind"
            found.append(UnsafeChange(field.key, reason, before.kind, field.kind))
        elif _unit(before.unit) != _unit(field.unit):
            reason = "reused" if reused else "unit"
            found.append(
                UnsafeChange(field.key, reason, _unit(before.unit) or "—", _unit(field.unit) or "—")
            )
    return found


def render_diff(diff: FormDiff, locale: Locale) -> list[str]:
    """The changes as lines for the admin: fields first, then rules and categories."""
    if diff.empty:
        return [t(locale, "formversion.diff.none")]
    lines = [_field_line(locale, "added", field) for field in diff.added]
    lines += [_field_line(locale, "dropped", field) for field in diff.dropped]
    for change in diff.changed:
        attributes = ", ".join(change.attributes)
        lines.append(
            t(
                locale,
                "formversion.diff.changed",
                label=change.field.label(locale),
                key=change.field.key,
                attributes=attributes,
            )
        )
    if diff.moved:
        lines.append(t(locale, "formversion.diff.moved"))
    if diff.title_changed:
        lines.append(t(locale, "formversion.diff.title"))
    groups: Sequence[tuple[str, Sequence[str]]] = (
        ("rules_added", diff.rules_added),
        ("rules_dropped", diff.rules_dropped),
        ("rules_changed", diff.rules_changed),
        ("categories_added", diff.categories_added),
        ("categories_dropped", diff.categories_dropped),
    )
    for name, keys in groups:
        if keys:
            lines.append(t(locale, f"formversion.diff.{name}", keys=", ".join(keys)))
    return lines


def _field_line(locale: Locale, change: str, field: FieldDef) -> str:
    kind = t(locale, f"formversion.kind.{field.kind}")
    return t(
        locale,
        f"formversion.diff.{change}",
        label=field.label(locale),
        key=field.key,
        kind=kind,
    )


def _changes(current: Form, new: Form) -> list[FieldChange]:
    found = []
    for field in new.fields:
        if not current.has_field(field.key):
            continue
        before = current.field(field.key)
        attributes = tuple(
            name for name in _COMPARED_ATTRIBUTES if getattr(before, name) != getattr(field, name)
        )
        if attributes:
            found.append(FieldChange(field, attributes))
    return found


def _last_definition(history: FormHistory, current: Form, key: str) -> FieldDef | None:
    """The field as the form in force has it, else as the newest earlier version had it."""
    if current.has_field(key):
        return current.field(key)
    for version in reversed(history.versions):
        if version.form.has_field(key):
            return version.form.field(key)
    return None


def _unit(unit: Text | None) -> str | None:
    return None if unit is None else unit.zh
