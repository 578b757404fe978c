"""What every part of the check-in conversation shares: its states, the draft kept in
``user_data``, and the replies more than one part gives."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Final

from telegram.ext import ContextTypes, ConversationHandler, filters

from bot.domain.draft import DRAFT_KEY, Draft, drop_draft, keep_draft
from bot.domain.rules import Violation
from bot.telegram_ui import escape
from handlers.common import Turn

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


TEXT = filters.TEXT & ~filters.COMMAND


# ----------------------------------------------------------------- draft storage


_peeked: ContextVar[tuple[object, Draft] | None] = ContextVar("peeked_draft", default=None)
"""The draft :func:`peek_draft` read in this update, with the stored value it was read from."""


def load_draft(context: Context) -> Draft | None:
    """The draft in progress, if there is a readable one (the caller may change it)."""
    stored = (context.user_data or {}).get(DRAFT_KEY)
    peeked = _peeked.get()
    if peeked is not None:
        _peeked.set(None)  # handed out once: whoever has it may change it
        if peeked[0] is stored:
            return peeked[1]
    return Draft.from_data(stored)


def peek_draft(context: Context) -> Draft | None:
    """The draft in progress, to look at without changing it. The next :func:`load_draft` of
    the update gets this very object instead of reading the draft again, if the stored draft
    is still the one it was read from (every change stores a new text)."""
    stored = (context.user_data or {}).get(DRAFT_KEY)
    draft = Draft.from_data(stored)
    _peeked.set(None if draft is None else (stored, draft))
    return draft


def save_draft(context: Context, draft: Draft) -> None:
    """Keep the draft (persisted with ``user_data``)."""
    if context.user_data is not None:
        keep_draft(context.user_data, draft)


def forget(context: Context) -> None:
    """Drop the draft and any pending zero report."""
    if context.user_data is not None:
        drop_draft(context.user_data)


# ----------------------------------------------------------------- shared replies


def violation_text(turn: Turn, violations: list[Violation]) -> str:
    """One line per broken rule, marked hard or soft."""
    marks = {"hard": "❌", "soft": "⚠️"}
    return "\n".join(
        f"{marks[item.severity]} {escape(item.render(turn.locale))}" for item in violations
    )


async def lost_draft(turn: Turn) -> int:
    """Text came for a draft that is no longer there: say so and end the conversation."""
    await turn.say(turn.t("checkin.no_draft"))
    return END


async def abandon(turn: Turn, context: Context) -> int:
    """/cancel or the Cancel button: drop the draft; nothing is filed."""
    forget(context)
    await turn.say(turn.t("checkin.cancelled"))
    return END
