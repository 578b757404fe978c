"""/start (binding by roster id, username or invite link), /status, /help, /bindgroup, and the
catch-alls that answer unknown users and stale buttons."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.dependencies import Dependencies
from bot.domain.dates import time_left
from bot.domain.draft import DRAFT_KEY
from bot.domain.models import Grid, Worker
from bot.i18n import Locale, parse_locale, t
from bot.telegram_ui import Button, escape, escaped, menu_data, webapp_rows
from bot.usecases import filing, groups, roster, supervision
from bot.usecases.errors import UseCaseError
from handlers.common import Turn
from handlers.menus import register_admin_menu

Context = ContextTypes.DEFAULT_TYPE


class Onboarding:
    """Commands around the conversation: who are you, what is due, how does this work."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    def handlers(self) -> list[BaseHandler[Update, Context, object]]:
        """Handlers to register after the check-in conversation (order matters)."""
        private = filters.ChatType.PRIVATE
        groups = filters.ChatType.GROUPS
        return [
            CommandHandler("start", self.start, filters=private),
            CommandHandler("status", self.status, filters=private),
            CommandHandler("help", self.help),
            CommandHandler("cancel", self.nothing_to_cancel, filters=private),
            CommandHandler("bindgroup", self.bind_group),
            CallbackQueryHandler(self.stale_button),
            MessageHandler(private & ~filters.UpdateType.EDITED, self.anything_else),
            MessageHandler(groups & filters.COMMAND, self.group_command),
        ]

    async def start(self, update: Update, context: Context) -> None:
        """/start [invite token]: bind the user if we can, then greet with today's status."""
        turn = Turn.of(update, self.deps)
        worker = await self._identify(turn, context.args or [])
        if self.deps.is_admin(turn.user.id):
            await register_admin_menu(context.bot, turn.user.id, self.deps.settings.locale)
        if worker is None:
            if self.deps.is_admin(turn.user.id):
                await turn.say(turn.t("onboarding.admin_greeting"))
            return
        grid = await turn.grid_of(worker)
        greeting = turn.t(
            "onboarding.greeting",
            name=escape(worker.name),
            grid=escape(grid.name),
            area=escape(grid.area_path),
        )
        await self._send_status(turn, worker, grid, context, greeting)

    async def _identify(self, turn: Turn, args: list[str]) -> Worker | None:
        """The bound worker, binding by invite token or roster username when needed."""
        try:
            worker = await roster.register(
                self.deps,
                turn.user.id,
                invite_token=args[0] if args else None,
                display_name=turn.user.full_name,
                username=turn.user.username,
                language=turn.locale if turn.user.language_code else None,
            )
        except UseCaseError as error:
            await turn.say(turn.t(error.key))
            return None
        if worker is None and not args and not self.deps.is_admin(turn.user.id):
            await turn.refuse_unknown()
        return worker

    async def status(self, update: Update, context: Context) -> None:
        """/status: what is due today and what was filed."""
        turn = Turn.of(update, self.deps)
        worker = await turn.worker()
        if worker is None:
            await turn.refuse_unknown()
            return
        await self._send_status(turn, worker, await turn.grid_of(worker), context, None)

    async def _send_status(
        self, turn: Turn, worker: Worker, grid: Grid, context: Context, greeting: str | None
    ) -> None:
        day = self.deps.today()
        report = await filing.report_of(self.deps, grid.id, day)
        tz = self.deps.settings.timezone
        lines = [greeting] if greeting else []
        lines.append(turn.t("status.grid", grid=escape(grid.name), area=escape(grid.area_path)))
        buttons: Sequence[Sequence[Button]]
        if report is None:
            lines.append(self._due_line(turn))
            buttons = [
                *webapp_rows(self.deps.settings.webapp_url, turn.locale),
                [(turn.t("button.fill_in"), menu_data("report"))],
                [(turn.t("button.zero"), menu_data("zero"))],
                [(turn.t("button.template"), menu_data("template"))],
            ]
            if (context.user_data or {}).get(DRAFT_KEY):
                lines.append(turn.t("status.draft_in_progress"))
        else:
            kind = turn.t(f"status.kind.{report.kind.value}")
            timing = turn.t("status.late") if report.late else turn.t("status.on_time")
            lines.append(
                turn.t(
                    "status.filed",
                    day=day.isoformat(),
                    kind=kind,
                    who=escape(report.submitted_by_name),
                    time=report.submitted_at.astimezone(tz).strftime("%H:%M"),
                    timing=timing,
                )
            )
            if report.corrected:
                lines.append(turn.t("status.corrected", count=len(report.versions) - 1))
            buttons = [[(turn.t("button.correct"), menu_data("correct"))]]
        await turn.say("\n".join(lines), buttons)

    def _due_line(self, turn: Turn) -> str:
        now = self.deps.now()
        deadline = self.deps.deadline(self.deps.today())
        left = time_left(now, deadline)
        if left is None:
            return turn.t("status.due_late", deadline=deadline.strftime("%H:%M"))
        return turn.t(
            "status.due",
            deadline=deadline.strftime("%H:%M"),
            hours=left[0],
            minutes=left[1],
        )

    async def help(self, update: Update, context: Context) -> None:
        """/help, by role: workers, supervisors (in their bound group), admins."""
        turn = Turn.of(update, self.deps)
        admin = self.deps.is_admin(turn.user.id)
        parts = []
        if turn.in_group:
            if await supervision.area_of_group(self.deps, turn.chat.id) is not None:
                parts.append(turn.t("help.supervisor"))
        elif await turn.worker() is not None:
            parts.append(turn.t("help.worker"))
        if admin:
            parts += [turn.t("help.admin"), turn.t("admin.help")]
        if not parts:
            await turn.refuse_unknown()
            return
        await turn.say("\n\n".join(parts))

    async def nothing_to_cancel(self, update: Update, context: Context) -> None:
        """/cancel with no draft open."""
        turn = Turn.of(update, self.deps)
        if await turn.worker() is None:
            await turn.refuse_unknown()
            return
        await turn.say(turn.t("checkin.nothing_to_cancel"))

    async def bind_group(self, update: Update, context: Context) -> None:
        """/bindgroup AREA_PATH [zh|en], sent by an admin inside the supervisor group."""
        turn = Turn.of(update, self.deps)
        if not self.deps.is_admin(turn.user.id):
            await turn.say(turn.t("group.admins_only"))
            return
        if not turn.in_group:
            await turn.say(turn.t("group.bind_in_group"))
            return
        args = list(context.args or [])
        language = _trailing_locale(args)
        try:
            area = await groups.bind_group(
                self.deps,
                turn.chat.id,
                area_path=" ".join(args).strip(),
                title=turn.chat.title or "",
                language=language,
                actor=turn.user.id,
            )
        except UseCaseError as error:
            await turn.say(turn.t(error.key, **escaped(error.params)))
            return
        locale = language or self.deps.settings.locale
        await turn.say(t(locale, "group.bound", area=escape(area.path)))

    async def stale_button(self, update: Update, context: Context) -> None:
        """Any button no live conversation step claimed: expired (or not registered)."""
        turn = Turn.of(update, self.deps)
        if await turn.worker() is None and not self.deps.is_admin(turn.user.id):
            await turn.refuse_unknown()
            return
        await turn.answer_button(turn.t("common.expired"), alert=True)

    async def anything_else(self, update: Update, context: Context) -> None:
        """A private message no command claimed: a hint for workers, a refusal for others."""
        turn = Turn.of(update, self.deps)
        worker = await turn.worker()
        if worker is None and not self.deps.is_admin(turn.user.id):
            await turn.refuse_unknown()
            return
        await turn.say(turn.t("common.unknown_message"))

    def edit_guard(self) -> BaseHandler[Update, Context, object]:
        """Runs before every other handler (its own group): an edited message is never
        taken as a new answer or command."""
        return MessageHandler(filters.UpdateType.EDITED, self.edited)

    async def edited(self, update: Update, context: Context) -> None:
        """An edited message: answers are read once, so (in a private chat) say to send the
        new one again; nothing else sees the update."""
        turn = Turn.of(update, self.deps)
        if turn.chat.type == "private":
            if await turn.worker() is None and not self.deps.is_admin(turn.user.id):
                await turn.refuse_unknown()
            else:
                await turn.say(turn.t("common.edited_message"))
        raise ApplicationHandlerStop

    async def group_command(self, update: Update, context: Context) -> None:
        """A command in a group that this bot does not offer there."""
        turn = Turn.of(update, self.deps)
        message = update.effective_message
        text = message.text if message and message.text else ""
        mention = f"@{context.bot.username}".casefold()
        command = text.split()[0].casefold() if text.split() else ""
        if "@" in command and not command.endswith(mention):
            return
        await turn.say(turn.t("group.unknown_command"))


def _trailing_locale(args: list[str]) -> Locale | None:
    """Take a trailing language (``zh`` / ``en``) off the arguments, if there is one."""
    if len(args) < 2:
        return None
    try:
        locale = parse_locale(args[-1])
    except ValueError:
        return None
    args.pop()
    return locale
