"""Message text and keyboard handling the way Telegram does it: HTML entities, limits, buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.emulator._records import JsonDict, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHAR_REF = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_ATTRIBUTE = re.compile(r"""([a-zA-Z_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_SPECIAL = re.compile(r"[<&]")
_WHITESPACE = re.compile(r"\s")
_COMMAND = re.compile(r"(?:^|(?<=\s))/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@/])")
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


class EntityParseError(Exception):
    """Malformed markup; the message becomes ``can't parse entities: <message>``."""


@dataclass(slots=True)
class _OpenTag:
    name: str
    start: int
    attributes: dict[str, str]
    language: str | None = None


@dataclass(slots=True)
class _HtmlParser:
    """A single pass over Telegram-flavoured HTML, producing plain text and entities."""

    source: str
    pieces: list[str] = field(default_factory=list)
    length: int = 0
    stack: list[_OpenTag] = field(default_factory=list)
    entities: list[JsonDict] = field(default_factory=list)

    def run(self) -> tuple[str, list[JsonDict]]:
        position = 0
        while (match := _SPECIAL.search(self.source, position)) is not None:
            self._emit(self.source[position : match.start()])
            if match.group() == "&":
                position = self._char_ref(match.start())
            else:
                position = self._tag(match.start())
        self._emit(self.source[position:])
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.pieces), self.entities

    def _emit(self, text: str) -> None:
        if text:
            self.pieces.append(text)
            self.length += utf16_len(text)

    def _byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode())

    def _char_ref(self, index: int) -> int:
        match = _CHAR_REF.match(self.source, index)
        decoded = _decode_char_ref(match) if match else None
        if match is None or decoded is None:
            self._emit("&")
            return index + 1
        self._emit(decoded)
        return match.end()

    def _tag(self, index: int) -> int:
        end = self.source.find(">", index)
        if end == -1:
            raise EntityParseError(f"Unclosed start tag at byte offset {self._byte_offset(index)}")
        inner = self.source[index + 1 : end]
        if inner.startswith("/"):
            self._close(inner[1:].strip().lower(), index)
        else:
            self._open(inner, index)
        return end + 1

    def _open(self, inner: str, index: int) -> None:
        raw_name = _WHITESPACE.split(inner, maxsplit=1)[0]
        name, rest = raw_name.lower(), inner[len(raw_name) :]
        if name not in _TAG_TYPES:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {self._byte_offset(index)}'
            )
        attributes = _parse_attributes(rest)
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self._byte_offset(index)}'
            )
        self.stack.append(_OpenTag(name, self.length, attributes))

    def _close(self, name: str, index: int) -> None:
        offset = self._byte_offset(index)
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
        tag = self.stack[-1]
        if name != tag.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
                f'found "</{name}>"'
            )
        self.stack.pop()
        language = tag.attributes.get("class", "").removeprefix("language-")
        if tag.name == "code" and self.stack and self.stack[-1].name == "pre" and language:
            self.stack[-1].language = language
            return
        self._add_entity(tag)

    def _add_entity(self, tag: _OpenTag) -> None:
        length = self.length - tag.start
        if length <= 0:
            return
        entity: JsonDict = {"type": _TAG_TYPES[tag.name], "offset": tag.start, "length": length}
        if tag.name == "a":
            if "href" not in tag.attributes:
                return
            entity["url"] = tag.attributes["href"]
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and "expandable" in tag.attributes:
            entity["type"] = "expandable_blockquote"
        self.entities.append(entity)


def _decode_char_ref(match: re.Match[str]) -> str | None:
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        return _NAMED_ENTITIES.get(name)
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _parse_attributes(text: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name, double, single, bare = match.groups()
        attributes[name.lower()] = double or single or bare or ""
    return attributes


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Plain text and entities of an HTML-formatted text; raises EntityParseError."""
    return _HtmlParser(source).run()


def _strip(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Trim surrounding whitespace like Telegram, shifting and clipping the entities."""
    stripped = text.strip()
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    kept: list[JsonDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def format_text(
    source: str, parse_mode: str | None, entities: list[JsonDict] | None
) -> tuple[str, list[JsonDict]]:
    """Apply ``parse_mode`` (only HTML is checked; Markdown passes through unparsed)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            text, found = parse_html(source)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    elif mode in ("", "markdown", "markdownv2"):
        text, found = source, list(entities or [])
    else:
        raise bad_request("unsupported parse_mode")
    return _strip(text, found)


def message_text(
    source: str | None, parse_mode: str | None, entities: list[JsonDict] | None
) -> tuple[str, list[JsonDict]]:
    """Parse and validate a message text (sendMessage, editMessageText)."""
    text, found = format_text(source or "", parse_mode, entities)
    if not text:
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, found


def caption_text(
    source: str | None, parse_mode: str | None, entities: list[JsonDict] | None
) -> tuple[str, list[JsonDict]]:
    """Parse and validate a caption; an empty caption is allowed."""
    text, found = format_text(source or "", parse_mode, entities)
    if utf16_len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return text, found


def command_entities(text: str) -> list[JsonDict]:
    """``bot_command`` entities for every /command in a user's text, as Telegram marks them."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


def leading_command(text: str) -> tuple[str, str | None] | None:
    """``(command, @username or None)`` when the text starts with a bot command."""
    match = _COMMAND.match(text)
    if match is None:
        return None
    command, _, username = match.group()[1:].partition("@")
    return command, username or None


def validate_markup(markup: Any, *, inline_only: bool = False) -> JsonDict | None:
    """Check a reply_markup value; returns it (a dict) or None when absent."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        for row in _rows(markup["inline_keyboard"]):
            for button in row:
                _validate_inline_button(button)
    elif inline_only:
        raise bad_request("inline keyboard expected")
    elif "keyboard" in markup:
        _rows(markup["keyboard"])
    return markup


def _rows(rows: Any) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return rows


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    if not button.get("text"):
        raise bad_request("BUTTON_TEXT_INVALID")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    elif "web_app" in button:
        url = button["web_app"].get("url") if isinstance(button["web_app"], dict) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            raise bad_request("BUTTON_URL_INVALID")
    elif len(button) == 1:
        raise bad_request("text buttons are unallowed in the inline keyboard")


def inline_rows(markup: JsonDict | None) -> list[list[JsonDict]]:
    """The inline keyboard's buttons, or no rows."""
    if markup is None:
        return []
    rows: list[list[JsonDict]] = markup.get("inline_keyboard", [])
    return rows


def keyboard_texts(markup: JsonDict | None) -> list[list[str]]:
    """Button texts of a reply keyboard (buttons may be plain strings or objects)."""
    if markup is None:
        return []
    rows: list[list[Any]] = markup.get("keyboard", [])
    return [[b if isinstance(b, str) else str(b.get("text", "")) for b in row] for row in rows]


def validate_commands(commands: Any) -> list[tuple[str, str]]:
    """setMyCommands' list as ``(command, description)`` pairs."""
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    pairs: list[tuple[str, str]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command, description = str(item.get("command", "")), str(item.get("description", ""))
        if not _COMMAND_NAME.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        pairs.append((command, description))
    return pairs
