"""Urgent incidents reach supervisors at once; unacknowledged ones climb the area tree.

A worker's filing does not wait for its alerts: they are posted in the background
(:meth:`AlertDesk.raise_soon`), because a group takes only 20 messages a minute and the alert
may queue there behind a digest. The alert rows are an outbox (:mod:`bot.usecases.alerting`):
whatever is not posted when the bot stops is posted by the next tick.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Message
from telegram.error import TelegramError

from bot.dependencies import Dependencies
from bot.domain.grid_names import grid_name
from bot.domain.models import Area, Grid, Report
from bot.i18n import Locale, listing, t
from bot.outbound.courier import Courier
from bot.telegram_ui import ack_data, escape, keyboard
from bot.usecases import supervision
from bot.usecases.alerts import (
    AckResult,
    Alert,
    acknowledge_alert,
    alert_grid,
    alerts_of,
    record_post,
    unacknowledged,
)
from bot.usecases.send_log import SendKey

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 5.0
"""How long stopping the bot waits for alerts still being posted; the rest stay in the
outbox for the next start."""


@dataclass(frozen=True, slots=True)
class BoundGroup:
    """A supervisor group and the area it reads."""

    chat_id: int
    area: Area


class AlertDesk:
    """Posting, acknowledging and escalating urgent-incident alerts."""

    def __init__(self, deps: Dependencies, courier: Courier) -> None:
        self.deps = deps
        self.courier = courier
        self._posting: set[int] = set()
        """Alerts being posted now: a tick meanwhile does not post them a second time."""
        self._background: set[asyncio.Task[None]] = set()

    async def chain(self, grid: Grid) -> list[BoundGroup]:
        """The bound groups above a grid, nearest area first (the grid's community, then its
        street, …)."""
        bindings = await supervision.bound_groups(self.deps)
        parts = grid.area_path.split("/")
        prefixes = ["/".join(parts[:size]) for size in range(len(parts), 0, -1)]
        return [
            BoundGroup(chat, area)
            for prefix in prefixes
            for chat, area in bindings
            if area.path == prefix
        ]

    async def raise_for(self, report: Report) -> list[Alert]:
        """Post the urgent incidents that are new in the report's current version (recorded
        now unless the filing already recorded them) and not posted yet."""
        alerts = await alerts_of(self.deps, report)
        for alert in alerts:
            if not alert.posts:
                await self.post(alert, level=0)
        return alerts

    def raise_soon(self, report: Report) -> None:
        """:meth:`raise_for` in the background: the worker is answered without waiting for
        the supervisors' groups. The alerts go in the lane of the update that filed them."""
        task = asyncio.create_task(self._raise_logged(report))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _raise_logged(self, report: Report) -> None:
        try:
            await self.raise_for(report)
        except Exception:  # the outbox keeps the alert: the next tick tries again
            log.exception("posting report %s's alerts failed; the next tick retries", report.id)

    async def settled(self) -> None:
        """Wait until every alert posted in the background is done."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Give alerts being posted ``grace`` seconds, then stop them (they stay in the
        outbox, unposted, for the next start's tick)."""
        if not self._background:
            return
        _, pending = await asyncio.wait(set(self._background), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def post(self, alert: Alert, *, level: int) -> bool:
        """Post the alert to the ``level``-th bound group above its grid; False if none.
        An alert already being posted is left to that posting."""
        if alert.id in self._posting:
            return True
        self._posting.add(alert.id)
        try:
            return await self._post(alert, level)
        finally:
            self._posting.discard(alert.id)

    async def _post(self, alert: Alert, level: int) -> bool:
        grid, reporter = await alert_grid(self.deps, alert)
        chain = await self.chain(grid)
        if level >= len(chain):
            await self._tell_admins_unheard(alert, grid, chain)
            return False
        group = chain[level]
        locale = await supervision.group_locale(self.deps, group.chat_id)
        text = self._text(alert, grid, reporter, locale, escalated=level > 0)
        now = self.deps.now()
        delivery = await self.courier.deliver(
            SendKey(f"alert:{alert.id}", alert.day, group.chat_id),
            lambda: self.courier.bot.send_message(
                group.chat_id,
                text,
                reply_markup=keyboard([[(t(locale, "outbound.ack_button"), ack_data(alert.id))]]),
            ),
            planned_at=now,
            grid_id=grid.id,
        )
        if isinstance(delivery.result, Message):
            await record_post(
                self.deps,
                alert,
                chat_id=group.chat_id,
                message_id=delivery.result.message_id,
                level=level,
            )
        return True

    async def _tell_admins_unheard(self, alert: Alert, grid: Grid, chain: list[BoundGroup]) -> None:
        """No group is left to tell: either none is bound above the grid, or every one was
        told and nobody acknowledged. The admins hear which, and what to do."""
        topic = f"alert_unheard:{alert.id}"
        if not chain:
            await self.courier.tell_admins_once(
                topic,
                "outbound.admin_alert_unheard",
                grid=grid.name,
                area=grid.area_path,
                description=alert.description,
            )
            return
        locale = self.deps.settings.locale
        await self.courier.tell_admins_once(
            topic,
            "notices.alert_unacknowledged",
            grid=grid_name(grid, locale, within=None),
            time=alert.raised_at.astimezone(self.deps.settings.timezone).strftime("%H:%M"),
            description=alert.description,
            groups=listing(locale, (group.area.name for group in chain)),
            count=len(chain),
            minutes=self.deps.settings.alert_ack_minutes,
        )

    def _text(
        self, alert: Alert, grid: Grid, reporter: str, locale: Locale, *, escalated: bool
    ) -> str:
        form = self.deps.form_for(alert.day)  # the form the incident was reported under
        category = (
            form.category(alert.category).label(locale)
            if form.has_category(alert.category)
            else alert.category
        )
        body = t(
            locale,
            "outbound.alert",
            grid=escape(grid.name),
            area=escape(grid.area_path),
            category=escape(category),
            description=escape(alert.description),
            reporter=escape(reporter),
            time=alert.raised_at.astimezone(self.deps.settings.timezone).strftime("%H:%M"),
        )
        if not escalated:
            return body
        note = t(locale, "outbound.alert_escalated", minutes=self.deps.settings.alert_ack_minutes)
        return f"{note}\n{body}"

    async def escalate_overdue(self, now: datetime) -> None:
        """Re-post alerts nobody acknowledged in time to the next group up the tree."""
        window = timedelta(minutes=self.deps.settings.alert_ack_minutes)
        for alert in await unacknowledged(self.deps):
            if not alert.posts:
                await self.post(alert, level=0)
                continue
            last = alert.posts[-1]
            if now - last.posted_at >= window:
                await self.post(alert, level=last.level + 1)

    async def acknowledge(
        self, alert_id: int, *, chat_id: int, user_id: int, name: str
    ) -> AckResult:
        """A supervisor in a group the alert was posted to acknowledges it; every posting of
        the alert then shows who did, and when."""
        result, alert = await acknowledge_alert(
            self.deps, alert_id, chat_id=chat_id, user_id=user_id, name=name
        )
        if alert is not None:
            await self._show_acknowledged(alert)
        return result

    async def _show_acknowledged(self, alert: Alert) -> None:
        grid, reporter = await alert_grid(self.deps, alert)
        assert alert.acknowledged_at is not None
        when = alert.acknowledged_at.astimezone(self.deps.settings.timezone).strftime("%H:%M")
        for post in alert.posts:
            locale = (
                await supervision.group_language(self.deps, post.chat_id)
                or self.deps.settings.locale
            )
            text = self._text(alert, grid, reporter, locale, escalated=post.level > 0)
            done = t(
                locale,
                "outbound.alert_acknowledged",
                name=escape(alert.acknowledged_by_name or ""),
                time=when,
            )
            try:
                await self.courier.bot.edit_message_text(
                    f"{text}\n\n{done}", chat_id=post.chat_id, message_id=post.message_id
                )
            except TelegramError as failure:
                log.warning(
                    "could not mark alert %s acknowledged in %s: %s",
                    alert.id,
                    post.chat_id,
                    failure,
                )
