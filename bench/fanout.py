"""Benchmark: the morning prompt fanned out to many workers, through the real application.

The real scheduler tick, courier, send log and two-lane rate limiter send to the Bot API emulator
on 127.0.0.1. Reports how long the fan-out took, the send rate, the busiest second (Telegram
allows about 30 messages a second overall) and that every worker got exactly one prompt.

    .venv/bin/python bench/fanout.py --workers 300
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import running_bot
from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import open_dependencies
from bot.domain.roster import parse_roster
from bot.emulator import BotApiEmulator

TOKEN = "7000000001:BENCH"
DAY = date(2026, 11, 23)
HEADER = "area,grid_code,grid_name,worker_name,worker_username,worker_id,households,population\n"


def roster(workers: int) -> bytes:
    """One worker per grid, ten grids per community."""
    rows = [
        f"街道/社区{n // 10},G-{n:05d},网格{n},网格员{n},,{800_000_000 + n},300,900\n"
        for n in range(workers)
    ]
    return (HEADER + "".join(rows)).encode()


async def fan_out(workers: int) -> None:
    tz = ZoneInfo("Asia/Shanghai")
    clock = ManualClock(datetime.combine(DAY, clock_time(8, 0), tzinfo=tz))
    async with BotApiEmulator(clock=clock.now) as emu:
        users = [emu.add_user(800_000_000 + n, f"网格员{n}") for n in range(workers)]
        with tempfile.TemporaryDirectory() as folder:
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                token=TOKEN,
                api_base_url=emu.url,
                db=Path(folder) / "bench.sqlite3",
            )
            async with open_dependencies(settings, clock) as deps:
                rows = parse_roster("roster.csv", roster(workers)).rows
                await deps.db.roster.apply(rows, actor=None, at=clock.now())
                async with running_bot(deps, TOKEN, schedule=False) as bot:
                    started = time.monotonic()
                    await bot.outbound.runner.tick()
                    elapsed = time.monotonic() - started
    report(workers, elapsed, [emu.send_times(user.id) for user in users])


def report(workers: int, elapsed: float, sends: list[list[float]]) -> None:
    per_chat = Counter(len(times) for times in sends)
    stamps = sorted(stamp for times in sends for stamp in times)
    busiest = max(Counter(int(stamp - stamps[0]) for stamp in stamps).values()) if stamps else 0
    print(f"workers: {workers}")
    print(f"prompts delivered: {len(stamps)} (chats with exactly one: {per_chat[1]})")
    print(f"fan-out time: {elapsed:.1f} s, {len(stamps) / elapsed:.1f} messages/s")
    print(f"busiest second: {busiest} messages (Telegram's overall limit is about 30/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=300)
    asyncio.run(fan_out(parser.parse_args().workers))


if __name__ == "__main__":
    main()
