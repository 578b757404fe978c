"""Admin commands in the private chat with the bot: the roster (/grids, /invite, /revoke,
/addworker, /removeworker, a roster file sent as a document), admin grants (/grantadmin,
/revokeadmin, /admins); plus, through :class:`AdminCommands`, the exports, backups and
statistics of :mod:`handlers.export` and :mod:`handlers.stats`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict
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
from bot.domain.ledger import contains
from bot.domain.models import Grid, RosterChanges, Worker
from bot.domain.roster import MAX_NAME, RosterParse, parse_roster
from bot.i18n import Locale, t
from bot.telegram_ui import escape
from handlers.common import Turn
from handlers.export import ExportCommands
from handlers.roles import Roles
from handlers.stats import StatsCommands
from storage.admins import clean_username
from storage.roster_edits import RosterEdits

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
        self.edits = RosterEdits(deps.db)
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
        admins = self.deps.db.admins
        if user is None or not admins.is_pending(user.username) or self.deps.is_admin(user.id):
            return
        await admins.claim(user.username or "", user.id, self.deps.now())

    async def grant_admin(self, update: Update, context: Context) -> None:
        """/grantadmin @username|ID"""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        target = await self._admin_target(turn, context.args or [], "admin.grant_usage")
        if target is None:
            return
        telegram_id, username = target
        if telegram_id is not None and self.deps.is_admin(telegram_id):
            await turn.say(turn.t("admin.already_admin", who=escape(_who(target))))
            return
        granted = await self.deps.db.admins.grant(
            telegram_id=telegram_id, username=username, actor=turn.user.id, at=self.deps.now()
        )
        key = "admin.granted" if telegram_id is not None else "admin.granted_pending"
        await turn.say(turn.t(key if granted else "admin.already_admin", who=escape(_who(target))))

    async def revoke_admin(self, update: Update, context: Context) -> None:
        """/revokeadmin @username|ID (never one of GRIDBOT_ADMINS)."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        target = await self._admin_target(turn, context.args or [], "admin.revoke_usage")
        if target is None:
            return
        telegram_id, username = target
        if telegram_id in self.deps.settings.admins:
            await turn.say(turn.t("admin.env_admin", who=escape(_who(target))))
            return
        revoked = await self.deps.db.admins.revoke(
            telegram_id=telegram_id, username=username, actor=turn.user.id, at=self.deps.now()
        )
        key = "admin.revoked_admin" if revoked else "admin.not_admin"
        await turn.say(turn.t(key, who=escape(_who(target))))

    async def list_admins(self, update: Update, context: Context) -> None:
        """/admins: the admins of the environment and those granted in chat."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        lines = [Line(turn.t("admin.admins_title"), bold=True)]
        lines += [
            Line(turn.t("admin.admin_env", id=item)) for item in sorted(self.deps.settings.admins)
        ]
        for grant in await self.deps.db.admins.grants():
            who = _who((grant.telegram_id, grant.username))
            at = grant.granted_at.astimezone(self.deps.settings.timezone).strftime("%Y-%m-%d")
            lines.append(Line(turn.t("admin.admin_granted", who=who, by=grant.granted_by, day=at)))
        await _say_lines(turn, lines)

    async def _admin_target(
        self, turn: Turn, args: list[str], usage: str
    ) -> tuple[int | None, str | None] | None:
        """(Telegram id, @username) named by the command; an @username of a bound worker
        comes with their id."""
        text = args[0] if len(args) == 1 else ""
        if text.isdigit() and int(text) > 0:
            return int(text), None
        match = _USERNAME.match(text)
        if match is None:
            await turn.say(turn.t(usage))
            return None
        username = match.group(1)
        worker = await self.edits.worker_by_username(username)
        return (worker.telegram_id if worker else None), username

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
        overview = await self.deps.db.roster.roster_overview()
        chosen = [
            (grid, workers) for grid, workers in overview if area is None or contains(area, grid)
        ]
        invites = await self.edits.grids_with_invites()
        await _say_lines(turn, _grid_lines(turn.locale, chosen, invites))

    async def invite(self, update: Update, context: Context) -> None:
        """/invite GRID: the grid's invite deep link (made if there is none)."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        grid = await self._grid(turn, context.args or [], "admin.invite_usage")
        if grid is None:
            return
        token = await self.deps.db.roster.invite_token(
            grid.id, actor=turn.user.id, at=self.deps.now()
        )
        link = f"https://t.me/{context.bot.username}?start={token}"
        await turn.say(
            turn.t("admin.invite_link", code=escape(grid.code), grid=escape(grid.name), link=link)
        )

    async def revoke(self, update: Update, context: Context) -> None:
        """/revoke GRID: the grid's invite link stops working."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        grid = await self._grid(turn, context.args or [], "admin.revoke_link_usage")
        if grid is None:
            return
        count = await self.deps.db.roster.revoke_invites(
            grid.id, actor=turn.user.id, at=self.deps.now()
        )
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
        grid = await self._grid(turn, args[:1], "admin.add_usage")
        if grid is None:
            return
        username = match.group(1)
        name = " ".join(args[2:]).strip()[:MAX_NAME] or username
        worker = await self.edits.add_worker(
            grid, username=username, name=name, actor=turn.user.id, at=self.deps.now()
        )
        if worker is None:
            await self._already_on_roster(turn, username)
            return
        await turn.say(
            turn.t(
                "admin.worker_added",
                name=escape(name),
                username=escape(username),
                code=escape(grid.code),
                grid=escape(grid.name),
            )
        )

    async def _already_on_roster(self, turn: Turn, username: str) -> None:
        worker = await self.edits.worker_by_username(username)
        grid = await self.deps.db.roster.grid(worker.grid_id) if worker else None
        await turn.say(
            turn.t(
                "admin.worker_exists",
                username=escape(username),
                code=escape(grid.code if grid else "?"),
                name=escape(worker.name if worker else "?"),
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
        worker = await self.edits.worker_by_username(match.group(1))
        if worker is None:
            await turn.say(turn.t("admin.no_such_worker", username=escape(match.group(1))))
            return
        grid = await turn.grid_of(worker)
        await self.edits.remove_worker(worker, actor=turn.user.id, at=self.deps.now())
        left = await self.deps.db.roster.workers_of_grid(grid.id)
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

    async def _grid(self, turn: Turn, args: list[str], usage: str) -> Grid | None:
        """The active grid whose code is the first argument, or None after saying why."""
        if not args:
            await turn.say(turn.t(usage))
            return None
        grid = await self.deps.db.roster.grid_by_code(args[0])
        if grid is None or not grid.active:
            await turn.say(turn.t("admin.unknown_grid", code=escape(args[0])))
            return None
        return grid

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
        changes = await self.edits.preview_import(parsed.rows, at=self.deps.now())
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
        if not self.deps.is_admin(turn.user.id):
            await turn.refuse_unknown()
            return
        await turn.answer_button()
        await turn.close_buttons()
        pending = (context.user_data or {}).pop(PENDING_ROSTER, None)
        if turn.query is None or turn.query.data == ROSTER_NO:
            await turn.say(turn.t("admin.roster.cancelled"))
            return
        if not isinstance(pending, dict):
            await turn.say(turn.t("admin.roster.expired"))
            return
        name = str(pending["name"])
        parsed = parse_roster(name, await _download(context, str(pending["file_id"])))
        if parsed.errors:
            await _say_lines(turn, _error_lines(turn.locale, parsed))
            return
        changes = await self.deps.db.roster.apply(
            parsed.rows, actor=turn.user.id, at=self.deps.now()
        )
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


def _who(target: tuple[int | None, str | None]) -> str:
    telegram_id, username = target
    if username and telegram_id:
        return f"@{clean_username(username)} ({telegram_id})"
    return f"@{clean_username(username)}" if username else str(telegram_id)


def _changes(locale: Locale, changes: RosterChanges, key: str = "cli.roster_changes") -> str:
    return escape(t(locale, key, **asdict(changes)))


def _error_lines(locale: Locale, parsed: RosterParse) -> list[Line]:
    """The CLI's error report, the count in bold."""
    first, *rest = parsed.error_report(locale)
    return [Line(first, bold=True), *(Line(line.strip()) for line in rest)]


def _grid_lines(
    locale: Locale, overview: list[tuple[Grid, list[Worker]]], invites: set[int]
) -> list[Line]:
    workers = [worker for _, staff in overview for worker in staff]
    bound = sum(worker.telegram_id is not None for worker in workers)
    summary = t(
        locale, "admin.grids.summary", grids=len(overview), workers=len(workers), bound=bound
    )
    lines = [Line(summary, bold=True)]
    area = None
    for grid, staff in overview:
        if grid.area_path != area:
            area = grid.area_path
            lines += [Line(""), Line(area, bold=True, keep=True)]
        key = "admin.grids.grid_invite" if grid.id in invites else "admin.grids.grid"
        lines.append(Line(t(locale, key, code=grid.code, grid=grid.name, count=len(staff))))
        if not staff:
            lines.append(Line(t(locale, "admin.grids.no_workers")))
        for worker in staff:
            state = "admin.grids.bound" if worker.telegram_id else "admin.grids.unbound"
            username = f" @{worker.username}" if worker.username else ""
            lines.append(Line(t(locale, state, name=worker.name, username=username)))
    return lines
