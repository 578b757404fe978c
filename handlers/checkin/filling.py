"""Filling in the detailed report: starting or resuming it, what comes next, typed answers
(one at a time, or a whole filled-in template)."""

from __future__ import annotations

from telegram import Update

from bot.dependencies import Dependencies
from bot.domain.answers import parse_answer
from bot.domain.draft import (
    BASELINE_SUFFIX,
    Draft,
    drop_inapplicable,
    next_question,
    record_answer,
)
from bot.domain.models import FieldValue
from bot.domain.numbers import InputError, parse_count
from bot.domain.rules import evaluate
from bot.domain.template import TemplateResult
from bot.telegram_ui import escape, webapp_rows
from handlers.checkin.entry import Entry
from handlers.checkin.incidents import Incidents
from handlers.checkin.questions import Questions
from handlers.checkin.shared import END, TEMPLATE, Context, load_draft, lost_draft, violation_text
from handlers.checkin.summary import Summary
from handlers.checkin.template import Template
from handlers.common import Turn


class Filling:
    """The way through a draft: questions, template, incidents, then the summary."""

    def __init__(
        self,
        deps: Dependencies,
        entry: Entry,
        questions: Questions,
        template: Template,
        incidents: Incidents,
        summary: Summary,
    ) -> None:
        self.deps = deps
        self.entry = entry
        self.questions = questions
        self.template = template
        self.incidents = incidents
        self.summary = summary

    # ----------------------------------------------------------------- entry points

    async def start_report(self, update: Update, context: Context) -> str | int:
        """/report: start today's report, or resume the draft in progress."""
        due = await self.entry.due_today(update)
        if due is None:
            return END
        turn, grid, day = due
        draft = load_draft(context)
        if draft is not None and draft.mode == "new" and draft.grid_id == grid.id:
            if draft.day == day:
                await turn.say(
                    turn.t("checkin.resume", done=len(draft.values)),
                    webapp_rows(self.deps.settings.webapp_url, turn.locale),
                )
                draft.use_template(False)
                return await self.proceed(turn, context, draft)
            await turn.say(turn.t("checkin.old_draft_dropped", day=draft.day.isoformat()))
        draft = await self.entry.new_draft(grid, day)
        total = len(self.deps.form_for(draft.day).questions())
        await turn.say(
            turn.t("checkin.intro", grid=escape(grid.name), day=day.isoformat(), total=total),
            webapp_rows(self.deps.settings.webapp_url, turn.locale),
        )
        return await self.proceed(turn, context, draft)

    async def start_template(self, update: Update, context: Context) -> str | int:
        """/template: send a fill-in template to be returned in one message."""
        due = await self.entry.due_today(update)
        if due is None:
            return END
        turn, grid, day = due
        draft = load_draft(context)
        if draft is None or draft.mode != "new" or draft.day != day or draft.grid_id != grid.id:
            draft = await self.entry.new_draft(grid, day)
        draft.use_template()
        return await self.proceed(turn, context, draft)

    # ----------------------------------------------------------------- what comes next

    async def proceed(self, turn: Turn, context: Context, draft: Draft) -> str:
        """Ask whatever comes next for this draft."""
        key = next_question(self.deps.form_for(draft.day), draft)
        if key is not None and (draft.pending_baseline or not draft.via_template):
            return await self.questions.ask(turn, context, draft, key)
        if key is not None:
            return await self.template.send(turn, context, draft)
        draft.done_asking()
        if not draft.incidents_done:
            return await self.incidents.menu(turn, context, draft)
        return await self.summary.show(turn, context, draft)

    # ----------------------------------------------------------------- answers

    async def on_answer(self, update: Update, context: Context) -> str | int:
        """A typed answer to the current question (or a whole filled-in template)."""
        turn = Turn.of(update, self.deps)
        draft = load_draft(context)
        if draft is None or draft.current is None:
            return await lost_draft(turn)
        if "\n" in turn.text.strip() and not draft.current.endswith(BASELINE_SUFFIX):
            parsed = self.template.parse(draft, turn.text)
            if parsed.recognised:
                return await self._accept_template(turn, context, draft, parsed)
        return await self.apply_answer(turn, context, draft, turn.text)

    async def apply_answer(self, turn: Turn, context: Context, draft: Draft, raw: str) -> str:
        """Check and record an answer (typed or from a button) to the current question."""
        key = draft.current
        if key is None:
            return await self.proceed(turn, context, draft)
        try:
            value = self._parse(draft, key, raw)
        except InputError as error:
            return await self.questions.ask(
                turn, context, draft, key, escape(error.render(turn.locale))
            )
        if key.endswith(BASELINE_SUFFIX):
            record_answer(draft, key, value)
            return await self.proceed(turn, context, draft)
        violations = evaluate(
            self.deps.form_for(draft.day),
            {**draft.values, key: value},
            draft.rule_context(),
            touching=key,
        )
        hard = [item for item in violations if item.severity == "hard"]
        if hard:
            return await self.questions.ask(turn, context, draft, key, violation_text(turn, hard))
        record_answer(draft, key, value)
        soft = draft.unconfirmed(violations)
        if soft:
            return await self.questions.confirm_soft(turn, context, draft, key, soft)
        drop_inapplicable(self.deps.form_for(draft.day), draft)
        return await self.proceed(turn, context, draft)

    def _parse(self, draft: Draft, key: str, raw: str) -> FieldValue:
        """Read one answer: an opening balance, or the answer to a form field."""
        if key.endswith(BASELINE_SUFFIX):
            return parse_count(raw)
        return parse_answer(self.deps.form_for(draft.day).field(key), raw)

    async def on_template(self, update: Update, context: Context) -> str | int:
        """A message sent back while the template is expected."""
        turn = Turn.of(update, self.deps)
        draft = load_draft(context)
        if draft is None:
            return await lost_draft(turn)
        return await self._accept_template(
            turn, context, draft, self.template.parse(draft, turn.text)
        )

    async def _accept_template(
        self, turn: Turn, context: Context, draft: Draft, result: TemplateResult
    ) -> str:
        values = await self.template.read(turn, draft, result)
        if values is None:
            return TEMPLATE
        draft.take_template(values)
        if draft.mode == "correct":
            return await self.summary.show(turn, context, draft)
        return await self.proceed(turn, context, draft)
