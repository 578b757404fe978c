"""The day's prompts and nags to workers, and the escalation of missing grids to supervisors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from bot.dependencies import Dependencies
from bot.domain.dates import time_left
from bot.domain.digest.text import Line, to_messages
from bot.domain.models import Area, Grid, Worker
from bot.domain.plan import PlannedSend, SendKind
from bot.i18n import Locale, listing, t
from bot.outbound.courier import Claim, Courier, gather_limited, in_order
from bot.telegram_ui import escape, keyboard, menu_data, webapp_rows
from bot.usecases import supervision
from bot.usecases.send_log import SendKey
from bot.usecases.standing import MissingGrid, missing_grids

ON_TIME_SLACK = timedelta(minutes=2)
"""A scheduled send later than this is marked as delayed."""


class DailyNotices:
    """Prompts, reminders, the late nag and the escalation, through the courier."""

    def __init__(self, deps: Dependencies, courier: Courier) -> None:
        self.deps = deps
        self.courier = courier

    async def nag(self, planned: PlannedSend, now: datetime) -> None:
        """The prompt, a reminder or the late nag to every worker of every grid still due:
        claimed in the send log all at once, then sent."""
        due = [
            (SendKey(planned.key, planned.day, worker.telegram_id), missing.grid, worker)
            for missing in await missing_grids(self.deps, planned.day)
            for worker in missing.reachable
            if worker.telegram_id is not None
        ]
        sends = [(key, grid.id) for key, grid, _ in due]
        if now >= planned.valid_until:
            await self.courier.skip_all(sends, planned_at=planned.at)
            return
        claims = await self.courier.claim_all(sends, planned_at=planned.at)
        await gather_limited(
            self._nag_worker(planned, key, claims[key], grid, worker, now)
            for key, grid, worker in due
            if not claims[key].status.final
        )

    async def _nag_worker(
        self,
        planned: PlannedSend,
        key: SendKey,
        claim: Claim,
        grid: Grid,
        worker: Worker,
        now: datetime,
    ) -> None:
        locale = worker.language or self.deps.settings.locale
        text = self._nag_text(planned, grid, worker, locale, now)
        buttons = keyboard(
            [
                *webapp_rows(self.deps.settings.webapp_url, locale),
                [(t(locale, "button.fill_in"), menu_data("report"))],
                [(t(locale, "button.zero"), menu_data("zero"))],
            ]
        )
        await self.courier.deliver(
            key,
            lambda: self.courier.bot.send_message(key.target, text, reply_markup=buttons),
            planned_at=planned.at,
            grid_id=grid.id,
            delayed=now - planned.at > ON_TIME_SLACK,
            claim=claim,
        )

    def _nag_text(
        self, planned: PlannedSend, grid: Grid, worker: Worker, locale: Locale, now: datetime
    ) -> str:
        deadline = self.deps.deadline(planned.day)
        common = {
            "name": escape(worker.name),
            "grid": escape(grid.name),
            "day": planned.day.isoformat(),
            "deadline": deadline.strftime("%H:%M"),
        }
        if planned.kind == SendKind.PROMPT:
            return t(locale, "outbound.prompt", **common)
        left = time_left(now, deadline)
        if planned.kind == SendKind.LATE_NAG or left is None:
            return t(locale, "outbound.late_nag", **common)
        return t(locale, "outbound.remind", hours=left[0], minutes=left[1], **common)

    async def escalate(self, planned: PlannedSend, now: datetime) -> None:
        """Each bound supervisor group gets the grids of its area still missing."""
        missing = await missing_grids(self.deps, planned.day)
        jobs = [
            self._escalate_to(planned, chat, area, missing, now)
            for chat, area in await supervision.bound_groups(self.deps)
        ]
        await gather_limited(jobs)

    async def _escalate_to(
        self,
        planned: PlannedSend,
        chat: int,
        area: Area,
        missing: Sequence[MissingGrid],
        now: datetime,
    ) -> None:
        key = SendKey(planned.key, planned.day, chat)
        if now >= planned.valid_until:
            await self.courier.skip(key, planned_at=planned.at)
            return
        locale = await supervision.group_locale(self.deps, chat)
        mine = [due for due in missing if area.covers(due.grid.area_path)]
        total = await supervision.grid_count(self.deps, area)
        messages = to_messages(self._escalation_lines(planned, area, mine, total, locale))

        send = in_order([partial(self.courier.bot.send_message, chat, text) for text in messages])
        await self.courier.deliver(
            key, send, planned_at=planned.at, delayed=now - planned.at > ON_TIME_SLACK
        )

    def _escalation_lines(
        self,
        planned: PlannedSend,
        area: Area,
        missing: Sequence[MissingGrid],
        total: int,
        locale: Locale,
    ) -> list[Line]:
        when = planned.at.strftime("%H:%M")
        if not missing:
            return [
                Line(t(locale, "outbound.escalate_none", time=when, area=area.path, total=total))
            ]
        lines = [
            Line(
                t(
                    locale,
                    "outbound.escalate_head",
                    time=when,
                    area=area.path,
                    count=len(missing),
                    total=total,
                ),
                bold=True,
                keep=True,
            )
        ]
        for due in missing:
            shown = (_shown(locale, due, worker) for worker in due.workers)
            names = listing(locale, shown) or t(locale, "outbound.nobody_bound")
            lines.append(
                Line(
                    t(
                        locale,
                        "outbound.escalate_line",
                        grid=due.grid.name,
                        code=due.grid.code,
                        area=due.grid.area_path,
                        workers=names,
                        reminders=due.reminders,
                    )
                )
            )
        return lines


def _shown(locale: Locale, due: MissingGrid, worker: Worker) -> str:
    """A missing grid's worker in the supervisors' list, marked when the bot cannot reach
    them (never bound, or Telegram refuses the bot's messages): they got no reminders."""
    if worker.telegram_id is None:
        return t(locale, "notices.unreachable", worker=worker.name)
    if worker in due.blocked:
        return t(locale, "reliability.blocked", worker=worker.name)
    return worker.name
