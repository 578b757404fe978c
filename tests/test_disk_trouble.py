"""Disk trouble while the bot runs: a full disk and a read-only database.

The worker is told their report could not be saved (never that it was submitted), the admins
are told once per spell of trouble, nothing crashes (handlers, persistence flushes, scheduler
jobs, the send log), and the next report after space returns is stored normally.

The full disk is real where this machine lets the test mount a small tmpfs (root, as in CI);
elsewhere that test skips, saying why. The read-only database runs everywhere: SQLite's
``PRAGMA query_only`` makes every write fail as a read-only file does (a mounted file system
cannot be remounted read-only while the bot holds the database open for writing).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import ADMIN_ID, Harness, started, texts
from test_cli import gridbot
from test_ops import ops_env

from bot.clock import ManualClock
from bot.emulator import BotApiEmulator, SimUser
from storage.db import Database
from storage.health import WriteRefused

ZERO_CONFIRM = "✅ 确认提交零报告"
NOT_SAVED = "未能保存"
SUBMITTED = "✅ 已提交"
ADMIN_TOLD = {"disk_full": "磁盘已满", "file_not_writable": "只读"}
WANG_NA, WANG_XIUJING = (710000001, "王娜"), (710000005, "王秀静")  # QJ-01, QJ-03
DISK_BYTES = 4 * 1024 * 1024


@contextlib.contextmanager
def small_disk(folder: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs mounted on ``folder``; skips the test where mounting is not permitted."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root and mount(8): the full-disk test skips")
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): the test skips")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def remount(folder: Path, mode: str) -> None:
    """Remount the small disk read-only (``ro``) or writable (``rw``); only possible while
    nothing holds a file on it open for writing."""
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True)


@pytest.fixture
async def on_small_disk(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Harness]:
    """The real bot with its database on a small disk of its own."""
    with small_disk(tmp_path / "disk") as disk:
        async with started(Harness(emulator, clock, disk / "gridbot.sqlite3")) as harness:
            yield harness


async def fill_disk(bot: Harness) -> Path:
    """Take every free byte of the database's disk; the file to delete to free it again.

    The write-ahead log is emptied first, as after a checkpoint: otherwise SQLite would
    reuse the space the log already holds for a while before it needs more."""
    async with bot.deps.db.read() as conn:
        await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    filler = bot.settings.db.parent / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(descriptor, b"\0" * 65536)
    except OSError as full:
        assert full.errno == errno.ENOSPC
    finally:
        os.close(descriptor)
    return filler


async def make_read_only(bot: Harness, read_only: bool) -> None:
    """Every write to the running bot's database fails as on a read-only file (or stops)."""
    async with bot.deps.db.read() as conn:
        await conn.execute(f"PRAGMA query_only = {int(read_only)}")


async def stored_versions(bot: Harness, grid_code: str) -> list[int]:
    report = await bot.report(grid_code)
    return [] if report is None else [version.version for version in report.versions]


async def run_a_scheduler_job(bot: Harness) -> None:
    """The scheduler's tick run as a job of the application's job queue (as in production),
    so a failure goes where a job's failure goes; returns once the job ended."""
    job_queue = bot.running.application.job_queue
    assert job_queue is not None
    ended = asyncio.Event()

    async def tick(context: Any) -> None:
        try:
            await bot.tick()
        finally:
            ended.set()

    job_queue.run_once(tick, 0)
    await asyncio.wait_for(ended.wait(), 30)


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait (bounded) for something the bot does in a task of its own."""
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the condition never held")


def storage_notices(admin: SimUser) -> list[str]:
    """What the admin was told about the database refusing writes."""
    return [text for m in admin.inbox() if "无需重启" in (text := m.plain_text or "")]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.exc_info]


async def zero_report(bot: Harness, user: SimUser) -> str:
    """``user`` sends /zero and confirms it if the bot offers to; all they were told."""
    told = await bot.send(user, "/zero")
    if any(ZERO_CONFIRM in row for row in told[-1].buttons):
        told += await bot.press(user, ZERO_CONFIRM)
    return texts(told)


async def trouble_and_recovery(
    bot: Harness,
    caplog: pytest.LogCaptureFixture,
    reason: str,
    break_disk: Callable[[], Awaitable[None]],
    mend_disk: Callable[[], Awaitable[None]],
) -> None:
    """The scenario both kinds of trouble go through; see the module's docstring."""
    caplog.set_level(logging.INFO)
    admin = bot.user(ADMIN_ID, "管理员")
    wang, wang_xj = bot.user(*WANG_NA), bot.user(*WANG_XIUJING)
    await bot.send(wang, "/zero")
    await break_disk()

    refused = texts(await bot.press(wang, ZERO_CONFIRM))
    assert NOT_SAVED in refused and "稍后再试" in refused and SUBMITTED not in refused
    assert await stored_versions(bot, "QJ-01") == []
    refused_too = await zero_report(bot, wang_xj)
    assert NOT_SAVED in refused_too and SUBMITTED not in refused_too
    await run_a_scheduler_job(bot)  # its send log cannot be written either
    await eventually(lambda: any("update None" in r.getMessage() for r in caplog.records))
    told = storage_notices(admin)
    assert len(told) == 1 and ADMIN_TOLD[reason] in told[0], "the admins are told once"

    await mend_disk()
    saved = await zero_report(bot, wang)  # tried again later, as they were asked to
    assert SUBMITTED in saved and NOT_SAVED not in saved
    assert await stored_versions(bot, "QJ-01") == [1]
    await run_a_scheduler_job(bot)
    assert len(storage_notices(admin)) == 1, "nothing new to tell while writes succeed"

    await break_disk()  # a new spell of trouble after the recovery is told again
    assert NOT_SAVED in await zero_report(bot, wang_xj)
    told = storage_notices(admin)
    assert len(told) == 2 and ADMIN_TOLD[reason] in told[1]
    await mend_disk()
    assert SUBMITTED in await zero_report(bot, wang_xj)
    assert await stored_versions(bot, "QJ-03") == [1]
    assert tracebacks(caplog) == []
    async with bot.deps.db.read() as conn, conn.execute("PRAGMA integrity_check") as cursor:
        assert [tuple(row) for row in await cursor.fetchall()] == [("ok",)]


