"""The check-in conversation in a worker's private chat.

Detailed report (one question per field), zero report (two taps), fill-in template, and
same-day correction. The draft is kept in ``user_data`` (persisted in SQLite), the state in a
persistent ConversationHandler, so a restart loses nothing. Every button carries the draft id
and the step it belongs to, so a button from an older message answers "expired".
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta
from typing import Any, Final

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.domain.answers import parse_answer, refuse_personal_data
from bot.domain.dates import DateArgError, parse_day
from bot.domain.draft import (
    BASELINE_SUFFIX,
    Draft,
    DraftIncident,
    asked_fields,
    drop_inapplicable,
    next_question,
    record_answer,
)
from bot.domain.form import FieldDef
from bot.domain.models import FieldValue, Grid, Report, ReportKind, Values, Worker
from bot.domain.numbers import InputError, parse_count
from bot.domain.rules import Violation, evaluate, history_from, history_window
from bot.domain.stocks import fill_skipped, needs_baseline, openings_for, zero_values
from bot.domain.summary import diff_lines, summary_lines
from bot.domain.template import parse_template, render_template
from bot.outbound.alerts import AlertDesk
from bot.services import Services
from handlers.common import Button, Turn, draft_data, escape, menu_data, parse_draft_data

Context = ContextTypes.DEFAULT_TYPE

ASK: Final = "ask"
SOFT: Final = "soft"
INCIDENTS: Final = "incidents"
INCIDENT_CATEGORY: Final = "incident_category"
INCIDENT_TEXT: Final = "incident_text"
INCIDENT_URGENT: Final = "incident_urgent"
SUMMARY: Final = "summary"
EDIT_PICK: Final = "edit_pick"
TEMPLATE: Final = "template"
ZERO_CONFIRM: Final = "zero_confirm"
REASON: Final = "reason"
END: Final = ConversationHandler.END

DRAFT_KEY: Final = "draft"
ZERO_KEY: Final = "zero"
INCIDENT_MAX_CHARS: Final = 300
REASON_MIN_CHARS: Final = 2
REASON_MAX_CHARS: Final = 200

TEXT = filters.TEXT & ~filters.COMMAND


class CheckinFlow:
    """The conversation's callbacks, bound to the application's services."""

    def __init__(self, services: Services, alerts: AlertDesk) -> None:
        self.s = services
        self.form = services.form
        self.alerts = alerts

    def handler(self) -> ConversationHandler[Any]:
        """The persistent ConversationHandler for private chats."""
        private = filters.ChatType.PRIVATE
        buttons = CallbackQueryHandler(self.on_button, pattern=r"^c:")
        typed = MessageHandler(TEXT & private, self.on_text_where_buttons_expected)
        with warnings.catch_warnings():
            # Buttons are tracked per chat+user on purpose: each carries its draft id and step.
            warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
            return self._conversation(buttons, typed)

    def _conversation(
        self, buttons: CallbackQueryHandler[Any, Any], typed: MessageHandler[Any, Any]
    ) -> ConversationHandler[Any]:
        private = filters.ChatType.PRIVATE
        return ConversationHandler(
            name="checkin",
            persistent=True,
            allow_reentry=True,
            entry_points=[
                CommandHandler("report", self.start_report, filters=private),
                CommandHandler("zero", self.start_zero, filters=private),
                CommandHandler("template", self.start_template, filters=private),
                CommandHandler("correct", self.start_correction, filters=private),
                CallbackQueryHandler(
                    self.on_menu,
                    pattern=r"^m:(report|zero|template|correct)(:\d{4}-\d{2}-\d{2})?$",
                ),
            ],
            states={
                ASK: [MessageHandler(TEXT & private, self.on_answer), buttons],
                SOFT: [MessageHandler(TEXT & private, self.on_answer), buttons],
                TEMPLATE: [MessageHandler(TEXT & private, self.on_template), buttons],
                INCIDENT_TEXT: [MessageHandler(TEXT & private, self.on_incident_text), buttons],
                REASON: [MessageHandler(TEXT & private, self.on_reason), buttons],
                INCIDENTS: [buttons, typed],
                INCIDENT_CATEGORY: [buttons, typed],
                INCIDENT_URGENT: [buttons, typed],
                SUMMARY: [buttons, typed],
                EDIT_PICK: [buttons, typed],
                ZERO_CONFIRM: [buttons, typed],
            },
            fallbacks=[CommandHandler("cancel", self.cancel, filters=private)],
        )

    # ----------------------------------------------------------------- draft storage

    @staticmethod
    def _draft(context: Context) -> Draft | None:
        return Draft.from_data((context.user_data or {}).get(DRAFT_KEY))

    @staticmethod
    def _save(context: Context, draft: Draft) -> None:
        if context.user_data is not None:
            context.user_data[DRAFT_KEY] = draft.to_data()

    @staticmethod
    def _forget(context: Context) -> None:
        if context.user_data is not None:
            context.user_data.pop(DRAFT_KEY, None)
            context.user_data.pop(ZERO_KEY, None)

    # ----------------------------------------------------------------- entry points

    async def on_menu(self, update: Update, context: Context) -> str | int:
        """Menu buttons (from /start, /status, the morning prompt) start the matching flow."""
        query = update.callback_query
        action = (query.data or "").split(":")[1] if query else ""
        starters = {
            "report": self.start_report,
            "zero": self.start_zero,
            "template": self.start_template,
            "correct": self.start_correction,
        }
        return await starters[action](update, context)

    async def _entry(self, update: Update) -> tuple[Turn, Worker, Grid] | None:
        """Common checks of every entry point: a bound worker, in their private chat."""
        turn = Turn.of(update, self.s)
        worker = await turn.worker()
        if worker is None:
            await turn.refuse_unknown()
            return None
        await turn.answer_button()
        return turn, worker, await turn.grid_of(worker)

    async def _due_today(self, update: Update) -> tuple[Turn, Grid, date] | None:
        """A bound worker whose grid has not reported today; otherwise say why not."""
        entry = await self._entry(update)
        if entry is None:
            return None
        turn, _, grid = entry
        day = self.s.today()
        filed = await self.s.db.reports.get(grid.id, day)
        if filed is not None:
            await self._tell_already_filed(turn, grid, filed)
            return None
        return turn, grid, day

    async def start_report(self, update: Update, context: Context) -> str | int:
        """/report: start today's report, or resume the draft in progress."""
        due = await self._due_today(update)
        if due is None:
            return END
        turn, grid, day = due
        draft = self._draft(context)
        if draft is not None and draft.mode == "new" and draft.grid_id == grid.id:
            if draft.day == day:
                await turn.say(turn.t("checkin.resume", done=len(draft.values)))
                draft.via_template = False
                return await self._continue(turn, context, draft)
            await turn.say(turn.t("checkin.old_draft_dropped", day=draft.day.isoformat()))
        draft = await self._new_draft(grid, day)
        total = len(asked_fields(self.form, draft))
        await turn.say(
            turn.t("checkin.intro", grid=escape(grid.name), day=day.isoformat(), total=total)
        )
        return await self._continue(turn, context, draft)

    async def start_template(self, update: Update, context: Context) -> str | int:
        """/template: send a fill-in template to be returned in one message."""
        due = await self._due_today(update)
        if due is None:
            return END
        turn, grid, day = due
        draft = self._draft(context)
        if draft is None or draft.mode != "new" or draft.day != day or draft.grid_id != grid.id:
            draft = await self._new_draft(grid, day)
        draft.via_template = True
        return await self._continue(turn, context, draft)

    async def start_zero(self, update: Update, context: Context) -> str | int:
        """/zero: show what a zero report will say; one more tap files it."""
        due = await self._due_today(update)
        if due is None:
            return END
        turn, grid, day = due
        history = await self.s.db.reports.history(grid.id, before=day)
        openings = openings_for(self.form, history)
        zero_id = Draft.start(day=day, grid_id=grid.id).id
        if context.user_data is not None:
            context.user_data[ZERO_KEY] = {"id": zero_id, "day": day.isoformat()}
        lines = summary_lines(
            self.form,
            turn.locale,
            values=zero_values(self.form),
            openings=openings,
            kind=ReportKind.ZERO,
            incidents=(),
        )
        notes = [turn.t("checkin.zero_no_history")] if needs_baseline(self.form, history) else []
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

    async def start_correction(self, update: Update, context: Context) -> str | int:
        """/correct [DAY]: change a filed report of today or of the last
        GRIDBOT_CORRECTION_DAYS days, keeping every earlier version."""
        entry = await self._entry(update)
        if entry is None:
            return END
        turn, _, grid = entry
        today = self.s.today()
        earliest = today - timedelta(days=self.s.settings.correction_days)
        try:
            wanted = self._correction_day(update, context, today)
        except DateArgError as error:
            await turn.say(turn.t(error.key, **error.params))
            return END
        if wanted is not None and not earliest <= wanted <= today:
            await turn.say(
                turn.t(
                    "checkin.correct_out_of_window",
                    day=wanted.isoformat(),
                    earliest=earliest.isoformat(),
                    days=self.s.settings.correction_days,
                )
            )
            return END
        filed = await self.s.db.reports.history(
            grid.id, before=today + timedelta(days=1), since=earliest
        )
        if wanted is not None:
            filed = [report for report in filed if report.day == wanted]
        if not filed:
            await turn.say(
                turn.t("checkin.nothing_to_correct", days=self.s.settings.correction_days)
            )
            return END
        if len(filed) > 1:
            await self._offer_correctable_days(turn, filed)
            return END
        return await self._start_correcting(turn, context, grid, filed[0])

    @staticmethod
    def _correction_day(update: Update, context: Context, today: date) -> date | None:
        """The day asked for: ``/correct 11-21`` or a day button (``m:correct:2026-11-21``)."""
        query = update.callback_query
        if query is not None and query.data and query.data.count(":") == 2:
            return date.fromisoformat(query.data.rsplit(":", 1)[1])
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
        draft = await self._new_draft(grid, filed.day)
        current = filed.current
        incidents = [
            DraftIncident(category=item.category, description=item.description, urgent=item.urgent)
            for item in current.incidents
        ]
        draft.mode = "correct"
        draft.report_id = filed.id
        draft.values = dict(current.values)
        draft.original = dict(current.values)
        draft.original_kind = current.kind
        draft.baseline = dict(current.baseline)
        draft.pending_baseline = []
        draft.incidents = incidents
        draft.original_incidents = list(incidents)
        draft.incidents_done = True
        await turn.say(
            turn.t("checkin.correct_intro", grid=escape(grid.name), day=filed.day.isoformat())
        )
        return await self._edit_pick(turn, context, draft)

    async def cancel(self, update: Update, context: Context) -> int:
        """/cancel: drop the draft; nothing is filed."""
        turn = Turn.of(update, self.s)
        self._forget(context)
        await turn.say(turn.t("checkin.cancelled"))
        return END

    async def _new_draft(self, grid: Grid, day: date) -> Draft:
        history = await self.s.db.reports.history(grid.id, before=day)
        window = history_window(self.form)
        return Draft.start(
            day=day,
            grid_id=grid.id,
            grid_name=grid.name,
            openings=openings_for(self.form, history),
            pending_baseline=needs_baseline(self.form, history),
            grid_facts={"households": grid.households, "population": grid.population},
            history=history_from(history, day, window) if window else {},
        )

    # ----------------------------------------------------------------- asking

    async def _continue(self, turn: Turn, context: Context, draft: Draft) -> str:
        """Ask whatever comes next for this draft."""
        key = next_question(self.form, draft)
        if key is not None and (draft.pending_baseline or not draft.via_template):
            return await self._ask(turn, context, draft, key)
        if key is not None:
            return await self._send_template(turn, context, draft)
        draft.current = None
        if not draft.incidents_done:
            return await self._incident_menu(turn, context, draft)
        return await self._summary(turn, context, draft)

    async def _ask(
        self, turn: Turn, context: Context, draft: Draft, key: str, problem: str = ""
    ) -> str:
        """Ask ``key``; after a refused answer, ``problem`` says what was wrong first."""
        draft.current = key
        draft.step += 1
        self._save(context, draft)
        text, buttons = self._question(turn, draft, key)
        await turn.say(f"{problem}\n\n{text}" if problem else text, buttons)
        return ASK

    def _question(self, turn: Turn, draft: Draft, key: str) -> tuple[str, list[list[Button]]]:
        """The text and buttons of one question."""
        if key.endswith(BASELINE_SUFFIX):
            stock = self.form.field(key.removesuffix(BASELINE_SUFFIX))
            text = turn.t(
                "checkin.ask_baseline",
                label=escape(stock.label(turn.locale)),
                help=escape(stock.help(turn.locale)),
            )
            return text, [[("0", draft_data(draft.id, draft.step, "v", "0"))]]
        field = self.form.field(key)
        keys = asked_fields(self.form, draft)
        position = keys.index(key) + 1 if key in keys else len(keys)
        head = turn.t(
            "checkin.ask_head",
            n=position,
            total=len(keys),
            label=escape(field.label(turn.locale)),
            help=escape(field.help(turn.locale)),
        )
        return head + "\n" + self._answer_hint(turn, field), self._answer_buttons(
            turn, draft, field
        )

    @staticmethod
    def _answer_hint(turn: Turn, field: FieldDef) -> str:
        if field.kind == "count":
            unit = (
                turn.t("checkin.unit_suffix", unit=escape(field.unit(turn.locale)))
                if field.unit
                else ""
            )
            return turn.t("checkin.hint_count", unit=unit)
        if field.kind == "choice":
            return turn.t("checkin.hint_choice")
        key = "checkin.hint_text" if field.required else "checkin.hint_text_optional"
        return turn.t(key, max=field.max_length)

    def _answer_buttons(self, turn: Turn, draft: Draft, field: FieldDef) -> list[list[Button]]:
        def button(label: str, value: str) -> Button:
            return (label, draft_data(draft.id, draft.step, "v", value))

        if field.kind == "count":
            return [[button("0", "0")]]
        if field.kind == "choice":
            return [[button(choice.label(turn.locale), choice.key)] for choice in field.choices]
        if not field.required:
            return [[button(turn.t("button.skip"), "")]]
        return []

    # ----------------------------------------------------------------- answers

    async def on_answer(self, update: Update, context: Context) -> str | int:
        """A typed answer to the current question (or a whole filled-in template)."""
        turn = Turn.of(update, self.s)
        draft = self._draft(context)
        if draft is None or draft.current is None:
            return await self._lost_draft(turn)
        if "\n" in turn.text.strip() and not draft.current.endswith(BASELINE_SUFFIX):
            parsed = self._parse_template(draft, turn.text)
            if parsed.recognised:
                return await self._accept_template(turn, context, draft, turn.text)
        return await self._apply_answer(turn, context, draft, turn.text)

    async def _apply_answer(self, turn: Turn, context: Context, draft: Draft, raw: str) -> str:
        key = draft.current
        if key is None:
            return await self._continue(turn, context, draft)
        try:
            value = self._parse(key, raw)
        except InputError as error:
            return await self._ask(turn, context, draft, key, escape(error.render(turn.locale)))
        if key.endswith(BASELINE_SUFFIX):
            record_answer(draft, key, value)
            return await self._continue(turn, context, draft)
        violations = evaluate(
            self.form, {**draft.values, key: value}, draft.rule_context(), touching=key
        )
        hard = [item for item in violations if item.severity == "hard"]
        if hard:
            return await self._ask(turn, context, draft, key, self._violation_text(turn, hard))
        record_answer(draft, key, value)
        soft = draft.unconfirmed(violations)
        if soft:
            return await self._ask_soft_confirmation(turn, context, draft, key, soft)
        drop_inapplicable(self.form, draft)
        return await self._continue(turn, context, draft)

    def _parse(self, key: str, raw: str) -> FieldValue:
        """Read one answer: an opening balance, or the answer to a form field."""
        if key.endswith(BASELINE_SUFFIX):
            return parse_count(raw)
        return parse_answer(self.form.field(key), raw)

    async def _ask_soft_confirmation(
        self, turn: Turn, context: Context, draft: Draft, key: str, soft: list[Violation]
    ) -> str:
        draft.pending_rules = [draft.confirmation_key(item) for item in soft]
        draft.step += 1
        self._save(context, draft)
        label = self.form.field(key).label(turn.locale)
        text = (
            self._violation_text(turn, soft)
            + "\n"
            + turn.t("checkin.soft_confirm", label=escape(label), value=escape(draft.values[key]))
        )
        await turn.say(
            text,
            [
                [(turn.t("button.soft_yes"), draft_data(draft.id, draft.step, "soft_yes"))],
                [(turn.t("button.soft_no"), draft_data(draft.id, draft.step, "soft_no"))],
            ],
        )
        return SOFT

    @staticmethod
    def _violation_text(turn: Turn, violations: list[Violation]) -> str:
        marks = {"hard": "❌", "soft": "⚠️"}
        return "\n".join(
            f"{marks[item.severity]} {escape(item.render(turn.locale))}" for item in violations
        )

    async def _lost_draft(self, turn: Turn) -> int:
        await turn.say(turn.t("checkin.no_draft"))
        return END

    # ----------------------------------------------------------------- template

    def _parse_template(self, draft: Draft, text: str) -> Any:
        return parse_template(self.form, text, openings=draft.all_openings(), grid=draft.grid_facts)

    async def _send_template(self, turn: Turn, context: Context, draft: Draft) -> str:
        draft.step += 1
        self._save(context, draft)
        template = render_template(
            self.form,
            turn.locale,
            grid_name=draft.grid_name,
            day=draft.day,
            openings=draft.all_openings(),
            grid=draft.grid_facts,
        )
        await turn.say(turn.t("checkin.template_intro"))
        await turn.say(
            f"<pre>{escape(template)}</pre>",
            [[(turn.t("button.one_by_one"), draft_data(draft.id, draft.step, "one_by_one"))]],
        )
        return TEMPLATE

    async def on_template(self, update: Update, context: Context) -> str | int:
        """A message sent back while the template is expected."""
        turn = Turn.of(update, self.s)
        draft = self._draft(context)
        if draft is None:
            return await self._lost_draft(turn)
        return await self._accept_template(turn, context, draft, turn.text)

    async def _accept_template(self, turn: Turn, context: Context, draft: Draft, text: str) -> str:
        result = self._parse_template(draft, text)
        if not result.recognised:
            await turn.say(turn.t("checkin.template_not_recognised"))
            return TEMPLATE
        if result.errors:
            await turn.say(
                escape(result.error_message(turn.locale)) + "\n" + turn.t("checkin.template_fix")
            )
            return TEMPLATE
        values: Values = dict(result.values)
        hard = [
            item
            for item in evaluate(self.form, values, draft.rule_context())
            if item.severity == "hard"
        ]
        if hard:
            await turn.say(self._violation_text(turn, hard) + "\n" + turn.t("checkin.template_fix"))
            return TEMPLATE
        draft.values = values
        draft.via_template = False
        draft.current = None
        if draft.mode == "correct":
            return await self._summary(turn, context, draft)
        return await self._continue(turn, context, draft)

    # ----------------------------------------------------------------- incidents

    async def _incident_menu(self, turn: Turn, context: Context, draft: Draft) -> str:
        draft.step += 1
        self._save(context, draft)
        step = draft.step
        if not draft.incidents:
            await turn.say(
                turn.t("checkin.incidents_ask"),
                [
                    [(turn.t("button.no_incidents"), draft_data(draft.id, step, "inc_none"))],
                    [(turn.t("button.add_incident"), draft_data(draft.id, step, "inc_add"))],
                ],
            )
            return INCIDENTS
        listing = "\n".join(self._incident_line(turn, item) for item in draft.incidents)
        await turn.say(
            turn.t("checkin.incidents_more", count=len(draft.incidents)) + "\n" + listing,
            [
                [(turn.t("button.add_another"), draft_data(draft.id, step, "inc_add"))],
                [(turn.t("button.incidents_done"), draft_data(draft.id, step, "inc_none"))],
            ],
        )
        return INCIDENTS

    def _incident_line(self, turn: Turn, item: DraftIncident) -> str:
        known = self.form.has_category(item.category)
        label = self.form.category(item.category).label(turn.locale) if known else item.category
        urgent = turn.t("checkin.urgent_mark") + " " if item.urgent else ""
        return f"• {urgent}{escape(label)}：{escape(item.description)}"

    async def _ask_category(self, turn: Turn, context: Context, draft: Draft) -> str:
        draft.step += 1
        self._save(context, draft)
        buttons = [
            (category.label(turn.locale), draft_data(draft.id, draft.step, "cat", category.key))
            for category in self.form.incident_categories
        ]
        rows = [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
        await turn.say(turn.t("checkin.incident_category"), rows)
        return INCIDENT_CATEGORY

    async def _ask_incident_text(self, turn: Turn, context: Context, draft: Draft) -> str:
        draft.step += 1
        self._save(context, draft)
        await turn.say(turn.t("checkin.incident_text", max=INCIDENT_MAX_CHARS))
        return INCIDENT_TEXT

    async def on_incident_text(self, update: Update, context: Context) -> str | int:
        """The short description of the incident being added."""
        turn = Turn.of(update, self.s)
        draft = self._draft(context)
        if draft is None or draft.new_incident is None:
            return await self._lost_draft(turn)
        text = turn.text.strip()
        if len(text) > INCIDENT_MAX_CHARS:
            await turn.say(
                turn.t("checkin.incident_too_long", max=INCIDENT_MAX_CHARS, length=len(text))
            )
            return INCIDENT_TEXT
        try:
            refuse_personal_data(text)
        except InputError as error:
            await turn.say(escape(error.render(turn.locale)))
            return INCIDENT_TEXT
        draft.new_incident.description = text
        if self.form.category(draft.new_incident.category).urgent:
            draft.new_incident.urgent = True
            await turn.say(turn.t("checkin.incident_auto_urgent"))
            return await self._finish_incident(turn, context, draft)
        draft.step += 1
        self._save(context, draft)
        await turn.say(
            turn.t("checkin.incident_urgent"),
            [
                [(turn.t("button.urgent_yes"), draft_data(draft.id, draft.step, "urgent", "1"))],
                [(turn.t("button.urgent_no"), draft_data(draft.id, draft.step, "urgent", "0"))],
            ],
        )
        return INCIDENT_URGENT

    async def _finish_incident(self, turn: Turn, context: Context, draft: Draft) -> str:
        if draft.new_incident is not None:
            draft.incidents.append(draft.new_incident)
            draft.new_incident = None
        return await self._incident_menu(turn, context, draft)

    # ----------------------------------------------------------------- summary and submit

    def _final_values(self, draft: Draft) -> Values:
        return fill_skipped(self.form, draft.values, draft.all_openings(), draft.grid_facts)

    async def _summary(self, turn: Turn, context: Context, draft: Draft) -> str:
        values = self._final_values(draft)
        violations = evaluate(self.form, values, draft.rule_context())
        hard = [item for item in violations if item.severity == "hard"]
        soft = draft.unconfirmed(violations)
        kind = self._kind_of(draft, values)
        lines = summary_lines(
            self.form,
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
            parts += ["", self._violation_text(turn, hard), turn.t("checkin.fix_before_submit")]
        elif soft:
            parts += ["", self._violation_text(turn, soft), turn.t("checkin.submit_confirms")]
        draft.step += 1
        self._save(context, draft)
        await turn.say("\n".join(parts), self._summary_buttons(turn, draft, blocked=bool(hard)))
        return SUMMARY

    def _correction_parts(self, turn: Turn, draft: Draft, values: Values) -> list[str]:
        changes = diff_lines(self.form, turn.locale, draft.original, values)
        if draft.incidents != draft.original_incidents:
            changes.append(turn.t("checkin.incidents_changed"))
        if not changes:
            return ["", turn.t("checkin.no_changes_yet")]
        parts = ["", turn.t("checkin.changes")] + [escape(line) for line in changes]
        if draft.reason:
            parts.append(turn.t("checkin.reason_line", reason=escape(draft.reason)))
        return parts

    def _summary_buttons(self, turn: Turn, draft: Draft, *, blocked: bool) -> list[list[Button]]:
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

    def _kind_of(self, draft: Draft, values: Values) -> ReportKind:
        """A correction keeps a zero report a zero report only while it still says nothing."""
        if (
            draft.mode == "correct"
            and draft.original_kind == ReportKind.ZERO
            and values
            == fill_skipped(
                self.form, zero_values(self.form), draft.all_openings(), draft.grid_facts
            )
            and not draft.incidents
        ):
            return ReportKind.ZERO
        return ReportKind.DETAILED

    async def _submit(self, turn: Turn, context: Context, draft: Draft) -> str | int:
        worker = await turn.worker()
        if worker is None:
            await turn.refuse_unknown()
            return END
        values = self._final_values(draft)
        if any(
            item.severity == "hard" for item in evaluate(self.form, values, draft.rule_context())
        ):
            return await self._summary(turn, context, draft)
        moment = self.s.now()
        report, created = await self.s.db.reports.file(
            grid_id=draft.grid_id,
            day=draft.day,
            kind=ReportKind.DETAILED,
            values=values,
            incidents=draft.incident_values(),
            baseline=draft.baseline,
            worker_id=worker.id,
            at=moment,
            late=self.s.is_late(draft.day, moment),
        )
        self._forget(context)
        if not created:
            grid = await turn.grid_of(worker)
            await self._tell_already_filed(turn, grid, report)
            return END
        await turn.say(self._filed_text(turn, report))
        await self.alerts.raise_for(report)
        return END

    def _filed_text(self, turn: Turn, report: Report) -> str:
        key = "checkin.filed_late" if report.late else "checkin.filed"
        return turn.t(
            key,
            day=report.day.isoformat(),
            time=report.submitted_at.astimezone(self.s.settings.timezone).strftime("%H:%M"),
        )

    async def _tell_already_filed(self, turn: Turn, grid: Grid, report: Report) -> None:
        when = report.submitted_at.astimezone(self.s.settings.timezone).strftime("%H:%M")
        lines = summary_lines(
            self.form,
            turn.locale,
            values=report.current.values,
            openings=await self._openings_before(grid, report.day, report),
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

    async def _openings_before(self, grid: Grid, day: date, report: Report) -> dict[str, int]:
        history = await self.s.db.reports.history(grid.id, before=day)
        return {**openings_for(self.form, history), **report.current.baseline}

    # ----------------------------------------------------------------- editing and corrections

    async def _edit_pick(self, turn: Turn, context: Context, draft: Draft) -> str:
        draft.step += 1
        self._save(context, draft)
        values = self._final_values(draft)
        rows: list[list[Button]] = []
        for key in asked_fields(self.form, draft):
            field = self.form.field(key)
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
        turn = Turn.of(update, self.s)
        draft = self._draft(context)
        if draft is None or draft.mode != "correct":
            return await self._lost_draft(turn)
        reason = turn.text.strip()
        if not REASON_MIN_CHARS <= len(reason) <= REASON_MAX_CHARS:
            await turn.say(
                turn.t("checkin.reason_length", min=REASON_MIN_CHARS, max=REASON_MAX_CHARS)
            )
            return REASON
        draft.reason = reason
        return await self._summary(turn, context, draft)

    async def _submit_correction(self, turn: Turn, context: Context, draft: Draft) -> str | int:
        worker = await turn.worker()
        if worker is None:
            await turn.refuse_unknown()
            return END
        values = self._final_values(draft)
        if draft.report_id is None or not draft.reason:
            return await self._summary(turn, context, draft)
        report = await self.s.db.reports.correct(
            draft.report_id,
            kind=self._kind_of(draft, values),
            values=values,
            incidents=draft.incident_values(),
            baseline=draft.baseline,
            worker_id=worker.id,
            at=self.s.now(),
            reason=draft.reason,
        )
        self._forget(context)
        await turn.say(turn.t("checkin.corrected", version=report.current.version))
        await self.alerts.raise_for(report)
        return END

    async def _ask_reason(self, turn: Turn, context: Context, draft: Draft) -> str:
        original = fill_skipped(self.form, draft.original, draft.all_openings(), draft.grid_facts)
        unchanged = self._final_values(draft) == original
        if unchanged and draft.incidents == draft.original_incidents:
            await turn.say(turn.t("checkin.no_changes_yet"))
            return await self._edit_pick(turn, context, draft)
        draft.step += 1
        self._save(context, draft)
        await turn.say(turn.t("checkin.ask_reason"))
        return REASON

    # ----------------------------------------------------------------- buttons

    async def on_button(self, update: Update, context: Context) -> str | int | None:
        """Every draft button: checked against the live draft and step, then dispatched."""
        turn = Turn.of(update, self.s)
        button = parse_draft_data(turn.query.data if turn.query else None)
        if button is not None and button.action in {"zero_ok", "zero_no"}:
            return await self._zero_button(turn, context, button.draft_id, button.action)
        draft = self._draft(context)
        if (
            button is None
            or draft is None
            or button.draft_id != draft.id
            or button.step != draft.step
        ):
            await turn.answer_button(turn.t("common.expired"), alert=True)
            return None
        await turn.answer_button()
        await turn.close_buttons()
        return await self._dispatch(turn, context, draft, button.action, button.arg)

    async def _dispatch(
        self, turn: Turn, context: Context, draft: Draft, action: str, arg: str
    ) -> str | int:
        if action == "v":
            return await self._apply_answer(turn, context, draft, arg)
        if action == "soft_yes":
            draft.confirmed += draft.pending_rules
            draft.pending_rules = []
            drop_inapplicable(self.form, draft)
            return await self._continue(turn, context, draft)
        if action == "soft_no":
            draft.pending_rules = []
            if draft.current is not None:
                draft.values.pop(draft.current, None)
                return await self._ask(turn, context, draft, draft.current)
            return await self._continue(turn, context, draft)
        return await self._dispatch_later_steps(turn, context, draft, action, arg)

    async def _dispatch_later_steps(
        self, turn: Turn, context: Context, draft: Draft, action: str, arg: str
    ) -> str | int:
        if action == "one_by_one":
            draft.via_template = False
            return await self._continue(turn, context, draft)
        if action == "inc_none":
            draft.incidents_done = True
            return await self._summary(turn, context, draft)
        if action == "inc_add":
            return await self._ask_category(turn, context, draft)
        if action == "cat" and self.form.has_category(arg):
            draft.new_incident = DraftIncident(category=arg)
            return await self._ask_incident_text(turn, context, draft)
        if action == "urgent" and draft.new_incident is not None:
            draft.new_incident.urgent = arg == "1"
            return await self._finish_incident(turn, context, draft)
        return await self._dispatch_summary(turn, context, draft, action, arg)

    async def _dispatch_summary(
        self, turn: Turn, context: Context, draft: Draft, action: str, arg: str
    ) -> str | int:
        if action == "submit":
            draft.confirmed += [
                draft.confirmation_key(item)
                for item in evaluate(self.form, self._final_values(draft), draft.rule_context())
            ]
            return await self._submit(turn, context, draft)
        if action == "edit":
            return await self._edit_pick(turn, context, draft)
        if action == "field" and arg in asked_fields(self.form, draft):
            return await self._ask(turn, context, draft, arg)
        if action == "edit_inc":
            draft.incidents = []
            draft.incidents_done = False
            return await self._incident_menu(turn, context, draft)
        if action == "back":
            return await self._summary(turn, context, draft)
        if action == "fix_done":
            return await self._ask_reason(turn, context, draft)
        if action == "corr_ok":
            return await self._submit_correction(turn, context, draft)
        if action == "cancel":
            self._forget(context)
            await turn.say(turn.t("checkin.cancelled"))
            return END
        await turn.say(turn.t("common.expired"))
        return await self._summary(turn, context, draft)

    async def _zero_button(
        self, turn: Turn, context: Context, zero_id: str, action: str
    ) -> str | int | None:
        pending = (context.user_data or {}).get(ZERO_KEY)
        if not isinstance(pending, dict) or pending.get("id") != zero_id:
            await turn.answer_button(turn.t("common.expired"), alert=True)
            return None
        await turn.answer_button()
        await turn.close_buttons()
        if context.user_data is not None:
            context.user_data.pop(ZERO_KEY, None)
        if action == "zero_no":
            draft = self._draft(context)
            key = "checkin.zero_cancelled_draft_kept" if draft else "checkin.zero_cancelled"
            await turn.say(turn.t(key))
            return END
        return await self._file_zero(turn, context, date.fromisoformat(str(pending["day"])))

    async def _file_zero(self, turn: Turn, context: Context, day: date) -> int:
        worker = await turn.worker()
        if worker is None:
            await turn.refuse_unknown()
            return END
        grid = await turn.grid_of(worker)
        moment = self.s.now()
        history = await self.s.db.reports.history(grid.id, before=day)
        report, created = await self.s.db.reports.file(
            grid_id=grid.id,
            day=day,
            kind=ReportKind.ZERO,
            values=zero_values(self.form),
            incidents=(),
            baseline=dict.fromkeys(needs_baseline(self.form, history), 0),
            worker_id=worker.id,
            at=moment,
            late=self.s.is_late(day, moment),
        )
        self._forget(context)
        if not created:
            await self._tell_already_filed(turn, grid, report)
            return END
        await turn.say(self._filed_text(turn, report) + "\n" + turn.t("checkin.zero_filed_note"))
        return END

    async def on_text_where_buttons_expected(self, update: Update, context: Context) -> None:
        """Typed text while the bot waits for a button: say so, keep the state."""
        turn = Turn.of(update, self.s)
        await turn.say(turn.t("checkin.use_buttons"))
