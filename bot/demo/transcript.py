"""``transcript.html``: every chat of the demo as chat bubbles, readable offline.

One self-contained page (inline CSS, no scripts, no external assets). Each chat is a section:
the bot's messages on the left in their final state (after edits), with the inline buttons
that were offered under them (the tapped one marked), documents as a file chip, photos (the
digest's chart) as images embedded in the page; what people typed or tapped on the right.
Every text is HTML-escaped; the bot's formatting is rebuilt from Telegram's message
entities, never from raw markup.
"""

from __future__ import annotations

import base64
import html
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

from bot.demo.acting import SEND_METHODS, UserEvent
from bot.emulator import ApiCall, DocumentInfo, JsonDict, SentMessage
from bot.i18n import Locale, t

Rows = tuple[tuple[str, ...], ...]

_ENTITY_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "text_link": ('<span class="link">', "</span>"),
    "bot_command": ('<span class="cmd">', "</span>"),
}
"""Telegram entity types and the (safe, attribute-free) markup that shows them."""


@dataclass(frozen=True, slots=True)
class ChatInfo:
    """A chat to show: its id, a title and a line saying whose chat it is."""

    chat_id: int
    title: str
    subtitle: str
    group: bool


@dataclass(frozen=True, slots=True)
class Bubble:
    """One message or tap, ready to show; ``body`` and ``document`` are already safe HTML,
    ``photo`` is a ``data:`` URI of the image."""

    from_bot: bool
    sender: str
    at: datetime
    body: str
    buttons: Rows = ()
    tapped: frozenset[str] = frozenset()
    document: str | None = None
    photo: str | None = None
    edited: bool = False
    tap: bool = False


@dataclass(frozen=True, slots=True)
class ChatView:
    """A chat with its bubbles in order."""

    info: ChatInfo
    bubbles: tuple[Bubble, ...]


# --- from the emulator's record to bubbles ---------------------------------------------------


def build_chats(
    infos: Sequence[ChatInfo],
    sent: Sequence[SentMessage],
    calls: Sequence[ApiCall],
    events: Sequence[UserEvent],
    bot_name: str,
) -> list[ChatView]:
    """Each chat's bubbles: the bot's messages (``sent``) merged with the people's ``events``.

    ``calls`` tell how each message was first sent: its keyboard (buttons removed after a
    tap still show what was offered) and its text (a message is "edited" when that changed).
    """
    first_sent = _as_sent(calls)
    taps: dict[tuple[int, int], set[str]] = defaultdict(set)
    for event in events:
        if event.tapped_message is not None:
            taps[(event.chat_id, event.tapped_message)].add(event.text)
    placed: dict[int, list[tuple[float, int, Bubble]]] = defaultdict(list)
    for message in sent:
        key = (message.chat_id, message.message_id)
        sent_as = first_sent.get(key, _AsSent("", ()))
        bubble = _bot_bubble(message, sent_as, taps.get(key, set()), bot_name)
        placed[message.chat_id].append((float(message.message_id), 0, bubble))
    for number, event in enumerate(events, start=1):
        placed[event.chat_id].append((event.after, number, _user_bubble(event)))
    return [
        ChatView(info, tuple(item[2] for item in sorted(placed[info.chat_id], key=_order)))
        for info in infos
    ]


def _order(item: tuple[float, int, Bubble]) -> tuple[float, int]:
    return item[0], item[1]


@dataclass(frozen=True, slots=True)
class _AsSent:
    """A bot message as it was first sent: its text and inline keyboard."""

    text: str
    rows: Rows


def _as_sent(calls: Iterable[ApiCall]) -> dict[tuple[int, int], _AsSent]:
    """How each message was first sent, by (chat id, message id)."""
    first: dict[tuple[int, int], _AsSent] = {}
    for call in calls:
        if call.ok and call.method in SEND_METHODS:
            result: JsonDict = call.result
            rows = (result.get("reply_markup") or {}).get("inline_keyboard") or []
            key = (int(result["chat"]["id"]), int(result["message_id"]))
            first[key] = _AsSent(
                _message_text(result), tuple(tuple(str(b["text"]) for b in row) for row in rows)
            )
    return first


