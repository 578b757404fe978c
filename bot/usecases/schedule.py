"""When the bot came into service on this database: scheduled sends planned before that
moment are never made (a fresh install does not send yesterday's digest), and the charts and
digests count no day before it."""

from __future__ import annotations

from datetime import date, datetime

from bot.dependencies import Dependencies
from bot.domain.plan import SINCE_KEY


async def in_service_since(deps: Dependencies, now: datetime) -> datetime:
    """The moment the scheduler first ran on this database (``now``, recorded, the first
    time it is asked)."""
    stored = await deps.db.meta.get(SINCE_KEY)
    if stored is None:
        await deps.db.meta.set(SINCE_KEY, now.isoformat())
        return now
    return datetime.fromisoformat(stored)


async def first_service_day(deps: Dependencies) -> date | None:
    """The day, in the configured zone, the scheduler first ran on this database (None: it
    has not run yet)."""
    stored = await deps.db.meta.get(SINCE_KEY)
    if stored is None:
        return None
    return datetime.fromisoformat(stored).astimezone(deps.settings.timezone).date()