async def test_a_full_disk_is_told_and_the_bot_recovers_when_space_returns(
    on_small_disk: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    bot = on_small_disk
    fillers: list[Path] = []

    async def fill() -> None:
        fillers.append(await fill_disk(bot))

    async def free() -> None:
        fillers.pop().unlink()

    await trouble_and_recovery(bot, caplog, "disk_full", fill, free)
    print(  # the figure the README's Reliability section publishes (pytest -s)
        f"disk full: tmpfs of {DISK_BYTES // 1024} KiB filled twice; "
        f"{len(caplog.records)} log lines, {len(tracebacks(caplog))} tracebacks"
    )


async def test_a_read_only_database_is_told_and_the_bot_recovers(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    async def lock() -> None:
        await make_read_only(bot, True)

    async def unlock() -> None:
        await make_read_only(bot, False)

    await trouble_and_recovery(bot, caplog, "file_not_writable", lock, unlock)


async def test_sqlite_full_and_read_only_become_write_refused_and_pass(tmp_path: Path) -> None:
    """At the storage layer: SQLITE_FULL (``max_page_count``) and SQLITE_READONLY become
    :class:`WriteRefused`, nothing of the transaction stays, one spell per run of failures,
    and the connection takes writes again afterwards."""
    async with await Database.open(tmp_path / "db.sqlite3") as db:
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE filler (blob BLOB)")
        async with db.read() as conn, conn.execute("PRAGMA page_count") as cursor:
            pages = (await cursor.fetchone())[0]  # type: ignore[index]
        spells = []
        for pragma in (f"max_page_count = {pages}", "query_only = 1"):
            async with db.read() as conn:
                await conn.execute(f"PRAGMA {pragma}")
            for _ in range(2):
                with pytest.raises(WriteRefused) as refused:
                    async with db.transaction() as conn:
                        await conn.execute("INSERT INTO filler VALUES (zeroblob(200000))")
                spells.append((refused.value.reason, refused.value.spell))
            async with db.read() as conn:
                await conn.execute("PRAGMA max_page_count = 1073741823")
                await conn.execute("PRAGMA query_only = 0")
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO filler VALUES (zeroblob(200000))")
        assert spells == [
            ("disk_full", 1),
            ("disk_full", 1),
            ("file_not_writable", 2),
            ("file_not_writable", 2),
        ]
        async with db.read() as conn, conn.execute("SELECT count(*) FROM filler") as cursor:
            assert (await cursor.fetchone())[0] == 2  # type: ignore[index]
    with pytest.raises(sqlite3.OperationalError):  # other failures are not the disk's
        async with await Database.open(tmp_path / "db.sqlite3") as db, db.transaction() as conn:
            await conn.execute("INSERT INTO no_such_table VALUES (1)")


async def test_doctor_flags_a_nearly_full_disk_and_a_read_only_database(
    on_small_disk: Harness,
) -> None:
    bot = on_small_disk
    env = ops_env(bot)
    small = await asyncio.to_thread(gridbot, env, "doctor")  # 4 MiB is little room already
    await fill_disk(bot)
    full = await asyncio.to_thread(gridbot, env, "doctor")
    await bot.stop()
    folder = bot.settings.db.parent
    await asyncio.to_thread(remount, folder, "ro")
    read_only = await asyncio.to_thread(gridbot, env, "doctor")
    await asyncio.to_thread(remount, folder, "rw")

    for result in (small, full, read_only):
        assert result.returncode == 1 and "Traceback" not in result.stderr
    failing = [line for line in full.stdout.splitlines() if line.startswith("❌ The disk")]
    assert failing == [
        f"❌ The disk holding the database {bot.settings.db} has only 0 KB free: free some"
        " space (old backups, logs) before it fills; on a full disk the bot cannot save reports."
    ]
    assert "has only" in small.stdout and "MB free" in small.stdout
    assert (
        f"❌ The database {bot.settings.db} cannot be written (read-only file or file system)"
        in read_only.stdout
    )
