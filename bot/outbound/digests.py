"""The evening digest: loading its data, and sending it. One path for the scheduler, /digest
and ``gridbot digest``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from functools import partial

from telegram import Bot

from bot.clock import at
from bot.dependencies import Dependencies
from bot.domain.digest import (
    Digest,
    DigestInput,
    GridInput,
    UrgentIncident,
    compile_digest,
    needs_attachment,
    render_digest,
)
from bot.domain.models import Area, Grid, Report
from bot.domain.plan import SINCE_KEY, DailyTimes, PlannedSend
from bot.domain.status import GridDay, Tally
from bot.i18n import Locale
from bot.outbound.courier import Courier, in_order
from bot.outbound.daily import ON_TIME_SLACK, gather_limited
from bot.outbound.tables import grid_table_xlsx
from storage.schedule import SendKey


class DigestDesk:
    """Compiles an area's digest from storage and sends it."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps
        self.times = DailyTimes.from_settings(deps.settings)

    async def compile(self, area: Area, day: date) -> Digest:
        """The digest of ``area`` for ``day``, from what the database holds now."""
        return compile_digest(await self.load(area, day))

    async def load(self, area: Area, day: date) -> DigestInput:
        """Everything the digest is compiled from."""
        db = self.deps.db
        grids = await db.roster.grids(area_path=area.path)
        reports_today = await self._reports(day)
        reports_before = await self._reports(day - timedelta(days=1))
        excused_today = await db.schedule.excused(day)
        excused_before = await db.schedule.excused(day - timedelta(days=1))
        reminders = await db.schedule.reminders_sent(day)
        compare = await self._operating_on(day - timedelta(days=1))
        items = []
        for grid in grids:
            workers = tuple(worker.name for worker in await db.roster.workers_of_grid(grid.id))
            today = GridDay(
                grid,
                day,
                reports_today.get(grid.id),
                excused_today.get(grid.id),
                reminders.get(grid.id, 0),
            )
            yesterday = (
                GridDay(
                    grid,
                    day - timedelta(days=1),
                    reports_before.get(grid.id),
                    excused_before.get(grid.id),
                )
                if compare
                else None
            )
            history = tuple(await db.reports.history(grid.id, before=day + timedelta(days=1)))
            items.append(GridInput(today, yesterday, history, workers))
        return DigestInput(
            form=self.deps.form,
            area=area,
            day=day,
            tz=self.deps.settings.timezone,
            grids=tuple(items),
            sub_areas=tuple(item for item in await db.roster.areas() if item.parent_id == area.id),
            incidents=await self._urgent(day, grids),
            corrections_since=at(day - timedelta(days=1), self.times.digest_at, self.times.tz),
            weekly=await self._weekly_tally(day, grids),
        )

    async def _operating_on(self, day: date) -> bool:
        """Whether grids were expected to report on ``day``: a reporting day on which the
        bot was already in service (a fresh install has no "yesterday" to compare with)."""
        if not self.times.is_reporting_day(day):
            return False
        since = await self.deps.db.meta.get(SINCE_KEY)
        if since is None:
            return bool(await self.deps.db.reports.reports_on(day))
        return day >= datetime.fromisoformat(since).astimezone(self.times.tz).date()

    async def _reports(self, day: date) -> dict[int, Report]:
        return {report.grid_id: report for report in await self.deps.db.reports.reports_on(day)}

    async def _urgent(self, day: date, grids: list[Grid]) -> tuple[UrgentIncident, ...]:
        by_id = {grid.id: grid for grid in grids}
        return tuple(
            UrgentIncident(
                grid=by_id[alert.grid_id],
                category=alert.category,
                description=alert.description,
                at=alert.raised_at,
                acknowledged_by=alert.acknowledged_by_name,
                acknowledged_at=alert.acknowledged_at,
            )
            for alert in await self.deps.db.alerts.on_day(day)
            if alert.grid_id in by_id
        )

    async def _weekly_tally(self, day: date, grids: list[Grid]) -> Tally | None:
        """Last week's late and missing days, on the first reporting day of a week."""
        monday = day - timedelta(days=day.isoweekday() - 1)
        earlier_this_week = [monday + timedelta(days=n) for n in range(day.isoweekday() - 1)]
        if any(self.times.is_reporting_day(other) for other in earlier_this_week) or not grids:
            return None
        last_week = [monday - timedelta(days=7 - n) for n in range(7)]
        grid_days = []
        for other in [d for d in last_week if await self._operating_on(d)]:
            reports = await self._reports(other)
            excused = await self.deps.db.schedule.excused(other)
            grid_days += [
                GridDay(grid, other, reports.get(grid.id), excused.get(grid.id)) for grid in grids
            ]
        return Tally.from_grid_days(grid_days) if grid_days else None

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
        past the grace period, recorded as skipped and the admins are told)."""
        jobs = [
            self._deliver_to(courier, planned, chat, area, now)
            for chat, area in await self.deps.db.groups.bindings()
        ]
        await gather_limited(jobs)

    async def _deliver_to(
        self, courier: Courier, planned: PlannedSend, chat: int, area: Area, now: datetime
    ) -> None:
        key = SendKey(planned.key, planned.day, chat)
        if now >= planned.valid_until:
            if await courier.skip(key, planned_at=planned.at):
                await courier.tell_admins_once(
                    f"digest_skipped:{chat}",
                    "outbound.admin_digest_skipped",
                    day_scoped=planned.day,
                    area=area.path,
                    day=planned.day.isoformat(),
                )
            return
        locale = await self.deps.db.groups.language(chat) or self.deps.settings.locale
        digest = await self.compile(area, planned.day)
        await courier.deliver(
            key,
            in_order(self.parts(courier.bot, chat, digest, locale)),
            planned_at=planned.at,
            delayed=now - planned.at > ON_TIME_SLACK,
        )
