"""Telegram's side of a Mini App button: the ``initData`` a client hands the page.

When a user taps a ``web_app`` button, Telegram opens its URL and gives the page
``initData``: the user, ``auth_date`` and a ``hash`` signed with a key derived from the
bot's token (the Bot API's "validating data received via the Mini App"). The emulator, being
the Telegram side, signs it the same way so the bot's checker can be tested end to end.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from telegram_webapp_auth.auth import generate_secret_key

from bot.emulator._records import JsonDict

USER_FIELDS = ("id", "first_name", "last_name", "username", "language_code", "is_bot")
"""The fields of a user that Telegram puts into ``initData``'s ``user``."""


@dataclass(frozen=True)
class WebAppLaunch:
    """A Mini App opened from a button: the page's address and its ``initData``."""

    url: str
    init_data: str


def sign_init_data(token: str, user: JsonDict, *, age_seconds: float = 0) -> str:
    """``initData`` for ``user`` as Telegram signs it for the bot with ``token``.

    ``auth_date`` is wall-clock time (as Telegram's), ``age_seconds`` in the past.
    """
    fields = {
        "auth_date": str(int(time.time() - age_seconds)),
        "query_id": "AAH" + secrets.token_urlsafe(12),
        "user": json.dumps(
            {key: user[key] for key in USER_FIELDS if key in user},
            ensure_ascii=False,
            separators=(",", ":"),
        ),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    digest = hmac.new(generate_secret_key(token), check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})
