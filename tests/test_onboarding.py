"""Onboarding over the emulator: roster id, @username, invite link, unknown users, group binding."""

from harness import ADMIN_ID, Harness, texts

from bot.domain.models import BindVia


async def test_worker_with_roster_id_is_greeted_with_grid_and_status(bot: Harness) -> None:
    wang = bot.user(710000001, "王娜", username="grid_qj01_1")
    seen = texts(await bot.start_bot(wang))
    assert "王娜" in seen
    assert "第一网格" in seen
    assert "学院南路街道/前进社区" in seen
    assert "未提交" in seen and "17:00" in seen
    assert wang.last().buttons == [
        ["📝 填写日报"],
        ["0️⃣ 零报告（今日无新增）"],
        ["📋 用模板一次填完"],
    ]


async def test_username_in_roster_binds_on_start(bot: Harness) -> None:
    zhu = bot.user(555_000_003, "朱娜", username="Grid_QJ01_3")
    assert await bot.worker(zhu.id) is None
    seen = texts(await bot.start_bot(zhu))
    worker = await bot.worker(zhu.id)
    assert worker is not None
    assert worker.name == "朱娜"
    assert worker.bound_via == BindVia.USERNAME
    assert "第一网格" in seen


async def test_invite_link_binds_a_newcomer_and_revocation_stops_it(bot: Harness) -> None:
    roster = bot.deps.db.roster
    grid = await roster.grid_by_code("DG-02")
    assert grid is not None
    token = await roster.invite_token(grid.id, actor=None, at=bot.clock.now())
    newcomer = bot.user(555_000_100, "赵新", lang="zh-hans")
    seen = texts(await bot.start_bot(newcomer, token))
    worker = await bot.worker(newcomer.id)
    assert worker is not None and worker.grid_id == grid.id
    assert worker.bound_via == BindVia.INVITE
    assert "第二网格" in seen

    await roster.revoke_invites(grid.id, actor=None, at=bot.clock.now())
    late_comer = bot.user(555_000_101, "钱晚")
    seen = texts(await bot.start_bot(late_comer, token))
    assert "无效" in seen
    assert await bot.worker(late_comer.id) is None


async def test_unknown_user_gets_a_polite_refusal_and_nothing_else(bot: Harness) -> None:
    stranger = bot.user(555_999_999, "Stranger", lang="en")
    for text in ("/start", "/report", "/zero", "hello", "/status", "/help"):
        replies = await bot.send(stranger, text)
        assert len(replies) == 1
        assert "not on the grid workers' roster" in replies[0].plain_text
        assert replies[0].buttons == []
    stranger_zh = bot.user(555_999_998, "路人")
    assert "不在网格员名单" in texts(await bot.send(stranger_zh, "/report"))


async def test_unknown_user_pressing_a_forged_button_changes_nothing(bot: Harness) -> None:
    stranger = bot.user(555_999_997, "Stranger", lang="en")
    await bot.send(stranger, "hi")
    await bot.forge(stranger, "m:zero", stranger.last().message_id)
    assert "invite link" in (stranger.callback_answers()[-1].text or "")
    assert await bot.worker(stranger.id) is None


async def test_admin_binds_a_supervisor_group_by_area_path(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin", lang="en")
    group = bot.group(-100_001, "前进社区主管群", admins=(admin,))
    replies = await bot.send(admin, "/bindgroup 学院南路街道/前进社区", chat=group)
    assert "绑定到 学院南路街道/前进社区" in texts(replies)
    area = await bot.deps.db.groups.area_of_chat(group.id)
    assert area is not None and area.path == "学院南路街道/前进社区"


async def test_bindgroup_refuses_non_admins_and_unknown_areas(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin", lang="en")
    wang = bot.user(710000001, "王娜")
    group = bot.group(-100_002, "群", admins=(admin,))
    group.add_member(wang)
    assert "只有管理员" in texts(await bot.send(wang, "/bindgroup 学院南路街道", chat=group))
    replies = texts(await bot.send(admin, "/bindgroup 不存在街道", chat=group))
    assert "不存在街道" in replies and "学院南路街道/东关社区" in replies
    assert await bot.deps.db.groups.area_of_chat(group.id) is None


async def test_command_menu_is_registered_in_both_languages(bot: Harness) -> None:
    registered = bot.emu.commands
    private_zh = next(
        cmds for (scope, lang), cmds in registered.items() if "private" in scope and lang == "zh"
    )
    private_en = next(
        cmds for (scope, lang), cmds in registered.items() if "private" in scope and lang == "en"
    )
    assert [name for name, _ in private_zh] == [name for name, _ in private_en]
    assert dict(private_zh)["zero"].startswith("零报告")
    assert dict(private_en)["zero"].startswith("Zero report")


async def test_a_group_can_be_bound_with_its_language(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin")
    group = bot.group(-100_003, "Street HQ", admins=(admin,))
    replies = await bot.send(admin, "/bindgroup 学院南路街道 en", chat=group)
    assert "bound to 学院南路街道" in texts(replies)
    assert await bot.deps.db.groups.language(group.id) == "en"


async def test_help_depends_on_who_asks_and_where(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin", lang="en")
    wang = bot.user(710000001, "王娜")
    assert "/report" in texts(await bot.send(wang, "/help"))
    admin_help = texts(await bot.send(admin, "/help"))
    assert "/bindgroup" in admin_help and "/export" in admin_help
    group = bot.group(-100_004, "主管群", admins=(admin,))
    group.add_member(wang)
    await bot.send(admin, "/bindgroup 学院南路街道", chat=group)
    assert "/excuse" in texts(await bot.send(wang, "/help", chat=group))
    assert not any(scope == f"chat:{ADMIN_ID}" for scope, _ in bot.emu.commands)
    await bot.start_bot(admin)  # an admin unknown to Telegram at start-up gets the menu now
    admin_menu = next(
        dict(commands)
        for (scope, lang), commands in bot.emu.commands.items()
        if scope == f"chat:{ADMIN_ID}" and lang == "en"
    )
    assert "export" in admin_menu and "report" in admin_menu
