"""The Mini App in tests: the bot with its web server on a free loopback port, and a client
that calls the page's API the way the page does (``Authorization: tma <initData>``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from harness import Harness, started

from bot.clock import ManualClock
from bot.config import Settings
from bot.emulator import BotApiEmulator, SimUser

PUBLIC_URL = "https://grid.example.org/gridbot/"
"""What GRIDBOT_WEBAPP_URL says in tests (the emulator, like Telegram, wants https)."""
BUTTON_ZH = "📱 一屏填报"
BUTTON_EN = "📱 Fill in on one screen"


def with_page(settings: Settings, port: int = 0) -> Settings:
    """``settings`` with the Mini App on: the public URL set, served on 127.0.0.1:``port``
    (0: any free port)."""
    return settings.model_copy(update={"webapp_url": PUBLIC_URL, "webapp_port": port})


@pytest.fixture
async def bot(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Harness]:
    """The real bot with the sample roster, serving the Mini App on a free loopback port."""
    harness = Harness(emulator, clock, tmp_path / "gridbot.sqlite3")
    harness.settings = with_page(harness.settings)
    async with started(harness):
        yield harness


def page_url(bot: Harness) -> str:
    """Where the page really is (the public URL would be the reverse proxy in front of it)."""
    server = bot.running.webapp
    assert server is not None, "the web server is not running"
    return server.local_url


@dataclass
class Reply:
    """An API answer: HTTP status and JSON body."""

    status: int
    data: dict[str, Any]

    @property
    def error(self) -> str:
        return str(self.data.get("error", ""))


class PageClient:
    """Calls the API as the page does, with one user's ``initData``."""

    def __init__(self, bot: Harness, init_data: str, lang: str = "zh-hans") -> None:
        self.base = page_url(bot)
        self.headers = {"Authorization": f"tma {init_data}", "Accept-Language": lang}
        self.grid_id: int | None = None

    async def call(self, path: str, **body: Any) -> Reply:
        payload = {"grid_id": self.grid_id, **body}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base}api/{path}", json=payload, headers=self.headers) as response,
        ):
            return Reply(response.status, await response.json())

    async def open(self) -> Reply:
        """``api/form``, remembering the grid as the page does."""
        reply = await self.call("form")
        if reply.status == 200:
            self.grid_id = reply.data["grid"]["id"]
        return reply

    async def answer(self, key: str, value: str) -> Reply:
        return await self.call("answer", key=key, value=value)


async def open_page(bot: Harness, user: SimUser, button: str = BUTTON_ZH) -> PageClient:
    """``user`` taps the Mini App button of their latest message with it; the page opens."""
    launch = user.open_web_app(button)
    assert launch.url == PUBLIC_URL
    lang = str(user.user.get("language_code") or "")
    client = PageClient(bot, launch.init_data, lang)
    reply = await client.open()
    assert reply.status == 200, reply
    return client
