"""Start-up failures as one line each: what went wrong and what to fix, never a traceback.

``gridbot run`` talks to the Bot API before it serves anyone (getMe, the command menus, the
first getUpdates). A token Telegram rejects, an address nobody answers at, or a server that
fails every call ends start-up with a :class:`StartupError` (exit status 2). Its text never
contains the token: PTB's ``InvalidToken`` message does, so it is never shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.i18n import Locale, t
from bot.logs import redact

if TYPE_CHECKING:
    from telegram.error import TelegramError


class StartupError(Exception):
    """The bot cannot start; :meth:`render` is the one line for the operator."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, params)
        self.key = key
        self.params = params

    def render(self, locale: Locale) -> str:
        """The line, in ``locale``."""
        return t(locale, f"reliability.startup.{self.key}", **self.params)

    def __str__(self) -> str:
        return self.render("en")


def explain(failure: TelegramError, *, url: str, token: str) -> StartupError:
    """What a Bot API failure during start-up means for the operator."""
    from telegram.error import InvalidToken, NetworkError  # PTB only when the bot runs

    if isinstance(failure, InvalidToken):
        return StartupError("token_rejected")
    reason = redact(failure.message, (token,))
    if isinstance(failure, NetworkError):
        return StartupError("api_unreachable", url=url, reason=reason)
    return StartupError("api_error", url=url, reason=reason)
