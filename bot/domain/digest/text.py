"""Lines of plain text turned into Telegram HTML messages of bounded length.

A line is plain text with a bold flag; its HTML is the escaped text, wrapped in ``<b>…</b>``
when bold, so every value is escaped and no tag spans two lines. Messages are cut at line
boundaries only, and a heading at the bottom of a full message moves on with the line it
heads; a single line too long for a message is wrapped by characters as a last resort.
Lengths are counted in UTF-16 code units of the raw HTML, as Telegram counts, which is never
less than the text Telegram shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

TELEGRAM_LIMIT = 4096
MIN_CHARS = 16
"""Room for the longest escaped character inside ``<b>…</b>``."""


@dataclass(frozen=True, slots=True)
class Line:
    """One line of plain text."""

    text: str
    bold: bool = False
    keep: bool = False
    """A heading: kept in the same message as the line after it."""

    def html(self) -> str:
        """The escaped text, in ``<b>`` when bold."""
        text = escape(self.text, quote=False)
        return f"<b>{text}</b>" if self.bold and text else text


_Piece = tuple[str, bool]
"""A line's HTML (or part of a wrapped line's) and whether it is kept with the next."""


def to_messages(lines: Sequence[Line], max_chars: int = TELEGRAM_LIMIT) -> list[str]:
    """HTML messages of at most ``max_chars``, in order; none starts or ends with a blank line."""
    if max_chars < MIN_CHARS:
        raise ValueError(f"max_chars must be at least {MIN_CHARS}")
    return _pack([piece for line in lines for piece in _wrap(line, max_chars)], max_chars)


def _length(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def _wrap(line: Line, max_chars: int) -> list[_Piece]:
    """The line's HTML, cut by characters into pieces of at most ``max_chars`` if needed."""
    whole = line.html()
    if _length(whole) <= max_chars:
        return [(whole, line.keep)]
    budget = max_chars - (_length("<b></b>") if line.bold else 0)
    chunks: list[str] = []
    chunk, size = "", 0
    for char in line.text:
        width = _length(escape(char, quote=False))
        if chunk and size + width > budget:
            chunks.append(chunk)
            chunk, size = "", 0
        chunk += char
        size += width
    chunks.append(chunk)
    return [(Line(text, line.bold).html(), line.keep) for text in chunks]


def _pack(pieces: Sequence[_Piece], max_chars: int) -> list[str]:
    """Pack lines into as few messages as fit, in order; no message starts or ends blank,
    and a heading at the bottom of a full message moves on with what it heads."""
    messages: list[list[_Piece]] = [[]]
    for piece in pieces:
        current = messages[-1]
        if current and _size([*current, piece]) > max_chars:
            carried = _kept_tail(current)
            if _size([*carried, piece]) > max_chars:
                current.extend(carried)
                carried = []
            messages.append(carried)
        messages[-1].append(piece)
    texts = ("\n".join(html for html, _ in message).strip("\n") for message in messages)
    return [text for text in texts if text]


def _kept_tail(message: list[_Piece]) -> list[_Piece]:
    """Remove and return the headings and blank lines ending ``message``, unless that would
    leave it with nothing to show."""
    cut = len(message)
    while cut and (message[cut - 1][1] or not message[cut - 1][0]):
        cut -= 1
    if not any(html for html, _ in message[:cut]):
        return []
    tail = message[cut:]
    del message[cut:]
    return tail


def _size(pieces: Sequence[_Piece]) -> int:
    """Length of the pieces joined by newlines."""
    return sum(_length(html) for html, _ in pieces) + max(len(pieces) - 1, 0)
