"""Every button of a draft (``c:<draft id>:<step>:<action>[:<arg>]``): checked against the
live draft and step, then dispatched to the part of the conversation it belongs to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.dependencies import Dependencies
from bot.domain.draft import Draft, asked_fields, drop_inapplicable, final_values
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

Step = Callable[[Turn, Context, Draft, str], Awaitable[str | int]]
"""One draft button's part of the conversation: (turn, context, draft, argument) → next state."""


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
        """Run the action's step of the conversation (each state's handlers only let its own
        actions through: see :meth:`handlers.checkin.flow.CheckinFlow._conversation`)."""
        step = self._steps().get(action)
        if step is None:
            await turn.say(turn.t("common.expired"))
            return await self.summary.show(turn, context, draft)
        return await step(turn, context, draft, arg)

    def _steps(self) -> dict[str, Step]:
        """Each draft button's action and what it does."""
        return {
            "v": self._answer,
            "soft_yes": self._keep_doubted,
            "soft_no": self._drop_doubted,
            "one_by_one": self._one_by_one,
            "inc_none": self._no_more_incidents,
            "inc_add": self._add_incident,
            "cat": self._incident_category,
            "urgent": self._urgent,
            "submit": self._submit,
            "edit": self._edit,
            "field": self._edit_field,
            "edit_inc": self._edit_incidents,
            "back": self._back,
            "fix_done": self._give_reason,
            "corr_ok": self._submit_correction,
            "cancel": self._cancel,
        }

    async def _answer(self, turn: Turn, context: Context, draft: Draft, arg: str) -> str | int:
        return await self.filling.apply_answer(turn, context, draft, arg)

    async def _keep_doubted(self, turn: Turn, context: Context, draft: Draft, _: str) -> str:
        draft.keep_doubted()
        drop_inapplicable(self.deps.form_for(draft.day), draft)
        return await self.filling.proceed(turn, context, draft)

    async def _drop_doubted(self, turn: Turn, context: Context, draft: Draft, _: str) -> str:
        key = draft.drop_doubted()
        if key is not None:
            return await self.questions.ask(turn, context, draft, key)
        return await self.filling.proceed(turn, context, draft)

    async def _one_by_one(self, turn: Turn, context: Context, draft: Draft, _: str) -> str:
        draft.use_template(False)
        return await self.filling.proceed(turn, context, draft)

    async def _no_more_incidents(self, turn: Turn, context: Context, draft: Draft, _: str) -> str:
        draft.no_more_incidents()
        return await self.summary.show(turn, context, draft)

    async def _add_incident(self, turn: Turn, context: Context, draft: Draft, _: str) -> str:
        return await self.incidents.ask_category(turn, context, draft)

    async def _incident_category(
        self, turn: Turn, context: Context, draft: Draft, arg: str
    ) -> str | int:
        if not self.deps.form_for(draft.day).has_category(arg):
            return await self._expired(turn, context, draft)
        draft.start_incident(arg)
        return await self.incidents.ask_text(turn, context, draft)

    async def _urgent(self, turn: Turn, context: Context, draft: Draft, arg: str) -> str | int:
        if draft.new_incident is None:
            return await self._expired(turn, context, draft)
        draft.mark_urgent(arg == "1")
        return await self.incidents.finish(turn, context, draft)

    async def _submit(self, turn: Turn, context: Context, draft: Draft, _: str) -> str | int:
        form = self.deps.form_for(draft.day)
        draft.confirm(evaluate(form, final_values(form, draft), draft.rule_context()))
        return await self.summary.submit(turn, context, draft)

    async def _edit(self, turn: Turn, context: Context, draft: Draft, _: str) -> str:
        return await self.corrections.edit_pick(turn, context, draft)

    async def _edit_field(self, turn: Turn, context: Context, draft: Draft, arg: str) -> str | int:
        if arg not in asked_fields(self.deps.form_for(draft.day), draft):
            return await self._expired(turn, context, draft)
        return await self.questions.ask(turn, context, draft, arg)

    async def _edit_incidents(self, turn: Turn, context: Context, draft: Draft, _: str) -> str:
        draft.reopen_incidents()
        return await self.incidents.menu(turn, context, draft)

    async def _back(self, turn: Turn, context: Context, draft: Draft, _: str) -> str:
        return await self.summary.show(turn, context, draft)

    async def _give_reason(self, turn: Turn, context: Context, draft: Draft, _: str) -> str:
        return await self.corrections.ask_reason(turn, context, draft)

    async def _submit_correction(
        self, turn: Turn, context: Context, draft: Draft, _: str
    ) -> str | int:
        return await self.corrections.submit(turn, context, draft)

    async def _cancel(self, turn: Turn, context: Context, draft: Draft, _: str) -> int:
        return await abandon(turn, context)

    async def _expired(self, turn: Turn, context: Context, draft: Draft) -> str:
        """A forged or outdated argument: say so, and show the summary again."""
        await turn.say(turn.t("common.expired"))
        return await self.summary.show(turn, context, draft)

    async def on_stale_button(self, update: Update, context: Context) -> None:
        """A draft button this state does not offer (an older message's, or forged)."""
        turn = Turn.of(update, self.deps)
        await turn.answer_button(turn.t("common.expired"), alert=True)

    async def on_text_where_buttons_expected(self, update: Update, context: Context) -> None:
        """Typed text while the bot waits for a button: say so, keep the state."""
        turn = Turn.of(update, self.deps)
        await turn.say(turn.t("checkin.use_buttons"))
