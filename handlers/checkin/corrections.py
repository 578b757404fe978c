"""Editing a draft, and correcting a filed report of a recent day with a reason."""

from __future__ import annotations

from datetime import date

from telegram import Update

from bot.dependencies import Dependencies
from bot.domain.correction import REASON_MAX_CHARS, REASON_MIN_CHARS
from bot.domain.dates import DateArgError, parse_day
from bot.domain.draft import Draft, asked_fields, final_values, report_kind
from bot.domain.models import Grid, Report
from bot.domain.stocks import fill_skipped
from bot.domain.summary import diff_lines
from bot.outbound.alerts import AlertDesk
from bot.telegram_ui import Button, draft_data, escape, escaped, menu_data, parse_menu_data
from bot.usecases import correcting
from bot.usecases.errors import ChangedMeanwhile, RulesRejected, UseCaseError
from bot.usecases.unit import unit_of_work
from handlers.checkin.entry import Entry
from handlers.checkin.shared import (
    EDIT_PICK,
    END,
    REASON,
    Context,
    forget,
    load_draft,
    lost_draft,
    save_draft,
)
from handlers.checkin.summary import Summary
from handlers.common import Turn


class Corrections:
    """Picking what to change, and the correction of a filed report."""

    def __init__(
        self, deps: Dependencies, alerts: AlertDesk, entry: Entry, summary: Summary
    ) -> None:
        self.deps = deps
        self.alerts = alerts
        self.entry = entry
        self.summary = summary

    async def start(self, update: Update, context: Context) -> str | int:
        """/correct [DAY]: change a filed report of today or of the last
        GRIDBOT_CORRECTION_DAYS days, keeping every earlier version."""
        entry = await self.entry.admit(update)
        if entry is None:
            return END
        turn, _, grid = entry
        try:
            wanted = self._correction_day(update, context, self.deps.today())
            filed = await correcting.correctable_reports(self.deps, grid.id, wanted)
        except (DateArgError, UseCaseError) as error:
            await turn.say(turn.t(error.key, **escaped(error.params)))
            return END
        if len(filed) > 1:
            await self._offer_correctable_days(turn, filed)
            return END
        return await self._start_correcting(turn, context, grid, filed[0])

    @staticmethod
    def _correction_day(update: Update, context: Context, today: date) -> date | None:
        """The day asked for: ``/correct 11-21`` or a day button (``m:correct:2026-11-21``)."""
        query = update.callback_query
        if query is not None:
            button = parse_menu_data(query.data)
            return button.day if button else None
        args = context.args or []
        return parse_day(args[0], today) if args else None

    async def _offer_correctable_days(self, turn: Turn, reports: list[Report]) -> None:
        buttons = [
            [(report.day.isoformat(), f"{menu_data('correct')}:{report.day.isoformat()}")]
            for report in reversed(reports)
        ]
        await turn.say(turn.t("checkin.correct_which_day"), buttons)

    async def _start_correcting(
        self, turn: Turn, context: Context, grid: Grid, filed: Report
    ) -> str:
        draft = await self.entry.new_draft(grid, filed.day)
        draft.for_correction(filed)
        await turn.say(
            turn.t("checkin.correct_intro", grid=escape(grid.name), day=filed.day.isoformat())
        )
        return await self.edit_pick(turn, context, draft)

    async def edit_pick(self, turn: Turn, context: Context, draft: Draft) -> str:
        """One button per question (with its answer), one for the incidents, one back."""
        draft.next_step()
        save_draft(context, draft)
        values = final_values(self.deps.form_for(draft.day), draft)
        rows: list[list[Button]] = []
        for key in asked_fields(self.deps.form_for(draft.day), draft):
            field = self.deps.form_for(draft.day).field(key)
            shown = values.get(key)
            label = f"{field.label(turn.locale)}: {'—' if shown is None else shown}"
            rows.append([(label[:60], draft_data(draft.id, draft.step, "field", key))])
        rows.append(
            [
                (
                    turn.t("button.edit_incidents", count=len(draft.incidents)),
                    draft_data(draft.id, draft.step, "edit_inc"),
                )
            ]
        )
        rows.append([(turn.t("button.back_to_summary"), draft_data(draft.id, draft.step, "back"))])
        await turn.say(turn.t("checkin.pick_field"), rows)
        return EDIT_PICK

    async def on_reason(self, update: Update, context: Context) -> str | int:
        """The reason for a correction."""
        turn = Turn.of(update, self.deps)
        draft = load_draft(context)
        if draft is None or draft.mode != "correct":
            return await lost_draft(turn)
        reason = turn.text.strip()
        if not REASON_MIN_CHARS <= len(reason) <= REASON_MAX_CHARS:
            await turn.say(
                turn.t("checkin.reason_length", min=REASON_MIN_CHARS, max=REASON_MAX_CHARS)
            )
            return REASON
        draft.give_reason(reason)
        return await self.summary.show(turn, context, draft)

    async def submit(self, turn: Turn, context: Context, draft: Draft) -> str | int:
        """File the correction as a new version of the report (it needs a reason, and must
        keep the form's hard rules). If someone corrected the report since this draft began,
        nothing is written: the worker sees what changed and submits again."""
        worker = await turn.worker()
        if worker is None:
            await turn.refuse_unknown()
            return END
        values = final_values(self.deps.form_for(draft.day), draft)
        if draft.report_id is None or not draft.reason:
            return await self.summary.show(turn, context, draft)
        try:
            async with unit_of_work(self.deps) as db:  # the version and its confirmation owed
                report = await correcting.correct_report(
                    self.deps,
                    worker_id=worker.id,
                    report_id=draft.report_id,
                    kind=report_kind(self.deps.form_for(draft.day), draft, values),
                    values=values,
                    incidents=draft.incident_values(),
                    baseline=draft.baseline,
                    reason=draft.reason,
                    expected_version=draft.base_version,
                )
                await self.summary.confirmations.owe(db, report, turn.chat.id)
        except ChangedMeanwhile as conflict:
            return await self._changed_meanwhile(turn, context, draft, conflict.report)
        except RulesRejected:  # the summary shows the broken rules and offers no submit
            return await self.summary.show(turn, context, draft)
        forget(context)
        await self.summary.confirmations.send(turn.chat.id, turn.locale, report)
        self.alerts.raise_soon(report)
        return END

    async def _changed_meanwhile(
        self, turn: Turn, context: Context, draft: Draft, report: Report
    ) -> str:
        """Say who changed the report and how, move the draft onto the new version (the
        worker's own changes kept), and show it again for another submit."""
        current = report.current
        changes = diff_lines(
            self.deps.form_for(draft.day), turn.locale, draft.original, current.values
        )
        if [item.to_incident() for item in draft.original_incidents] != list(current.incidents):
            changes.append(turn.t("checkin.incidents_changed"))
        when = current.created_at.astimezone(self.deps.settings.timezone).strftime("%H:%M")
        await turn.say(
            "\n".join(
                [
                    turn.t(
                        "reliability.correction_conflict",
                        who=escape(current.created_by_name or ""),
                        time=when,
                        version=current.version,
                    ),
                    *(escape(line) for line in changes),
                    turn.t("reliability.correction_again"),
                ]
            )
        )
        draft.rebase(current)
        return await self.summary.show(turn, context, draft)

    async def ask_reason(self, turn: Turn, context: Context, draft: Draft) -> str:
        """Ask why the report changes; nothing changed yet goes back to picking a field."""
        original = fill_skipped(
            self.deps.form_for(draft.day), draft.original, draft.all_openings(), draft.grid_facts
        )
        unchanged = final_values(self.deps.form_for(draft.day), draft) == original
        if unchanged and draft.incidents == draft.original_incidents:
            await turn.say(turn.t("checkin.no_changes_yet"))
            return await self.edit_pick(turn, context, draft)
        draft.next_step()
        save_draft(context, draft)
        await turn.say(turn.t("checkin.ask_reason"))
        return REASON
