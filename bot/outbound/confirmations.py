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
from typing import TYPE_CHECKING

from telegram import Update

from bot.dependencies import Dependencies
from bot.domain.models import Report, ReportKind
from bot.i18n import Locale, t
from bot.outbound.courier import Courier
from bot.usecases.filing import report_of
from bot.usecases.send_log import SendKey, SendRecord, unfinished_sends

if TYPE_CHECKING:
    from storage.db import Database

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

    async def send(self, chat_id: int, locale: Locale, report: Report) -> None:
        """Send the confirmation owed for ``report`` to ``chat_id`` now (claimed in the send
        log by :meth:`owe`, in the transaction that stored the report)."""
        key = confirmation_key(report, chat_id)
        await self._deliver(key, self.text(locale, report, report.current.version), owed=True)

    async def settle(self, update: Update, context: object) -> None:
        """Before anything else of a private update: deliver the confirmations this chat is
        still owed (a handler of its own group, ahead of the conversation)."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or chat.type != "private" or chat.id not in await self._owed_chats():
            return
        locale = self.deps.locale_for(user.language_code if user else None)
        for record in await self._owed_records(chat.id):
            report_id, version = _parse(record.key.kind)
            report = await report_of(self.deps, record.grid_id or 0, record.key.day)
            if report is None or report.id != report_id or len(report.versions) < version:
                continue
            await self._deliver(record.key, self.text(locale, report, version))

    def text(self, locale: Locale, report: Report, version: int) -> str:
        """Filed (on time or late, with the time), or corrected (with the version number)."""
        if version > 1:
            return t(locale, "checkin.corrected", version=version)
        key = "checkin.filed_late" if report.late else "checkin.filed"
        when = report.submitted_at.astimezone(self.deps.settings.timezone).strftime("%H:%M")
        text = t(locale, key, day=report.day.isoformat(), time=when)
        if report.versions[0].kind == ReportKind.ZERO:
            return f"{text}\n{t(locale, 'checkin.zero_filed_note')}"
        return text

    async def _deliver(self, key: SendKey, text: str, *, owed: bool = False) -> None:
        """Send and record the outcome. A confirmation just claimed by :meth:`owe` (``owed``)
        is not claimed again, unless the chat is owed others: :meth:`settle` may then be
        delivering it too, and the send log's record decides."""
        chats = await self._owed_chats()
        claim = await self.courier.claimed(key) if owed and key.target not in chats else None
        delivery = await self.courier.deliver(
            key,
            lambda: self.courier.bot.send_message(key.target, text),
            planned_at=self.deps.now(),
            claim=claim,
        )
        if delivery.status.final:
            chats.discard(key.target)
        else:
            chats.add(key.target)

    async def _owed_chats(self) -> set[int]:
        if self._owed is None:
            records = await unfinished_sends(self.deps, PREFIX, since=self._since())
            self._owed = {record.key.target for record in records}
        return self._owed

    def _since(self) -> date:
        return self.deps.today() - timedelta(days=OWED_DAYS)

    async def _owed_records(self, chat_id: int) -> list[SendRecord]:
        return await unfinished_sends(self.deps, PREFIX, since=self._since(), target=chat_id)


def _parse(kind: str) -> tuple[int, int]:
    report_id, _, version = kind.removeprefix(PREFIX).partition(":")
    return int(report_id), int(version)
