"""Chaos: a real ``gridbot run`` process is SIGKILLed again and again while workers file zero
reports through the Bot API emulator; after each kill it is started again, and updates it had
not confirmed (getUpdates offsets) are delivered again, as Telegram does.

Afterwards every grid has exactly one report, the database passes ``PRAGMA integrity_check``,
and every worker whose report is stored got its confirmation (on their next message at the
latest). Long: behind ``pytest -m soak`` (``GRIDBOT_CHAOS_KILLS``, ``GRIDBOT_CHAOS_WORKERS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from test_cli import REPO, env, gridbot

from bot.emulator import BotApiEmulator, SimUser

__all__ = ["env"]
pytestmark = pytest.mark.soak

KILLS = int(os.environ.get("GRIDBOT_CHAOS_KILLS", "20"))
WORKERS = int(os.environ.get("GRIDBOT_CHAOS_WORKERS", "20"))
CONFIRM_BUTTON = "✅ 确认提交零报告"
CONFIRMATION = "✅ 已提交"
HEADER = "area,grid_code,grid_name,worker_name,worker_username,worker_id,households,population\n"
FIRST_ID = 740000000


class Bot:
    """The ``gridbot run`` process, killed and started again."""

    def __init__(self, environment: dict[str, str], log: Path) -> None:
        self.env = environment
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self.kills = 0

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env, cwd=REPO, stderr=out
            )

    async def kill(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.kills += 1

    async def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        assert await self.process.wait() == 0


def stored_grids(db: Path) -> dict[str, int]:
    """Reports per grid code, read as another process would."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT g.code, count(*) FROM reports r JOIN grids g ON g.id = r.grid_id"
            " GROUP BY g.code"
        ).fetchall()
    return dict(rows)


async def file_until_stored(user: SimUser, code: str, db: Path) -> int:
    """What a worker does while the bot keeps dying: /zero, tap confirm, again until filed."""
    tries = 0
    while code not in await asyncio.to_thread(stored_grids, db):
        tries += 1
        await user.send("/zero")
        with contextlib.suppress(AssertionError):
            await user.wait_for_message(timeout=8)
            if any(CONFIRM_BUTTON in row for row in user.inbox()[-1].buttons):
                await user.press(CONFIRM_BUTTON)
                await user.wait_for_message(timeout=8)
    return tries


async def keep_killing(
    bot: Bot, emu: BotApiEmulator, stop: asyncio.Event, rng: random.Random
) -> None:
    """Kill the bot at a random moment once it is serving (it polled), start it again."""
    while bot.kills < KILLS or not stop.is_set():
        polls = len(emu.calls_to("getUpdates"))
        await emu.wait_for(lambda seen=polls: len(emu.calls_to("getUpdates")) > seen, timeout=60)
        await asyncio.sleep(rng.uniform(0.1, 2.0))
        await bot.kill()
        await bot.start()
        if stop.is_set() and bot.kills >= KILLS:
            return


def confirmations(user: SimUser) -> int:
    return sum(CONFIRMATION in (message.plain_text or "") for message in user.inbox())


async def test_sigkill_under_load_loses_nothing(env: dict[str, str], tmp_path: Path) -> None:
    roster = tmp_path / "chaos.csv"
    roster.write_text(
        HEADER
        + "".join(
            f"混沌街道/社区,C-{n:03d},第{n}网格,网格员{n},,{FIRST_ID + n},300,900\n"
            for n in range(WORKERS)
        ),
        "utf-8",
    )
    assert (await asyncio.to_thread(gridbot, env, "roster", "import", str(roster))).returncode == 0
    db = Path(env["GRIDBOT_DB"])
    async with BotApiEmulator(bot_username="grid_chaos_bot") as emu:
        env.update(GRIDBOT_TOKEN="7000000001:CHAOS", GRIDBOT_API_BASE_URL=emu.url)
        bot = Bot(env, tmp_path / "bot.log")
        await bot.start()
        users = [emu.add_user(FIRST_ID + n, f"网格员{n}") for n in range(WORKERS)]
        done = asyncio.Event()
        killer = asyncio.create_task(keep_killing(bot, emu, done, random.Random(7)))
        tries = await asyncio.gather(
            *(file_until_stored(user, f"C-{n:03d}", db) for n, user in enumerate(users))
        )
        done.set()
        await killer
        for user in users:  # the next message: any confirmation still owed arrives first
            await user.send("/status")
            await user.wait_for_message(timeout=30)
        await bot.stop()

    stored = await asyncio.to_thread(stored_grids, db)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    counts = [confirmations(user) for user in users]
    print(  # the figures the README's Reliability section publishes (pytest -m soak -s)
        f"chaos: {bot.kills} SIGKILLs, {len(stored)}/{WORKERS} grids stored once each, "
        f"{sum(tries)} filing attempts, confirmations per worker "
        f"{ {n: counts.count(n) for n in sorted(set(counts))} }, integrity {integrity}"
    )
    assert bot.kills >= KILLS
    assert stored == {f"C-{n:03d}": 1 for n in range(WORKERS)}
    assert integrity == "ok"
    assert min(counts) >= 1, "a stored report's worker was never confirmed"
