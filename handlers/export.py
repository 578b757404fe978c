"""/export (the ledger as XLSX or CSV) and /backup (a copy of the database), for admins in
the private chat with the bot.

Both run as background tasks (``block=False``), so a long export does not hold up the
workers' check-ins, and both refuse a file over Telegram's 50 MB upload limit with a
message that says what to do instead.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import tempfile
from pathlib import Path

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.dependencies import Dependencies
from bot.domain.dates import DateArgError
from bot.domain.ledger_tables import Sheet, parse_export_args
from bot.ledger_file import LedgerRequest, ledger_file_name
from bot.telegram_ui import escape
from bot.usecases.export import backup_database, export_ledger
from handlers.common import Turn
from handlers.roles import Roles

Context = ContextTypes.DEFAULT_TYPE

UPLOAD_LIMIT = 50 * 1024 * 1024
"""Telegram's limit on files a bot sends."""
UPLOAD_TIMEOUT = 300
"""Seconds allowed for sending a large file."""
_MB = 1024 * 1024
_SHELL_SPECIAL = re.compile(r"[\s'\"\\$`;&|<>()*?\[\]{}!#~]")


class ExportCommands:
    """/export and /backup."""

    def __init__(self, deps: Dependencies, roles: Roles) -> None:
        self.deps = deps
        self.roles = roles

    def handlers(self) -> list[BaseHandler[Update, Context, object]]:
        """The two commands, each run as a task of its own."""
        return [
            CommandHandler("export", self.export, block=False),
            CommandHandler("backup", self.backup, block=False),
        ]

    async def export(self, update: Update, context: Context) -> None:
        """/export [FROM] [TO] [AREA] [csv]: the ledger as a file."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        try:
            args = parse_export_args(context.args or [], self.deps.today())
        except DateArgError as error:
            params = {name: escape(value) for name, value in error.params.items()}
            await turn.say(f"{turn.t(error.key, **params)}\n\n{turn.t('export.usage')}")
            return
        area = await self.roles.area(turn, args.area) if args.area else None
        if args.area and area is None:
            return
        request = LedgerRequest(args.days, area, args.format, turn.locale)
        first, last = args.days.first.isoformat(), args.days.last.isoformat()
        await turn.say(turn.t("export.working", first=first, last=last, days=len(args.days)))
        await turn.chat.send_action(ChatAction.UPLOAD_DOCUMENT)
        with tempfile.TemporaryDirectory(prefix="gridbot-export-") as folder:
            result = await export_ledger(
                self.deps, request, Path(folder) / ledger_file_name(request)
            )
            if result.size > UPLOAD_LIMIT:
                await turn.say(self._too_big(turn, request, result.size))
                return
            caption = turn.t(
                "export.caption",
                first=first,
                last=last,
                reports=result.rows[Sheet.REPORTS],
                incidents=result.rows[Sheet.INCIDENTS],
                corrections=result.rows[Sheet.CORRECTIONS],
            )
            await self._send(turn, result.path, caption)

    def _too_big(self, turn: Turn, request: LedgerRequest, size: int) -> str:
        area = f" --area {_shell_word(request.area.path)}" if request.area else ""
        command = (
            f"gridbot export --from {request.days.first} --to {request.days.last}{area}"
            f" --format {request.format} --out {_shell_word(ledger_file_name(request))}"
        )
        return turn.t(
            "export.too_big",
            size=f"{size / _MB:.1f}",
            limit=UPLOAD_LIMIT // _MB,
            command=escape(command),
        )

    async def backup(self, update: Update, context: Context) -> None:
        """/backup: a consistent copy of the live database, sent as a file."""
        turn = Turn.of(update, self.deps)
        if not await self.roles.admin(turn):
            return
        await turn.chat.send_action(ChatAction.UPLOAD_DOCUMENT)
        stamp = self.deps.now().strftime("%Y%m%d-%H%M")
        with tempfile.TemporaryDirectory(prefix="gridbot-backup-") as folder:
            target = Path(folder) / f"gridbot-backup-{stamp}.sqlite3"
            made = await backup_database(self.deps, target)
            size = f"{made.size / _MB:.1f}"
            if made.size > UPLOAD_LIMIT:
                await turn.say(
                    turn.t("export.backup.too_big", size=size, limit=UPLOAD_LIMIT // _MB)
                )
                return
            caption = turn.t("export.backup.caption", size=size, schema=made.schema_version)
            await self._send(turn, made.path, caption)

    async def _send(self, turn: Turn, path: Path, caption: str) -> None:
        content = await asyncio.to_thread(path.read_bytes)
        await turn.chat.send_document(
            content,
            filename=path.name,
            caption=caption,
            read_timeout=UPLOAD_TIMEOUT,
            write_timeout=UPLOAD_TIMEOUT,
        )


def _shell_word(text: str) -> str:
    """``text`` as one shell word: quoted only when it has to be (Chinese stays readable)."""
    return shlex.quote(text) if _SHELL_SPECIAL.search(text) else text
