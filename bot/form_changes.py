"""Changing the form: one function per use case, for the CLI, the chat and start-up.

- :func:`check_form`: validate a form document and compare it with the form in force;
- :func:`apply_form`: make a checked form the form from a day on (default tomorrow; today
  only while nobody has filed today);
- :func:`adopt_form_file`: at start-up, ``GRIDBOT_FORM`` (or the shipped form) is
  registered as version 1 on a new database; later, a file the database has not seen
  becomes the next version (from today while nobody has filed today, else from tomorrow),
  a file matching a stored version changes nothing, and an unsafe one stops start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain.form import Form, parse_form
from bot.domain.form_diff import FormDiff, UnsafeChange, diff_forms, render_diff
from bot.domain.form_versions import FormHistory, FormVersion, form_hash
from bot.i18n import Locale, t
from storage.db import Database
from storage.forms import FiledOnOrAfterError


class FormChangeError(Exception):
    """A form that cannot be applied (as asked); ``render`` says why in one line."""

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params

    def render(self, locale: Locale) -> str:
        """One line for the admin."""
        return t(locale, self.key, **self.params)


class UnsafeFormError(FormChangeError):
    """The form changes a key's kind or unit, or reuses a dropped key."""

    def __init__(self, change: UnsafeChange) -> None:
        super().__init__("formversion.unsafe.refused")
        self.change = change

    def render(self, locale: Locale) -> str:
        """The unsafe change, naming the field, and what to do instead."""
        return self.change.render(locale)


@dataclass(frozen=True, slots=True)
class FormCheck:
    """A form document checked against the forms the bot has run with."""

    text: str
    form: Form
    current: FormVersion
    """The version in force today."""
    diff: FormDiff

    @property
    def unchanged(self) -> bool:
        """The document is the form in force, word for word."""
        return form_hash(self.text) == self.current.hash


def check_form(db: Database, text: str, name: str, today: date) -> FormCheck:
    """Validate ``text`` (raises :class:`FormError`) and compare it with today's form."""
    form = parse_form(text, name)
    history = db.forms.history
    current = history.version_for(today)
    return FormCheck(text, form, current, diff_forms(history, current.form, form))


def default_start(today: date) -> date:
    """When an applied form starts unless told otherwise: tomorrow."""
    return today + timedelta(days=1)


async def apply_form(
    db: Database,
    checked: FormCheck,
    *,
    since: date,
    today: date,
    now: datetime,
    actor: int | None,
) -> FormVersion:
    """Make the checked form the form from ``since`` (today or later) on.

    Raises :class:`FormChangeError` for a day in the past, a day that already has reports,
    a document identical to the form in force, or (:class:`UnsafeFormError`) an unsafe one.
    """
    if checked.diff.unsafe:
        raise UnsafeFormError(checked.diff.unsafe[0])
    if since < today:
        raise FormChangeError("formversion.apply.past", day=since.isoformat())
    if checked.unchanged and since <= default_start(today):
        raise FormChangeError("formversion.apply.unchanged", version=checked.current.number)
    try:
        return await db.forms.register(checked.text, checked.form, since=since, at=now, actor=actor)
    except FiledOnOrAfterError as exc:
        raise FormChangeError(
            "formversion.apply.filed", day=since.isoformat(), filed=exc.day.isoformat()
        ) from exc


@dataclass(frozen=True, slots=True)
class Adoption:
    """What start-up did with the form file: registered it (from when), or nothing."""

    version: FormVersion | None


async def adopt_form_file(
    db: Database, text: str, name: str, *, today: date, now: datetime
) -> Adoption:
    """Register the form file at start-up (see the module docstring).

    Raises :class:`FormError` for an invalid file and :class:`UnsafeFormError` for an unsafe
    change.
    """
    form = parse_form(text, name)
    if not db.forms.registered:
        return Adoption(await db.forms.register(text, form, since=None, at=now, actor=None))
    digest = form_hash(text)
    if any(version.hash == digest for version in db.forms.history.versions):
        return Adoption(None)
    checked = check_form(db, text, name, today)
    try:
        version = await apply_form(db, checked, since=today, today=today, now=now, actor=None)
    except UnsafeFormError:
        raise
    except FormChangeError:  # somebody has filed today: the new form starts tomorrow
        since = default_start(today)
        version = await apply_form(db, checked, since=since, today=today, now=now, actor=None)
    return Adoption(version)


def preview_lines(
    forms: FormHistory, checked: FormCheck, name: str, since: date, today: date, locale: Locale
) -> list[str]:
    """The form in force, what the document would become from ``since``, and every change,
    one a line (``gridbot form check`` and the chat's preview)."""
    current = checked.current
    lines = [
        t(
            locale,
            "formversion.check.in_force",
            version=current.number,
            since=_since(current, locale),
            fields=len(current.form.fields),
        )
    ]
    latest = forms.latest
    if latest.since is not None and latest.since > today:
        lines.append(
            t(
                locale,
                "formversion.check.pending",
                version=latest.number,
                day=latest.since.isoformat(),
            )
        )
    number = forms.next_number(since)
    lines.append(
        t(locale, "formversion.check.would_be", file=name, version=number, day=since.isoformat())
    )
    lines.extend(render_diff(checked.diff, locale))
    return lines


def history_lines(forms: FormHistory, today: date, locale: Locale) -> list[str]:
    """One line per form version, the one in force today marked."""
    in_force = forms.version_for(today).number
    lines = []
    for version in forms.versions:
        line = t(
            locale,
            "formversion.history.line",
            version=version.number,
            since=_since(version, locale),
            fields=len(version.form.fields),
            hash=version.hash[:12],
        )
        if version.number == in_force:
            line += t(locale, "formversion.history.in_force")
        lines.append(line)
    return lines


def _since(version: FormVersion, locale: Locale) -> str:
    if version.since is None:
        return t(locale, "formversion.check.in_force_start")
    return t(locale, "formversion.check.in_force_since", day=version.since.isoformat())
