"""Forgetting a worker's personal data (``gridbot forget @username``) while the grid's reports
stay: what the ledger needs is the grid, the day and the figures, not who typed them."""

from __future__ import annotations

from bot.dependencies import Dependencies
from bot.i18n import t
from bot.usecases.errors import UseCaseError
from storage.admins import clean_username
from storage.privacy import Forgotten, forget_worker


async def forget(deps: Dependencies, username: str) -> Forgotten:
    """Remove the name, @username and Telegram id of the worker(s) with ``username``.

    Raises ``privacy.unknown_username`` when no roster row has it."""
    wanted = clean_username(username)
    if not wanted:
        raise UseCaseError("privacy.unknown_username", username=username)
    forgotten = await forget_worker(
        deps.db,
        wanted,
        placeholder=t(deps.settings.locale, "privacy.removed_worker"),
        actor=None,
        at=deps.now(),
    )
    if forgotten is None:
        raise UseCaseError("privacy.unknown_username", username=username)
    return forgotten
