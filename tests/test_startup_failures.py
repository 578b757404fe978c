"""Start-up failures of real ``gridbot`` processes: one localized line naming what to fix,
exit status 2, and the token in no line at any log level."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import ROSTER
from test_cli import REPO, env, gridbot

from bot.emulator import BotApiEmulator

TOKEN = "7000000001:AAHsecretLEAKCHECKvalue0123456789xyz"
__all__ = ["env"]  # the fixture, shared with test_cli


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(bot_username="grid_startup_bot") as emulator:
        yield emulator


async def run_until_exit(env: dict[str, str]) -> tuple[int, str]:
    """``gridbot run`` until it exits by itself; its exit status and everything it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode()


def assert_one_line(output: str, *expected: str) -> None:
    assert "Traceback" not in output, output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output, output
    assert output.count("\n") == 1, output
    for part in expected:
        assert part in output, output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("status", "expected"),
    [(401, "rejected GRIDBOT_TOKEN"), (404, "rejected GRIDBOT_TOKEN"), (500, "keeps failing")],
)
async def test_bot_api_refusing_at_start_up_is_one_line(
    emu: BotApiEmulator, env: dict[str, str], status: int, expected: str
) -> None:
    emu.fail_next("getMe", status=status, times=1000, description=f"Error {status}")
    env.update(GRIDBOT_TOKEN=TOKEN, GRIDBOT_API_BASE_URL=emu.url)
    code, output = await run_until_exit(env)
    assert code == 2
    assert_one_line(output, expected)


async def test_failing_calls_after_get_me_are_one_line_too(
    emu: BotApiEmulator, env: dict[str, str]
) -> None:
    for method in ("setMyCommands", "deleteWebhook", "getUpdates", "setChatMenuButton"):
        emu.fail_next(method, status=500, times=1000)
    env.update(GRIDBOT_TOKEN=TOKEN, GRIDBOT_API_BASE_URL=emu.url)
    code, output = await run_until_exit(env)
    assert code == 2
    assert_one_line(output, emu.url)


async def test_unreachable_bot_api_is_one_line(env: dict[str, str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    env.update(GRIDBOT_TOKEN=TOKEN, GRIDBOT_API_BASE_URL=url)
    code, output = await run_until_exit(env)
    assert code == 2
    assert_one_line(output, url, "GRIDBOT_API_BASE_URL")


async def test_no_token_at_debug_level_either(emu: BotApiEmulator, env: dict[str, str]) -> None:
    emu.fail_next("getMe", status=401, times=1000, description="Unauthorized")
    env.update(GRIDBOT_TOKEN=TOKEN, GRIDBOT_API_BASE_URL=emu.url, GRIDBOT_LOG_LEVEL="DEBUG")
    code, output = await run_until_exit(env)
    assert code == 2
    assert "DEBUG" in output and "getMe" in output  # PTB and httpx did log the request
    assert TOKEN not in output and "<token>" in output
    assert "Traceback" not in output


async def test_a_running_bot_logs_no_token_and_names_the_update(
    emu: BotApiEmulator, env: dict[str, str]
) -> None:
    await asyncio.to_thread(gridbot, env, "roster", "import", str(ROSTER))
    env.update(GRIDBOT_TOKEN=TOKEN, GRIDBOT_API_BASE_URL=emu.url, GRIDBOT_LOG_LEVEL="DEBUG")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=REPO, stderr=asyncio.subprocess.PIPE
    )
    try:
        worker = emu.add_user(710000001, "王娜", username="grid_qj01_1")
        await worker.send("/status")
        await worker.wait_for_message(timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await process.communicate()
    output = stderr.decode()
    assert process.returncode == 0, output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert "/bot<token>/getUpdates" in output
    assert "[update " in output


def test_malformed_token_is_one_line_without_the_token(env: dict[str, str]) -> None:
    env["GRIDBOT_TOKEN"] = "7000000001:AAH secret/with spaces"
    result = gridbot(env, "run")
    assert result.returncode == 2
    assert "GRIDBOT_TOKEN" in result.stderr and "secret" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_unknown_log_level_names_the_variable(env: dict[str, str]) -> None:
    env["GRIDBOT_LOG_LEVEL"] = "loud"
    result = gridbot(env, "roster", "show")
    assert result.returncode == 2
    assert "GRIDBOT_LOG_LEVEL" in result.stderr and "DEBUG" in result.stderr


def _not_sqlite(path: Path) -> Path:
    path.write_text("name,grid\n王娜,QJ-01\n", "utf-8")
    return path


def _a_folder(path: Path) -> Path:
    path.mkdir()
    return path


def _under_a_file(path: Path) -> Path:
    path.write_text("not a folder")
    return path / "gridbot.sqlite3"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (_not_sqlite, "restore the last good backup"),
        (_a_folder, "is a folder"),
        (_under_a_file, "that is a file"),
    ],
)
@pytest.mark.parametrize("command", [("roster", "show"), ("run",)])
def test_unusable_database_file_is_one_line(
    env: dict[str, str], tmp_path: Path, make: object, expected: str, command: tuple[str, ...]
) -> None:
    assert callable(make)
    env.update(GRIDBOT_DB=str(make(tmp_path / "db")), GRIDBOT_TOKEN=TOKEN)
    env["GRIDBOT_API_BASE_URL"] = f"http://127.0.0.1:{free_port()}"
    result = gridbot(env, *command)
    assert result.returncode == 2, result.stderr
    assert_one_line(result.stderr, expected, "GRIDBOT_DB" if expected != "restore" else "")


def test_damaged_pages_stop_run_with_one_line(env: dict[str, str]) -> None:
    assert gridbot(env, "roster", "import", str(ROSTER)).returncode == 0
    path = Path(env["GRIDBOT_DB"])
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
    with path.open("r+b") as raw:
        raw.seek(page_size * 3)
        raw.write(os.urandom(page_size * 2))
    env.update(GRIDBOT_TOKEN=TOKEN, GRIDBOT_API_BASE_URL=f"http://127.0.0.1:{free_port()}")
    result = gridbot(env, "run")
    assert result.returncode == 2
    assert_one_line(result.stderr, str(path), "gridbot restore")


async def test_a_token_revoked_while_running_stops_the_bot_with_one_line(
    emu: BotApiEmulator, env: dict[str, str]
) -> None:
    """The token is revoked at @BotFather while the bot runs: Telegram answers 401 from then
    on. Polling cannot go on, so the bot stops with the line that says what to do, exit
    status 2 (a process that stayed up deaf would look healthy), and no traceback."""
    await asyncio.to_thread(gridbot, env, "roster", "import", str(ROSTER))
    env.update(GRIDBOT_TOKEN=TOKEN, GRIDBOT_API_BASE_URL=emu.url)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=REPO, stderr=asyncio.subprocess.PIPE
    )
    worker = emu.add_user(710000001, "王娜", username="grid_qj01_1")
    await worker.send("/status")
    await worker.wait_for_message(timeout=30)
    emu.fail_next("getUpdates", status=401, times=1000, description="Unauthorized")
    await worker.send("/status")  # ends the poll being held; the next one is refused
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    output = stderr.decode()
    assert process.returncode == 2, output
    assert "Traceback" not in output, output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output, output
    assert output.rstrip().splitlines()[-1].startswith("Telegram rejected GRIDBOT_TOKEN"), output
