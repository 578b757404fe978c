"""A one-line correction by a supervisor: which field, what value, does it still add up."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.form import FieldDef, Form, normalise_label
from bot.domain.models import FieldValue, ReportKind, ReportVersion, Values
from bot.domain.rules import RuleContext, Violation, evaluate

REASON_MIN_CHARS = 2
"""The shortest reason accepted for a correction, a fix or an excuse."""
REASON_MAX_CHARS = 200
"""The longest reason kept for a correction, a fix or an excuse."""


@dataclass(frozen=True, slots=True)
class Fix:
    """The corrected values, and what the rules say about them."""

    field: FieldDef
    old: FieldValue
    new: FieldValue
    values: Values
    kind: ReportKind
    violations: tuple[Violation, ...]

    @property
    def rejected(self) -> tuple[Violation, ...]:
        """Hard rule violations: the correction cannot be made."""
        return tuple(item for item in self.violations if item.severity == "hard")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        """Soft rule violations: made, but worth saying."""
        return tuple(item for item in self.violations if item.severity == "soft")


def find_field(form: Form, name: str) -> FieldDef | None:
    """The asked field called ``name`` (key, either label or an alias, compared loosely)."""
    wanted = normalise_label(name)
    for field in form.questions():
        if wanted in {normalise_label(label) for label in field.labels()}:
            return field
    return None


def apply_fix(
    form: Form, current: ReportVersion, field: FieldDef, value: FieldValue, ctx: RuleContext
) -> Fix:
    """The report with ``field`` set to ``value``: a zero report that now says something
    becomes a detailed one; every rule is checked on the whole report."""
    values = {**current.values, field.key: value}
    kind = current.kind
    if kind == ReportKind.ZERO and values != current.values:
        kind = ReportKind.DETAILED
    violations = tuple(evaluate(form, values, ctx))
    return Fix(field, current.values.get(field.key), value, values, kind, violations)
