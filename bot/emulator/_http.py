"""The HTTP face of the emulator: Telegram's URL layout, wire formats and response envelope."""

from __future__ import annotations

import json
import time
from typing import Any

from aiohttp import web

from bot.emulator._api import BotApi, Params
from bot.emulator._records import ApiCall, ApiError, Fault, JsonDict, UploadedFile, bad_request
from bot.emulator._state import EmulatorState

MAX_UPLOAD = 50 * 1024 * 1024
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "menu_button",
        "link_preview_options",
        "reply_parameters",
        "media",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "from_chat_id",
        "until_date",
        "max_connections",
    }
)
_NUMBER_FIELDS = frozenset({"timeout"})
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "revoke_messages",
        "is_personal",
    }
)


def decode_params(raw: dict[str, Any]) -> JsonDict:
    """Undo PTB's wire encoding: JSON-encoded complex values, numbers and booleans as strings."""
    return {name: _decode(name, value) for name, value in raw.items()}


def _decode(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    if name in _BOOL_FIELDS and value in ("true", "false"):
        return value == "true"
    if name in _INT_FIELDS or name in _NUMBER_FIELDS:
        return _number(value, allow_float=name in _NUMBER_FIELDS)
    return value


def _number(value: str, *, allow_float: bool) -> int | float | str:
    try:
        return int(value)
    except ValueError:
        pass
    if allow_float:
        try:
            return float(value)
        except ValueError:
            pass
    return value


async def read_params(request: web.Request) -> JsonDict:
    """Parameters from the query string plus a form, multipart or JSON body."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name, value in (await request.post()).items():
            raw[name] = _upload(value) if isinstance(value, web.FileField) else value
    elif request.content_type == "application/json" and request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON body") from None
        if not isinstance(body, dict):
            raise bad_request("can't parse JSON body")
        raw.update(body)
    return decode_params(raw)


def _upload(field: web.FileField) -> UploadedFile:
    return UploadedFile(
        filename=field.filename or "file",
        content_type=field.content_type,
        content=field.file.read(),
    )


class HttpFrontend:
    """Routes ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` to the emulator."""

    def __init__(self, state: EmulatorState, api: BotApi) -> None:
        self.state = state
        self.api = api

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        return app

    async def handle_method(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = self.api.canonical(request.match_info["method"])
        self.state.tokens_seen.add(token)
        params: JsonDict = {}
        fault: Fault | None = None
        try:
            params = await read_params(request)
            fault = self.state.take_fault(method)
            if fault is not None:
                await self._apply_fault(fault)
            self._admit(method, params)
            result = await self.api.call(method, Params(params))
        except ApiError as error:
            injected = fault is not None
            self._record(token, method, params, error.status, error.description, None, injected)
            return web.json_response(error.payload(), status=error.status)
        self._record(token, method, params, 200, None, result, fault is not None)
        return web.json_response({"ok": True, "result": result})

    def _admit(self, method: str, params: JsonDict) -> None:
        """Refuse a send over Telegram's flood limits (when the emulator enforces them)."""
        limits = self.state.limits
        if limits is not None:
            chat_id = params.get("chat_id")
            chat = self.state.chats.get(chat_id) if isinstance(chat_id, int) else None
            limits.admit(method, chat_id, chat is not None and chat.type != "private")

    async def _apply_fault(self, fault: Fault) -> None:
        """Hold the request for the fault's delay, then fail it if it carries a status."""
        if fault.delay:
            await self.state.pause(fault.delay)
        error = fault.error()
        if error is not None:
            raise error

    def _record(
        self,
        token: str,
        method: str,
        params: JsonDict,
        status: int,
        description: str | None,
        result: Any,
        injected: bool,
    ) -> None:
        call = ApiCall(
            method=method,
            params=params,
            status=status,
            description=description,
            result=result,
            time=time.monotonic(),
            token=token,
            injected=injected,
        )
        self.state.record(call)

    async def handle_file(self, request: web.Request) -> web.Response:
        self.state.tokens_seen.add(request.match_info["token"])
        stored = self.state.file_by_path(request.match_info["path"])
        if stored is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            return web.json_response(body, status=404)
        self.state.downloads.append(stored.file_path)
        return web.Response(body=stored.content, content_type=stored.mime_type)
