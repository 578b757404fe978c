"""Changing the report form (``gridbot form check|apply``): check a document against the form
in force, then make it the form from a day on. The rules are :mod:`bot.form_changes`."""

from __future__ import annotations

from datetime import date

from bot.dependencies import Dependencies
from bot.domain.form_versions import FormVersion
from bot.form_changes import FormCheck, apply_form, check_form


def check_form_change(deps: Dependencies, text: str, name: str) -> FormCheck:
    """Validate ``text`` (raises :class:`~bot.domain.form.FormError`) and compare it with
    today's form."""
    return check_form(deps.db, text, name, deps.today())


async def apply_form_change(
    deps: Dependencies, checked: FormCheck, *, since: date, actor: int | None
) -> FormVersion:
    """Make the checked form the form from ``since`` on (raises
    :class:`~bot.form_changes.FormChangeError` when it may not be)."""
    return await apply_form(
        deps.db, checked, since=since, today=deps.today(), now=deps.now(), actor=actor
    )
