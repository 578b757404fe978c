"""A compiled digest made into what is sent: its messages in one language and, for an area too
big to list, the per-grid table as a spreadsheet. Plain data, no Telegram: the scheduled
evening makes these in its child process (see :mod:`bot.usecases.evening_process`), so the
bot receives text and bytes rather than every grid's objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.digest import Digest, needs_attachment, render_digest
from bot.domain.models import Area
from bot.i18n import Locale
from bot.outbound.tables import grid_table_xlsx


@dataclass(frozen=True)
class DigestText:
    """A digest as sent in one language."""

    area: Area
    day: date
    messages: tuple[str, ...]
    """Its text, split at line boundaries into Telegram messages."""
    table: tuple[bytes, str] | None
    """The per-grid table's workbook and file name, when the area has too many grids to list."""


def digest_text(digest: Digest, locale: Locale) -> DigestText:
    """``digest`` in ``locale``, as it is sent."""
    attach = needs_attachment(digest)
    messages = tuple(render_digest(digest, locale, table_attached=attach))
    table = grid_table_xlsx(digest, locale) if attach else None
    return DigestText(digest.area, digest.day, messages, table)
