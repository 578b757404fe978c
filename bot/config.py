"""Configuration from the environment and ``.env`` (pydantic-settings).

A bad value stops start-up with one line naming the variable (``ConfigError``), never a
traceback. Every variable is documented in ``.env.example``.
"""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n import Locale, parse_locale, t

TELEGRAM_API_ROOT = "https://api.telegram.org"
ENV_PREFIX = "GRIDBOT_"


class ConfigError(Exception):
    """A configuration value is missing or wrong; ``str()`` is the one line to show."""


def _parse_clock_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    text = str(value).strip()
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(text)
    parsed_h, parsed_m = int(hours), int(minutes)
    if parsed_h > 23 or parsed_m > 59:
        raise ValueError(text)
    return time(parsed_h, parsed_m)


class Settings(BaseSettings):
    """All of gridbot's settings; names map to ``GRIDBOT_<NAME>`` variables."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    token: SecretStr | None = None
    api_base_url: str = TELEGRAM_API_ROOT
    bot_username: str | None = None
    db: Path = Path("data/gridbot.sqlite3")
    admins: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: Annotated[ZoneInfo, NoDecode] = Field(default=ZoneInfo("Asia/Shanghai"))
    locale: Annotated[Locale, NoDecode] = "zh_CN"
    deadline: Annotated[time, NoDecode] = time(17, 0)
    form: Path | None = None

    @field_validator("api_base_url", mode="before")
    @classmethod
    def _api_root(cls, value: Any) -> str:
        text = str(value).strip().rstrip("/")
        if not text.startswith(("http://", "https://")):
            raise ValueError(text)
        return text.removesuffix("/bot")

    @field_validator("bot_username", mode="before")
    @classmethod
    def _username(cls, value: Any) -> str | None:
        if value is None or str(value).strip() == "":
            return None
        return str(value).strip().lstrip("@")

    @field_validator("admins", mode="before")
    @classmethod
    def _admin_ids(cls, value: Any) -> frozenset[int]:
        if isinstance(value, (set, frozenset, list, tuple)):
            return frozenset(int(item) for item in value)
        parts = [part.strip() for part in str(value).split(",") if part.strip()]
        return frozenset(int(part) for part in parts)

    @field_validator("timezone", mode="before")
    @classmethod
    def _zone(cls, value: Any) -> ZoneInfo:
        if isinstance(value, ZoneInfo):
            return value
        try:
            return ZoneInfo(str(value).strip())
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(str(value)) from exc

    @field_validator("locale", mode="before")
    @classmethod
    def _locale(cls, value: Any) -> Locale:
        return parse_locale(str(value))

    @field_validator("deadline", mode="before")
    @classmethod
    def _deadline(cls, value: Any) -> time:
        return _parse_clock_time(value)

    @property
    def bot_api_url(self) -> str:
        """PTB's ``base_url`` (the token is appended by PTB)."""
        return f"{self.api_base_url}/bot"

    @property
    def bot_file_url(self) -> str:
        """PTB's ``base_file_url``."""
        return f"{self.api_base_url}/file/bot"

    def require_token(self) -> str:
        """The bot token, or a ConfigError saying how to set it."""
        if self.token is None or not self.token.get_secret_value().strip():
            raise ConfigError(t(self.locale, "config.token_missing", var=f"{ENV_PREFIX}TOKEN"))
        return self.token.get_secret_value().strip()


def fallback_locale() -> Locale:
    """The locale for messages printed before settings could be read."""
    try:
        return parse_locale(os.environ.get(f"{ENV_PREFIX}LOCALE", "zh_CN"))
    except ValueError:
        return "zh_CN"


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning a validation failure into a one-line ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = f"{ENV_PREFIX}{str(error['loc'][0]).upper()}" if error["loc"] else ENV_PREFIX
        raise ConfigError(
            t(
                fallback_locale(),
                f"config.bad.{name.removeprefix(ENV_PREFIX).lower()}",
                var=name,
                value=error.get("input", ""),
            )
        ) from None
