"""Fixtures: an emulator on loopback, an injectable clock, the running bot on a temp SQLite file."""

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from harness import DAY, Harness, started
from hypothesis import HealthCheck, settings

from bot.clock import ManualClock
from bot.emulator import BotApiEmulator

pytest_plugins = ["service_fixtures"]
"""The service-layer fixtures (``deps``: the container on a fresh database)."""

SHANGHAI = ZoneInfo("Asia/Shanghai")

settings.register_profile("gridbot", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("gridbot")
"""Property tests check results, never speed: a per-example time limit only fails on a busy
machine (two cores shared with the parallel suite). Timing targets live in bench/."""


@pytest.fixture
def clock() -> ManualClock:
    """09:00 on the test day, Shanghai time."""
    return ManualClock(datetime(DAY.year, DAY.month, DAY.day, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture
async def emulator(clock: ManualClock) -> AsyncIterator[BotApiEmulator]:
    """The Bot API emulator, listening on 127.0.0.1."""
    async with BotApiEmulator(clock=clock.now) as emu:
        yield emu


@pytest.fixture
async def bot(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Harness]:
    """The real bot with the sample roster imported, polling the emulator."""
    async with started(Harness(emulator, clock, tmp_path / "gridbot.sqlite3")) as harness:
        yield harness
