"""Telegram's side of the replies case, in a process of its own: the Bot API emulator
(enforcing Telegram's flood limits) and the simulated people, so the bot's process holds only
the bot, as in production where Telegram and its users are elsewhere.

``python -m bench.people PROMPTS REPLIERS`` prints the emulator's URL, then follows the lines
the bot's side writes on its standard input: ``ask`` (the repliers start asking ``/status``),
``done START END`` (the fan-out ran between these ``time.monotonic()`` readings: the repliers
stop and the figures are printed as JSON) and ``quit``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from typing import Any

from bench.world import WORKER_IDS
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


async def command() -> list[str]:
    """The next line from the bot's side, split into words."""
    return (await asyncio.to_thread(sys.stdin.readline)).split()


def figures(
    emu: BotApiEmulator,
    users: list[SimUser],
    prompts: int,
    latencies: list[float],
    window: tuple[float, float],
) -> dict[str, Any]:
    """What Telegram saw: prompts lost or doubled, every message sent during the fan-out,
    the replies' latencies."""
    per_chat = Counter(len(emu.send_times(user.id)) for user in users[:prompts])
    during = sum(
        window[0] <= stamp <= window[1] for user in users for stamp in emu.send_times(user.id)
    )
    return {
        "delivered": per_chat[1],
        "lost": prompts - sum(count for sends, count in per_chat.items() if sends >= 1),
        "doubled": sum(count for sends, count in per_chat.items() if sends > 1),
        "sent_during_fanout": during,
        "replies": len(latencies),
        "reply_p50_ms": 1000 * statistics.median(latencies),
        "reply_p99_ms": 1000 * percentile(latencies, 0.99),
        "reply_max_ms": 1000 * max(latencies),
        "people_cpu_s": time.process_time(),
    }


async def main(prompts: int, repliers: int) -> None:
    limits = TelegramLimits()
    async with BotApiEmulator(limits=limits) as emu:
        users = [emu.add_user(WORKER_IDS + n, f"网格员{n}") for n in range(prompts + repliers)]
        print(json.dumps({"url": emu.url}), flush=True)
        assert await command() == ["ask"]
        latencies: list[float] = []
        done = asyncio.Event()
        asking = [
            asyncio.create_task(ask_repeatedly(user, latencies, done)) for user in users[prompts:]
        ]
        words = await command()
        assert words[0] == "done"
        done.set()
        await asyncio.gather(*asking)
        window = (float(words[1]), float(words[2]))
        result = figures(emu, users, prompts, latencies, window)
        print(json.dumps({**result, "http_429": limits.refused}), flush=True)
        assert await command() == ["quit"]


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
