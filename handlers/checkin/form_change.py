"""A draft started under a form that is no longer the form of its day.

A form can only change for today while nobody has filed today (``gridbot form apply
--from today``), so a worker may be half-way through today's report when it does. Before any
handler sees the worker's next update, the draft moves onto the new form: the answers to the
questions still asked are kept, the others dropped, and the worker is told what changed and
to send /report to go on (from the first question not answered yet); the update that
found the change is not taken as an answer, since it answered the old form.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.dependencies import Dependencies
from bot.domain.draft import Draft
from bot.domain.form import Form
from bot.domain.form_diff import diff_forms, render_diff
from bot.telegram_ui import escape
from handlers.checkin.shared import load_draft, peek_draft, save_draft
from handlers.common import Turn

Context = ContextTypes.DEFAULT_TYPE


class FormChangeGuard:
    """Moves a draft onto its day's current form version, and says so."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def settle(self, update: Update, context: Context) -> None:
        """Runs ahead of the conversation for every update of a private chat."""
        if update.effective_chat is None or update.effective_chat.type != "private":
            return
        peeked = peek_draft(context)
        if peeked is None or peeked.form_version is None:
            return
        version = self.deps.forms.version_for(peeked.day)
        if version.number == peeked.form_version:
            return
        old = self.deps.forms.version(peeked.form_version).form
        draft = load_draft(context) or peeked  # the same draft, now to be changed
        move_to_form(draft, version.form, version.number)
        save_draft(context, draft)
        turn = Turn.of(update, self.deps)
        changes = render_diff(diff_forms(self.deps.forms, old, version.form), turn.locale)
        text = turn.t("formversion.draft.changed", version=version.number)
        await turn.say("\n".join([text, *(escape(line) for line in changes)]))
        if turn.text.strip().startswith("/report"):
            return  # the command resumes the draft on the new form
        context.application.mark_data_for_update_persistence(user_ids=turn.user.id)
        await context.application.update_persistence()
        raise ApplicationHandlerStop  # the update answered a question of the old form


def move_to_form(draft: Draft, form: Form, number: int) -> None:
    """Keep what still fits ``form``: answers to its questions, baselines of its stocks.
    Checks confirmed under the old form are asked again, and so is the current question."""
    asked = {field.key for field in form.questions()}
    draft.values = {key: value for key, value in draft.values.items() if key in asked}
    draft.baseline = {key: value for key, value in draft.baseline.items() if form.has_field(key)}
    draft.pending_baseline = [key for key in draft.pending_baseline if form.has_field(key)]
    draft.confirmed = []
    draft.pending_rules = []
    draft.current = None
    draft.form_version = number
