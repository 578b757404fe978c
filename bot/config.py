"""Configuration from the environment and ``.env`` (pydantic-settings).

A bad value stops start-up with one line naming the variable (``ConfigError``), never a
traceback. Every variable is documented in ``.env.example``.
"""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n import Locale, parse_locale, t

TELEGRAM_API_ROOT = "https://api.telegram.org"
ENV_PREFIX = "GRIDBOT_"
TOKEN_PATTERN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{1,200}")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


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
    prompt_at: Annotated[time, NoDecode] = time(8, 0)
    remind_at: Annotated[tuple[time, ...], NoDecode] = (time(15, 0), time(16, 30))
    escalate_at: Annotated[time, NoDecode] = time(18, 0)
    digest_at: Annotated[time, NoDecode] = time(20, 0)
    report_days: Annotated[frozenset[int], NoDecode] = frozenset(range(1, 8))
    alert_ack_minutes: int = Field(default=30, ge=1, le=24 * 60)
    digest_grace_hours: float = Field(default=3.0, ge=0, le=24)
    correction_days: int = Field(default=2, ge=0, le=366)
    webapp_url: str | None = None
    webapp_host: str = Field(default="127.0.0.1", min_length=1)
    webapp_port: int = Field(default=8080, ge=0, le=65535)
    webapp_max_age_hours: float = Field(default=24.0, gt=0, le=24 * 7)
    log_level: Annotated[str, NoDecode] = "INFO"
    backup_dir: Path | None = None
    backup_keep: int = Field(default=14, ge=1, le=3650)
    send_log_days: int = Field(default=90, ge=30, le=3650)
    """How many days the send log keeps each send's row (see ``prune_send_log``); at least
    30, beyond every send the bot still makes for an earlier day."""

    @field_validator("token", mode="before")
    @classmethod
    def _token_shape(cls, value: Any) -> Any:
        """A bot token is ``<bot id>:<secret>``; anything else is refused before it is sent."""
        if value is None:
            return None
        text = str(value.get_secret_value() if isinstance(value, SecretStr) else value).strip()
        if text and not TOKEN_PATTERN.fullmatch(text):
            raise ValueError("malformed token")
        return text or None

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: Any) -> str:
        level = str(value).strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(level)
        return level

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

    @field_validator("webapp_url", mode="before")
    @classmethod
    def _webapp_url(cls, value: Any) -> str | None:
        """The Mini App's public address: Telegram opens only https:// pages."""
        if value is None or str(value).strip() == "":
            return None
        text = str(value).strip()
        if not text.startswith("https://") or len(text) <= len("https://"):
            raise ValueError(text)
        # The page's own links are relative: they need the address to end in a folder.
        return text if text.endswith("/") or "?" in text or "#" in text else text + "/"

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

    @field_validator("deadline", "prompt_at", "escalate_at", "digest_at", mode="before")
    @classmethod
    def _time_of_day(cls, value: Any) -> time:
        return _parse_clock_time(value)

    @field_validator("remind_at", mode="before")
    @classmethod
    def _reminders(cls, value: Any) -> tuple[time, ...]:
        if isinstance(value, (list, tuple)):
            return tuple(sorted(_parse_clock_time(item) for item in value))
        parts = [part for part in str(value).split(",") if part.strip()]
        return tuple(sorted(_parse_clock_time(part) for part in parts))

    @field_validator("report_days", mode="before")
    @classmethod
    def _weekdays(cls, value: Any) -> frozenset[int]:
        if isinstance(value, (set, frozenset, list, tuple)):
            return frozenset(int(item) for item in value)
        return parse_weekdays(str(value))

    @model_validator(mode="after")
    def _times_in_order(self) -> Settings:
        """Reminders, deadline and escalation must fall between the prompt and the digest."""
        later_than_prompt = [
            *(("REMIND_AT", moment) for moment in self.remind_at),
            ("DEADLINE", self.deadline),
            ("ESCALATE_AT", self.escalate_at),
        ]
        for name, moment in later_than_prompt:
            if not self.prompt_at < moment <= self.digest_at:
                raise PydanticCustomError(
                    "schedule_order",
                    "{var} must fall between GRIDBOT_PROMPT_AT and GRIDBOT_DIGEST_AT",
                    {"var": f"{ENV_PREFIX}{name}", "value": moment.strftime("%H:%M")},
                )
        return self

    @property
    def bot_api_url(self) -> str:
        """PTB's ``base_url`` (the token is appended by PTB)."""
        return f"{self.api_base_url}/bot"

    @property
    def bot_file_url(self) -> str:
        """PTB's ``base_file_url``."""
        return f"{self.api_base_url}/file/bot"

    def secrets(self) -> tuple[str, ...]:
        """Values no log line or message may show (the token)."""
        return (self.token.get_secret_value(),) if self.token else ()

    def require_token(self) -> str:
        """The bot token, or a ConfigError saying how to set it."""
        if self.token is None or not self.token.get_secret_value().strip():
            raise ConfigError(t(self.locale, "config.token_missing", var=f"{ENV_PREFIX}TOKEN"))
        return self.token.get_secret_value().strip()


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_weekdays(text: str) -> frozenset[int]:
    """ISO weekdays (1 = Monday) from ``mon-fri``, ``mon,wed,sat``, ``1-5`` or ``daily``."""
    cleaned = text.strip().lower()
    if cleaned in {"daily", "all", "every day", "*"}:
        return frozenset(range(1, 8))
    days: set[int] = set()
    for part in (item.strip() for item in cleaned.split(",") if item.strip()):
        first, _, last = part.partition("-")
        start, end = _weekday(first), _weekday(last or first)
        if end < start:
            raise ValueError(text)
        days.update(range(start, end + 1))
    if not days:
        raise ValueError(text)
    return frozenset(days)


def _weekday(token: str) -> int:
    token = token.strip()
    if token.isdigit() and 1 <= int(token) <= 7:
        return int(token)
    if token[:3] in WEEKDAYS:
        return WEEKDAYS.index(token[:3]) + 1
    raise ValueError(token)


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
        locale = fallback_locale()
        if error["type"] == "schedule_order":
            raise ConfigError(t(locale, "config.schedule_order", **error.get("ctx", {}))) from None
        name = f"{ENV_PREFIX}{str(error['loc'][0]).upper()}"
        key = f"config.bad.{name.removeprefix(ENV_PREFIX).lower()}"
        raise ConfigError(t(locale, key, var=name, value=error.get("input", ""))) from None
