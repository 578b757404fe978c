"""The check-in ConversationHandler, assembled from the parts of the conversation."""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.dependencies import Dependencies
from bot.outbound.alerts import AlertDesk
from bot.telegram_ui import draft_pattern, parse_menu_data
from handlers.checkin.buttons import Buttons
from handlers.checkin.corrections import Corrections
from handlers.checkin.entry import Entry
from handlers.checkin.filling import Filling
from handlers.checkin.incidents import Incidents
from handlers.checkin.questions import Questions
from handlers.checkin.shared import (
    ASK,
    EDIT_PICK,
    INCIDENT_CATEGORY,
    INCIDENT_TEXT,
    INCIDENT_URGENT,
    INCIDENTS,
    REASON,
    SOFT,
    SUMMARY,
    TEMPLATE,
    TEXT,
    ZERO_CONFIRM,
    Context,
    abandon,
)
from handlers.checkin.summary import Summary
from handlers.checkin.template import Template
from handlers.checkin.zero import ZeroReport
from handlers.common import Turn


class CheckinFlow:
    """The conversation's callbacks, bound to the application's deps."""

    def __init__(self, deps: Dependencies, alerts: AlertDesk) -> None:
        self.deps = deps
        summary = Summary(deps, alerts)
        entry = Entry(deps, summary)
        questions = Questions(deps)
        incidents = Incidents(deps)
        self.filling = Filling(deps, entry, questions, Template(deps), incidents, summary)
        self.zero = ZeroReport(deps, entry, summary)
        self.corrections = Corrections(deps, alerts, entry, summary)
        self.confirmations = summary.confirmations
        self.incidents = incidents
        self.buttons = Buttons(
            deps, self.filling, questions, incidents, summary, self.corrections, self.zero
        )

    def handler(self) -> ConversationHandler[Any]:
        """The persistent ConversationHandler for private chats."""
        with warnings.catch_warnings():
            # Buttons are tracked per chat+user on purpose: each carries its draft id and step.
            warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
            return self._conversation()

    def _on(self, *actions: str) -> CallbackQueryHandler[Any, Any]:
        """The draft buttons of ``actions`` (checked against the live draft and step)."""
        return CallbackQueryHandler(self.buttons.on_button, pattern=draft_pattern(*actions))

    def _conversation(self) -> ConversationHandler[Any]:
        """Each state lists what it accepts: typed text where a typed answer is awaited,
        the draft buttons that state offers, the zero-report buttons (a preview may be
        confirmed whatever else is open), and an "expired" answer to any other button."""
        private = filters.ChatType.PRIVATE
        filling = self.filling
        zero = self._on("zero_ok", "zero_no")
        stale: CallbackQueryHandler[Any, Any] = CallbackQueryHandler(
            self.buttons.on_stale_button, pattern=r"^c:"
        )
        typed: MessageHandler[Any, Any] = MessageHandler(
            TEXT & private, self.buttons.on_text_where_buttons_expected
        )

        def text(callback: Any) -> MessageHandler[Any, Any]:
            return MessageHandler(TEXT & private, callback)

        return ConversationHandler(
            name="checkin",
            persistent=True,
            allow_reentry=True,
            entry_points=[
                CommandHandler("report", filling.start_report, filters=private),
                CommandHandler("zero", self.zero.start, filters=private),
                CommandHandler("template", filling.start_template, filters=private),
                CommandHandler("correct", self.corrections.start, filters=private),
                CallbackQueryHandler(
                    self.on_menu,
                    pattern=r"^m:(report|zero|template|correct)(:\d{4}-\d{2}-\d{2})?$",
                ),
            ],
            states={
                ASK: [text(filling.on_answer), self._on("v"), zero, stale],
                SOFT: [text(filling.on_answer), self._on("soft_yes", "soft_no"), zero, stale],
                TEMPLATE: [text(filling.on_template), self._on("one_by_one"), zero, stale],
                INCIDENTS: [self._on("inc_none", "inc_add"), zero, stale, typed],
                INCIDENT_CATEGORY: [self._on("cat"), zero, stale, typed],
                INCIDENT_TEXT: [text(self.incidents.on_text), zero, stale],
                INCIDENT_URGENT: [self._on("urgent"), zero, stale, typed],
                SUMMARY: [
                    self._on("submit", "corr_ok", "fix_done", "edit", "cancel"),
                    zero,
                    stale,
                    typed,
                ],
                EDIT_PICK: [self._on("field", "edit_inc", "back"), zero, stale, typed],
                REASON: [text(self.corrections.on_reason), zero, stale],
                ZERO_CONFIRM: [zero, stale, typed],
            },
            fallbacks=[CommandHandler("cancel", self.cancel, filters=private)],
        )

    async def on_menu(self, update: Update, context: Context) -> str | int | None:
        """Menu buttons (from /start, /status, the morning prompt) start the matching flow;
        forged ones (an unknown action, a day that is no date) get the expired answer."""
        query = update.callback_query
        button = parse_menu_data(query.data if query else None)
        if button is None:
            turn = Turn.of(update, self.deps)
            await turn.answer_button(turn.t("common.expired"), alert=True)
            return None
        starters = {
            "report": self.filling.start_report,
            "zero": self.zero.start,
            "template": self.filling.start_template,
            "correct": self.corrections.start,
        }
        return await starters[button.action](update, context)

    async def cancel(self, update: Update, context: Context) -> int:
        """/cancel: drop the draft; nothing is filed."""
        return await abandon(Turn.of(update, self.deps), context)
