"""An update Telegram delivers again is not handled twice (see :mod:`storage.handled`)."""

from __future__ import annotations

from bot.dependencies import Dependencies


async def begin_update(deps: Dependencies, update_id: int) -> bool:
    """Start handling ``update_id``: False if it was handled already (delivered again), else
    True, and its writes from now on record it as handled in their transaction."""
    if await deps.db.handled.seen(update_id):
        return False
    deps.db.handled.begin(update_id, deps.now())
    return True


async def finish_update(deps: Dependencies) -> None:
    """The update is handled: record it, if none of its writes did."""
    await deps.db.handled.finish()
