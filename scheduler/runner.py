"""When things happen: cron triggers in the configured zone call :meth:`DailyRunner.tick`,
which performs whatever the plan says is due now. Every send goes through the send log, so a
tick can run any number of times (and after a restart) without sending anything twice."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from telegram.ext import CallbackContext, JobQueue

from bot import logs
from bot.dependencies import Dependencies
from bot.domain.plan import DailyTimes, PlannedSend, SendKind, day_plan
from bot.outbound.alerts import AlertDesk
from bot.outbound.courier import Courier
from bot.outbound.daily import DailyNotices
from bot.outbound.digests import DigestDesk
from bot.outbound.lanes import bulk_sends
from bot.usecases.backups import BackupFailed, daily_backup
from bot.usecases.schedule import in_service_since
from bot.usecases.send_log import prune_send_log

log = logging.getLogger(__name__)

BACKUP_AT = time(3, 0)
"""When the nightly backup runs (with ``GRIDBOT_BACKUP_DIR``), in the configured zone."""
PRUNE_AT = time(3, 30)
"""When the send log drops the rows of days older than ``GRIDBOT_SEND_LOG_DAYS``."""
ALERT_CHECK_SECONDS = 60
"""How often unacknowledged alerts are checked for re-posting."""


class DailyRunner:
    """Performs the day's plan; the scheduler's one entry point."""

    def __init__(
        self,
        deps: Dependencies,
        courier: Courier,
        notices: DailyNotices,
        digests: DigestDesk,
        alerts: AlertDesk,
    ) -> None:
        self.deps = deps
        self.courier = courier
        self.notices = notices
        self.digests = digests
        self.alerts = alerts
        self.times = DailyTimes.from_settings(deps.settings)
        self._lock = asyncio.Lock()
        self._done: set[tuple[str, str]] = set()

    def plan(self, now: datetime) -> list[PlannedSend]:
        """Yesterday's and today's plans (yesterday's digest may still be in its grace period)."""
        today = now.date()
        return day_plan(self.times, today - timedelta(days=1)) + day_plan(self.times, today)

    async def tick(self) -> None:
        """Do everything due by now that has not been done; re-post overdue alerts.

        Sends whose time had already passed before the scheduler first ran on this database
        are not the bot's to catch up (a fresh install does not report yesterday as missed).
        Everything it sends goes in the bulk lane, behind replies to people.
        """
        with bulk_sends():
            await self._tick()

    async def _tick(self) -> None:
        async with self._lock:
            now = self.deps.now()
            since = await in_service_since(self.deps, now)
            for planned in self.plan(now):
                marker = (planned.key, planned.day.isoformat())
                if planned.at <= now and planned.valid_until > since and marker not in self._done:
                    await self._perform(planned, now)
                    self._done.add(marker)
            await self.alerts.escalate_overdue(now)

    async def _perform(self, planned: PlannedSend, now: datetime) -> None:
        log.info("performing %s of %s (due %s)", planned.key, planned.day, planned.at)
        if planned.kind == SendKind.ESCALATE:
            await self.notices.escalate(planned, now)
        elif planned.kind == SendKind.DIGEST:
            await self.digests.deliver_scheduled(self.courier, planned, now)
        else:
            await self.notices.nag(planned, now)

    def schedule(self, job_queue: JobQueue[Any]) -> None:
        """Cron triggers at each planned time of day (in the configured zone, DST-aware), a
        periodic alert check, the nightly backup (if configured) and send-log pruning, and
        one catch-up tick right away."""
        for moment in self.times.times_of_day():
            trigger = CronTrigger(hour=moment.hour, minute=moment.minute, timezone=self.times.tz)
            job_queue.run_custom(
                self._job, job_kwargs={"trigger": trigger}, name=f"daily {moment:%H:%M}"
            )
        job_queue.run_repeating(self._job, interval=ALERT_CHECK_SECONDS, name="alerts")
        if self.deps.settings.backup_dir is not None:
            nightly = CronTrigger(
                hour=BACKUP_AT.hour, minute=BACKUP_AT.minute, timezone=self.times.tz
            )
            job_queue.run_custom(self._backup, job_kwargs={"trigger": nightly}, name="backup")
        pruning = CronTrigger(hour=PRUNE_AT.hour, minute=PRUNE_AT.minute, timezone=self.times.tz)
        job_queue.run_custom(self._prune, job_kwargs={"trigger": pruning}, name="send log")
        job_queue.run_once(self._job, when=0, name="catch-up")

    async def _backup(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        with logs.scoped("job backup"):
            await self.back_up()

    async def back_up(self) -> None:
        """The nightly backup; a failure is told to the admins (once a day)."""
        try:
            made = await daily_backup(self.deps)
        except BackupFailed as failure:
            log.error("daily backup failed: %s", failure.params["reason"])
            await self.courier.tell_admins_once(
                "backup_failed", failure.key, day_scoped=self.deps.today(), **failure.params
            )
            return
        log.info("daily backup %s (%d bytes)", made.file.path, made.file.size)

    async def _prune(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        with logs.scoped("job send log"):
            pruned = await prune_send_log(self.deps)
            if pruned.days:
                log.info(
                    "send log: dropped %d rows of %d days (longest day %.1f s)",
                    pruned.rows,
                    pruned.days,
                    pruned.longest,
                )

    async def _job(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        name = context.job.name if context.job else "tick"
        with logs.scoped(f"job {name}"):
            await self.tick()
