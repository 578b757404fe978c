"""The ``gridbot`` command line: run the bot, manage the roster, print invite links."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from bot import cli_chart, cli_demo, cli_files, cli_form, cli_ops, logs
from bot.cli_output import OutputError, folder_to_write, writing
from bot.config import ConfigError, Settings, fallback_locale, load_settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.digest import Digest, needs_attachment, render_plain
from bot.domain.form import FormError
from bot.domain.models import RosterChanges
from bot.domain.roster import parse_roster
from bot.domain.roster_listing import roster_lines
from bot.i18n import Locale, t
from bot.outbound.tables import grid_table_xlsx
from bot.startup import StartupError
from bot.usecases import digests, roster
from bot.usecases.errors import UseCaseError
from storage.db import SchemaTooNewError
from storage.health import DatabaseProblem, classify, probe

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A user mistake on the command line; ``str()`` is the message to print."""


class _Parser(argparse.ArgumentParser):
    """argparse with our localized one-line error instead of its English one."""

    def error(self, message: str) -> NoReturn:
        locale = fallback_locale()
        self.exit(EXIT_USAGE, t(locale, "cli.usage_error", detail=message, prog=self.prog) + "\n")


def build_parser(locale: Locale) -> argparse.ArgumentParser:
    """The command tree, with help texts in ``locale``."""
    parser = _Parser(prog="gridbot", description=t(locale, "cli.description"))
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_parser("run", help=t(locale, "cli.run_help"))

    roster = commands.add_parser("roster", help=t(locale, "cli.roster_help"))
    roster_commands = roster.add_subparsers(dest="roster_command", required=True)
    importer = roster_commands.add_parser("import", help=t(locale, "cli.roster_import_help"))
    importer.add_argument("file", type=Path, help=t(locale, "cli.roster_file_help"))
    importer.add_argument("--dry-run", action="store_true", help=t(locale, "cli.dry_run_help"))
    roster_commands.add_parser("show", help=t(locale, "cli.roster_show_help"))

    invite = commands.add_parser("invite", help=t(locale, "cli.invite_help"))
    invite.add_argument("grid_code", help=t(locale, "cli.grid_code_help"))
    action = invite.add_mutually_exclusive_group()
    action.add_argument("--rotate", action="store_true", help=t(locale, "cli.rotate_help"))
    action.add_argument("--revoke", action="store_true", help=t(locale, "cli.revoke_help"))

    digest = commands.add_parser("digest", help=t(locale, "cli.digest_help"))
    digest.add_argument("--date", type=_iso_day, help=t(locale, "cli.digest_date_help"))
    digest.add_argument("--area", help=t(locale, "cli.digest_area_help"))
    digest.add_argument(
        "--table", type=Path, metavar="DIR", help=t(locale, "cli.digest_table_help")
    )

    cli_demo.add_arguments(commands.add_parser("demo", help=t(locale, "demo.cli.help")), locale)
    cli_files.add_commands(commands, locale)
    cli_ops.add_commands(commands, locale)
    cli_form.add_commands(commands, locale)
    cli_chart.add_command(commands, locale)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gridbot`` console script and ``python -m bot``."""
    args = build_parser(fallback_locale()).parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    logs.configure(settings.log_level, settings.secrets())
    try:
        return asyncio.run(_dispatch(args, settings))
    except (
        ConfigError,
        CliError,
        cli_files.DataCommandError,
        cli_chart.ChartCommandError,
        cli_ops.OpsError,
        OutputError,
    ) as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except (FormError, SchemaTooNewError, DatabaseProblem, StartupError) as error:
        print(error.render(settings.locale), file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.DatabaseError as error:
        print(classify(error, settings.db).render(settings.locale), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    commands: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[int]]] = {
        "run": _run,
        "roster": _roster,
        "invite": _invite,
        "digest": _digest,
        "demo": _demo,
        **cli_files.COMMANDS,
        **cli_ops.COMMANDS,
        **cli_form.COMMANDS,
        **cli_chart.COMMANDS,
    }
    return await commands[args.command](args, settings)


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from telegram.error import InvalidToken, TelegramError  # PTB: only when the bot runs

    from bot.app import running_bot
    from bot.startup import explain

    token = settings.require_token()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await asyncio.to_thread(probe, settings.db, full=True)
    logs.explained_elsewhere(InvalidToken)
    try:
        async with open_dependencies(settings) as deps, running_bot(deps, token) as bot:
            print(t(settings.locale, "cli.running", url=settings.api_base_url), file=sys.stderr)
            await _first(stop.wait(), bot.token_rejected.wait())
            rejected = bot.token_rejected.is_set()
    except TelegramError as failure:
        raise explain(failure, url=settings.api_base_url, token=token) from None
    if rejected:  # revoked while running: polling stopped; say so and stop
        raise StartupError("token_rejected")
    return EXIT_OK


async def _first(*waits: Coroutine[Any, Any, object]) -> None:
    """Wait until one of ``waits`` is done; cancel the others."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


