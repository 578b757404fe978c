"""A demo worker who fills in the whole report on one screen (the Mini App), without a
browser (where there is one, :mod:`bot.demo.browser` drives the page itself).

The worker taps the bot's "fill in on one screen" button (the emulator, as Telegram would,
hands over ``initData`` signed for the bot) and then does what the page's script does, over
HTTP to the bot's own web server: load the form, send each answer as it is typed
(conditional questions only once they appear), the incident, and submit. The chat then shows
the tap and the bot's confirmation, as in Telegram.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.demo.lines import IncidentLine
from bot.demo.world import pick
from bot.i18n import Locale


class PageRefused(Exception):
    """The page's API said no: the demo's script and the bot disagree."""


class PageSession:
    """The page's API calls, with one worker's ``initData``."""

    def __init__(self, http: aiohttp.ClientSession, url: str, init_data: str, lang: str) -> None:
        self.http = http
        self.url = url
        self.headers = {"Authorization": f"tma {init_data}", "Accept-Language": lang}
        self.grid_id: int | None = None

    async def call(self, path: str, **body: Any) -> dict[str, Any]:
        payload = {"grid_id": self.grid_id, **body}
        async with self.http.post(
            f"{self.url}api/{path}", json=payload, headers=self.headers
        ) as response:
            data: dict[str, Any] = await response.json()
            if response.status != 200:
                raise PageRefused(f"api/{path} answered {response.status}: {data.get('error')}")
            return data


async def fill_in_on_one_screen(
    url: str,
    init_data: str,
    locale: Locale,
    answers: Mapping[str, str],
    incident: IncidentLine | None,
) -> int:
    """Fill in and submit the day's report in the page; returns how many answers it took."""
    lang = "zh-hans" if locale == "zh_CN" else "en"
    async with aiohttp.ClientSession() as http:
        page = PageSession(http, url, init_data, lang)
        opened = await page.call("form")
        page.grid_id = opened["grid"]["id"]
        form, state = opened["form"], opened["state"]
        typed = 0
        for opening in form["openings"]:
            state = (await page.call("answer", key=opening["key"], value=answers[opening["key"]]))[
                "state"
            ]
            typed += 1
        questions = [field["key"] for field in form["fields"] if field["kind"] != "stock"]
        while (key := _next_shown(questions, state)) is not None:
            reply = await page.call("answer", key=key, value=answers.get(key, "0"))
            state, typed = reply["state"], typed + 1
            state["values"].setdefault(key, "")
        if incident is not None:
            line = {
                "category": incident.category,
                "urgent": incident.urgent,
                "description": pick(incident.description, locale),
            }
            await page.call("incidents", incidents=[line])
        await page.call("submit", confirm=True)
    return typed


def _next_shown(questions: list[str], state: Mapping[str, Any]) -> str | None:
    """The first question on the page (shown now) that has no answer yet."""
    shown = set(state["asked"])
    return next((key for key in questions if key in shown and key not in state["values"]), None)
