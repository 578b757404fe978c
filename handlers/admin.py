"""Admin commands in the private chat with the bot: the roster (/grids, /invite, /revoke,
/addworker, /removeworker, a roster file sent as a document), admin grants (/grantadmin,
/revokeadmin, /admins); plus, through :class:`AdminCommands`, the exports, backups and
statistics of :mod:`handlers.export` and :mod:`handlers.stats`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import asdict
from functools import partial
from pathlib import PurePath
from typing import Any

from telegram import Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.dependencies import Dependencies
from bot.domain.digest.text import Line, to_messages
from bot.domain.models import RosterChanges
from bot.domain.roster import MAX_NAME, RosterParse, parse_roster
from bot.domain.roster_listing import chat_roster_lines
from bot.i18n import Locale, t
from bot.telegram_ui import escape, escaped
from bot.usecases import admins, roster
from bot.usecases.errors import UseCaseError
from handlers.common import Turn
from handlers.export import ExportCommands
from handlers.roles import Roles
from handlers.stats import StatsCommands

Context = ContextTypes.DEFAULT_TYPE
Handlers = list[BaseHandler[Update, Context, object]]

CLAIM_GROUP = -1
"""Handler group of the check that turns a pending @username grant into an admin: it runs
before every other handler, so the new admin is one from their first message on."""
ROSTER_OK, ROSTER_NO = "adm:roster:ok", "adm:roster:no"
PENDING_ROSTER = "roster_upload"
"""user_data key of a roster file waiting for the admin's confirmation."""
ROSTER_SUFFIXES = frozenset({".csv", ".xlsx", ".txt"})
MAX_DOWNLOAD = 20 * 1024 * 1024
"""Telegram lets bots download files up to 20 MB."""
_USERNAME = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")


class _FromAdmin(filters.MessageFilter):
    """Messages from an admin (so a worker's stray document still reaches the catch-all)."""

    def __init__(self, deps: Dependencies) -> None:
        super().__init__(name="from_admin")
        self._deps = deps

    def filter(self, message: Message) -> bool:
        user = message.from_user
        return user is not None and self._deps.is_admin(user.id)


