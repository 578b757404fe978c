"""Incidents of the day: the list so far, then category, description and urgency of each."""

from __future__ import annotations

from telegram import Update

from bot.dependencies import Dependencies
from bot.domain.answers import INCIDENT_MAX_CHARS, refuse_personal_data
from bot.domain.draft import Draft, DraftIncident
from bot.domain.numbers import InputError
from bot.telegram_ui import draft_data, escape
from handlers.checkin.shared import (
    INCIDENT_CATEGORY,
    INCIDENT_TEXT,
    INCIDENT_URGENT,
    INCIDENTS,
    Context,
    load_draft,
    lost_draft,
    save_draft,
)
from handlers.common import Turn


class Incidents:
    """Adding incidents to a draft, one at a time."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def menu(self, turn: Turn, context: Context, draft: Draft) -> str:
        """Any incidents (or: any more)? Lists those added so far."""
        draft.next_step()
        save_draft(context, draft)
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
        listing = "\n".join(self._line(turn, draft, item) for item in draft.incidents)
        await turn.say(
            turn.t("checkin.incidents_more", count=len(draft.incidents)) + "\n" + listing,
            [
                [(turn.t("button.add_another"), draft_data(draft.id, step, "inc_add"))],
                [(turn.t("button.incidents_done"), draft_data(draft.id, step, "inc_none"))],
            ],
        )
        return INCIDENTS

    def _line(self, turn: Turn, draft: Draft, item: DraftIncident) -> str:
        form = self.deps.form_for(draft.day)
        known = form.has_category(item.category)
        label = form.category(item.category).label(turn.locale) if known else item.category
        urgent = turn.t("checkin.urgent_mark") + " " if item.urgent else ""
        return f"• {urgent}{escape(label)}：{escape(item.description)}"

    async def ask_category(self, turn: Turn, context: Context, draft: Draft) -> str:
        """Which kind of incident to add."""
        draft.next_step()
        save_draft(context, draft)
        buttons = [
            (category.label(turn.locale), draft_data(draft.id, draft.step, "cat", category.key))
            for category in self.deps.form_for(draft.day).incident_categories
        ]
        rows = [buttons[index : index + 2] for index in range(0, len(buttons), 2)]
        await turn.say(turn.t("checkin.incident_category"), rows)
        return INCIDENT_CATEGORY

    async def ask_text(self, turn: Turn, context: Context, draft: Draft) -> str:
        """The description of the incident whose category was just picked."""
        draft.next_step()
        save_draft(context, draft)
        await turn.say(turn.t("checkin.incident_text", max=INCIDENT_MAX_CHARS))
        return INCIDENT_TEXT

    async def on_text(self, update: Update, context: Context) -> str | int:
        """The short description of the incident being added."""
        turn = Turn.of(update, self.deps)
        draft = load_draft(context)
        if draft is None or draft.new_incident is None:
            return await lost_draft(turn)
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
        form = self.deps.form_for(draft.day)
        always_urgent = form.category(draft.new_incident.category).urgent
        draft.describe_incident(text, always_urgent=always_urgent)
        if always_urgent:
            await turn.say(turn.t("checkin.incident_auto_urgent"))
            return await self.finish(turn, context, draft)
        draft.next_step()
        save_draft(context, draft)
        await turn.say(
            turn.t("checkin.incident_urgent"),
            [
                [(turn.t("button.urgent_yes"), draft_data(draft.id, draft.step, "urgent", "1"))],
                [(turn.t("button.urgent_no"), draft_data(draft.id, draft.step, "urgent", "0"))],
            ],
        )
        return INCIDENT_URGENT

    async def finish(self, turn: Turn, context: Context, draft: Draft) -> str:
        """Add the incident being entered to the list, and show the list."""
        draft.add_incident()
        return await self.menu(turn, context, draft)
