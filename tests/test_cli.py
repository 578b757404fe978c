"""The ``gridbot`` command line, run as a user would: as a real process."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from harness import ROSTER
from openpyxl import load_workbook

from bot.emulator import BotApiEmulator, SimUser

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A clean environment: only gridbot variables we set, a temp database."""
    base = {key: value for key, value in os.environ.items() if not key.startswith("GRIDBOT_")}
    base["GRIDBOT_DB"] = str(tmp_path / "gridbot.sqlite3")
    base["GRIDBOT_LOCALE"] = "en"
    yield base


def gridbot(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot ARGS`` and capture what it prints."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_roster_import_show_and_reimport(env: dict[str, str]) -> None:
    first = gridbot(env, "roster", "import", str(ROSTER))
    assert first.returncode == 0, first.stderr
    assert "Imported" in first.stdout
    again = gridbot(env, "roster", "import", str(ROSTER))
    assert again.returncode == 0
    assert "unchanged" in again.stdout
    shown = gridbot(env, "roster", "show")
    assert "学院南路街道/前进社区" in shown.stdout
    assert "QJ-01" in shown.stdout and "王娜" in shown.stdout
    with sqlite3.connect(env["GRIDBOT_DB"]) as db:
        assert db.execute("SELECT count(*) FROM workers WHERE active = 1").fetchone() == (22,)


def test_bad_roster_is_rejected_whole_with_line_numbers(
    env: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    lines = ROSTER.read_text("utf-8").splitlines()
    lines[3] = lines[3].replace("QJ-01", "QJ 01!")
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    result = gridbot(env, "roster", "import", str(bad))
    assert result.returncode == 1
    assert "line 4" in result.stderr
    assert "nothing was imported" in result.stderr
    with sqlite3.connect(env["GRIDBOT_DB"]) as db:
        assert db.execute("SELECT count(*) FROM workers").fetchone() == (0,)


def test_invite_prints_a_deep_link(env: dict[str, str]) -> None:
    gridbot(env, "roster", "import", str(ROSTER))
    env["GRIDBOT_BOT_USERNAME"] = "my_grid_bot"
    first = gridbot(env, "invite", "qj-02")
    assert first.returncode == 0, first.stderr
    assert "https://t.me/my_grid_bot?start=" in first.stdout
    assert gridbot(env, "invite", "QJ-02").stdout == first.stdout  # stable until rotated
    rotated = gridbot(env, "invite", "QJ-02", "--rotate").stdout
    assert rotated != first.stdout
    unknown = gridbot(env, "invite", "NOPE-9")
    assert unknown.returncode == 2 and "NOPE-9" in unknown.stderr


@pytest.mark.parametrize(
    ("variable", "value"), [("GRIDBOT_TIMEZONE", "Moon/Base"), ("GRIDBOT_DEADLINE", "5 pm")]
)
def test_bad_setting_stops_with_one_line(env: dict[str, str], variable: str, value: str) -> None:
    env[variable] = value
    result = gridbot(env, "roster", "show")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert variable in result.stderr and "Traceback" not in result.stderr


def test_run_without_token_says_how_to_set_it(env: dict[str, str]) -> None:
    result = gridbot(env, "run")
    assert result.returncode == 2
    assert "GRIDBOT_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_bad_arguments_get_a_usage_line(env: dict[str, str]) -> None:
    result = gridbot(env, "roster", "frobnicate")
    assert result.returncode == 2
    assert "--help" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
async def served() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(bot_username="grid_acceptance_bot") as emu:
        yield emu


async def test_gridbot_run_against_a_bot_api_server(
    served: BotApiEmulator, env: dict[str, str]
) -> None:
    """Acceptance: import the roster, `gridbot run` against GRIDBOT_API_BASE_URL, file by chat."""
    imported = await asyncio.to_thread(gridbot, env, "roster", "import", str(ROSTER))
    assert imported.returncode == 0, imported.stderr
    env.update(
        GRIDBOT_TOKEN="7000000001:ACCEPTANCE",
        GRIDBOT_API_BASE_URL=served.url,
        GRIDBOT_REPORT_DAYS=str(day_off()),  # no scheduled message interleaves with the chat
        GRIDBOT_ADMINS="900000009",  # an admin who has never opened the bot: start-up goes on
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        zero_worker = served.add_user(710000001, "王娜", username="grid_qj01_1")
        detail_worker = served.add_user(
            710000005, "王秀静", username="grid_qj03_1", language_code="en"
        )
        await say(zero_worker, "/zero")
        await press(zero_worker, "✅ 确认提交零报告")
        assert "已提交" in zero_worker.last().plain_text
        await say(detail_worker, "/report", replies=2)  # the intro, then the first question
        for answer in ["4", "0", "150", "60", "2", "0", "1", "0", "0", "0", "0", "1"]:
            await say(detail_worker, answer)
        await press(detail_worker, "Skip")
        await press(detail_worker, "✅ No incidents")
        await press(detail_worker, "✅ Submit")
        assert "filed" in detail_worker.last().plain_text
    finally:
        process.terminate()
        _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    with sqlite3.connect(env["GRIDBOT_DB"]) as db:
        rows = db.execute(
            "SELECT g.code, v.kind, json_extract(v.answers, '$.screened') "
            "FROM reports r JOIN grids g ON g.id = r.grid_id "
            "JOIN report_versions v ON v.report_id = r.id ORDER BY g.code"
        ).fetchall()
    assert rows == [("QJ-01", "zero", 0), ("QJ-03", "detailed", 150)]


def day_off() -> int:
    """An ISO weekday that is neither today nor yesterday in Shanghai."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).isoweekday()
    return (today + 2) % 7 + 1


async def say(user: SimUser, text: str, replies: int = 1) -> None:
    """Send and wait for the bot's answer (the bot runs in another process)."""
    await user.send(text)
    await user.wait_for_message(count=replies, timeout=20)


async def press(user: SimUser, button: str) -> None:
    """Tap and wait for the bot's next message."""
    await user.press(button)
    await user.wait_for_message(timeout=20)


def test_a_file_that_is_no_roster_is_explained(env: dict[str, str], tmp_path: Path) -> None:
    photo = tmp_path / "roster.png"
    photo.write_bytes(b"\x89PNG\r\n")
    result = gridbot(env, "roster", "import", str(photo))
    assert result.returncode == 1
    assert "line 0" not in result.stderr and "Traceback" not in result.stderr
    assert ".csv" in result.stderr or "CSV" in result.stderr


def test_digest_in_the_terminal(env: dict[str, str]) -> None:
    gridbot(env, "roster", "import", str(ROSTER))
    whole = gridbot(env, "digest")  # today's: the grids are on the roster from today
    assert whole.returncode == 0, whole.stderr
    assert "学院南路街道" in whole.stdout
    assert "第二网格" in whole.stdout  # missing grids are named
    earlier = gridbot(env, "digest", "--date", "2026-11-22")  # before the roster: not asked
    assert "Expected 0 grids" in earlier.stdout and "第二网格" not in earlier.stdout
    one = gridbot(env, "digest", "--area", "学院南路街道/东关社区")
    assert "东关社区" in one.stdout and "前进社区" not in one.stdout
    bad = gridbot(env, "digest", "--date", "22/11/2026")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    unknown = gridbot(env, "digest", "--area", "火星街道")
    assert unknown.returncode == 2 and "火星街道" in unknown.stderr


def test_the_terminal_digest_refuses_a_day_to_come_like_the_chat(env: dict[str, str]) -> None:
    gridbot(env, "roster", "import", str(ROSTER))
    future = gridbot(env, "digest", "--date", "2999-01-01")
    assert future.returncode == 2 and future.stdout == ""
    assert "2999-01-01 has not come yet" in future.stderr


DISTRICT_ROSTER = Path(__file__).parent / "data" / "district-roster.csv"


def test_a_district_digest_in_the_terminal_is_the_groups_with_its_table_in_a_file(
    env: dict[str, str], tmp_path: Path
) -> None:
    """985 grids: the terminal shows what the groups read (the missing list bounded, the
    rest in the table) and says how to get the table; ``--table`` writes it."""
    gridbot(env, "roster", "import", str(DISTRICT_ROSTER))
    shown = gridbot(env, "digest")
    assert shown.returncode == 0, shown.stderr
    assert len(shown.stdout.splitlines()) < 100 and "and 965 more" in shown.stdout
    assert "The 985 grids are not listed here: add --table FOLDER" in shown.stdout
    tables = tmp_path / "tables"
    written = gridbot(env, "digest", "--table", str(tables))
    (book,) = tables.glob("digest-示范区-*.xlsx")
    assert f"The per-grid table (985 grids) is written to {book}" in written.stdout
    rows = list(load_workbook(book, read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 985 and len({row[1] for row in rows[1:]}) == 985  # every grid once
    assert {row[3] for row in rows[1:]} == {"missing"}


@pytest.mark.parametrize(
    "command",
    [
        ("export", "--out"),
        ("chart", "--out"),
        ("backup",),
        ("demo", "--out"),
        ("digest", "--table"),
    ],
)
def test_a_path_under_a_file_gets_one_clear_line(
    env: dict[str, str], tmp_path: Path, command: tuple[str, ...]
) -> None:
    gridbot(env, "roster", "import", str(ROSTER))
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    result = gridbot(env, *command, str(blocker / "out"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"Cannot write {blocker / 'out'}: {blocker} is a file, not a folder. Give another path."
    )


@pytest.mark.parametrize(
    ("command", "example"), [("export", "ledger.xlsx"), ("chart", "chart.png")]
)
def test_a_folder_given_for_a_file_gets_an_example_name(
    env: dict[str, str], tmp_path: Path, command: str, example: str
) -> None:
    result = gridbot(env, command, "--out", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"is a folder: give a file name, e.g. {tmp_path / example}." in result.stderr
