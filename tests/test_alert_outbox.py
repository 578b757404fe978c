"""A report and its urgent alert are stored in one transaction; sending works from the stored
alert (an outbox), so a crash between filing and posting never loses the alert."""

from __future__ import annotations

from harness import ADMIN_ID, DAY, Harness
from service_fixtures import WORKER_ID

from bot.domain.models import Incident
from bot.domain.stocks import zero_values
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
