"""The fill-in template: every question in one message, returned filled in as one message."""

from __future__ import annotations

from bot.dependencies import Dependencies
from bot.domain.draft import Draft
from bot.domain.models import Values
from bot.domain.rules import evaluate
from bot.domain.template import TemplateResult, parse_template, render_template
from bot.telegram_ui import draft_data, escape
from handlers.checkin.shared import TEMPLATE, Context, save_draft, violation_text
from handlers.common import Turn


class Template:
    """Sending the template for a draft, and reading it back."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    def parse(self, draft: Draft, text: str) -> TemplateResult:
        """Read ``text`` as a returned template for this draft."""
        return parse_template(
            self.deps.form_for(draft.day),
            text,
            openings=draft.all_openings(),
            grid=draft.grid_facts,
        )

    async def send(self, turn: Turn, context: Context, draft: Draft) -> str:
        """Send the template, with a button to answer one question at a time instead."""
        draft.next_step()
        save_draft(context, draft)
        template = render_template(
            self.deps.form_for(draft.day),
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

    async def read(self, turn: Turn, draft: Draft, result: TemplateResult) -> Values | None:
        """The values of a returned (parsed) template; None, after saying what to fix, when
        it is not a template, cannot be read, or breaks a hard rule."""
        if not result.recognised:
            await turn.say(turn.t("checkin.template_not_recognised"))
            return None
        if result.errors:
            await turn.say(
                escape(result.error_message(turn.locale)) + "\n" + turn.t("checkin.template_fix")
            )
            return None
        values: Values = dict(result.values)
        hard = [
            item
            for item in evaluate(self.deps.form_for(draft.day), values, draft.rule_context())
            if item.severity == "hard"
        ]
        if hard:
            await turn.say(violation_text(turn, hard) + "\n" + turn.t("checkin.template_fix"))
            return None
        return values
