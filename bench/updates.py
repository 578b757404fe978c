"""Per-update CPU: workers file a detailed report through gridbot, and the very same updates go
through a bare python-telegram-bot application that answers each with fixed text. Both talk
to :class:`NullNetwork` (a Bot API that answers at once), so what is measured is each
application's own work per update, including gridbot's database in its worker thread."""

from __future__ import annotations

import time
import warnings
from datetime import datetime, timedelta
from datetime import time as clock_time
from itertools import count
from typing import Any

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from bench.nullnet import NullNetwork
from bench.world import LAST_DAY, TOKEN, TZ, WORKER_IDS, district
from bot.app import build_application
from bot.outbound.lanes import FAST_FORWARD_CHAT_LIMITS

PRESS_ORDER = ("✅ 提交", "✅ 无异常情况", "✅ 确认无误", "跳过")
"""Buttons a worker taps when the bot offers them, in this order of preference; otherwise
they type 0. Tapping submit ends the report."""


class Walker:
    """Builds the updates of simulated workers from what the bot last sent them."""

    def __init__(self) -> None:
        self._update_ids = count(1)
        self._message_ids = count(1_000_000)

    def user(self, uid: int) -> dict[str, Any]:
        return {
            "id": uid,
            "is_bot": False,
            "first_name": f"网格员{uid}",
            "language_code": "zh-hans",
        }

    def text(self, uid: int, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": uid, "type": "private", "first_name": f"网格员{uid}"},
            "from": self.user(uid),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return {"update_id": next(self._update_ids), "message": message}

    def press(self, uid: int, message: dict[str, Any], data: str) -> dict[str, Any]:
        query = {
            "id": str(next(self._update_ids)),
            "from": self.user(uid),
            "chat_instance": str(uid),
            "message": message,
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def next_step(self, uid: int, last: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The worker's next update and whether it ends the report."""
        buttons = {
            button["text"]: button.get("callback_data")
            for row in last.get("reply_markup", {}).get("inline_keyboard", [])
            for button in row
        }
        for label in PRESS_ORDER:
            if buttons.get(label):
                return self.press(uid, last, str(buttons[label])), label == PRESS_ORDER[0]
        return self.text(uid, "0"), False


warnings.filterwarnings("ignore", "Please use 'Bot.", PTBUserWarning)

Calls = list[tuple[str, dict[str, Any]]]
"""The Bot API calls an application made for one update: method and parameters."""


async def gridbot_updates(
    workers: int, history: int
) -> tuple[list[float], list[tuple[dict[str, Any], Calls]]]:
    """CPU seconds of each update as gridbot processes it, and the updates themselves with the
    Bot API calls gridbot made for each."""
    cpu: list[float] = []
    recorded: list[tuple[dict[str, Any], Calls]] = []
    network = NullNetwork()
    walker = Walker()
    async with district(max(workers, 1000), history) as (deps, clock):
        clock.set(datetime.combine(LAST_DAY + timedelta(days=1), clock_time(10), tzinfo=TZ))
        # The null network is not Telegram: pacing each chat at a message a second would only
        # make the run wait (minutes of wall time, no CPU); the overall 30 a second still holds.
        application = build_application(
            deps, TOKEN, request=network, chat_limits=FAST_FORWARD_CHAT_LIMITS
        ).application
        async with application:
            for n in range(workers):
                uid = WORKER_IDS + n
                data, done = walker.text(uid, "/report"), False
                for _ in range(40):
                    update = Update.de_json(data, application.bot)
                    before = len(network.calls)
                    started = time.process_time()
                    await application.process_update(update)
                    cpu.append(time.process_time() - started)
                    recorded.append((data, network.calls[before:]))
                    if done:
                        break
                    data, done = walker.next_step(uid, network.last[uid])
    return cpu, recorded


async def bare_updates(
    recorded: list[tuple[dict[str, Any], Calls]], *, same_replies: bool = False
) -> list[float]:
    """CPU seconds of each of the same updates through a bare PTB application that answers
    with fixed text, or (``same_replies``) makes the very calls gridbot made for it: the same
    texts and keyboards, without deciding anything."""
    replies = {data["update_id"]: calls for data, calls in recorded}

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if same_replies:  # PTB would warn that each has a method of its own: same request
            for method, params in replies[update.update_id]:
                returns = Message if "reply_markup" in params or method == "sendMessage" else None
                await context.bot.do_api_request(method, api_kwargs=params, return_type=returns)
            return
        if update.callback_query is not None:
            await update.callback_query.answer()
        if update.effective_chat is not None:
            await update.effective_chat.send_message("ok")

    application = Application.builder().token(TOKEN).request(NullNetwork()).build()
    application.add_handler(MessageHandler(filters.ALL, reply))
    application.add_handler(CallbackQueryHandler(reply))
    cpu = []
    async with application:
        for data, _ in recorded:
            update = Update.de_json(data, application.bot)
            started = time.process_time()
            await application.process_update(update)
            cpu.append(time.process_time() - started)
    return cpu


BARE_RUNS = 5
"""The bare application handles the recorded updates this many times; the median run counts
(its fraction of a millisecond per update is easily doubled by a busy neighbour)."""


async def median_run(recorded: list[tuple[dict[str, Any], Calls]], **how: bool) -> list[float]:
    """The CPU seconds per update of the bare application's median run of :data:`BARE_RUNS`."""
    runs = sorted([await bare_updates(recorded, **how) for _ in range(BARE_RUNS)], key=sum)
    return runs[len(runs) // 2]


async def per_update(workers: int, history: int) -> dict[str, float]:
    """CPU per update of both applications and their ratio; of the bare application making
    gridbot's very calls (the part of gridbot's figure that is PTB sending them); and of
    gridbot's first update, the first message after a start (what the bot reads once)."""
    mine, recorded = await gridbot_updates(workers, history)
    bare, same = await median_run(recorded), await median_run(recorded, same_replies=True)
    return {
        "updates": len(recorded),
        "gridbot_cpu_ms": 1000 * sum(mine) / len(mine),
        "bare_ptb_cpu_ms": 1000 * sum(bare) / len(bare),
        "ratio": sum(mine) / sum(bare),
        "bare_same_calls_cpu_ms": 1000 * sum(same) / len(same),
        "first_update_cpu_ms": 1000 * mine[0],
    }
