"""Replies during a fan-out: the morning prompt goes to thousands of workers while others keep
asking the bot ``/status``; the emulator enforces Telegram's flood limits (HTTP 429 with
``retry_after`` over them). Measures each reply's latency (the worker sends, the bot's answer
arrives), the fan-out's rate, prompts lost or doubled, and the 429s the bot received."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any

from bench.world import LAST_DAY, TOKEN, TZ, WORKER_IDS, district, file_today, roster_rows
from bot.app import running_bot
from bot.emulator import BotApiEmulator, SimUser, TelegramLimits

REPLY_PAUSE = 1.2
"""Seconds a worker waits after the bot's answer before asking again."""


async def ask_repeatedly(user: SimUser, latencies: list[float], done: asyncio.Event) -> None:
    """``/status`` again and again until the fan-out is over; each answer's latency kept."""
    while not done.is_set():
        started = time.monotonic()
        await user.send("/status")
        await user.wait_for_message(1, timeout=120)
        latencies.append(time.monotonic() - started)
        await asyncio.sleep(REPLY_PAUSE)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def replies_during_fanout(prompts: int, repliers: int) -> dict[str, Any]:
    """The figures of one run."""
    day = LAST_DAY + timedelta(days=1)
    limits = TelegramLimits()
    async with BotApiEmulator(limits=limits) as emu:
        grids = prompts + repliers
        users = [emu.add_user(WORKER_IDS + n, f"网格员{n}") for n in range(grids)]
        async with district(grids, 1, api_base_url=emu.url) as (deps, clock):
            askers = users[prompts:]
            await file_today(deps, [row.grid_code for row in roster_rows(grids)[prompts:]], day)
            clock.set(datetime.combine(day, clock_time(8), tzinfo=TZ))
            async with running_bot(deps, TOKEN, schedule=False) as bot:
                latencies: list[float] = []
                done = asyncio.Event()
                asking = [
                    asyncio.create_task(ask_repeatedly(user, latencies, done)) for user in askers
                ]
                await asyncio.sleep(2)  # the askers are under way before the fan-out starts
                started = time.monotonic()
                await bot.outbound.runner.tick()
                elapsed = time.monotonic() - started
                done.set()
                await asyncio.gather(*asking)
    per_chat = Counter(len(emu.send_times(user.id)) for user in users[:prompts])
    return {
        "prompts": prompts,
        "fanout_s": elapsed,
        "fanout_per_s": per_chat[1] / elapsed,
        "lost": prompts - sum(count for sends, count in per_chat.items() if sends >= 1),
        "doubled": sum(count for sends, count in per_chat.items() if sends > 1),
        "http_429": limits.refused,
        "replies": len(latencies),
        "reply_p50_ms": 1000 * statistics.median(latencies),
        "reply_p99_ms": 1000 * percentile(latencies, 0.99),
        "reply_max_ms": 1000 * max(latencies),
    }
