"""The summary of a draft before it is filed, filing it, and what the worker is told after."""

from __future__ import annotations

from bot.dependencies import Dependencies
from bot.domain.draft import Draft, final_values, report_kind
from bot.domain.models import Grid, Report, Values
from bot.domain.rules import evaluate
from bot.domain.summary import diff_lines, summary_lines
from bot.outbound.alerts import AlertDesk
from bot.outbound.confirmations import Confirmations
from bot.telegram_ui import Button, draft_data, escape, menu_data
from bot.usecases import filing
from bot.usecases.errors import RulesRejected
from bot.usecases.unit import unit_of_work
from handlers.checkin.shared import END, SUMMARY, Context, forget, save_draft, violation_text
from handlers.common import Turn


class Summary:
    """Showing a draft for a last look, and filing a new report."""

    def __init__(self, deps: Dependencies, alerts: AlertDesk) -> None:
        self.deps = deps
        self.alerts = alerts
        self.confirmations = Confirmations(deps, alerts.courier)

    async def show(self, turn: Turn, context: Context, draft: Draft) -> str:
        """The summary with what the rules say, and submit (unless blocked), edit and cancel."""
        values = final_values(self.deps.form_for(draft.day), draft)
        violations = evaluate(self.deps.form_for(draft.day), values, draft.rule_context())
        hard = [item for item in violations if item.severity == "hard"]
        soft = draft.unconfirmed(violations)
        kind = report_kind(self.deps.form_for(draft.day), draft, values)
        lines = summary_lines(
            self.deps.form_for(draft.day),
            turn.locale,
            values=values,
            openings=draft.all_openings(),
            kind=kind,
            incidents=draft.incident_values(),
        )
        title_key = (
            "checkin.correction_title" if draft.mode == "correct" else "checkin.summary_title"
        )
        parts = [turn.t(title_key, grid=escape(draft.grid_name), day=draft.day.isoformat())]
        parts += [escape(line) for line in lines]
        if draft.mode == "correct":
            parts += self._correction_parts(turn, draft, values)
        if hard:
            parts += ["", violation_text(turn, hard), turn.t("checkin.fix_before_submit")]
        elif soft:
            parts += ["", violation_text(turn, soft), turn.t("checkin.submit_confirms")]
        draft.next_step()
        save_draft(context, draft)
        await turn.say("\n".join(parts), self._buttons(turn, draft, blocked=bool(hard)))
        return SUMMARY

    def _correction_parts(self, turn: Turn, draft: Draft, values: Values) -> list[str]:
        changes = diff_lines(self.deps.form_for(draft.day), turn.locale, draft.original, values)
        if draft.incidents != draft.original_incidents:
            changes.append(turn.t("checkin.incidents_changed"))
        if not changes:
            return ["", turn.t("checkin.no_changes_yet")]
        parts = ["", turn.t("checkin.changes")] + [escape(line) for line in changes]
        if draft.reason:
            parts.append(turn.t("checkin.reason_line", reason=escape(draft.reason)))
        return parts

    @staticmethod
    def _buttons(turn: Turn, draft: Draft, *, blocked: bool) -> list[list[Button]]:
        step = draft.step
        edit = (turn.t("button.edit"), draft_data(draft.id, step, "edit"))
        cancel = (turn.t("button.cancel"), draft_data(draft.id, step, "cancel"))
        if draft.mode == "correct":
            finish = (
                (turn.t("button.submit_correction"), draft_data(draft.id, step, "corr_ok"))
                if draft.reason
                else (turn.t("button.give_reason"), draft_data(draft.id, step, "fix_done"))
            )
            return [[edit], [cancel]] if blocked else [[finish], [edit], [cancel]]
        submit = (turn.t("button.submit"), draft_data(draft.id, step, "submit"))
        return [[edit], [cancel]] if blocked else [[submit], [edit, cancel]]

    async def submit(self, turn: Turn, context: Context, draft: Draft) -> str | int:
        """File the new report (back to the summary if a hard rule is now broken)."""
        worker = await turn.worker()
        if worker is None:
            await turn.refuse_unknown()
            return END
        try:
            async with unit_of_work(self.deps) as db:  # the report and its confirmation owed
                filed = await filing.file_report(
                    self.deps,
                    worker_id=worker.id,
                    grid_id=draft.grid_id,
                    day=draft.day,
                    values=final_values(self.deps.form_for(draft.day), draft),
                    incidents=draft.incident_values(),
                    baseline=draft.baseline,
                )
                if filed.created:
                    await self.confirmations.owe(db, filed.report, turn.chat.id)
        except RulesRejected:
            return await self.show(turn, context, draft)
        forget(context)
        if not filed.created:
            grid = await turn.grid_of(worker)
            await self.tell_already_filed(turn, grid, filed.report)
            return END
        await self.confirmations.send(turn.chat.id, turn.locale, filed.report)
        self.alerts.raise_soon(filed.report)
        return END

    async def tell_already_filed(self, turn: Turn, grid: Grid, report: Report) -> None:
        """Who filed the grid's report of that day and what it says, with a button to correct."""
        when = report.submitted_at.astimezone(self.deps.settings.timezone).strftime("%H:%M")
        lines = summary_lines(
            self.deps.form_for(report.day),
            turn.locale,
            values=report.current.values,
            openings=await filing.openings_of(self.deps, report),
            kind=report.kind,
            incidents=report.current.incidents,
        )
        status = turn.t("status.late") if report.late else turn.t("status.on_time")
        text = turn.t(
            "checkin.already_filed",
            grid=escape(grid.name),
            day=report.day.isoformat(),
            who=escape(report.submitted_by_name),
            time=when,
            status=status,
        )
        await turn.say(
            "\n".join([text, *(escape(line) for line in lines)]),
            [[(turn.t("button.correct"), menu_data("correct"))]],
        )
