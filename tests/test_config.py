"""Settings come from the environment; a bad value is one clear line naming the variable."""

from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in (
        "TOKEN",
        "API_BASE_URL",
        "DB",
        "ADMINS",
        "TIMEZONE",
        "LOCALE",
        "DEADLINE",
        "FORM",
        "BOT_USERNAME",
    ):
        monkeypatch.delenv(f"GRIDBOT_{name}", raising=False)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.timezone == ZoneInfo("Asia/Shanghai")
    assert settings.locale == "zh_CN"
    assert settings.deadline == time(17, 0)
    assert settings.admins == frozenset()
    assert settings.bot_api_url == "https://api.telegram.org/bot"
    assert settings.db == Path("data/gridbot.sqlite3")


def test_values_from_env_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("GRIDBOT_ADMINS=11, 22\nGRIDBOT_LOCALE=en\n", "utf-8")
    monkeypatch.setenv("GRIDBOT_API_BASE_URL", "http://127.0.0.1:8081/bot/")
    monkeypatch.setenv("GRIDBOT_DEADLINE", "08:30")
    settings = load_settings()
    assert settings.admins == frozenset({11, 22})
    assert settings.locale == "en"
    assert settings.deadline == time(8, 30)
    assert settings.bot_api_url == "http://127.0.0.1:8081/bot"
    assert settings.bot_file_url == "http://127.0.0.1:8081/file/bot"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TIMEZONE", "Mars/Olympus"),
        ("DEADLINE", "25:00"),
        ("DEADLINE", "5pm"),
        ("ADMINS", "12,abc"),
        ("LOCALE", "fr"),
        ("API_BASE_URL", "ftp://x"),
    ],
)
def test_a_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"GRIDBOT_{name}", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"GRIDBOT_{name}" in message
    assert value in message
    assert "\n" not in message


def test_missing_token_is_explained_when_needed() -> None:
    settings = load_settings()
    with pytest.raises(ConfigError, match="GRIDBOT_TOKEN"):
        settings.require_token()
