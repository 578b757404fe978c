"""The data commands of ``gridbot``: ``export``, ``backup`` and ``restore``.

``bot.cli`` adds them to its parser with :func:`add_commands` and runs them through
:data:`COMMANDS`. A mistake raises :class:`DataCommandError`, printed by ``bot.cli`` as one
localized line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bot.cli_output import file_or_folder_to_write, file_to_write, writing
from bot.config import Settings
from bot.dependencies import open_dependencies
from bot.domain.dates import DEFAULT_DAYS, DateArgError, DayRange, parse_day, parse_range
from bot.domain.ledger_tables import FORMATS, Sheet
from bot.i18n import Locale, parse_locale, t
from bot.ledger_file import LedgerRequest
from bot.usecases import roster
from bot.usecases.export import export_ledger
from storage.backup import BadBackupError, DatabaseInUseError, backup, restore

EXIT_OK, EXIT_FAILED = 0, 1
_KB = 1024


class DataCommandError(Exception):
    """A mistake in the arguments or the situation; ``str()`` is the line to print."""


def add_commands(commands: Any, locale: Locale) -> None:
    """Add ``export``, ``backup`` and ``restore`` to the subcommands of ``gridbot``."""
    export = commands.add_parser("export", help=t(locale, "export.cli.help"))
    export.add_argument("--from", dest="first", help=t(locale, "export.cli.from_help"))
    export.add_argument("--to", dest="last", help=t(locale, "export.cli.to_help"))
    export.add_argument("--area", help=t(locale, "export.cli.area_help"))
    export.add_argument(
        "--format", choices=FORMATS, default="xlsx", help=t(locale, "export.cli.format_help")
    )
    export.add_argument("--out", type=Path, required=True, help=t(locale, "export.cli.out_help"))
    export.add_argument("--lang", help=t(locale, "export.cli.lang_help"))

    saving = commands.add_parser("backup", help=t(locale, "export.cli.backup_help"))
    saving.add_argument("path", type=Path, help=t(locale, "export.cli.backup_path_help"))

    restoring = commands.add_parser("restore", help=t(locale, "export.cli.restore_help"))
    restoring.add_argument("file", type=Path, help=t(locale, "export.cli.restore_file_help"))


async def run_export(args: argparse.Namespace, settings: Settings) -> int:
    """``gridbot export --from D --to D [--area PATH] --format xlsx|csv --out PATH``"""
    locale = _language(args.lang, settings.locale)
    example = f"ledger.{'zip' if args.format == 'csv' else 'xlsx'}"
    out = file_to_write(args.out, settings.locale, example=example)
    async with open_dependencies(settings) as deps:
        days = _days(args.first, args.last, deps.today(), settings.locale)
        area = None
        if args.area:
            area = await roster.area_named(deps, args.area)
            if area is None:
                raise DataCommandError(
                    t(settings.locale, "export.cli.unknown_area", area=args.area)
                )
        request = LedgerRequest(days, area, args.format, locale)
        with writing(out, settings.locale):
            result = await export_ledger(deps, request, out)
    print(
        t(
            settings.locale,
            "export.cli.done",
            path=result.path,
            size=result.size // _KB,
            reports=result.rows[Sheet.REPORTS],
            incidents=result.rows[Sheet.INCIDENTS],
            completeness=result.rows[Sheet.COMPLETENESS],
            corrections=result.rows[Sheet.CORRECTIONS],
        )
    )
    return EXIT_OK


def _language(text: str | None, default: Locale) -> Locale:
    if text is None:
        return default
    try:
        return parse_locale(text)
    except ValueError:
        raise DataCommandError(t(default, "config.bad.locale", var="--lang", value=text)) from None


def _days(first: str | None, last: str | None, today: date, locale: Locale) -> DayRange:
    """``--from`` (default: 7 days before ``--to``) to ``--to`` (default: today)."""
    try:
        if first is None:
            end = parse_day(last, today) if last else today
            start = end - timedelta(days=DEFAULT_DAYS - 1)
            return parse_range(
                [start.isoformat(), end.isoformat()], today, default_days=DEFAULT_DAYS
            )
        return parse_range([first, last or "today"], today, default_days=DEFAULT_DAYS)
    except DateArgError as error:
        raise DataCommandError(t(locale, error.key, **error.params)) from None


async def run_backup(args: argparse.Namespace, settings: Settings) -> int:
    """``gridbot backup PATH``: a consistent copy while the bot runs."""
    target = file_or_folder_to_write(args.path, settings.locale)
    with writing(target, settings.locale):
        made = await backup(settings.db, target)
    print(
        t(
            settings.locale,
            "export.cli.backup_done",
            path=made.path,
            size=made.size // _KB,
            schema=made.schema_version,
        )
    )
    return EXIT_OK


async def run_restore(args: argparse.Namespace, settings: Settings) -> int:
    """``gridbot restore FILE``: refused while the database is in use."""
    locale = settings.locale
    try:
        saved = await restore(args.file, settings.db)
    except DatabaseInUseError:
        print(t(locale, "export.cli.restore_in_use", path=settings.db), file=sys.stderr)
        return EXIT_FAILED
    except BadBackupError as error:
        print(t(locale, "export.cli.restore_bad", reason=error.render(locale)), file=sys.stderr)
        return EXIT_FAILED
    if saved is None:
        print(t(locale, "export.cli.restore_done_new", path=settings.db, backup=args.file))
    else:
        print(t(locale, "export.cli.restore_done", path=settings.db, backup=args.file, saved=saved))
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[int]]] = {
    "export": run_export,
    "backup": run_backup,
    "restore": run_restore,
}
