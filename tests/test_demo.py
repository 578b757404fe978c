"""``gridbot demo``, short form: one day, ten grids, through the real bot and the emulator.

The script says who was to do what; whether it happened is read back from the demo's SQLite
file and from the emulator's record of what the bot sent (what the people typed comes from
the demo's log of their actions).
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import AsyncIterator
from datetime import date, time
from pathlib import Path

import openpyxl
import pytest
from demo_support import GRIDS_PER_COMMUNITY, SEED, PlayedDemo, short_demo

from bot.demo.lines import CORRECTION_REASON, PLACEHOLDER
from bot.demo.output import MANIFEST, TRANSCRIPT, clear_previous
from bot.demo.people import Behaviour, plan_answers
from bot.demo.run import DB_NAME, STATS_AT, Demo
from bot.demo.script import CORRECTION_DELTA, LATE_FILED_AT, Part
from bot.demo.world import build_world
from bot.domain.form import load_form
from bot.domain.models import Report, ReportKind
from bot.domain.roster import parse_roster
from bot.emulator import SentMessage
from bot.i18n import t
from storage.db import Database

pytestmark = pytest.mark.xdist_group("short_demo")
"""Both modules use the same played demo: one xdist worker runs them, so it is played once."""

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


def day_of(played: PlayedDemo) -> date:
    return played.demo.played[0].day


def parts(played: PlayedDemo, behaviour: Behaviour) -> list[Part]:
    return [p for p in played.demo.played[0].parts.values() if p.behaviour == behaviour]


def only(played: PlayedDemo, behaviour: Behaviour) -> Part:
    (part,) = parts(played, behaviour)
    return part


async def report_of(db: Database, part: Part, day: date) -> Report | None:
    grid = await db.roster.grid_by_code(part.worker.grid.code)
    assert grid is not None
    return await db.reports.get(grid.id, day)


def chat(demo: Demo, chat_id: int) -> list[SentMessage]:
    return [message for message in demo.emu.sent if message.chat_id == chat_id]


def clock_times(messages: list[SentMessage], demo: Demo) -> set[time]:
    return {message.date.astimezone(demo.clock.tz).time() for message in messages}


# --------------------------------------------------------------------------- the reports


async def test_every_grid_filed_as_scripted_except_the_missing_one(
    played: PlayedDemo, db: Database
) -> None:
    day = day_of(played)
    assert {p.behaviour for p in played.demo.played[0].parts.values()} >= {
        Behaviour.URGENT,
        Behaviour.TYPO,
        Behaviour.TEMPLATE,
        Behaviour.LATE,
        Behaviour.MISSING,
        Behaviour.CORRECTS,
        Behaviour.ZERO,
    }
    for part in played.demo.played[0].parts.values():
        report = await report_of(db, part, day)
        if part.behaviour == Behaviour.MISSING:
            assert report is None, "the missing grid must stay missing, never a zero"
            continue
        assert report is not None, part.behaviour
        expected = ReportKind.ZERO if part.behaviour == Behaviour.ZERO else ReportKind.DETAILED
        assert report.kind == expected
        assert report.late == (part.behaviour == Behaviour.LATE)
        assert report.submitted_by_name == part.worker.person.name_in(LANG)
    assert len(parts(played, Behaviour.ZERO)) == 2


async def test_the_late_filer_was_reminded_twice_then_nagged_and_filed_late(
    played: PlayedDemo, db: Database
) -> None:
    part = only(played, Behaviour.LATE)
    demo = played.demo
    received = chat(demo, part.worker.person.telegram_id)
    assert {time(8, 0), time(15, 0), time(16, 30), time(17, 0)} <= clock_times(received, demo)
    report = await report_of(db, part, day_of(played))
    assert report is not None and report.late
    assert report.submitted_at.astimezone(demo.clock.tz).time() == LATE_FILED_AT


async def test_the_missing_grid_was_escalated_to_its_community_and_street_only(
    played: PlayedDemo,
) -> None:
    demo = played.demo
    grid = only(played, Behaviour.MISSING).worker.grid
    escalated = {
        message.chat_id
        for message in demo.emu.sent
        if grid.code in (message.plain_text or "")
        and message.date.astimezone(demo.clock.tz).time() == time(18, 0)
    }
    community = next(g for g in demo.world.groups if g.slug == grid.community)
    assert escalated == {demo.world.street_group.chat_id, community.chat_id}


async def test_the_placeholder_was_refused_then_the_full_width_number_kept(
    played: PlayedDemo, db: Database
) -> None:
    demo = played.demo
    part = only(played, Behaviour.TYPO)
    worker_id = part.worker.person.telegram_id
    typed = [event.text for event in demo.stage.events if event.chat_id == worker_id]
    slip = typed.index(PLACEHOLDER)
    full_width = typed[slip + 1]
    assert full_width != unicodedata.normalize("NFKC", full_width), "not full-width digits"
    report = await report_of(db, part, day_of(played))
    assert report is not None
    first_count = demo.deps.form.counts()[0].key
    assert report.current.values[first_count] == int(unicodedata.normalize("NFKC", full_width))


async def test_the_urgent_incident_was_acknowledged_by_the_community_supervisor(
    played: PlayedDemo, db: Database
) -> None:
    demo = played.demo
    part = only(played, Behaviour.URGENT)
    (alert,) = await db.alerts.on_day(day_of(played))
    community = next(g for g in demo.world.groups if g.slug == part.worker.grid.community)
    assert alert.acknowledged
    assert alert.acknowledged_by_name == community.supervisor.name_in(LANG)
    posted = [m for m in chat(demo, community.chat_id) if (m.plain_text or "").startswith("🚨")]
    assert len(posted) == 1
    assert community.supervisor.name_in(LANG) in (posted[0].plain_text or "")
    assert posted[0].buttons == [], "the acknowledge button is gone once pressed"


async def test_the_correction_keeps_the_filed_figure_and_the_reason(
    played: PlayedDemo, db: Database
) -> None:
    report = await report_of(db, only(played, Behaviour.CORRECTS), day_of(played))
    assert report is not None and len(report.versions) == 2
    first, second = report.versions
    key = played.demo.deps.form.counts()[0].key
    assert second.values[key] == int(str(first.values[key])) + CORRECTION_DELTA
    assert second.reason == CORRECTION_REASON[0]


async def test_the_template_was_sent_back_filled_in_one_message(played: PlayedDemo) -> None:
    demo = played.demo
    worker_id = only(played, Behaviour.TEMPLATE).worker.person.telegram_id
    header = t(LANG, "form.template.header", grid="\0", day="").split("\0")[0]
    filled = [
        event.text
        for event in demo.stage.events
        if event.chat_id == worker_id and event.text.startswith(header)
    ]
    assert len(filled) == 1 and filled[0].count("\n") >= len(demo.deps.form.counts())


# --------------------------------------------------------------------------- the digests


async def test_each_bound_group_got_exactly_one_digest(played: PlayedDemo) -> None:
    demo = played.demo
    day = day_of(played).isoformat()
    titles = {
        group.chat_id: t(LANG, "digest.title", area=group.area_path(LANG).split("/")[-1], day=day)
        for group in demo.world.groups
    }
    digests = [m for m in demo.emu.sent if (m.plain_text or "").split("\n")[0] in titles.values()]
    assert sorted((m.chat_id, m.plain_text.split("\n")[0]) for m in digests if m.plain_text) == (
        sorted(titles.items())
    )


async def test_it_prints_progress_and_the_street_and_a_community_digest(
    played: PlayedDemo,
) -> None:
    printed = "\n".join(played.lines)
    for moment in ("[08:00]", "[15:00]", "[16:30]", "[17:00]", "[18:00]", "[20:00]"):
        assert moment in printed
    day = day_of(played).isoformat()
    assert t(LANG, "digest.title", area="学院南路街道", day=day) in printed
    assert t(LANG, "digest.title", area="前进社区", day=day) in printed


async def test_the_output_folder_has_digests_roster_and_the_transcript(
    played: PlayedDemo,
) -> None:
    demo, out = played.demo, played.out
    day = day_of(played).isoformat()
    for group in demo.world.groups:
        assert (out / f"digest-{day}-{group.slug}.txt").read_text("utf-8").strip()
    roster = parse_roster("roster.csv", (out / "roster.csv").read_bytes())
    assert roster.errors == [] and len(roster.rows) == len(demo.world.workers)
    page = (out / TRANSCRIPT).read_text("utf-8")
    people = [demo.world.admin, *demo.world.workers]
    chat_ids = [g.chat_id for g in demo.world.groups] + [p.telegram_id for p in people]
    for chat_id in chat_ids:
        assert f'id="chat{abs(chat_id)}"' in page


def test_the_evening_ends_with_stats_in_the_street_group_and_the_ledger_file(
    played: PlayedDemo,
) -> None:
    demo = played.demo
    street = demo.world.street_group
    after_stats = [m for m in chat(demo, street.chat_id) if m.date.time() == STATS_AT]
    assert after_stats and "学院南路街道" in (after_stats[0].plain_text or "")
    (ledger,) = [m.document for m in chat(demo, demo.world.admin.telegram_id) if m.document]
    assert ledger.filename.endswith(".xlsx")
    saved = played.out / ledger.filename
    assert saved.read_bytes() == ledger.content
    book = openpyxl.load_workbook(saved, read_only=True)
    cells = {str(cell) for sheet in book.worksheets for row in sheet.values for cell in row}
    assert {grid.code for grid in demo.world.grids} <= cells


def test_only_loopback_and_the_demo_folder_were_used(played: PlayedDemo) -> None:
    demo = played.demo
    settings = demo.deps.settings
    assert settings.api_base_url == demo.emu.url
    assert demo.emu.url.startswith("http://127.0.0.1:")
    assert settings.db.parent == played.out


# --------------------------------------------------------------------------- the script


def test_the_same_seed_makes_the_same_roster() -> None:
    def roster(seed: int) -> bytes:
        return build_world(random.Random(seed), GRIDS_PER_COMMUNITY).roster_csv(LANG)

    assert roster(SEED) == roster(SEED)
    assert roster(SEED) != roster(SEED + 1)


def test_planned_answers_never_break_a_hard_rule() -> None:
    form = load_form()
    for seed in range(300):
        answers = {
            k: int(v)
            for k, v in plan_answers(form, random.Random(seed), LANG).items()
            if v.isdigit()
        }
        assert answers["arrivals_risk"] <= answers["arrivals"]
        assert answers["fever_referred"] <= answers["fever_found"]
        assert answers["home_iso_out"] <= answers["home_iso_in"]
        assert answers["central_iso_out"] <= answers["central_iso_in"]
        assert answers["disinfection"] >= 1


def test_a_new_run_removes_only_what_the_previous_run_wrote(tmp_path: Path) -> None:
    (tmp_path / "digest-2026-11-25-street.txt").write_text("old digest")
    (tmp_path / "notes.txt").write_text("the user's own file")
    (tmp_path / MANIFEST).write_text("digest-2026-11-25-street.txt\n../outside.txt\n")
    clear_previous(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]
