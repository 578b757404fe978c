"""The service layer's test set-up: the dependency container on a real SQLite file in a temp
dir, the sample roster imported, a manual clock at 09:00 on the test day. No bot, no HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time
from pathlib import Path

import pytest
from storage_fixtures import rows_of, sample_csv

from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.models import Grid, Worker

DAY = date(2026, 11, 22)
ADMIN_ID = 900_000_001
WORKER_ID = 710_000_001
"""王娜, bound to QJ-01 (第一网格) in the sample roster."""
COLLEAGUE_ID = 710_000_002
"""王超, also of QJ-01."""


def at(deps: Dependencies, hour: int, minute: int = 0, day: date = DAY) -> None:
    """Move the (manual) clock to ``hour:minute`` of ``day``."""
    clock = deps.clock
    assert isinstance(clock, ManualClock)
    clock.set(datetime.combine(day, time(hour, minute), tzinfo=clock.tz))


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Dependencies]:
    """The container of a fresh database with the sample roster."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        db=tmp_path / "gridbot.sqlite3",
        admins=frozenset({ADMIN_ID}),
    )
    clock = ManualClock(datetime.combine(DAY, time(9, 0), tzinfo=settings.timezone))
    async with open_dependencies(settings, clock) as opened:
        await opened.db.roster.apply(rows_of(sample_csv()), actor=None, at=clock.now())
        yield opened


async def worker(deps: Dependencies, telegram_id: int = WORKER_ID) -> Worker:
    """A bound worker of the sample roster."""
    found = await deps.db.roster.worker_by_telegram_id(telegram_id)
    assert found is not None
    return found


async def grid(deps: Dependencies, code: str) -> Grid:
    """A grid of the sample roster."""
    found = await deps.db.roster.grid_by_code(code)
    assert found is not None
    return found
