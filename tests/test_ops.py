"""``gridbot doctor`` and ``gridbot forget``, run as real processes next to the running bot."""

from __future__ import annotations

import asyncio
import os
import sqlite3

from harness import ADMIN_ID, TOKEN, Harness, file_zero
from test_cli import gridbot


def ops_env(bot: Harness, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GRIDBOT_")}
    return env | {
        "GRIDBOT_DB": str(bot.settings.db),
        "GRIDBOT_LOCALE": "en",
        "GRIDBOT_TOKEN": TOKEN,
        "GRIDBOT_API_BASE_URL": bot.emu.url,
        **extra,
    }


async def test_doctor_prints_a_checklist_with_one_fix_per_failing_line(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin")
    await bot.start_bot(admin)
    group = bot.group(-100_101, "前进社区防控群", admins=(admin,))
    await bot.send(admin, "/bindgroup 学院南路街道/前进社区", chat=group)
    env = ops_env(bot, GRIDBOT_ADMINS=f"{ADMIN_ID},900000777")

    healthy = await asyncio.to_thread(gridbot, env, "doctor")
    lines = healthy.stdout.splitlines()
    assert healthy.returncode == 1, healthy.stderr  # one admin never opened the bot
    assert [line[0] for line in lines] == ["✅"] * 7 + ["❌"]
    assert "schema version" in lines[1] and "free next to the database" in lines[2]
    assert "Token: accepted" in lines[4]
    assert "900000777 has never opened the bot" in lines[-1] and "/start" in lines[-1]

    bot.emu.kick_bot(group.id, by=admin)
    kicked = await asyncio.to_thread(gridbot, ops_env(bot), "doctor")
    assert kicked.returncode == 1
    gone = [line for line in kicked.stdout.splitlines() if line.startswith("❌")]
    assert gone == [
        "❌ Group -100101 (学院南路街道/前进社区): the bot is no longer in it. Add the bot to the"
        " group again and send /bindgroup 学院南路街道/前进社区 there, or bind another group."
    ]
    assert TOKEN not in kicked.stdout + kicked.stderr


async def test_doctor_names_a_rejected_token(bot: Harness) -> None:
    bot.emu.fail_next("getMe", status=401, times=5, description="Unauthorized")
    result = await asyncio.to_thread(gridbot, ops_env(bot), "doctor")
    assert result.returncode == 1
    assert "❌ Telegram rejected GRIDBOT_TOKEN" in result.stdout
    assert TOKEN not in result.stdout + result.stderr and "Traceback" not in result.stderr


async def test_forget_removes_personal_data_and_keeps_the_reports(bot: Harness) -> None:
    worker = bot.user(710000001, "王娜", username="grid_qj01_1")
    await bot.start_bot(worker)
    await file_zero(bot, worker)
    env = ops_env(bot)

    result = await asyncio.to_thread(gridbot, env, "forget", "@grid_qj01_1")
    assert result.returncode == 0, result.stderr
    assert "1 reports they filed are kept" in result.stdout and "QJ-01" in result.stdout
    with sqlite3.connect(bot.settings.db) as db:
        rows = db.execute(
            "SELECT name, username, telegram_id, active FROM workers WHERE name LIKE '%#%'"
        ).fetchall()
        assert rows == [(f"removed worker #{rows[0][0].split('#')[1]}", None, None, 0)]
        assert db.execute("SELECT count(*) FROM workers WHERE name = '王娜'").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM reports").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM sends WHERE target = 710000001").fetchone() == (0,)
    shown = await asyncio.to_thread(gridbot, env, "roster", "show")
    assert "王娜" not in shown.stdout and "grid_qj01_1" not in shown.stdout
    again = await asyncio.to_thread(gridbot, env, "forget", "@grid_qj01_1")
    assert again.returncode == 2 and "No worker has the username" in again.stderr
