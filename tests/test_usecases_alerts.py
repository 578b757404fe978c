"""Urgent-incident alerts and the day the bot came into service, at the service layer."""

from __future__ import annotations

from datetime import timedelta

from service_fixtures import DAY, grid, worker

from bot.dependencies import Dependencies
from bot.domain.models import Incident
from bot.domain.stocks import zero_values
from bot.usecases import alerts, filing, schedule
from bot.usecases.alerts import AckResult


async def urgent_report(deps: Dependencies) -> list[alerts.Alert]:
    filed = await filing.file_report(
        deps,
        worker_id=(await worker(deps)).id,
        grid_id=(await grid(deps, "QJ-01")).id,
        day=DAY,
        values=zero_values(deps.form),
        incidents=[
            Incident("suspected", "疑似病例1人", urgent=False),
            Incident("other", "x", False),
        ],
        baseline={"home_isolation": 0, "central_isolation": 0},
    )
    assert filed.created
    return await alerts.unacknowledged(deps)  # recorded with the report, in its transaction


async def test_filing_an_urgent_category_records_an_alert(deps: Dependencies) -> None:
    raised = await urgent_report(deps)
    assert [item.category for item in raised] == ["suspected"]  # the form marks it urgent
    grid_, reporter = await alerts.alert_grid(deps, raised[0])
    assert grid_.code == "QJ-01" and reporter == "王娜"
    assert [item.id for item in await alerts.unacknowledged(deps)] == [raised[0].id]


async def test_only_a_group_it_was_posted_to_acknowledges_it_once(deps: Dependencies) -> None:
    [alert] = await urgent_report(deps)
    ack = {"user_id": 800_000_001, "name": "赵主任"}
    assert (await alerts.acknowledge_alert(deps, alert.id, chat_id=-100, **ack))[0] == (
        AckResult.EXPIRED
    )
    await alerts.record_post(deps, alert, chat_id=-100, message_id=7, level=0)
    result, acknowledged = await alerts.acknowledge_alert(deps, alert.id, chat_id=-100, **ack)
    assert result == AckResult.ACKNOWLEDGED
    assert acknowledged is not None and acknowledged.acknowledged_by_name == "赵主任"
    assert (await alerts.acknowledge_alert(deps, alert.id, chat_id=-100, **ack))[0] == (
        AckResult.ALREADY
    )
    assert await alerts.unacknowledged(deps) == []


async def test_the_first_scheduler_run_is_remembered(deps: Dependencies) -> None:
    first = deps.now()
    assert await schedule.in_service_since(deps, first) == first
    later = first + timedelta(days=3)
    assert await schedule.in_service_since(deps, later) == first
