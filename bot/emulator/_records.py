"""Value types the emulator records and hands to tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

JsonDict: TypeAlias = dict[str, Any]
"""A Telegram object as plain JSON (Message, Update, Chat...)."""


class ApiError(Exception):
    """A Bot API failure, answered as ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file known to the emulator, reachable by getFile and the download route."""

    file_id: str
    file_unique_id: str
    file_path: str
    filename: str
    mime_type: str
    content: bytes = field(repr=False)

    def as_document(self) -> JsonDict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.filename,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """The document of a message the bot sent."""

    filename: str
    content: bytes = field(repr=False)
    caption: str | None
    mime_type: str
    file_id: str


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A snapshot of a bot message in its current state (after edits).

    ``text`` is the string as the bot sent it (HTML markup included when ``parse_mode`` is HTML);
    ``plain_text`` is what the user sees. Documents have ``text`` None and a ``document``;
    photos have ``text`` None and a ``photo`` (the uploaded file, its caption).
    ``buttons``/``callback_data`` describe the inline keyboard, ``keyboard`` a reply keyboard.
    """

    message_id: int
    chat_id: int
    text: str | None
    plain_text: str | None
    parse_mode: str | None
    reply_markup: JsonDict | None
    buttons: list[list[str]]
    callback_data: list[str]
    keyboard: list[list[str]]
    document: DocumentInfo | None
    edits: int
    date: datetime
    deleted: bool
    raw: JsonDict = field(repr=False)
    photo: DocumentInfo | None = None


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API request and how it was answered."""

    method: str
    params: JsonDict
    status: int
    description: str | None
    result: Any = field(repr=False)
    time: float
    token: str
    injected: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def outcome(self) -> str:
        return "ok" if self.ok else f"{self.status} {self.description}"


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """An answerCallbackQuery call for a simulated press."""

    query_id: str
    user_id: int
    data: str | None
    text: str | None
    show_alert: bool
    url: str | None


@dataclass(frozen=True, slots=True)
class UserAction:
    """What a simulated user did.

    ``payload`` is the Message or CallbackQuery created; ``update_id`` is None when Telegram
    would not deliver it to the bot (a plain group message while group privacy mode is on).
    """

    kind: str
    payload: JsonDict
    update_id: int | None

    @property
    def message_id(self) -> int | None:
        if self.kind == "message":
            return int(self.payload["message_id"])
        message = self.payload.get("message")
        return None if message is None else int(message["message_id"])


@dataclass(slots=True)
class Fault:
    """A failure injected with ``fail_next``; ``remaining`` counts down per affected call."""

    status: int | None
    retry_after: int | None
    delay: float | None
    description: str | None
    remaining: int

    def error(self) -> ApiError | None:
        if self.status is None:
            return None
        description = self.description or _default_description(self.status, self.retry_after)
        return ApiError(self.status, description, retry_after=self.retry_after)


def _default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after}"
    phrases = {
        400: "Bad Request: injected failure",
        403: "Forbidden: injected failure",
        409: "Conflict: injected failure",
        500: "Internal Server Error",
        502: "Bad Gateway",
        504: "Gateway Timeout",
    }
    return phrases.get(status, f"Error {status}")
