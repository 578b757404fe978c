"""Logging for ``gridbot``: secrets never reach a log line, and every line says which update or
job it belongs to.

The bot token is part of every Bot API URL (``/bot<token>/sendMessage``): httpx logs those URLs
at INFO/DEBUG, python-telegram-bot puts the token into ``InvalidToken`` messages and its debug
output. :class:`Redactor` is a filter on the handler, so it sees every record from every logger
(ours, PTB's, httpx's, asyncio's) after formatting arguments and tracebacks, and replaces the
token, and anything shaped like a bot token, with ``<token>``.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final, TextIO
from urllib.parse import quote

REDACTED: Final = "<token>"
TOKEN_SHAPE: Final = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}")
"""What a bot token from @BotFather looks like (``123456789:AA…``, 35 characters after the
colon); tokens of other shapes are redacted by their exact value."""
FORMAT: Final = "%(asctime)s %(levelname)s %(name)s [%(scope)s]: %(message)s"

_scope: ContextVar[str] = ContextVar("gridbot_log_scope", default="-")
_explained: set[type[BaseException]] = set()
"""Exceptions whose meaning the operator is told in one line elsewhere: records carrying one
lose their traceback (see :func:`explained_elsewhere`)."""


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with each secret, and anything shaped like a bot token, replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED).replace(quote(secret, safe=""), REDACTED)
    return TOKEN_SHAPE.sub(REDACTED, text)


class Redactor(logging.Filter):
    """Rewrites a record so that its message and traceback carry no secret; adds ``scope``."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = secrets
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.scope = getattr(record, "scope", None) or _scope.get()
        if record.exc_info and isinstance(record.exc_info[1], tuple(_explained)):
            record.exc_info, record.exc_text = None, None
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


def configure(level: str, secrets: tuple[str, ...] = (), stream: TextIO | None = None) -> None:
    """One handler on the root logger at ``level`` (``GRIDBOT_LOG_LEVEL``), redacting
    ``secrets``. httpx logs each request at INFO: it is kept for DEBUG only."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(Redactor(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


def explained_elsewhere(*kinds: type[BaseException]) -> None:
    """Log records carrying one of these exceptions keep their message and lose the traceback:
    the program says what they mean, and what to do, in one line of its own (a token Telegram
    rejected while the bot runs: python-telegram-bot logs a traceback as it stops polling)."""
    _explained.update(kinds)


def set_scope(scope: str) -> None:
    """Name what the current task is doing (``update 123``, ``job daily 08:00``); lines logged
    from this task (and tasks it starts) then carry it."""
    _scope.set(scope)


@contextmanager
def scoped(scope: str) -> Iterator[None]:
    """Log lines inside the block carry ``scope``."""
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)
