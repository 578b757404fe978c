"""Automatic daily backups: each one checked with integrity_check, the newest
GRIDBOT_BACKUP_KEEP kept; and the drill — restore the newest into a fresh database with
``gridbot restore`` and find the reports there."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from service_fixtures import DAY, grid, worker
from storage_fixtures import rows_of, sample_csv
from test_cli import gridbot

from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.usecases import filing
from bot.usecases.backups import daily_backup


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Dependencies]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        db=tmp_path / "gridbot.sqlite3",
        backup_dir=tmp_path / "backups",
        backup_keep=2,
    )
    clock = ManualClock(datetime.combine(DAY, time(3, 0), tzinfo=settings.timezone))
    async with open_dependencies(settings, clock) as opened:
        await opened.db.roster.apply(rows_of(sample_csv()), actor=None, at=clock.now())
        yield opened


async def test_nightly_backups_are_checked_pruned_and_restore(
    deps: Dependencies, tmp_path: Path
) -> None:
    clock = deps.clock
    assert isinstance(clock, ManualClock)
    made = []
    for night in range(3):
        qj = await grid(deps, f"QJ-0{night + 1}")
        await filing.file_zero_report(
            deps, worker_id=(await worker(deps)).id, grid_id=qj.id, day=DAY
        )
        made.append(await daily_backup(deps))
        clock.set(clock.now() + timedelta(days=1))

    folder = deps.settings.backup_dir
    assert folder is not None
    kept = sorted(path.name for path in folder.iterdir())
    assert kept == [made[1].file.path.name, made[2].file.path.name]  # the newest two
    assert made[2].removed == (made[0].file.path,)
    for name in kept:
        with contextlib.closing(sqlite3.connect(folder / name)) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    env = {key: value for key, value in os.environ.items() if not key.startswith("GRIDBOT_")}
    env |= {"GRIDBOT_DB": str(tmp_path / "restored.sqlite3"), "GRIDBOT_LOCALE": "en"}
    restored = await asyncio.to_thread(gridbot, env, "restore", str(folder / kept[-1]))
    assert restored.returncode == 0, restored.stderr
    with contextlib.closing(sqlite3.connect(tmp_path / "restored.sqlite3")) as db:
        codes = db.execute(
            "SELECT g.code FROM reports r JOIN grids g ON g.id = r.grid_id ORDER BY g.code"
        ).fetchall()
    assert codes == [("QJ-01",), ("QJ-02",), ("QJ-03",)]
