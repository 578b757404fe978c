"""Who is calling: Telegram's ``initData``, checked by ``telegram-webapp-auth``.

The signature (HMAC with a key derived from the bot token) and the age of ``auth_date`` are
checked by the library; this module only maps its outcome to an HTTP status and a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from telegram_webapp_auth.auth import TelegramAuthenticator, generate_secret_key
from telegram_webapp_auth.errors import ExpiredInitDataError, InvalidInitDataError

AUTH_SCHEME = "tma"
"""``Authorization: tma <initData>``, the usual header of Telegram Mini Apps."""


@dataclass(frozen=True)
class Caller:
    """The Telegram user the checked ``initData`` speaks for."""

    telegram_id: int
    language_code: str | None


class AuthError(Exception):
    """A refused call: the HTTP status and the i18n key of what the page shows."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


class InitDataChecker:
    """Checks ``initData`` signed for this bot's token, no older than ``max_age``."""

    def __init__(self, token: str, max_age: timedelta) -> None:
        self._authenticator = TelegramAuthenticator(generate_secret_key(token))
        self._max_age = max_age

    def caller(self, authorization: str | None) -> Caller:
        """The user of an ``Authorization: tma …`` header, or AuthError (401)."""
        scheme, _, init_data = (authorization or "").partition(" ")
        if scheme.lower() != AUTH_SCHEME or not init_data.strip():
            raise AuthError(401, "webapp.error.no_init_data")
        try:
            data = self._authenticator.validate(init_data.strip(), self._max_age)
        except ExpiredInitDataError:
            raise AuthError(401, "webapp.error.expired") from None
        except InvalidInitDataError:
            raise AuthError(401, "webapp.error.forged") from None
        if data.user is None:
            raise AuthError(401, "webapp.error.forged")
        return Caller(data.user.id, data.user.language_code)
