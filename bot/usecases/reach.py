"""Workers the bot cannot reach: Telegram refused a message to them (they blocked the bot,
deleted their account, or the chat is gone). Bulk sends (prompts, reminders) skip them and
the missing lists show them as unreachable, until they write to the bot again."""

from __future__ import annotations

import logging

from bot.dependencies import Dependencies

log = logging.getLogger(__name__)


def is_unreachable(deps: Dependencies, chat_id: int) -> bool:
    """Whether Telegram refuses messages to this private chat (no query: held in memory)."""
    return deps.db.reach.unreachable(chat_id)


async def refused(deps: Dependencies, chat_id: int, reason: str) -> None:
    """Telegram refused a message to a person's private chat (403, chat not found)."""
    if chat_id > 0 and not is_unreachable(deps, chat_id):
        log.info("chat %s is unreachable from now on: %s", chat_id, reason)
        await deps.db.reach.mark(chat_id, reason, deps.now())


async def wrote(deps: Dependencies, user_id: int) -> None:
    """The person wrote to the bot: they can be reached again."""
    if is_unreachable(deps, user_id) and await deps.db.reach.clear(user_id):
        log.info("chat %s is reachable again: the person wrote to the bot", user_id)
