"""Asking one question at a time, and asking to confirm an answer a soft rule doubts."""

from __future__ import annotations

from bot.dependencies import Dependencies
from bot.domain.draft import BASELINE_SUFFIX, Draft
from bot.domain.form import FieldDef
from bot.domain.rules import Violation
from bot.telegram_ui import Button, draft_data, escape
from handlers.checkin.shared import ASK, SOFT, Context, save_draft, violation_text
from handlers.common import Turn


class Questions:
    """The question messages of a draft: text, hint and answer buttons."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def ask(
        self, turn: Turn, context: Context, draft: Draft, key: str, problem: str = ""
    ) -> str:
        """Ask ``key``; after a refused answer, ``problem`` says what was wrong first."""
        draft.ask(key)
        save_draft(context, draft)
        text, buttons = self._question(turn, draft, key)
        await turn.say(f"{problem}\n\n{text}" if problem else text, buttons)
        return ASK

    def _question(self, turn: Turn, draft: Draft, key: str) -> tuple[str, list[list[Button]]]:
        """The text and buttons of one question."""
        if key.endswith(BASELINE_SUFFIX):
            stock = self.deps.form_for(draft.day).field(key.removesuffix(BASELINE_SUFFIX))
            text = turn.t(
                "checkin.ask_baseline",
                label=escape(stock.label(turn.locale)),
                help=escape(stock.help(turn.locale)),
            )
            return text, [[("0", draft_data(draft.id, draft.step, "v", "0"))]]
        form = self.deps.form_for(draft.day)
        field = form.field(key)
        # Counted over every question of the form, so the count never goes back and its total
        # never changes: a question skipped by its condition is a step jumped over.
        keys = [question.key for question in form.questions()]
        position = keys.index(key) + 1
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

    async def confirm_soft(
        self, turn: Turn, context: Context, draft: Draft, key: str, soft: list[Violation]
    ) -> str:
        """The answer to ``key`` is recorded but doubted: keep it, or answer again?"""
        draft.doubt(soft)
        save_draft(context, draft)
        label = self.deps.form_for(draft.day).field(key).label(turn.locale)
        text = (
            violation_text(turn, soft)
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
