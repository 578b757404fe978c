"""Sending the evening digest: split into messages (and a spreadsheet for big areas), to
every bound group once, or to one chat for /digest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

from telegram import Bot

from bot.dependencies import Dependencies
from bot.domain.digest import (
    Digest,
    needs_attachment,
    render_digest,
)
from bot.domain.models import Area
from bot.domain.plan import PlannedSend
from bot.i18n import Locale
from bot.outbound.courier import Courier, in_order
from bot.outbound.daily import ON_TIME_SLACK, gather_limited
from bot.outbound.tables import grid_table_xlsx
from bot.usecases.digests import compile_area_digests
from storage.schedule import SendKey


class DigestDesk:
    """Sends compiled digests (:func:`bot.usecases.digests.compile_area_digests`)."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def send(self, bot: Bot, chat: int, digest: Digest, locale: Locale) -> None:
        """Send a compiled digest to a chat now (the /digest command)."""
        await in_order(self.parts(bot, chat, digest, locale))()

    def parts(
        self, bot: Bot, chat: int, digest: Digest, locale: Locale
    ) -> list[Callable[[], Awaitable[object]]]:
        """The sends a digest is made of: its messages, split at line boundaries, plus the
        per-grid table as a spreadsheet when the area has too many grids to list."""
        attach = needs_attachment(digest)
        parts: list[Callable[[], Awaitable[object]]] = [
            partial(bot.send_message, chat, message)
            for message in render_digest(digest, locale, table_attached=attach)
        ]
        if attach:
            content, filename = grid_table_xlsx(digest, locale)
            parts.append(partial(bot.send_document, chat, content, filename=filename))
        return parts

    async def deliver_scheduled(
        self, courier: Courier, planned: PlannedSend, now: datetime
    ) -> None:
        """The scheduled digest to every bound group, once each (late ones marked delayed;
        past the grace period, recorded as skipped and the admins are told). The digests of
        all the groups' areas are compiled together, reading the database once."""
        bindings = await self.deps.db.groups.bindings()
        if now >= planned.valid_until:
            await gather_limited(
                self._skip(courier, planned, chat, area) for chat, area in bindings
            )
            return
        areas = list({area.id: area for _, area in bindings}.values())
        digests = await compile_area_digests(self.deps, areas, planned.day)
        jobs = [
            self._deliver_to(courier, planned, chat, digests[area.id], now)
            for chat, area in bindings
        ]
        await gather_limited(jobs)

    async def _skip(self, courier: Courier, planned: PlannedSend, chat: int, area: Area) -> None:
        key = SendKey(planned.key, planned.day, chat)
        if await courier.skip(key, planned_at=planned.at):
            await courier.tell_admins_once(
                f"digest_skipped:{chat}",
                "outbound.admin_digest_skipped",
                day_scoped=planned.day,
                area=area.path,
                day=planned.day.isoformat(),
            )

    async def _deliver_to(
        self, courier: Courier, planned: PlannedSend, chat: int, digest: Digest, now: datetime
    ) -> None:
        key = SendKey(planned.key, planned.day, chat)
        locale = await self.deps.db.groups.language(chat) or self.deps.settings.locale
        await courier.deliver(
            key,
            in_order(self.parts(courier.bot, chat, digest, locale)),
            planned_at=planned.at,
            delayed=now - planned.at > ON_TIME_SLACK,
        )
