"""/stats (completeness and timeliness over a period) and /late (who has not reported
today): supervisors in their bound group, for their area; admins anywhere."""

from __future__ import annotations

import asyncio
from functools import partial

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.dependencies import Dependencies
from bot.domain.dates import DEFAULT_DAYS, DateArgError, parse_range, split_day_args
from bot.domain.models import Worker
from bot.domain.stats import LateGrid, Reach, render_late, render_stats
from bot.telegram_ui import escape
from bot.usecases import standing, stats
from bot.usecases.standing import MissingGrid
from handlers.common import Turn
from handlers.roles import Roles

Context = ContextTypes.DEFAULT_TYPE

SLOW_STATS = 200_000
"""Above this many grid-days (a second or two for the database), ``/stats`` first says it
is counting: 30 days of a 10,000-grid district, a year of 1,000 grids."""


class StatsCommands:
    """/stats and /late."""

    def __init__(self, deps: Dependencies, roles: Roles) -> None:
        self.deps = deps
        self.roles = roles

    def handlers(self) -> list[BaseHandler[Update, Context, object]]:
        """/stats runs as a task of its own (it may read many days)."""
        return [
            CommandHandler("stats", self.stats, block=False),
            CommandHandler("late", self.late),
        ]

    async def stats(self, update: Update, context: Context) -> None:
        """/stats [7d|30d|FROM TO] [AREA]"""
        turn = Turn.of(update, self.deps)
        day_args, rest = split_day_args(context.args or [])
        reach = await self.roles.reach(turn, " ".join(rest).strip() or None)
        if reach is None:
            return
        try:
            days = parse_range(day_args, self.deps.today(), default_days=DEFAULT_DAYS)
        except DateArgError as error:
            params = {name: escape(value) for name, value in error.params.items()}
            await turn.say(f"{turn.t(error.key, **params)}\n\n{turn.t('stats.usage')}")
            return
        grids = await stats.grid_count(self.deps, reach.area)
        if grids * len(days) > SLOW_STATS:
            await turn.say(turn.t("stats.counting", grids=grids, days=len(days)))
        for text in render_stats(await stats.area_stats(self.deps, reach.area, days), reach.locale):
            await turn.say(text)

    async def late(self, update: Update, context: Context) -> None:
        """/late [AREA]: the grids that have not reported today, and whom to chase."""
        turn = Turn.of(update, self.deps)
        reach = await self.roles.reach(turn, " ".join(context.args or []).strip() or None)
        if reach is None:
            return
        today = self.deps.today()
        now = await standing.standing(self.deps, today, reach.area)
        late = [
            LateGrid(
                missing.grid,
                [(w.name, w.username, reach_of(w, missing)) for w in missing.workers],
                missing.reminders,
            )
            for missing in now.missing
        ]
        render = partial(
            render_late,
            reach.locale,
            area=reach.area,
            now=self.deps.now(),
            deadline=self.deps.deadline(today),
            counts=now.counts,
            late=late,
        )
        messages = await asyncio.to_thread(render)  # a district's hundreds of missing grids
        for text in messages:
            await turn.say(text)


def reach_of(worker: Worker, missing: MissingGrid) -> Reach:
    """Whether the bot reaches a missing grid's worker (see :data:`Reach`)."""
    if worker.telegram_id is None:
        return "unbound"
    return "blocked" if worker in missing.blocked else "bound"
