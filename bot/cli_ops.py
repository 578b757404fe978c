"""Operations on the command line: ``gridbot doctor`` (is everything in order? one fix per
failing line) and ``gridbot forget @username`` (remove a worker's personal data)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.dependencies import open_dependencies
from bot.domain.form import FormError, load_form
from bot.i18n import Locale, t
from bot.usecases.errors import UseCaseError
from bot.usecases.forgetting import forget
from bot.usecases.supervision import bound_groups
from storage.db import schema_version
from storage.health import DatabaseProblem, disk_room, probe

if TYPE_CHECKING:
    from telegram import Bot

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "restricted"})


class OpsError(Exception):
    """A mistake on the command line; ``str()`` is the line to print."""


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the doctor's checklist."""

    ok: bool
    text: str

    def line(self) -> str:
        return f"{'✅' if self.ok else '❌'} {self.text}"


def add_commands(commands: Any, locale: Locale) -> None:
    """Add ``doctor`` and ``forget`` to the subcommands of ``gridbot``."""
    commands.add_parser("doctor", help=t(locale, "doctor.help"))
    forgetting = commands.add_parser("forget", help=t(locale, "privacy.help"))
    forgetting.add_argument("username", help=t(locale, "privacy.username_help"))


async def run_doctor(args: argparse.Namespace, settings: Settings) -> int:
    """Check settings, database, the room on its disk, form, token, bound groups and admins;
    a checklist."""
    locale = settings.locale
    checks = [Check(True, t(locale, "doctor.settings"))]
    database = await _database(settings)
    checks.append(database)
    if database.ok:
        checks.append(_disk(settings))
    checks.append(_form(settings))
    token = settings.token.get_secret_value() if settings.token else ""
    if not token:
        checks.append(Check(False, t(locale, "doctor.no_token")))
    else:
        checks += await _telegram(settings, token, database.ok)
    for check in checks:
        print(check.line())
    return EXIT_OK if all(check.ok for check in checks) else EXIT_FAILED


async def _database(settings: Settings) -> Check:
    locale = settings.locale
    try:
        await asyncio.to_thread(probe, settings.db, full=True)
    except DatabaseProblem as problem:
        return Check(False, problem.render(locale))
    with contextlib.closing(sqlite3.connect(settings.db)) as conn:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    code = schema_version()
    if version > code:
        return Check(False, t(locale, "doctor.schema_newer", version=version, code=code))
    key = "doctor.database" if version == code else "doctor.schema_older"
    return Check(True, t(locale, key, path=settings.db, version=version, code=code))


def _disk(settings: Settings) -> Check:
    room = disk_room(settings.db)
    key = "doctor.disk_low" if room.low else "doctor.disk"
    return Check(not room.low, t(settings.locale, key, path=settings.db, free=_size(room.free)))


def _size(count: int) -> str:
    """Bytes as people read them: 812 KB, 3.4 MB, 17.0 GB."""
    value, unit = float(count) / 1000, "KB"
    for bigger in ("MB", "GB", "TB"):
        if value < 1000:
            break
        value, unit = value / 1000, bigger
    return f"{value:.0f} {unit}" if unit == "KB" else f"{value:.1f} {unit}"


def _form(settings: Settings) -> Check:
    try:
        form = load_form(settings.form)
    except FormError as error:
        return Check(False, error.render(settings.locale))
    return Check(True, t(settings.locale, "doctor.form", questions=len(form.questions())))


async def _telegram(settings: Settings, token: str, database_ok: bool) -> list[Check]:
    from telegram import Bot  # PTB only for the commands that talk to Telegram
    from telegram.error import TelegramError

    from bot.startup import explain

    locale = settings.locale
    bot = Bot(token, base_url=settings.bot_api_url, base_file_url=settings.bot_file_url)
    try:
        async with bot:
            me = bot.bot
            checks = [Check(True, t(locale, "doctor.token", username=me.username))]
            if database_ok:
                checks += await _groups(settings, bot)
            checks += [await _admin(locale, bot, admin) for admin in sorted(settings.admins)]
            return checks
    except TelegramError as failure:
        problem = explain(failure, url=settings.api_base_url, token=token)
        return [Check(False, problem.render(locale))]


async def _groups(settings: Settings, bot: Bot) -> list[Check]:
    from telegram.error import TelegramError

    locale = settings.locale
    async with open_dependencies(settings) as deps:
        bindings = await bound_groups(deps)
    checks = []
    for chat_id, area in bindings:
        try:
            member = await bot.get_chat_member(chat_id, bot.id)
            present = member.status in MEMBER_STATUSES
        except TelegramError:
            present = False
        key = "doctor.group" if present else "doctor.group_gone"
        checks.append(Check(present, t(locale, key, area=area.path, chat=chat_id)))
    if not bindings:
        checks.append(Check(False, t(locale, "doctor.no_groups")))
    return checks


async def _admin(locale: Locale, bot: Bot, admin: int) -> Check:
    from telegram.error import TelegramError

    try:
        await bot.get_chat(admin)
    except TelegramError:
        return Check(False, t(locale, "doctor.admin_unreachable", admin=admin))
    return Check(True, t(locale, "doctor.admin", admin=admin))


async def run_forget(args: argparse.Namespace, settings: Settings) -> int:
    """``gridbot forget @username``"""
    locale = settings.locale
    async with open_dependencies(settings) as deps:
        try:
            forgotten = await forget(deps, args.username)
        except UseCaseError as error:
            raise OpsError(t(locale, error.key, **error.params)) from None
    print(
        t(
            locale,
            "privacy.forgotten",
            username=args.username,
            rows=forgotten.rows,
            grids=", ".join(forgotten.grid_codes),
            reports=forgotten.reports_kept,
        )
    )
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], Awaitable[int]]] = {
    "doctor": run_doctor,
    "forget": run_forget,
}
