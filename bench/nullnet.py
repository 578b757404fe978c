"""A Bot API that answers at once, in process: what is left of a send is the bot's own work.

It remembers the last message sent to each chat (text and buttons), so a benchmark can walk a
conversation: read the question, type an answer or tap a button.
"""

from __future__ import annotations

import json
from itertools import count
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "gridbot", "username": "bench_bot"}


class NullNetwork(BaseRequest):
    """Every method succeeds immediately; sends come back as plausible messages."""

    def __init__(self) -> None:
        self.last: dict[int, dict[str, Any]] = {}
        self.sends = 0
        self.calls: list[tuple[str, dict[str, Any]]] = []
        """Every call but ``getMe``: its method and parameters, as sent."""
        self._ids = count(1)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *_: Any, **__: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = {} if request_data is None else request_data.parameters
        if name != "getMe":
            self.calls.append((name, params))
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> object:
        if name == "getMe":
            return BOT_USER
        if name in {"sendMessage", "editMessageText", "sendDocument"}:
            return self._message(params)
        if name == "getUpdates":
            return []
        return True

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._ids)),
            "date": 0,
            "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup"},
            "from": BOT_USER,
            "text": str(params.get("text", "")),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if markup:
            message["reply_markup"] = markup
        self.last[chat] = message
        self.sends += 1
        return message
