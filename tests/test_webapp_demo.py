"""The demo files one grid's report through the one-screen page (the Mini App's API with
initData the emulator signed, as Telegram does), and the transcript shows it."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator

import pytest
from demo_support import PlayedDemo, short_demo

from bot.demo.output import TRANSCRIPT
from bot.demo.people import Behaviour
from bot.demo.run import DB_NAME
from bot.domain.models import ReportKind
from bot.i18n import t
from storage.db import Database

pytestmark = pytest.mark.xdist_group("short_demo")
"""The same played demo as test_demo and test_transcript (one xdist worker plays it once)."""
LANG = "zh_CN"


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> PlayedDemo:
    return short_demo(tmp_path_factory.getbasetemp() / "short-demo")


@pytest.fixture
async def db(played: PlayedDemo) -> AsyncIterator[Database]:
    database = await Database.open(played.out / DB_NAME)
    try:
        yield database
    finally:
        await database.close()


async def test_one_grid_files_through_the_page_and_the_transcript_shows_it(
    played: PlayedDemo, db: Database
) -> None:
    demo = played.demo
    (part,) = [p for p in demo.played[0].parts.values() if p.behaviour == Behaviour.PAGE]
    grid = await db.roster.grid_by_code(part.worker.grid.code)
    assert grid is not None
    report = await db.reports.get(grid.id, demo.played[0].day)
    assert report is not None and report.kind == ReportKind.DETAILED and not report.late
    assert report.submitted_by_name == part.worker.person.name_in(LANG)

    telegram_id = part.worker.person.telegram_id
    button = t(LANG, "webapp.button")
    tapped = [e for e in demo.stage.events if e.chat_id == telegram_id and e.text == button]
    assert len(tapped) == 1 and tapped[0].tapped_message is not None
    confirmation = [m for m in demo.emu.sent if m.chat_id == telegram_id][-1].plain_text or ""
    when = report.submitted_at.astimezone(demo.clock.tz).strftime("%H:%M")
    filed = t(LANG, "checkin.filed", day=report.day.isoformat(), time=when)
    assert confirmation == filed

    page = (played.out / TRANSCRIPT).read_text("utf-8")
    section = page.split(f'id="chat{telegram_id}"')[1].split("</section>")[0]
    assert f"{t(LANG, 'demo.transcript.tapped')} {html.escape(button)}" in section
    filled_in_page = t(LANG, "demo.webapp.filled", count=0).split("0")[0]
    assert html.escape(filled_in_page) in section
    assert html.escape(filed) in section
