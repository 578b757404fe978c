"""Telegram UI helpers shared by the handlers and the outbound sends: HTML escaping, inline
keyboards and the callback data of the bot's buttons."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.i18n import Locale, t

Button = tuple[str, str] | InlineKeyboardButton
"""(visible text, callback data), or a ready button (the Mini App's)."""

MENU_PREFIX = "m"
"""Buttons that start something (fill in, zero report…): valid whenever pressed."""
DRAFT_PREFIX = "c"
"""Buttons of one step of one draft: ``c:<draft id>:<step>:<action>[:<arg>]``."""


def escape(value: object) -> str:
    """HTML-escape a dynamic value for a message sent with parse_mode HTML."""
    return html.escape(str(value), quote=False)


def escaped(params: Mapping[str, object]) -> dict[str, str]:
    """Message parameters made safe for parse_mode HTML (they may hold what a user typed)."""
    return {key: escape(value) for key, value in params.items()}


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    """Inline keyboard from rows of (text, callback data)."""
    return InlineKeyboardMarkup([[_inline(button) for button in row] for row in rows])


def _inline(button: Button) -> InlineKeyboardButton:
    if isinstance(button, InlineKeyboardButton):
        return button
    text, data = button
    return InlineKeyboardButton(text, callback_data=data)


MENU_ACTIONS = ("report", "zero", "template", "correct")
"""What a menu button can start; only ``correct`` carries a day (``m:correct:2026-11-21``)."""
ACK_PREFIX = "ack"
"""The "acknowledged" button under an urgent alert: ``ack:<alert id>``."""
MAX_ROW_ID = 2**63 - 1
"""SQLite's largest integer: a larger id in callback data is forged."""


def menu_data(action: str) -> str:
    """Callback data of a menu button."""
    return f"{MENU_PREFIX}:{action}"


@dataclass(frozen=True)
class MenuButton:
    """A decoded menu button."""

    action: str
    day: date | None = None


def parse_menu_data(data: str | None) -> MenuButton | None:
    """Decode menu button data; None for anything malformed or forged (an unknown action, a
    day that is no calendar date)."""
    prefix, _, rest = (data or "").partition(":")
    action, _, day_text = rest.partition(":")
    if prefix != MENU_PREFIX or action not in MENU_ACTIONS:
        return None
    if not day_text:
        return MenuButton(action)
    if action != "correct" or len(day_text) != len("2026-11-21"):
        return None
    try:
        return MenuButton(action, date.fromisoformat(day_text))
    except ValueError:
        return None


def ack_data(alert_id: int) -> str:
    """Callback data of the acknowledge button."""
    return f"{ACK_PREFIX}:{alert_id}"


def parse_ack_data(data: str | None) -> int | None:
    """The alert id of an acknowledge button; None for anything malformed or forged."""
    prefix, _, number = (data or "").partition(":")
    if prefix != ACK_PREFIX or not (number.isascii() and number.isdigit()):
        return None
    alert_id = int(number)
    return alert_id if 0 < alert_id <= MAX_ROW_ID else None


@dataclass(frozen=True)
class DraftButton:
    """A decoded draft button."""

    draft_id: str
    step: int
    action: str
    arg: str


def draft_data(draft_id: str, step: int, action: str, arg: str = "") -> str:
    """Callback data of a draft button (always well under Telegram's 64 bytes)."""
    data = f"{DRAFT_PREFIX}:{draft_id}:{step}:{action}"
    return f"{data}:{arg}" if arg else data


def draft_pattern(*actions: str) -> str:
    """The callback-data pattern of draft buttons with one of ``actions`` (for a
    CallbackQueryHandler); ``parse_draft_data`` still checks every part."""
    return rf"^{DRAFT_PREFIX}:[^:]*:[^:]*:(?:{'|'.join(actions)})(?::|$)"


def parse_draft_data(data: str | None) -> DraftButton | None:
    """Decode draft button data; None for anything malformed or forged."""
    if not data:
        return None
    parts = data.split(":", 4)
    if len(parts) < 4 or parts[0] != DRAFT_PREFIX:
        return None
    if not (parts[2].isascii() and parts[2].isdigit()) or len(parts[2]) > len(str(MAX_ROW_ID)):
        return None
    return DraftButton(parts[1], int(parts[2]), parts[3], parts[4] if len(parts) > 4 else "")


def webapp_rows(url: str | None, locale: Locale) -> list[Sequence[InlineKeyboardButton]]:
    """The "fill in on one screen" row (a Mini App button opening ``url``), offered next to
    the chat flow's buttons; no row when ``GRIDBOT_WEBAPP_URL`` is not set."""
    if url is None:
        return []
    return [[InlineKeyboardButton(t(locale, "webapp.button"), web_app=WebAppInfo(url=url))]]
