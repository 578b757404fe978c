"""Replies during a fan-out: the morning prompt goes to thousands of workers while others keep
asking the bot ``/status``; the emulator enforces Telegram's flood limits (HTTP 429 with
``retry_after`` over them).

The emulator and the simulated people run in a process of their own (:mod:`bench.people`),
as Telegram and its users are elsewhere in production: this process holds the bot alone, so
its CPU is the bot's. Measures each reply's latency (the worker sends, the bot's answer
arrives), the fan-out's rate, every message Telegram received meanwhile, prompts lost or
doubled, the 429s the bot received, and the bot's CPU per message."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any

from bench.world import LAST_DAY, TOKEN, TZ, district, file_today, roster_rows
from bot.app import running_bot


class People:
    """The other process: the emulator and the simulated people (:mod:`bench.people`)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, prompts: int, repliers: int) -> People:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.people",
            str(prompts),
            str(repliers),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def tell(self, *words: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((" ".join(map(str, words)) + "\n").encode())
        await self.process.stdin.drain()

    async def answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            raise SystemExit("the emulator's process ended early")
        answer: dict[str, Any] = json.loads(line)
        return answer


async def replies_during_fanout(prompts: int, repliers: int) -> dict[str, Any]:
    """The figures of one run."""
    day = LAST_DAY + timedelta(days=1)
    people = await People.start(prompts, repliers)
    url = (await people.answer())["url"]
    grids = prompts + repliers
    async with district(grids, 1, api_base_url=url) as (deps, clock):
        await file_today(deps, [row.grid_code for row in roster_rows(grids)[prompts:]], day)
        clock.set(datetime.combine(day, clock_time(8), tzinfo=TZ))
        async with running_bot(deps, TOKEN, schedule=False) as bot:
            await people.tell("ask")
            await asyncio.sleep(2)  # the askers are under way before the fan-out starts
            started, cpu = time.monotonic(), time.process_time()
            await bot.outbound.runner.tick()
            ended, cpu = time.monotonic(), time.process_time() - cpu
            await people.tell("done", started, ended)
            seen = await people.answer()
        await people.tell("quit")
    await people.process.wait()
    elapsed = ended - started
    return {
        "prompts": prompts,
        "fanout_s": elapsed,
        "fanout_per_s": seen["delivered"] / elapsed,
        "sent_per_s": seen["sent_during_fanout"] / elapsed,
        "bot_cpu_s": cpu,
        "bot_cpu_ms_per_message": 1000 * cpu / seen["sent_during_fanout"],
        **{key: value for key, value in seen.items() if key != "delivered"},
    }
