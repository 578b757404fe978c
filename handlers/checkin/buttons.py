"""Every button of a draft (``c:<draft id>:<step>:<action>[:<arg>]``): checked against the
live draft and step, then dispatched to the part of the conversation it belongs to."""

from __future__ import annotations

from telegram import Update

from bot.dependencies import Dependencies
from bot.domain.draft import Draft, DraftIncident, asked_fields, drop_inapplicable, final_values
from bot.domain.rules import evaluate
from bot.telegram_ui import parse_draft_data
from handlers.checkin.corrections import Corrections
from handlers.checkin.filling import Filling
from handlers.checkin.incidents import Incidents
from handlers.checkin.questions import Questions
from handlers.checkin.shared import Context, abandon, load_draft
from handlers.checkin.summary import Summary
from handlers.checkin.zero import ZeroReport
from handlers.common import Turn


class Buttons:
    """The button dispatcher, and the reply to text where a button is expected."""

    def __init__(
        self,
        deps: Dependencies,
        filling: Filling,
        questions: Questions,
        incidents: Incidents,
        summary: Summary,
        corrections: Corrections,
        zero: ZeroReport,
    ) -> None:
        self.deps = deps
        self.filling = filling
        self.questions = questions
        self.incidents = incidents
        self.summary = summary
        self.corrections = corrections
        self.zero = zero

    async def on_button(self, update: Update, context: Context) -> str | int | None:
        """Every draft button: checked against the live draft and step, then dispatched."""
        turn = Turn.of(update, self.deps)
        button = parse_draft_data(turn.query.data if turn.query else None)
        if button is not None and button.action in {"zero_ok", "zero_no"}:
            return await self.zero.on_button(turn, context, button.draft_id, button.action)
        draft = load_draft(context)
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
            return await self.filling.apply_answer(turn, context, draft, arg)
        if action == "soft_yes":
            draft.confirmed += draft.pending_rules
            draft.pending_rules = []
            drop_inapplicable(self.deps.form_for(draft.day), draft)
            return await self.filling.proceed(turn, context, draft)
        if action == "soft_no":
            draft.pending_rules = []
            if draft.current is not None:
                draft.values.pop(draft.current, None)
                return await self.questions.ask(turn, context, draft, draft.current)
            return await self.filling.proceed(turn, context, draft)
        return await self._dispatch_later_steps(turn, context, draft, action, arg)

    async def _dispatch_later_steps(
        self, turn: Turn, context: Context, draft: Draft, action: str, arg: str
    ) -> str | int:
        if action == "one_by_one":
            draft.via_template = False
            return await self.filling.proceed(turn, context, draft)
        if action == "inc_none":
            draft.incidents_done = True
            return await self.summary.show(turn, context, draft)
        if action == "inc_add":
            return await self.incidents.ask_category(turn, context, draft)
        if action == "cat" and self.deps.form_for(draft.day).has_category(arg):
            draft.new_incident = DraftIncident(category=arg)
            return await self.incidents.ask_text(turn, context, draft)
        if action == "urgent" and draft.new_incident is not None:
            draft.new_incident.urgent = arg == "1"
            return await self.incidents.finish(turn, context, draft)
        return await self._dispatch_summary(turn, context, draft, action, arg)

    async def _dispatch_summary(
        self, turn: Turn, context: Context, draft: Draft, action: str, arg: str
    ) -> str | int:
        if action == "submit":
            draft.confirmed += [
                draft.confirmation_key(item)
                for item in evaluate(
                    self.deps.form_for(draft.day),
                    final_values(self.deps.form_for(draft.day), draft),
                    draft.rule_context(),
                )
            ]
            return await self.summary.submit(turn, context, draft)
        if action == "edit":
            return await self.corrections.edit_pick(turn, context, draft)
        if action == "field" and arg in asked_fields(self.deps.form_for(draft.day), draft):
            return await self.questions.ask(turn, context, draft, arg)
        if action == "edit_inc":
            draft.incidents = []
            draft.incidents_done = False
            return await self.incidents.menu(turn, context, draft)
        if action == "back":
            return await self.summary.show(turn, context, draft)
        if action == "fix_done":
            return await self.corrections.ask_reason(turn, context, draft)
        if action == "corr_ok":
            return await self.corrections.submit(turn, context, draft)
        if action == "cancel":
            return await abandon(turn, context)
        await turn.say(turn.t("common.expired"))
        return await self.summary.show(turn, context, draft)

    async def on_text_where_buttons_expected(self, update: Update, context: Context) -> None:
        """Typed text while the bot waits for a button: say so, keep the state."""
        turn = Turn.of(update, self.deps)
        await turn.say(turn.t("checkin.use_buttons"))