async def _roster(args: argparse.Namespace, settings: Settings) -> int:
    async with open_dependencies(settings) as deps:
        if args.roster_command == "show":
            await _show_roster(deps)
            return EXIT_OK
        return await _import_roster(deps, args.file, dry_run=args.dry_run)


async def _import_roster(deps: Dependencies, path: Path, *, dry_run: bool) -> int:
    locale = deps.settings.locale
    try:
        content = await asyncio.to_thread(path.read_bytes)
    except OSError as failure:
        raise CliError(t(locale, "cli.cannot_read", path=path, reason=failure.strerror)) from None
    parsed = parse_roster(path.name, content)
    if parsed.errors:
        print("\n".join(parsed.error_report(locale)), file=sys.stderr)
        return EXIT_FAILED
    if dry_run:
        print(t(locale, "cli.dry_run_ok", rows=len(parsed.rows)))
        return EXIT_OK
    changes = await roster.import_roster(deps, parsed.rows, actor=None)
    print(
        t(locale, "cli.roster_unchanged")
        if changes.unchanged
        else _describe_changes(locale, changes)
    )
    return EXIT_OK


def _describe_changes(locale: Locale, changes: RosterChanges) -> str:
    return t(locale, "cli.roster_changes", **asdict(changes))


async def _show_roster(deps: Dependencies) -> None:
    locale = deps.settings.locale
    listing = await roster.roster_listing(deps)
    if not listing.grids:
        print(t(locale, "cli.roster_empty"))
        return
    print("\n".join(line.text for line in roster_lines(locale, listing.grids, listing.invites)))


async def _invite(args: argparse.Namespace, settings: Settings) -> int:
    locale = settings.locale
    async with open_dependencies(settings) as deps:
        try:
            if args.revoke:
                grid, count = await roster.revoke_invites(deps, args.grid_code, actor=None)
                print(t(locale, "cli.revoked", count=count, grid=grid.name))
                return EXIT_OK
            made = await roster.invite(deps, args.grid_code, rotate=args.rotate, actor=None)
        except roster.UnknownGrid:
            raise CliError(t(locale, "cli.unknown_grid", code=args.grid_code)) from None
    if made.link is None:
        print(t(locale, "cli.invite_no_username", token=made.token))
    else:
        print(t(locale, "cli.invite_link", grid=made.grid.name, link=made.link))
    return EXIT_OK


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot import demo  # the demo and its emulator are imported for this command only

    folder_to_write(args.out, settings.locale)

    return await demo.run_demo(demo.options_from(args, settings.locale))


def _iso_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(t(fallback_locale(), "cli.bad_date", value=text)) from None


async def _digest(args: argparse.Namespace, settings: Settings) -> int:
    """Print the digest of an area (default: every top-level area) in the terminal, as the
    groups get it; with ``--table`` each area's per-grid table goes into a spreadsheet."""
    locale = settings.locale
    folder = folder_to_write(args.table, locale) if args.table else None
    async with open_dependencies(settings) as deps:
        day = args.date or deps.today()
        try:
            compiled = [
                await digests.compile_area_digest(deps, area, day)
                for area in await digests.digest_areas(deps, args.area)
            ]
        except UseCaseError as error:
            raise CliError(t(locale, error.key, **error.params)) from None
    for digest in compiled:
        attached = needs_attachment(digest)
        print(render_plain(digest, locale, table_attached=attached))
        if folder is not None:
            print(await _write_table(digest, locale, folder))
        elif attached:
            print(t(locale, "cli.digest_table_hint", count=len(digest.grids)))
    return EXIT_OK


async def _write_table(digest: Digest, locale: Locale, folder: Path) -> str:
    """Write the digest's per-grid table into ``folder``; the line saying where."""
    content, name = grid_table_xlsx(digest, locale)
    path = folder / name
    with writing(path, locale):
        await asyncio.to_thread(path.write_bytes, content)
    return t(locale, "cli.digest_table_written", path=path, count=len(digest.grids))