def _message_text(message: JsonDict) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _bot_bubble(message: SentMessage, sent_as: _AsSent, tapped: set[str], name: str) -> Bubble:
    raw = message.raw
    text = _message_text(raw)
    entities = raw.get("entities") or raw.get("caption_entities") or []
    current = tuple(tuple(row) for row in message.buttons)
    document = message.document
    return Bubble(
        from_bot=True,
        sender=name,
        at=message.date,
        body=entities_html(text, entities),
        buttons=current or sent_as.rows,
        tapped=frozenset(tapped),
        document=None if document is None else _file_chip(document.filename, document.content),
        photo=None if message.photo is None else _data_uri(message.photo),
        edited=text != sent_as.text,
    )


def _user_bubble(event: UserEvent) -> Bubble:
    return Bubble(
        from_bot=False,
        sender=event.sender,
        at=event.at,
        body=html.escape(event.text),
        tap=event.tapped_message is not None,
    )


def _file_chip(filename: str, content: bytes) -> str:
    size = len(content)
    shown = f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} B"
    return f"{html.escape(filename)} · {shown}"


def _data_uri(photo: DocumentInfo) -> str:
    """The image inside the page, so it stays one self-contained file."""
    return f"data:{photo.mime_type};base64,{base64.b64encode(photo.content).decode('ascii')}"


def entities_html(text: str, entities: Sequence[Mapping[str, object]]) -> str:
    """``text`` escaped, with Telegram's formatting entities (UTF-16 offsets) as tags."""
    units = text.encode("utf-16-le")
    opens: dict[int, list[str]] = defaultdict(list)
    closes: dict[int, list[str]] = defaultdict(list)
    ordered = sorted(entities, key=lambda e: (_int(e["offset"]), -_int(e["length"])))
    for entity in ordered:
        tags = _ENTITY_TAGS.get(str(entity["type"]))
        if tags is None:
            continue
        start = _int(entity["offset"])
        opens[start].append(tags[0])
        closes[start + _int(entity["length"])].insert(0, tags[1])
    bounds = sorted({0, len(units) // 2, *opens, *closes})
    pieces: list[str] = []
    for start, end in pairwise(bounds):
        pieces += [*closes.get(start, []), *opens.get(start, [])]
        pieces.append(html.escape(units[start * 2 : end * 2].decode("utf-16-le"), quote=False))
    pieces += closes.get(bounds[-1], [])
    return "".join(pieces)


def _int(value: object) -> int:
    return int(str(value))


# --- the page ------------------------------------------------------------------------------


def render_page(chats: Sequence[ChatView], locale: Locale, *, heading: str, intro: str) -> str:
    """The whole transcript page."""
    contents = "".join(
        f'<li><a href="#chat{abs(chat.info.chat_id)}">{html.escape(chat.info.title)}</a>'
        f' <span class="count">{len(chat.bubbles)}</span></li>'
        for chat in chats
    )
    sections = "".join(_section(chat, locale) for chat in chats)
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if locale == "zh_CN" else "en"}"><head>'
        f'<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{html.escape(heading)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{html.escape(heading)}</h1><p>{html.escape(intro)}</p>"
        f"<nav><h2>{html.escape(t(locale, 'demo.transcript.contents'))}</h2>"
        f"<ol>{contents}</ol></nav></header><main>{sections}</main></body></html>\n"
    )


def _section(chat: ChatView, locale: Locale) -> str:
    info = chat.info
    kind = t(locale, "demo.transcript.group" if info.group else "demo.transcript.private")
    return (
        f'<section class="chat" id="chat{abs(info.chat_id)}"><div class="chat-head">'
        f"<h2>{html.escape(info.title)}</h2>"
        f'<p><span class="kind">{html.escape(kind)}</span> {html.escape(info.subtitle)}</p>'
        f'</div><div class="log">{_log(chat, locale)}</div></section>'
    )


def _log(chat: ChatView, locale: Locale) -> str:
    """The bubbles, with a date line whenever the day changes."""
    if not chat.bubbles:
        return f'<p class="empty">{html.escape(t(locale, "demo.transcript.empty"))}</p>'
    pieces: list[str] = []
    day: date | None = None
    for bubble in chat.bubbles:
        if bubble.at.date() != day:
            day = bubble.at.date()
            pieces.append(f'<p class="day">{day.isoformat()}</p>')
        pieces.append(_bubble(bubble, chat.info.group, locale))
    return "".join(pieces)


