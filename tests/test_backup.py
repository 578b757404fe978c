"""Backups of the live database (SQLite's online backup API) and restoring them: a backup
taken while reports are being written is consistent, and a restore never overwrites the
database of a running bot."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from harness import ADMIN_ID, DAY, Harness, texts
from storage_fixtures import AT, sample_db
from test_cli import gridbot

from bot.domain.models import ReportKind
from storage.backup import BadBackupError, DatabaseInUseError, backup, check_backup, restore
from storage.db import Database


def counts(path: Path) -> tuple[str, int, int]:
    """integrity_check, reports and report versions of the database file at ``path``."""
    with sqlite3.connect(path) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        versions = conn.execute("SELECT count(*) FROM report_versions").fetchone()[0]
    return integrity, reports, versions


async def keep_filing(db: Database, stop: asyncio.Event) -> int:
    """File one report after another (each with its version, in one transaction)."""
    grids = await db.roster.grids()
    workers = {grid.id: (await db.roster.workers_of_grid(grid.id))[0].id for grid in grids}
    filed = 0
    while not stop.is_set():
        grid = grids[filed % len(grids)]
        day = DAY - timedelta(days=filed // len(grids))
        await db.reports.file(
            grid_id=grid.id,
            day=day,
            kind=ReportKind.ZERO,
            values={},
            incidents=(),
            baseline={},
            worker_id=workers[grid.id],
            at=AT,
            late=False,
        )
        filed += 1
    return filed


async def test_a_backup_taken_during_writes_is_whole_and_consistent(tmp_path: Path) -> None:
    db = await sample_db(tmp_path)
    stop = asyncio.Event()
    writer = asyncio.create_task(keep_filing(db, stop))
    try:
        await asyncio.sleep(0.05)
        copies = [await backup(db.path, tmp_path / f"copy{n}.sqlite3") for n in range(5)]
    finally:
        stop.set()
        filed = await writer
        await db.close()
    seen = []
    for copy in copies:
        integrity, reports, versions = counts(copy.path)
        assert integrity == "ok"
        assert reports == versions  # never a report without its version
        assert check_backup(copy.path) == copy.schema_version
        seen.append(reports)
    assert seen == sorted(seen) and seen[-1] <= filed
    assert seen[-1] > 0  # the writes were really going on


async def test_admin_gets_a_backup_file_in_chat(bot: Harness, tmp_path: Path) -> None:
    admin = bot.user(ADMIN_ID, "管理员")
    await bot.send(admin, "/backup")
    sent = (await admin.wait_for_message(1))[-1]
    assert sent.document is not None
    assert sent.document.filename == "gridbot-backup-20261122-0900.sqlite3"
    assert "恢复方法" in (sent.document.caption or "")
    copy = tmp_path / "from-chat.sqlite3"
    copy.write_bytes(sent.document.content)
    assert check_backup(copy) >= 3
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM workers").fetchone()[0] == 22


async def test_restore_refuses_while_the_bot_runs_and_works_once_it_stopped(
    bot: Harness, tmp_path: Path
) -> None:
    live = bot.settings.db
    saved = await backup(live, tmp_path)  # a folder: the file is named after the time
    assert saved.path.parent == tmp_path and saved.path.name.startswith("gridbot-backup-")
    worker = bot.user(710000001, "王娜")
    await bot.send(worker, "/zero")
    await bot.press(worker, "✅ 确认提交零报告")
    assert await bot.report("QJ-01") is not None

    env = {key: value for key, value in os.environ.items() if not key.startswith("GRIDBOT_")}
    env |= {"GRIDBOT_DB": str(live), "GRIDBOT_LOCALE": "en"}
    refused = await asyncio.to_thread(gridbot, env, "restore", str(saved.path))
    assert refused.returncode == 1
    assert "is in use (is the bot running?)" in refused.stderr
    assert await bot.report("QJ-01") is not None  # untouched
    with pytest.raises(DatabaseInUseError):
        await restore(saved.path, live)

    await bot.stop()
    before = await restore(saved.path, live)
    assert before is not None and before.name.startswith("gridbot.sqlite3.before-restore-")
    assert counts(before)[1] == 1  # the database that was there, with its report
    assert counts(live)[:2] == ("ok", 0)  # the backup's state
    await bot.start()
    assert await bot.report("QJ-01") is None
    assert "王娜" in texts(await bot.start_bot(worker))


async def test_a_bad_backup_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    db = await sample_db(tmp_path)
    await db.close()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).close()
    expected = {
        junk: "不是能打开的数据库",
        other: "不是 gridbot 的数据库",
        tmp_path / "missing.sqlite3": "找不到文件",
        tmp_path: "是一个文件夹：请给出其中的备份文件",
    }
    for bad, reason in expected.items():
        with pytest.raises(BadBackupError) as raised:
            await restore(bad, db.path)
        assert reason in raised.value.render("zh_CN")
        assert str(bad) in raised.value.render("en")
    assert counts(db.path)[0] == "ok"
    with sqlite3.connect(db.path) as conn:
        assert conn.execute("SELECT count(*) FROM workers").fetchone()[0] == 22


async def test_cli_backup_while_the_database_is_open(tmp_path: Path) -> None:
    db = await sample_db(tmp_path)  # stays open, as the running bot's would
    env = {key: value for key, value in os.environ.items() if not key.startswith("GRIDBOT_")}
    env |= {"GRIDBOT_DB": str(db.path), "GRIDBOT_LOCALE": "en"}
    target = tmp_path / "copy.sqlite3"
    try:
        result = await asyncio.to_thread(gridbot, env, "backup", str(target))
    finally:
        await db.close()
    assert result.returncode == 0, result.stderr
    assert f"Backed up to {target}" in result.stdout
    assert counts(target) == ("ok", 0, 0)
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM workers").fetchone()[0] == 22
