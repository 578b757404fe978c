"""Admin commands over the emulator: the roster in chat, roster files, admin grants, and the
refusals every admin command gives to workers, strangers and groups."""

from __future__ import annotations

import pytest
from harness import ADMIN_ID, DAY, ROSTER, Harness, file_zero, texts

from bot.emulator import SimUser

WORKER = (710000001, "王娜", "grid_qj01_1")

ADMIN_COMMANDS = (
    "/grids",
    "/invite QJ-01",
    "/revoke QJ-01",
    "/addworker QJ-01 @someone_new",
    "/removeworker @grid_qj01_1",
    "/grantadmin @someone_new",
    "/revokeadmin @someone_new",
    "/admins",
    "/export",
    "/backup",
)


def admin_of(bot: Harness, lang: str = "zh-hans") -> SimUser:
    return bot.user(ADMIN_ID, "管理员", lang=lang)


async def ask(bot: Harness, user: SimUser, command: str) -> str:
    """What the bot answered (commands like /export answer from a background task)."""
    await bot.send(user, command)
    return texts(await user.wait_for_message(1))


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
async def test_admin_commands_are_refused_to_workers_strangers_and_groups(
    bot: Harness, command: str
) -> None:
    worker = bot.user(*WORKER[:2], username=WORKER[2])
    stranger = bot.user(555_000_001, "路人")
    admin = admin_of(bot)
    group = bot.group(-100_700, "群", admins=(admin,))
    assert "只有管理员能用" in await ask(bot, worker, command)
    assert "不在网格员名单" in await ask(bot, stranger, command)
    await bot.send(admin, command, chat=group)
    assert "私聊" in texts(await group.wait_for_message(1))
    roster = await bot.deps.db.roster.roster_overview()
    assert sum(len(workers) for _, workers in roster) == 22  # nothing changed
    assert not bot.deps.is_admin(555_000_001)


async def test_grids_lists_workers_and_who_is_bound(bot: Harness) -> None:
    admin = admin_of(bot)
    shown = await ask(bot, admin, "/grids")
    assert "共 10 个网格，22 名网格员，其中 9 名已绑定 Telegram。" in shown
    assert "QJ-01 第一网格（3 人）" in shown
    assert "✅ 王娜 @grid_qj01_1" in shown and "⏳ 朱娜 @grid_qj01_3（未绑定）" in shown
    community = await ask(bot, admin, "/grids 东关社区")
    assert "共 4 个网格，9 名网格员" in community and "QJ-01" not in community


async def test_invite_and_revoke_a_grid_link(bot: Harness) -> None:
    admin = admin_of(bot)
    shown = await ask(bot, admin, "/invite qj-02")
    link = next(word for word in shown.split() if word.startswith("https://t.me/"))
    token = link.split("?start=")[1]
    assert "QJ-02 第二网格（1 人，邀请链接有效）" in await ask(bot, admin, "/grids 前进社区")
    newcomer = bot.user(555_000_200, "钱新")
    assert "第二网格" in texts(await bot.start_bot(newcomer, token))
    assert "QJ-02 第二网格 的邀请链接已作废" in await ask(bot, admin, "/revoke QJ-02")
    late = bot.user(555_000_201, "孙迟")
    assert "无效" in texts(await bot.start_bot(late, token))
    assert "现在没有有效的邀请链接" in await ask(bot, admin, "/revoke QJ-02")
    assert "没有编号为“XX-99”的网格" in await ask(bot, admin, "/invite XX-99")


async def test_add_and_remove_a_worker_keeps_their_history(bot: Harness) -> None:
    admin = admin_of(bot)
    added = await ask(bot, admin, "/addworker QJ-02 @new_helper 赵新")
    assert "已把 赵新（@new_helper）加入 QJ-02 第二网格" in added
    helper = bot.user(555_000_300, "赵新", username="new_helper")
    assert "第二网格" in texts(await bot.start_bot(helper))
    await file_zero(bot, helper)
    report = await bot.report("QJ-02")
    assert report is not None and report.submitted_by_name == "赵新"

    assert "已经在名单上：QJ-01 的 王娜" in await ask(bot, admin, "/addworker QJ-02 @grid_qj01_1")
    assert "用法：/addworker" in await ask(bot, admin, "/addworker QJ-02 not-a-name!")
    removed = await ask(bot, admin, "/removeworker @grid_qj02_1")
    assert "已把 黄刚 从 QJ-02 第二网格 移出" in removed and "还有 1 名网格员" in removed
    removed = await ask(bot, admin, "/removeworker @new_helper")
    assert "还有 0 名网格员" in removed and "QJ-02 现在没有网格员了" in removed
    assert "不在网格员名单" in texts(await bot.send(helper, "/status"))
    kept = await bot.report("QJ-02", DAY)
    assert kept is not None and kept.submitted_by_name == "赵新"  # the history stays
    assert "没有用户名为 @new_helper" in await ask(bot, admin, "/removeworker @new_helper")


