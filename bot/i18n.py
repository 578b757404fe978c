"""The translation layer: every user-facing string is looked up here.

Catalogs live in ``bot/locales/<locale>/*.toml``; nested tables become dotted keys
(``[checkin] ask = "..."`` is ``checkin.ask``). Several files per locale are merged, so
each part of the code keeps its strings in its own file. Placeholders use ``str.format``
names (``{grid}``); both catalogs must have the same keys and the same placeholders, which
the test suite checks.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal, Protocol, get_args, runtime_checkable

Locale = Literal["zh_CN", "en"]
LOCALES: tuple[Locale, ...] = get_args(Locale)


def short_lang(locale: Locale) -> Literal["zh", "en"]:
    """The two-letter language used by form labels (``zh`` / ``en``)."""
    return "zh" if locale == "zh_CN" else "en"


def pick_locale(language_code: str | None, default: Locale) -> Locale:
    """Map Telegram's ``language_code`` (``zh-hans``, ``en-US``…) to a supported locale."""
    if language_code:
        code = language_code.lower()
        if code.startswith("zh"):
            return "zh_CN"
        if code.startswith("en"):
            return "en"
    return default


def parse_locale(value: str) -> Locale:
    """Accept ``zh_CN``, ``zh-CN``, ``zh``, ``en``, ``en_US``…; raise ValueError otherwise."""
    code = value.strip().replace("-", "_").lower()
    if code in {"zh", "zh_cn", "zh_hans"}:
        return "zh_CN"
    if code in {"en", "en_us", "en_gb"}:
        return "en"
    raise ValueError(value)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{dotted}."))
        elif isinstance(value, str):
            flat[dotted] = value
        else:
            raise TypeError(f"catalog entry {dotted} must be a string")
    return flat


def placeholders(template: str) -> set[str]:
    """The named ``str.format`` fields a catalog string uses."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@cache
def catalog(locale: Locale) -> dict[str, str]:
    """All strings of one locale, merged from every catalog file of that locale."""
    merged: dict[str, str] = {}
    folder = resources.files("bot") / "locales" / locale
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".toml"):
            continue
        for key, text in _flatten(tomllib.loads(entry.read_text("utf-8"))).items():
            if key in merged:
                raise ValueError(f"duplicate catalog key {key} in {locale}/{entry.name}")
            merged[key] = text
    return merged


@runtime_checkable
class Localizable(Protocol):
    """A value with a text per language, such as a form label."""

    def __call__(self, locale: Locale) -> str: ...


def localized(value: object, locale: Locale) -> object:
    """``value`` in ``locale`` when it is localizable, else unchanged."""
    return value(locale) if isinstance(value, Localizable) else value


def listing(locale: Locale, items: Iterable[str]) -> str:
    """Items joined the way the language lists them: ``王娜、王超`` / ``Wang Na, Wang Chao``."""
    return t(locale, "common.list_separator").join(items)


def t(locale: Locale, key: str, /, **params: object) -> str:
    """Translate ``key`` into ``locale``, filling in ``params``."""
    return catalog(locale)[key].format(**params)
