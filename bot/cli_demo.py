"""The ``gridbot demo`` options. Kept apart from :mod:`bot.demo` so that building the command
line (and ``gridbot --help``) does not import the demo, the emulator or the bot."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.i18n import Locale, parse_locale, t

DEFAULT_OUT = Path("demo-output")
MAX_DAYS = 31


def add_arguments(parser: argparse.ArgumentParser, locale: Locale) -> None:
    """The ``demo`` subcommand's options."""
    parser.add_argument("--lang", type=_locale, help=t(locale, "demo.cli.lang"))
    parser.add_argument("--days", type=_days, default=1, help=t(locale, "demo.cli.days"))
    parser.add_argument("--seed", type=int, help=t(locale, "demo.cli.seed"))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=t(locale, "demo.cli.out"))


def _locale(value: str) -> Locale:
    try:
        return parse_locale(value)
    except ValueError:
        raise argparse.ArgumentTypeError(value) from None


def _days(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_DAYS:
        raise argparse.ArgumentTypeError(value)
    return int(value)
