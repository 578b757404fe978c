"""``gridbot form check|apply|history``: change the report form without rewriting the past.

``bot.cli`` adds the commands with :func:`add_commands` and runs them through
:data:`COMMANDS`; a mistake is printed as one localized line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli_files import DataCommandError
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.form import FormError, read_form_text
from bot.form_changes import (
    FormChangeError,
    FormCheck,
    default_start,
    history_lines,
    preview_lines,
)
from bot.i18n import Locale, t
from bot.usecases.forms import apply_form_change, check_form_change

EXIT_OK, EXIT_FAILED = 0, 1


def add_commands(commands: Any, locale: Locale) -> None:
    """Add ``form check FILE``, ``form apply FILE [--from DAY]`` and ``form history``."""
    form = commands.add_parser("form", help=t(locale, "formversion.cli.help"))
    actions = form.add_subparsers(dest="form_command", required=True)
    check = actions.add_parser("check", help=t(locale, "formversion.cli.check_help"))
    check.add_argument("file", type=Path, help=t(locale, "formversion.cli.file_help"))
    check.add_argument("--from", dest="since", help=t(locale, "formversion.cli.from_help"))
    apply = actions.add_parser("apply", help=t(locale, "formversion.cli.apply_help"))
    apply.add_argument("file", type=Path, help=t(locale, "formversion.cli.file_help"))
    apply.add_argument("--from", dest="since", help=t(locale, "formversion.cli.from_help"))
    actions.add_parser("history", help=t(locale, "formversion.cli.history_help"))


async def run_form(args: argparse.Namespace, settings: Settings) -> int:
    """Dispatch ``gridbot form …``."""
    locale = settings.locale
    async with open_dependencies(settings) as deps:
        if args.form_command == "history":
            print("\n".join(history_lines(deps.forms, deps.today(), locale)))
            return EXIT_OK
        since = _start_day(args.since, deps.today(), locale)
        text = await _read(args.file)
        try:
            checked = check_form_change(deps, text, str(args.file))
        except FormError as error:
            print(error.render(locale), file=sys.stderr)
            return EXIT_FAILED
        lines = preview_lines(deps.forms, checked, str(args.file), since, deps.today(), locale)
        print("\n".join(lines))
        if checked.diff.unsafe:
            print(checked.diff.unsafe[0].render(locale), file=sys.stderr)
            return EXIT_FAILED
        if args.form_command == "check":
            return EXIT_OK
        return await _apply(deps, checked, since, locale)


async def _apply(deps: Dependencies, checked: FormCheck, since: date, locale: Locale) -> int:
    try:
        version = await apply_form_change(deps, checked, since=since, actor=None)
    except FormChangeError as error:
        print(error.render(locale), file=sys.stderr)
        return EXIT_FAILED
    day = since.isoformat() if version.since is None else version.since.isoformat()
    print(t(locale, "formversion.apply.applied", version=version.number, day=day))
    return EXIT_OK


def _start_day(text: str | None, today: date, locale: Locale) -> date:
    if text is None or text.strip().lower() == "tomorrow":
        return default_start(today)
    if text.strip().lower() == "today":
        return today
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DataCommandError(t(locale, "formversion.cli.bad_day", value=text)) from None


async def _read(path: Path) -> str:
    return await asyncio.to_thread(read_form_text, path)


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[int]]] = {
    "form": run_form,
}