async def test_a_granted_admin_by_username_becomes_one_when_they_show_up(bot: Harness) -> None:
    admin = admin_of(bot)
    pending = await ask(bot, admin, "/grantadmin @deputy_li")
    assert "已授权 @deputy_li 为管理员：TA 下次给机器人发消息时生效" in pending
    deputy = bot.user(555_000_400, "李副主任", username="Deputy_Li")
    assert not bot.deps.is_admin(deputy.id)
    assert "共 10 个网格" in await ask(bot, deputy, "/grids")  # claimed on the first message
    assert bot.deps.is_admin(deputy.id)
    shown = await ask(bot, admin, "/admins")
    assert f"• {ADMIN_ID}（服务器配置）" in shown and "@deputy_li (555000400)" in shown
    assert "已经是管理员" in await ask(bot, admin, "/grantadmin @deputy_li")

    assert "已撤销 @deputy_li" in await ask(bot, deputy, "/revokeadmin @deputy_li")
    assert not bot.deps.is_admin(deputy.id)
    assert "只有管理员能用" not in await ask(bot, deputy, "/grids")  # a stranger again
    assert "不能在聊天中撤销" in await ask(bot, admin, f"/revokeadmin {ADMIN_ID}")
    assert "无需撤销" in await ask(bot, admin, "/revokeadmin @deputy_li")


async def test_grant_by_username_of_a_bound_worker_takes_effect_at_once(bot: Harness) -> None:
    admin = admin_of(bot, lang="en")
    shown = await ask(bot, admin, "/grantadmin @grid_qj01_1")
    assert "@grid_qj01_1 (710000001) is now an admin." in shown
    assert bot.deps.is_admin(710000001)
    assert "is now an admin" in await ask(bot, admin, "/grantadmin 123456789")
    assert bot.deps.is_admin(123456789)
    assert "Usage: /grantadmin" in await ask(bot, admin, "/grantadmin")
    await bot.restart()  # grants are kept in the database
    assert bot.deps.is_admin(710000001) and bot.deps.is_admin(123456789)


# --- a roster file sent to the bot -------------------------------------------------------------

EXTRA = "学院南路街道/东关社区,DG-05,第五网格,周新,grid_dg05_1,,300,800\n"


async def upload(user: SimUser, name: str, content: bytes) -> str:
    await user.send_document(name, content)
    return texts(await user.wait_for_message(1))


async def test_a_roster_file_is_previewed_then_imported_on_confirmation(bot: Harness) -> None:
    admin = admin_of(bot)
    content = (ROSTER.read_text("utf-8") + EXTRA).encode("utf-8")
    preview = await upload(admin, "名单.csv", content)
    assert "名单“名单.csv”检查通过，共 23 行。导入后将会：" in preview
    assert "网格新增 1、更新 0、停用 0；网格员新增 1" in preview
    assert await bot.deps.db.roster.grid_by_code("DG-05") is None  # nothing yet
    done = texts(await bot.press(admin, "✅ 导入"))
    assert "导入完成：新增区域 0；网格新增 1" in done
    assert await bot.deps.db.roster.grid_by_code("DG-05") is not None
    assert all(message.buttons == [] for message in admin.inbox())
    assert "名单没有变化" in await upload(admin, "名单.csv", content)


async def test_a_roster_file_can_be_cancelled(bot: Harness) -> None:
    admin = admin_of(bot)
    shorter = "\n".join(ROSTER.read_text("utf-8").splitlines()[:-2]) + "\n"  # drops DG-04
    preview = await upload(admin, "roster.csv", shorter.encode("utf-8"))
    assert "网格新增 0、更新 0、停用 1；网格员新增 0、更新 0、停用 2" in preview
    assert "名单没有变化" in texts(await bot.press(admin, "✖️ 取消"))
    grid = await bot.deps.db.roster.grid_by_code("DG-04")
    assert grid is not None and grid.active


async def test_a_bad_roster_file_gets_the_same_report_as_the_command_line(bot: Harness) -> None:
    admin = admin_of(bot)
    lines = ROSTER.read_text("utf-8").splitlines()
    lines[3] = lines[3].replace("QJ-01", "QJ 01!")
    report = await upload(admin, "roster.csv", ("\n".join(lines) + "\n").encode("utf-8"))
    assert "名单有 1 处错误，没有导入任何内容：" in report
    assert "第 4 行：网格编号“QJ 01!”写得不对" in report
    assert "不是名单文件" in await upload(admin, "photo.jpg", b"\xff\xd8\xff")


async def test_a_worker_sending_a_file_gets_the_usual_hint(bot: Harness) -> None:
    worker = bot.user(*WORKER[:2], username=WORKER[2])
    reply = await upload(worker, "roster.csv", ROSTER.read_bytes())
    assert "没看懂" in reply or "/report" in reply
    assert len(await bot.deps.db.roster.grids()) == 10
