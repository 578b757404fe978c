"""A report and its urgent alert are stored in one transaction; sending works from the stored
alert (an outbox), so a crash between filing and posting never loses the alert, and the
worker is answered without waiting for it."""

from __future__ import annotations

import asyncio

from harness import ADMIN_ID, DAY, Harness, draft_suspected_case
from service_fixtures import WORKER_ID

from bot.domain.models import Incident
from bot.domain.stocks import zero_values
from bot.outbound.lanes import FAST_FORWARD_CHAT_LIMITS, ChatLimits
from bot.usecases import filing


async def test_an_alert_stored_but_not_posted_goes_out_after_a_restart(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin")
    group = bot.group(-100_101, "前进社区防控群", admins=(admin,))
    await bot.send(admin, "/bindgroup 学院南路街道/前进社区", chat=group)
    deps, grid = bot.deps, await bot.deps.db.roster.grid_by_code("QJ-01")
    worker = await bot.worker(WORKER_ID)
    assert grid is not None and worker is not None

    # The filing commits; the process dies before anything is posted.
    filed = await filing.file_report(
        deps,
        worker_id=worker.id,
        grid_id=grid.id,
        day=DAY,
        values=zero_values(deps.form),
        incidents=[Incident("fever", "3号楼发热1人", urgent=True)],
        baseline={"home_isolation": 0, "central_isolation": 0},
    )
    assert filed.created
    stored = await deps.db.alerts.on_day(DAY)
    assert [(alert.description, alert.posts) for alert in stored] == [("3号楼发热1人", ())]
    before = len(group.inbox())
    await bot.restart()
    await bot.tick()  # the scheduler's first tick after start-up

    posted = group.inbox()[before:]
    assert len(posted) == 1 and "3号楼发热1人" in (posted[0].plain_text or "")
    (alert,) = await bot.deps.db.alerts.on_day(DAY)
    assert [post.chat_id for post in alert.posts] == [group.id]
    await bot.tick()
    assert len(group.inbox()) == before + 1  # posted once, never again


async def test_the_worker_is_answered_while_the_alert_waits_for_its_group(bot: Harness) -> None:
    """A group takes 20 messages a minute, so an urgent alert can wait there (behind the
    digest, say). The worker's confirmation and the answer to their next message do not wait
    with it; a tick meanwhile does not post it a second time; and an alert still waiting when
    the bot stops stays in the outbox and goes out once after the restart."""
    bot.chat_limits = ChatLimits(private_burst=1_000, group_per_minute=1)
    await bot.restart()
    admin, worker = bot.user(ADMIN_ID, "Admin"), bot.user(WORKER_ID, "王娜")
    group = bot.group(-100_101, "前进社区防控群", admins=(admin,))
    await bot.send(admin, "/bindgroup 学院南路街道/前进社区", chat=group)  # its one this minute
    bot.at(10, 0)
    await draft_suspected_case(bot, worker, "5号楼 林某某 核酸阳性")

    updates = bot.running.application.update_queue
    submitted = await worker.press("✅ 提交")
    await bot.emu.wait_processed(updates, submitted.update_id)
    confirmation = worker.last()
    assert (confirmation.plain_text or "").startswith("✅ 已提交")
    asked = await worker.send("/status")
    await bot.emu.wait_processed(updates, asked.update_id)
    answer = worker.last()
    assert answer.message_id > confirmation.message_id and "已提交" in (answer.plain_text or "")
    (alert,) = await bot.deps.db.alerts.on_day(DAY)
    assert alert.posts == () and [m.plain_text for m in group.inbox()][1:] == []

    await asyncio.wait_for(bot.tick(), 5)  # leaves the alert to the posting under way
    await bot.running.outbound.alerts.stop(grace=0)  # the bot stops before the group has room
    bot.chat_limits = FAST_FORWARD_CHAT_LIMITS
    await bot.restart()
    await bot.tick()
    posted = [m.plain_text or "" for m in group.inbox()[1:]]
    assert len(posted) == 1 and "核酸阳性" in posted[0]
    (alert,) = await bot.deps.db.alerts.on_day(DAY)
    assert [post.chat_id for post in alert.posts] == [group.id]
