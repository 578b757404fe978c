"""Sending the evening digest: split into messages (and a spreadsheet for big areas), then
the area's chart as a photo, to every bound group once, or to one chat for /digest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from functools import partial

from telegram import Bot, Message

from bot.dependencies import Dependencies
from bot.domain.models import Area
from bot.domain.plan import PlannedSend
from bot.i18n import Locale
from bot.outbound.courier import Courier, gather_limited, in_order
from bot.outbound.daily import ON_TIME_SLACK
from bot.outbound.digest_text import DigestText, digest_text
from bot.usecases import supervision
from bot.usecases.chart import ChartImage
from bot.usecases.evening_process import (
    compile_evening_digests,
    draw_evening_charts,
    requested_digest,
    requested_digest_chart,
)
from bot.usecases.send_log import SendKey, SendStatus, claim_send

CHART_SUFFIX = "_chart"
"""The send-log kind of a digest's chart is the digest's kind plus this."""


class DigestDesk:
    """Sends compiled digests (the evening's compiled in a child process:
    :func:`bot.usecases.evening_process.compile_evening_digests`), each followed by its
    area's chart (:func:`bot.usecases.chart.draw_chart`)."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def send(self, bot: Bot, chat: int, area: Area, day: date, locale: Locale) -> None:
        """Send ``area``'s digest of ``day`` to a chat now (the /digest command), then its
        chart (drawn in a child process). A big area's digest is compiled and made into text
        in a child process too, a small one's here (the text in a worker thread):
        :func:`bot.usecases.evening_process.requested_digest`."""
        text = await requested_digest(self.deps, area, day, locale, digest_text)
        await in_order(self.parts(bot, chat, text))()
        chart = await requested_digest_chart(self.deps, area, day, locale)
        if chart is not None:
            await self.send_chart(bot, chat, area, chart)

    @staticmethod
    async def send_chart(bot: Bot, chat: int, area: Area, chart: ChartImage) -> Message:
        """The chart as a photo with a short caption."""
        return await bot.send_photo(
            chat, chart.png, caption=chart.caption(area), filename="chart.png", parse_mode=None
        )

    @staticmethod
    def parts(bot: Bot, chat: int, text: DigestText) -> list[Callable[[], Awaitable[object]]]:
        """The sends a digest is made of: its messages, plus the per-grid table as a
        spreadsheet when the area has too many grids to list."""
        parts: list[Callable[[], Awaitable[object]]] = [
            partial(bot.send_message, chat, message) for message in text.messages
        ]
        if text.table is not None:
            content, filename = text.table
            parts.append(partial(bot.send_document, chat, content, filename=filename))
        return parts

    async def deliver_scheduled(
        self, courier: Courier, planned: PlannedSend, now: datetime
    ) -> None:
        """The scheduled digest to every bound group, once each (late ones marked delayed;
        past the grace period, recorded as skipped and the admins are told). The digests of
        all the groups' areas are compiled together, reading the database once, and made into
        text in each group's language, in a child process. Every text goes out first, then
        the charts: drawing them never holds up a group's text."""
        bindings = await supervision.bound_groups(self.deps)
        if now >= planned.valid_until:
            await gather_limited(
                self._skip(courier, planned, chat, area) for chat, area in bindings
            )
            return
        locales = {chat: await supervision.group_locale(self.deps, chat) for chat, _ in bindings}
        wanted = {(area.id, locales[chat]): area for chat, area in bindings}
        evening = await compile_evening_digests(self.deps, wanted, planned.day, digest_text)
        delayed = now - planned.at > ON_TIME_SLACK
        texts_sent: list[tuple[int, Area, Locale]] = []
        jobs = [
            self._deliver_to(
                courier,
                planned,
                (chat, locales[chat]),
                evening.result[area.id, locales[chat]],
                delayed,
                texts_sent,
            )
            for chat, area in bindings
        ]
        await gather_limited(jobs)
        await self._deliver_charts(courier, planned, texts_sent, delayed)

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
        self,
        courier: Courier,
        planned: PlannedSend,
        to: tuple[int, Locale],
        text: DigestText,
        delayed: bool,
        texts_sent: list[tuple[int, Area, Locale]],
    ) -> None:
        """The digest's text to the chat ``to`` (in its language), once; a chat whose text has
        gone out (now or before a restart) is added to ``texts_sent`` for its chart."""
        chat, locale = to
        key = SendKey(planned.key, planned.day, chat)
        record = await courier.deliver(
            key,
            in_order(self.parts(courier.bot, chat, text)),
            planned_at=planned.at,
            delayed=delayed,
        )
        if record.status == SendStatus.SENT:
            texts_sent.append((chat, text.area, locale))

    async def _deliver_charts(
        self,
        courier: Courier,
        planned: PlannedSend,
        texts_sent: list[tuple[int, Area, Locale]],
        delayed: bool,
    ) -> None:
        """The charts after the texts, once each (their own rows in the send log, so a restart
        repeats neither them nor the texts), drawn together in a child process. One that
        cannot be drawn is logged and recorded as skipped."""
        kind = f"{planned.key}{CHART_SUFFIX}"
        due: list[tuple[SendKey, Area, Locale]] = []
        for chat, area, locale in texts_sent:
            key = SendKey(kind, planned.day, chat)
            record = await claim_send(self.deps, key, planned_at=planned.at)
            if not record.status.final:
                due.append((key, area, locale))
        if not due:
            return
        wanted = {(area.id, locale): area for _, area, locale in due}
        charts = (await draw_evening_charts(self.deps, wanted, planned.day)).result
        await gather_limited(
            self._deliver_chart(courier, planned, key, area, charts[area.id, locale], delayed)
            for key, area, locale in due
        )

    async def _deliver_chart(
        self,
        courier: Courier,
        planned: PlannedSend,
        key: SendKey,
        area: Area,
        chart: ChartImage | None,
        delayed: bool,
    ) -> None:
        if chart is None:
            await courier.skip(key, planned_at=planned.at)
            return
        await courier.deliver(
            key,
            partial(self.send_chart, courier.bot, key.target, area, chart),
            planned_at=planned.at,
            delayed=delayed,
        )
