"""Both catalogs are complete: same keys, same placeholders, every key renders."""

import re
from pathlib import Path

import pytest

from bot.i18n import LOCALES, catalog, pick_locale, placeholders, t

ROOT = Path(__file__).resolve().parents[1]


def test_catalogs_have_the_same_keys() -> None:
    zh, en = catalog("zh_CN"), catalog("en")
    assert sorted(set(zh) - set(en)) == []
    assert sorted(set(en) - set(zh)) == []


def test_catalogs_have_the_same_placeholders() -> None:
    zh, en = catalog("zh_CN"), catalog("en")
    mismatched = {
        key: (placeholders(zh[key]), placeholders(en[key]))
        for key in zh
        if placeholders(zh[key]) != placeholders(en[key])
    }
    assert mismatched == {}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_entry_renders_with_its_placeholders(locale: str) -> None:
    for key, text in catalog(locale).items():  # type: ignore[arg-type]
        params = dict.fromkeys(placeholders(text), 1)
        assert t(locale, key, **params)  # type: ignore[arg-type]


def test_every_key_used_in_code_exists() -> None:
    """Literal keys passed to t()/turn.t() in the code are in the catalogs."""
    pattern = re.compile(r"""\bt\(\s*(?:[\w.]+,\s*)?["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""")
    used: set[str] = set()
    for package in ("bot", "handlers", "storage", "scheduler"):
        for path in (ROOT / package).rglob("*.py"):
            used |= set(pattern.findall(path.read_text("utf-8")))
    assert used, "the scan found no keys at all"
    assert sorted(used - set(catalog("zh_CN"))) == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-hans", "zh_CN"),
        ("zh-hant", "zh_CN"),
        ("zh", "zh_CN"),
        ("en", "en"),
        ("en-US", "en"),
        ("ru", "zh_CN"),
        (None, "zh_CN"),
    ],
)
def test_telegram_language_codes_pick_a_locale(code: str | None, expected: str) -> None:
    assert pick_locale(code, "zh_CN") == expected


def test_fallback_is_the_configured_locale() -> None:
    assert pick_locale("de", "en") == "en"
