"""The confirmation a worker gets after filing or correcting: never lost once the report is
stored.

The confirmation is recorded in the send log in the same transaction that stores the report
(or its new version), then sent through the courier (the one retry policy). If Telegram keeps
failing, the send stays unfinished in the log, and the worker's next message to the bot first
gets the confirmation it is owed. The send log's key (``confirm:<report>:<version>``) makes
it arrive exactly once, whatever fails or restarts in between.
"""

from __future__ import annotations

from datetime import date, timedelta

from telegram import Update

from bot.dependencies import Dependencies
from bot.domain.models import Report, ReportKind
from bot.outbound.courier import Courier
from handlers.common import Turn
from storage.db import Database
from storage.schedule import SendKey, SendRecord

PREFIX = "confirm:"
OWED_DAYS = 7
"""Confirmations still owed after this many days are not delivered any more."""


def confirmation_key(report: Report, chat_id: int) -> SendKey:
    """The send-log key of the confirmation of the report's current version."""
    return SendKey(f"{PREFIX}{report.id}:{report.current.version}", report.day, chat_id)


class Confirmations:
    """Owing, sending and (on the worker's next message) settling confirmations."""

    def __init__(self, deps: Dependencies, courier: Courier) -> None:
        self.deps = deps
        self.courier = courier
        self._owed: set[int] | None = None
        """Chats with an unfinished confirmation (loaded once, kept up to date)."""

    async def owe(self, db: Database, report: Report, chat_id: int) -> None:
        """Record the confirmation as due; call it in the unit of work that stored ``report``."""
        key = confirmation_key(report, chat_id)
        await db.schedule.claim(key, grid_id=report.grid_id, planned_at=self.deps.now())

    async def send(self, turn: Turn, report: Report, extra: str = "") -> None:
        """Send the confirmation owed for ``report`` now (``extra``: a line after it)."""
        key = confirmation_key(report, turn.chat.id)
        text = self.text(turn, report, report.current.version)
        await self._deliver(turn, key, f"{text}\n{extra}" if extra else text)

    async def settle(self, update: Update, context: object) -> None:
        """Before anything else of a private update: deliver the confirmations this chat is
        still owed (a handler of its own group, ahead of the conversation)."""
        chat = update.effective_chat
        if chat is None or chat.type != "private" or chat.id not in await self._owed_chats():
            return
        turn = Turn.of(update, self.deps)
        for record in await self._owed_records(chat.id):
            report_id, version = _parse(record.key.kind)
            report = await self.deps.db.reports.get(record.grid_id or 0, record.key.day)
            if report is None or report.id != report_id or len(report.versions) < version:
                continue
            await self._deliver(turn, record.key, self.text(turn, report, version))

    def text(self, turn: Turn, report: Report, version: int) -> str:
        """Filed (on time or late, with the time), or corrected (with the version number)."""
        if version > 1:
            return turn.t("checkin.corrected", version=version)
        key = "checkin.filed_late" if report.late else "checkin.filed"
        when = report.submitted_at.astimezone(self.deps.settings.timezone).strftime("%H:%M")
        text = turn.t(key, day=report.day.isoformat(), time=when)
        if report.versions[0].kind == ReportKind.ZERO:
            return f"{text}\n{turn.t('checkin.zero_filed_note')}"
        return text

    async def _deliver(self, turn: Turn, key: SendKey, text: str) -> None:
        owed = await self._owed_chats()
        delivery = await self.courier.deliver(
            key, lambda: turn.say(text), planned_at=self.deps.now()
        )
        if delivery.status.final:
            owed.discard(key.target)
        else:
            owed.add(key.target)

    async def _owed_chats(self) -> set[int]:
        if self._owed is None:
            records = await self.deps.db.schedule.unfinished(PREFIX, since=self._since())
            self._owed = {record.key.target for record in records}
        return self._owed

    def _since(self) -> date:
        return self.deps.today() - timedelta(days=OWED_DAYS)

    async def _owed_records(self, chat_id: int) -> list[SendRecord]:
        return await self.deps.db.schedule.unfinished(PREFIX, since=self._since(), target=chat_id)


def _parse(kind: str) -> tuple[int, int]:
    report_id, _, version = kind.removeprefix(PREFIX).partition(":")
    return int(report_id), int(version)