class AdminCommands:
    """Everything admins (and supervisors, for /stats and /late) do besides /bindgroup."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps
        self.roles = Roles(deps)
        self.exports = ExportCommands(deps, self.roles)
        self.stats = StatsCommands(deps, self.roles)

    def handlers(self) -> dict[int, Sequence[BaseHandler[Any, Context, Any]]]:
        """By handler group: register before the onboarding catch-alls."""
        private = filters.ChatType.PRIVATE
        commands: Handlers = [
            CommandHandler("grids", self.grids),
            CommandHandler("invite", self.invite),
            CommandHandler("revoke", self.revoke),
            CommandHandler("addworker", self.add_worker),
            CommandHandler("removeworker", self.remove_worker),
            CommandHandler("grantadmin", self.grant_admin),
            CommandHandler("revokeadmin", self.revoke_admin),
            CommandHandler("admins", self.list_admins),
            MessageHandler(
                private & filters.Document.ALL & _FromAdmin(self.deps), self.roster_file
            ),
            CallbackQueryHandler(self.roster_answer, pattern=f"^({ROSTER_OK}|{ROSTER_NO})$"),
        ]
        return {
            CLAIM_GROUP: [TypeHandler(Update, self.claim_grant)],
            0: [*commands, *self.exports.handlers(), *self.stats.handlers()],
        }

    # --- admin grants ----------------------------------------------------------------------

    async def claim_grant(self, update: Update, context: Context) -> None:
        """A user granted by @username shows up: record their id (a memory check otherwise)."""
        user = update.effective_user
        if user is not None:
            await admins.claim_grant(self.deps, user.id, user.username)

    async def grant_admin(self, update: Update, context: Context) -> None:
        """/grantadmin @username|ID"""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        target = await self._admin_target(turn, context.args or [], "admin.grant_usage")
        if target is None:
            return
        granted = await admins.grant_admin(self.deps, target, actor=turn.user.id)
        key = "admin.granted" if target.telegram_id is not None else "admin.granted_pending"
        await turn.say(turn.t(key if granted else "admin.already_admin", who=escape(target.shown)))

    async def revoke_admin(self, update: Update, context: Context) -> None:
        """/revokeadmin @username|ID (never one of GRIDBOT_ADMINS)."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        target = await self._admin_target(turn, context.args or [], "admin.revoke_usage")
        if target is None:
            return
        if admins.is_env_admin(self.deps, target):
            await turn.say(turn.t("admin.env_admin", who=escape(target.shown)))
            return
        revoked = await admins.revoke_admin(self.deps, target, actor=turn.user.id)
        key = "admin.revoked_admin" if revoked else "admin.not_admin"
        await turn.say(turn.t(key, who=escape(target.shown)))

    async def list_admins(self, update: Update, context: Context) -> None:
        """/admins: the admins of the environment and those granted in chat."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        lines = [Line(turn.t("admin.admins_title"), bold=True)]
        lines += [
            Line(turn.t("admin.admin_env", id=item)) for item in sorted(self.deps.settings.admins)
        ]
        for grant in await admins.grants(self.deps):
            who = admins.AdminTarget(grant.telegram_id, grant.username).shown
            at = grant.granted_at.astimezone(self.deps.settings.timezone).strftime("%Y-%m-%d")
            lines.append(Line(turn.t("admin.admin_granted", who=who, by=grant.granted_by, day=at)))
        await _say_lines(turn, lines)

    async def _admin_target(
        self, turn: Turn, args: list[str], usage: str
    ) -> admins.AdminTarget | None:
        """Whom the command names (an @username of a bound worker comes with their id), or
        None after showing the usage."""
        text = args[0] if len(args) == 1 else ""
        if text.isdigit() and int(text) > 0:
            return await admins.admin_target(self.deps, int(text), None)
        match = _USERNAME.match(text)
        if match is None:
            await turn.say(turn.t(usage))
            return None
        return await admins.admin_target(self.deps, None, match.group(1))

    # --- the roster ------------------------------------------------------------------------

    async def grids(self, update: Update, context: Context) -> None:
        """/grids [AREA]: grids with their workers and who is bound."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        text = " ".join(context.args or []).strip()
        area = await self.roles.area(turn, text) if text else None
        if text and area is None:
            return
        listing = await roster.roster_listing(self.deps, area)
        lines = partial(chat_roster_lines, turn.locale, listing.grids, listing.invites)
        await _say_lines(turn, await asyncio.to_thread(lines))  # a district's 10,000 grids

    async def invite(self, update: Update, context: Context) -> None:
        """/invite GRID: the grid's invite deep link (made if there is none)."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        args = context.args or []
        if not args:
            await turn.say(turn.t("admin.invite_usage"))
            return
        try:
            made = await roster.invite(self.deps, args[0], actor=turn.user.id)
        except UseCaseError as error:
            await turn.say(turn.t(error.key, **escaped(error.params)))
            return
        link = made.link or roster.invite_link(context.bot.username, made.token)
        grid = made.grid
        await turn.say(
            turn.t("admin.invite_link", code=escape(grid.code), grid=escape(grid.name), link=link)
        )

    async def revoke(self, update: Update, context: Context) -> None:
        """/revoke GRID: the grid's invite link stops working."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        args = context.args or []
        if not args:
            await turn.say(turn.t("admin.revoke_link_usage"))
            return
        try:
            grid, count = await roster.revoke_invites(self.deps, args[0], actor=turn.user.id)
        except UseCaseError as error:
            await turn.say(turn.t(error.key, **escaped(error.params)))
            return
        key = "admin.link_revoked" if count else "admin.no_link"
        await turn.say(turn.t(key, code=escape(grid.code), grid=escape(grid.name)))

    async def add_worker(self, update: Update, context: Context) -> None:
        """/addworker GRID @username [NAME]"""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        args = context.args or []
        match = _USERNAME.match(args[1]) if len(args) >= 2 else None
        if match is None:
            await turn.say(turn.t("admin.add_usage"))
            return
        username = match.group(1)
        name = " ".join(args[2:]).strip()[:MAX_NAME] or username
        try:
            added = await roster.add_worker(
                self.deps, args[0], username=username, name=name, actor=turn.user.id
            )
        except UseCaseError as error:
            await turn.say(turn.t(error.key, **escaped(error.params)))
            return
        key = "admin.worker_added" if added.created else "admin.worker_exists"
        await turn.say(
            turn.t(
                key,
                name=escape(added.worker.name),
                username=escape(username),
                code=escape(added.grid.code),
                grid=escape(added.grid.name),
            )
        )

    async def remove_worker(self, update: Update, context: Context) -> None:
        """/removeworker @username: deactivated; their reports stay."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        args = context.args or []
        match = _USERNAME.match(args[0]) if len(args) == 1 else None
        if match is None:
            await turn.say(turn.t("admin.remove_usage"))
            return
        worker = await roster.worker_by_username(self.deps, match.group(1))
        if worker is None:
            await turn.say(turn.t("admin.no_such_worker", username=escape(match.group(1))))
            return
        grid = await turn.grid_of(worker)
        left = await roster.remove_worker(self.deps, worker, actor=turn.user.id)
        text = turn.t(
            "admin.worker_removed",
            name=escape(worker.name),
            code=escape(grid.code),
            grid=escape(grid.name),
            left=len(left),
        )
        if not left:
            text += "\n" + turn.t("admin.grid_unstaffed", code=escape(grid.code))
        await turn.say(text)

    # --- a roster file sent as a document --------------------------------------------------

    async def roster_file(self, update: Update, context: Context) -> None:
        """A CSV or XLSX roster from an admin: checked like ``gridbot roster import``, then
        what it would change is shown, to confirm with a button."""
        turn = Turn.of(update, self.deps)
        message = update.effective_message
        document = message.document if message else None
        if document is None or not await self.roles.admin(turn):
            return
        name = document.file_name or "roster"
        if PurePath(name).suffix.lower() not in ROSTER_SUFFIXES:
            await turn.say(turn.t("admin.roster.wrong_type", name=escape(name)))
            return
        if (document.file_size or 0) > MAX_DOWNLOAD:
            await turn.say(turn.t("admin.roster.too_big"))
            return
        parsed = parse_roster(name, await _download(context, document.file_id))
        if parsed.errors:
            await _say_lines(turn, _error_lines(turn.locale, parsed))
            return
        changes = await roster.preview_import(self.deps, parsed.rows)
        if changes.unchanged:
            await turn.say(turn.t("cli.roster_unchanged"))
            return
        if context.user_data is not None:
            context.user_data[PENDING_ROSTER] = {"file_id": document.file_id, "name": name}
        preview = turn.t("admin.roster.preview", name=escape(name), rows=len(parsed.rows))
        effect = _changes(turn.locale, changes, "admin.roster.changes")
        await turn.say(
            f"{preview}\n{effect}\n{turn.t('admin.roster.confirm')}",
            [
                [
                    (turn.t("admin.roster.import"), ROSTER_OK),
                    (turn.t("admin.roster.cancel"), ROSTER_NO),
                ]
            ],
        )

    async def roster_answer(self, update: Update, context: Context) -> None:
        """The admin confirms (or cancels) the import of the file they sent."""
        turn = Turn.of(update, self.deps)
        pending = await turn.pending_upload(
            context.user_data, key=PENDING_ROSTER, cancel_data=ROSTER_NO, messages="admin.roster"
        )
        if pending is None:
            return
        name = str(pending["name"])
        parsed = parse_roster(name, await _download(context, str(pending["file_id"])))
        if parsed.errors:
            await _say_lines(turn, _error_lines(turn.locale, parsed))
            return
        changes = await roster.import_roster(self.deps, parsed.rows, actor=turn.user.id)
        await turn.say(
            turn.t("cli.roster_unchanged") if changes.unchanged else _changes(turn.locale, changes)
        )


async def _download(context: Context, file_id: str) -> bytes:
    file = await context.bot.get_file(file_id)
    return bytes(await file.download_as_bytearray())


async def _say_lines(turn: Turn, lines: list[Line]) -> None:
    """Send lines of plain text, split into messages at line boundaries."""
    for text in to_messages(lines):
        await turn.say(text)


def _changes(locale: Locale, changes: RosterChanges, key: str = "cli.roster_changes") -> str:
    return escape(t(locale, key, **asdict(changes)))


def _error_lines(locale: Locale, parsed: RosterParse) -> list[Line]:
    """The CLI's error report, the count in bold."""
    first, *rest = parsed.error_report(locale)
    return [Line(first, bold=True), *(Line(line.strip()) for line in rest)]
