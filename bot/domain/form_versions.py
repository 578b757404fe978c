"""Every form the bot has run with, and which one was in force on a given day.

Forms change every few weeks (an indicator added one week, another dropped the next); a
report is always read with the form of its day, so the past is never rewritten: a field the
day's form did not have is *not asked* that day, never 0, and a dropped field keeps its
history. Version 1 is in force "from the beginning" (``since`` is None); each later version
from its ``since`` day on, until the next one.

Anything that needs "the form of day D" takes a :class:`FormSource`: a :class:`FormHistory`,
or a single :class:`~bot.domain.form.Form` (which is its own form on every day).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from bot.domain.form import FieldDef, Form


class FormSource(Protocol):
    """Whatever can say which form was in force on a day."""

    def form_for(self, day: date) -> Form:
        """The form in force on ``day``."""
        ...


def form_hash(text: str) -> str:
    """The hash that identifies a form's text (SHA-256, hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class FormVersion:
    """One form the bot has run with."""

    number: int
    form: Form
    text: str
    hash: str
    since: date | None
    """The first day it is in force; None for the first version (from the beginning)."""

    def in_force_on(self, day: date) -> bool:
        """Whether this version had started by ``day`` (a later one may have replaced it)."""
        return self.since is None or self.since <= day


@dataclass(frozen=True, slots=True)
class FormHistory:
    """The form versions in order of their first day; never empty."""

    versions: tuple[FormVersion, ...]

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError("a form history needs at least one version")
        if self.versions[0].since is not None:
            raise ValueError("the first form version is in force from the beginning")
        days = [version.since for version in self.versions[1:]]
        if any(day is None for day in days) or days != sorted(days):  # type: ignore[type-var]
            raise ValueError("later form versions need increasing first days")

    @classmethod
    def single(cls, form: Form, text: str = "") -> FormHistory:
        """A history of one form, in force on every day."""
        return cls((FormVersion(1, form, text, form_hash(text), None),))

    @property
    def latest(self) -> FormVersion:
        """The newest version (it may start in the future)."""
        return self.versions[-1]

    def version_for(self, day: date) -> FormVersion:
        """The version in force on ``day``."""
        found = self.versions[0]
        for version in self.versions[1:]:
            if version.in_force_on(day):
                found = version
        return found

    def form_for(self, day: date) -> Form:
        """The form in force on ``day``."""
        return self.version_for(day).form

    def next_number(self, since: date) -> int:
        """The number a version starting on ``since`` gets (it replaces any version that
        would only have started on or after that day)."""
        return max(v.number for v in self.versions if v.since is None or v.since < since) + 1

    def version(self, number: int) -> FormVersion:
        """The version with this number; KeyError if there is none."""
        for version in self.versions:
            if version.number == number:
                return version
        raise KeyError(number)

    def fields_over(self, first: date, last: date) -> list[FieldDef]:
        """The union of the fields in force from ``first`` to ``last``, in form order.

        Each field is described as in the latest version that has it; a field that is no
        longer asked stays just after the field it followed.
        """
        forms = [version.form for version in self._in_range(first, last)]
        return merged_fields(forms)

    def first_asked(self, key: str, day: date) -> date | None:
        """The first day ``key`` was asked, up to ``day``: None when from the beginning
        (or never). A field dropped and asked again counts from its first day."""
        for version in self.versions:
            if not version.in_force_on(day):
                break
            if version.form.has_field(key):
                return version.since
        return None

    def _in_range(self, first: date, last: date) -> list[FormVersion]:
        start = self.version_for(first)
        return [
            version
            for version in self.versions
            if version.number >= start.number and version.in_force_on(last)
        ]


def first_asked(forms: FormSource, key: str, day: date) -> date | None:
    """:meth:`FormHistory.first_asked` for any source (a single form: from the beginning)."""
    return forms.first_asked(key, day) if isinstance(forms, FormHistory) else None


def fields_over(forms: FormSource, first: date, last: date) -> list[FieldDef]:
    """:meth:`FormHistory.fields_over` for any source (a single form: its fields)."""
    if isinstance(forms, FormHistory):
        return forms.fields_over(first, last)
    return list(forms.form_for(last).fields)


def merged_fields(forms: Sequence[Form]) -> list[FieldDef]:
    """The fields of several forms (oldest first) in one order: the newest form's order,
    with a field it dropped placed just after the field it followed where it last was."""
    order: list[str] = []
    described: dict[str, FieldDef] = {}
    for form in forms:
        order = _merge_order(order, [field.key for field in form.fields])
        described.update({field.key: field for field in form.fields})
    return [described[key] for key in order]


def _merge_order(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """``new`` in its own order, each key of ``old`` it lacks kept after its predecessor."""
    merged = list(new)
    for position, key in enumerate(old):
        if key in merged:
            continue
        before = _previous_kept(old[:position], merged)
        merged.insert(0 if before is None else merged.index(before) + 1, key)
    return merged


def _previous_kept(earlier: Iterable[str], merged: Sequence[str]) -> str | None:
    found = None
    for key in earlier:
        if key in merged:
            found = key
    return found
