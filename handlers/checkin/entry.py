"""What every way into the conversation needs: a bound worker, a day still due, a new draft."""

from __future__ import annotations

from datetime import date

from telegram import Update

from bot.dependencies import Dependencies
from bot.domain.draft import Draft
from bot.domain.models import Grid, Worker
from bot.usecases import filing
from handlers.checkin.summary import Summary
from handlers.common import Turn


class Entry:
    """The checks of the entry points, and the start of a draft."""

    def __init__(self, deps: Dependencies, summary: Summary) -> None:
        self.deps = deps
        self.summary = summary

    async def admit(self, update: Update) -> tuple[Turn, Worker, Grid] | None:
        """Common checks of every entry point: a bound worker, in their private chat."""
        turn = Turn.of(update, self.deps)
        worker = await turn.worker()
        if worker is None:
            await turn.refuse_unknown()
            return None
        await turn.answer_button()
        return turn, worker, await turn.grid_of(worker)

    async def due_today(self, update: Update) -> tuple[Turn, Grid, date] | None:
        """A bound worker whose grid has not reported today; otherwise say why not."""
        entry = await self.admit(update)
        if entry is None:
            return None
        turn, _, grid = entry
        day = self.deps.today()
        filed = await filing.report_of(self.deps, grid.id, day)
        if filed is not None:
            await self.summary.tell_already_filed(turn, grid, filed)
            return None
        return turn, grid, day

    async def new_draft(self, grid: Grid, day: date) -> Draft:
        """A fresh draft for the grid's report of ``day``, with what its history implies."""
        return await filing.start_draft(self.deps, grid, day)