def _bubble(bubble: Bubble, group: bool, locale: Locale) -> str:
    side = "bot" if bubble.from_bot else "user"
    sender = (
        f'<p class="sender">{html.escape(bubble.sender)}</p>' if group or bubble.from_bot else ""
    )
    edited = f" · {html.escape(t(locale, 'demo.transcript.edited'))}" if bubble.edited else ""
    stamp = f'<span class="time">{bubble.at:%H:%M}{edited}</span>'
    if bubble.tap:
        label = html.escape(t(locale, "demo.transcript.tapped"))
        return f'<div class="msg user tap">{sender}<span>{label} {bubble.body}</span>{stamp}</div>'
    photo = f'<img class="photo" alt="" src="{bubble.photo}">' if bubble.photo else ""
    document = f'<p class="file">📄 {bubble.document}</p>' if bubble.document else ""
    body = f'<div class="text">{bubble.body}</div>' if bubble.body else ""
    return (
        f'<div class="msg {side}">{sender}{photo}{document}{body}{stamp}'
        f"{_buttons(bubble.buttons, bubble.tapped)}</div>"
    )


def _buttons(rows: Rows, tapped: frozenset[str]) -> str:
    """The inline keyboard, row by row; tapped buttons are marked."""
    if not rows:
        return ""
    cells = "".join(
        f'<div class="row">{"".join(_button(label, label in tapped) for label in row)}</div>'
        for row in rows
    )
    return f'<div class="buttons">{cells}</div>'


def _button(label: str, tapped: bool) -> str:
    return f'<span class="btn{" tapped" if tapped else ""}">{html.escape(label)}</span>'


_CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 -apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",
"Microsoft YaHei",sans-serif;background:#dfe6ea;color:#1b1f23}
header{background:#2b5278;color:#fff;padding:20px 28px}
header h1{margin:0 0 6px;font-size:22px}
header p{margin:0 0 12px;opacity:.9}
nav h2{font-size:14px;margin:8px 0 4px;text-transform:uppercase;letter-spacing:.05em}
nav ol{margin:0;padding-left:20px;columns:3;column-gap:24px}
nav a{color:#fff}
nav .count{opacity:.7;font-size:12px}
main{max-width:760px;margin:0 auto;padding:16px}
.chat{background:#c8d7e1;border-radius:12px;margin:18px 0;overflow:hidden;
box-shadow:0 1px 3px rgba(0,0,0,.2)}
.chat-head{background:#fff;padding:10px 16px;border-bottom:1px solid #b9c6cf}
.chat-head h2{margin:0;font-size:17px}
.chat-head p{margin:2px 0 0;color:#5b6770;font-size:13px}
.kind{background:#e3edf5;color:#2b5278;border-radius:8px;padding:0 6px;font-size:12px}
.log{padding:10px 12px;display:flex;flex-direction:column;gap:6px}
.day{align-self:center;background:rgba(0,0,0,.25);color:#fff;border-radius:10px;
padding:1px 10px;font-size:12px;margin:6px 0}
.msg{max-width:82%;padding:6px 10px 4px;border-radius:12px;position:relative;
box-shadow:0 1px 1px rgba(0,0,0,.15)}
.msg.bot{align-self:flex-start;background:#fff;border-top-left-radius:4px}
.msg.user{align-self:flex-end;background:#e1f7cb;border-top-right-radius:4px}
.msg.tap{background:#f3fbe9;font-size:13px;color:#3c5a2a}
.sender{margin:0 0 2px;font-size:13px;font-weight:600;color:#2b7bb9}
.text{white-space:pre-wrap;word-wrap:break-word}
.time{display:block;text-align:right;font-size:11px;color:#8a959e}
.photo{display:block;max-width:100%;height:auto;margin:2px 0 4px;border-radius:8px}
.file{margin:2px 0 4px;padding:6px 10px;background:#eef3f7;border-radius:8px;font-size:14px}
.buttons{margin:6px -4px 2px}
.row{display:flex;gap:4px;margin:4px 0}
.btn{flex:1;text-align:center;background:#e8eef3;color:#2b5278;border-radius:8px;
padding:5px 6px;font-size:13px}
.btn.tapped{background:#2b7bb9;color:#fff}
.btn.tapped::before{content:"✓ "}
.cmd,.link{color:#2b7bb9}
.spoiler{background:#ccc}
pre,code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.empty{color:#5b6770;text-align:center}
"""
