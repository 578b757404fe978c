"""The zero report: a preview of what it will say, and one more tap to file it."""

from __future__ import annotations

from datetime import date

from telegram import Update

from bot.dependencies import Dependencies
from bot.domain.draft import ZERO_KEY, Draft
from bot.domain.models import ReportKind
from bot.domain.stocks import zero_values
from bot.domain.summary import summary_lines
from bot.telegram_ui import draft_data, escape
from bot.usecases import filing
from bot.usecases.unit import unit_of_work
from handlers.checkin.entry import Entry
from handlers.checkin.shared import END, ZERO_CONFIRM, Context, forget, load_draft
from handlers.checkin.summary import Summary
from handlers.common import Turn


class ZeroReport:
    """/zero and its confirm and cancel buttons (kept apart from any draft in progress)."""

    def __init__(self, deps: Dependencies, entry: Entry, summary: Summary) -> None:
        self.deps = deps
        self.entry = entry
        self.summary = summary

    async def start(self, update: Update, context: Context) -> str | int:
        """/zero: show what a zero report will say; one more tap files it."""
        due = await self.entry.due_today(update)
        if due is None:
            return END
        turn, grid, day = due
        preview = await filing.preview_zero_report(self.deps, grid.id, day)
        zero_id = Draft.start(day=day, grid_id=grid.id).id
        if context.user_data is not None:
            context.user_data[ZERO_KEY] = {"id": zero_id, "day": day.isoformat()}
        lines = summary_lines(
            self.deps.form_for(day),
            turn.locale,
            values=zero_values(self.deps.form_for(day)),
            openings=preview.openings,
            kind=ReportKind.ZERO,
            incidents=(),
        )
        notes = [turn.t("checkin.zero_no_history")] if preview.first_report else []
        text = "\n".join(
            [turn.t("checkin.zero_preview", grid=escape(grid.name), day=day.isoformat())]
            + [escape(line) for line in lines]
            + notes
        )
        await turn.say(
            text,
            [
                [(turn.t("button.zero_confirm"), draft_data(zero_id, 0, "zero_ok"))],
                [(turn.t("button.cancel"), draft_data(zero_id, 0, "zero_no"))],
            ],
        )
        return ZERO_CONFIRM

    async def on_button(
        self, turn: Turn, context: Context, zero_id: str, action: str
    ) -> str | int | None:
        """``zero_ok`` files the previewed zero report, ``zero_no`` drops it; a button of an
        older preview is expired."""
        pending = (context.user_data or {}).get(ZERO_KEY)
        if not isinstance(pending, dict) or pending.get("id") != zero_id:
            await turn.answer_button(turn.t("common.expired"), alert=True)
            return None
        await turn.answer_button()
        await turn.close_buttons()
        if context.user_data is not None:
            context.user_data.pop(ZERO_KEY, None)
        if action == "zero_no":
            draft = load_draft(context)
            key = "checkin.zero_cancelled_draft_kept" if draft else "checkin.zero_cancelled"
            await turn.say(turn.t(key))
            return END
        return await self._file(turn, context, date.fromisoformat(str(pending["day"])))

    async def _file(self, turn: Turn, context: Context, day: date) -> int:
        worker = await turn.worker()
        if worker is None:
            await turn.refuse_unknown()
            return END
        grid = await turn.grid_of(worker)
        confirmations = self.summary.confirmations
        async with unit_of_work(self.deps) as db:  # the report and its confirmation owed
            filed = await filing.file_zero_report(
                self.deps, worker_id=worker.id, grid_id=grid.id, day=day
            )
            if filed.created:
                await confirmations.owe(db, filed.report, turn.chat.id)
        forget(context)
        if not filed.created:
            await self.summary.tell_already_filed(turn, grid, filed.report)
            return END
        await confirmations.send(turn.chat.id, turn.locale, filed.report)
        return END
