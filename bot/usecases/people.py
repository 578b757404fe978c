"""Who is writing: the worker bound to a Telegram user, and their grid."""

from __future__ import annotations

from bot.dependencies import Dependencies
from bot.domain.models import Grid, Worker
from bot.i18n import Locale


async def worker_of(
    deps: Dependencies, telegram_id: int, language: Locale | None = None
) -> Worker | None:
    """The active worker bound to ``telegram_id``, if any. ``language`` (the user's
    Telegram language, when Telegram told it) is remembered, so that the messages the bot
    starts itself are in it too."""
    roster = deps.db.roster
    worker = await roster.worker_by_telegram_id(telegram_id)
    if worker is not None and language is not None and worker.language != language:
        await roster.remember_language(telegram_id, language)
    return worker


async def grid_of(deps: Dependencies, worker: Worker) -> Grid:
    """The worker's grid."""
    grid = await deps.db.roster.grid(worker.grid_id)
    if grid is None:
        raise LookupError(f"grid {worker.grid_id} of worker {worker.id} is missing")
    return grid
