"""The area chart: its data against the digest (the oracle for every day's counts and
balances), the PNG decoded, the digest's photo (once, across a restart), /chart and the CLI.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from harness import ADMIN_ID, DAY, Harness
from PIL import Image
from telegram.error import BadRequest
from test_cli import gridbot
from test_evening_process import FAULTY_CHILDREN

from bot.charting import fonts
from bot.charting.render import COLOURS, png_size
from bot.clock import ManualClock
from bot.domain.chart import (
    ChartData,
    ChartInput,
    ChartRequest,
    DayFigures,
    StatusCounts,
    build_chart,
)
from bot.domain.digest import CountTotal, Digest, StockTotal
from bot.domain.form import load_form
from bot.domain.models import Area, ReportKind
from bot.domain.plan import SINCE_KEY
from bot.domain.status import DayStatus
from bot.domain.stocks import zero_values
from bot.emulator import BotApiEmulator, SentMessage, SimGroup, SimUser
from bot.usecases import evening_process
from bot.usecases.chart import chart_input, draw_chart
from bot.usecases.digests import compile_area_digests
from storage.schedule import SendStatus

STREET = "学院南路街道"
COMMUNITY = "学院南路街道/前进社区"
FIRST = DAY - timedelta(days=5)
"""The seeded history: six days, FIRST … DAY."""
SUPERVISOR = 800_000_001

pytestmark = pytest.mark.filterwarnings("error:Glyph")
"""A character the font cannot draw (tofu) fails the drawing, and so the test."""


# --------------------------------------------------------------------------- seeding


@pytest.fixture
async def bot(
    emulator: BotApiEmulator, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[Harness]:
    """The running bot, its roster imported the day before the seeded history starts."""
    harness = Harness(emulator, clock, tmp_path / "gridbot.sqlite3")
    await harness.start()
    harness.at(9, 0, FIRST - timedelta(days=1))
    await harness.import_roster()
    harness.at(9, 0)
    try:
        yield harness
    finally:
        await harness.stop()


async def seed(bot: Harness, first: date = FIRST, last: date = DAY) -> None:
    """Reports straight into the database: each grid, each day, one of detailed on time,
    zero, late, excused or missing (by grid and day), with home-isolation flows."""
    db, form = bot.deps.db, bot.deps.form
    grids = await db.roster.grids()
    day, number = first, 0
    while day <= last:
        for index, grid in enumerate(grids):
            pattern = (index + number) % 5
            worker = (await db.roster.workers_of_grid(grid.id))[0]
            moment = datetime.combine(day, time(10 if pattern != 2 else 19), tzinfo=bot.clock.tz)
            if pattern == 3:
                await db.schedule.excuse(grid.id, day, reason="停电", actor=ADMIN_ID, at=moment)
                continue
            if pattern == 4:
                continue
            kind = ReportKind.ZERO if pattern == 1 else ReportKind.DETAILED
            values = dict(zero_values(form))
            if kind == ReportKind.DETAILED:
                values |= {"home_iso_in": index % 3 + 1, "home_iso_out": number % 2, "screened": 10}
                values |= {"fever_found": 1 if index == 0 else 0}
            first_report = await db.reports.history(grid.id, before=day) == []
            await db.reports.file(
                grid_id=grid.id,
                day=day,
                kind=kind,
                values=values,
                incidents=(),
                baseline={"home_isolation": 5, "central_isolation": 0} if first_report else {},
                worker_id=worker.id,
                at=moment,
                late=pattern == 2,
            )
        day += timedelta(days=1)
        number += 1


async def area(bot: Harness, path: str) -> Area:
    found = await bot.deps.db.roster.area_by_path(path)
    assert found is not None
    return found


async def digest_of(bot: Harness, where: Area, day: date) -> Digest:
    """The area's digest of ``day``, as the evening compiles it (the oracle)."""
    return (await compile_area_digests(bot.deps, [where], day))[where.id]


async def chart_data(bot: Harness, path: str, days: int = 14, **kwargs: object) -> ChartData:
    request = ChartRequest(await area(bot, path), DAY, days, **kwargs)  # type: ignore[arg-type]
    return build_chart(await chart_input(bot.deps, request, highlight=DAY), "zh_CN")


# --------------------------------------------------------------------------- the data


async def test_bars_per_day_are_the_digest_status_counts_and_missing_is_never_zero(
    bot: Harness,
) -> None:
    await seed(bot)
    data = await chart_data(bot, STREET)
    assert data.days == tuple(FIRST + timedelta(days=n) for n in range(6))
    assert data.highlight == 5
    bars = {bars.status: bars.values for bars in data.bars}
    for index, day in enumerate(data.days):
        status = (await digest_of(bot, await area(bot, STREET), day)).status
        assert bars[DayStatus.MISSING][index] == len(status.missing) > 0
        assert bars[DayStatus.EXCUSED][index] == len(status.excused) > 0
        assert bars[DayStatus.LATE][index] == len(status.late) > 0
        zero_on_time = [d for d in status.zero if not d.is_late]
        assert bars[DayStatus.ZERO][index] == len(zero_on_time) > 0
        assert bars[DayStatus.ON_TIME][index] == len(status.on_time) - len(zero_on_time) > 0
        assert sum(values[index] for values in bars.values()) == 10  # every grid, every day


async def test_stock_lines_and_counts_equal_the_digest_totals_each_day(bot: Harness) -> None:
    await seed(bot)
    request = ChartRequest(await area(bot, COMMUNITY), DAY, 14)
    figures = (await chart_input(bot.deps, request, highlight=None)).figures
    for item in figures:
        totals = (await digest_of(bot, request.area, item.day)).totals.fields
        stocks = {t.key: t.current for t in totals if isinstance(t, StockTotal)}
        counts = {t.key: t.today for t in totals if isinstance(t, CountTotal)}
        assert dict(item.stocks) == stocks
        assert item.stocks["home_isolation"] != 0
        assert {key: value or 0 for key, value in item.counts.items()} == counts


async def test_a_balance_retyped_later_moves_the_line_like_the_digest(bot: Harness) -> None:
    await seed(bot)
    db = bot.deps.db
    grid = await db.roster.grid_by_code("QJ-01")
    assert grid is not None
    report = await db.reports.get(grid.id, DAY - timedelta(days=2))
    assert report is not None and report.kind == ReportKind.DETAILED
    await db.reports.correct(
        report.id,
        kind=report.kind,
        values=report.current.values,
        incidents=(),
        baseline={"home_isolation": 40},
        worker_id=report.submitted_by,
        at=bot.clock.now(),
        reason="重新核对在管人数",
        expected_version=report.current.version,
    )
    request = ChartRequest(await area(bot, COMMUNITY), DAY, 14)
    figures = (await chart_input(bot.deps, request, highlight=None)).figures
    lines = []
    for item in figures:
        totals = (await digest_of(bot, request.area, item.day)).totals.fields
        stock = next(t for t in totals if isinstance(t, StockTotal) and t.key == "home_isolation")
        lines.append((item.stocks["home_isolation"], stock.current))
    assert all(chart == digest for chart, digest in lines), lines
    assert lines[-3][0] is not None and lines[-4][0] is not None
    assert lines[-3][0] - lines[-4][0] > 20  # the retyped balance shows on its day


async def test_a_day_nobody_reported_is_a_gap_not_zero(bot: Harness) -> None:
    await seed(bot, FIRST, DAY - timedelta(days=2))  # nothing filed on the last two days
    await bot.deps.db.meta.set(SINCE_KEY, datetime.combine(FIRST, time(7)).isoformat())
    data = await chart_data(bot, COMMUNITY)
    assert len(data.days) == 6
    fever = next(series for series in data.markers if series.key == "fever_found")
    assert fever.values[-2:] == (None, None)
    assert fever.values[0] is not None
    home = next(series for series in data.lines if series.key == "home_isolation")
    assert home.values[-1] == home.values[-3] is not None  # carried, like the digest
    missing = next(bars for bars in data.bars if bars.status == DayStatus.MISSING)
    assert missing.values[-2:] == (6, 6)


async def test_days_before_the_bot_was_in_service_are_left_out(bot: Harness) -> None:
    await seed(bot)
    since = datetime.combine(DAY - timedelta(days=2), time(7), tzinfo=bot.clock.tz)
    await bot.deps.db.meta.set(SINCE_KEY, since.isoformat())
    data = await chart_data(bot, STREET, days=30)
    assert data.days == (DAY - timedelta(days=2), DAY - timedelta(days=1), DAY)


async def test_sub_area_panels_are_sorted_worst_first(bot: Harness) -> None:
    await seed(bot)
    db = bot.deps.db
    for grid in await db.roster.grids(
        area_path=COMMUNITY
    ):  # a day only 前进社区 reported: 东关社区 missed it whole
        await db.reports.file(
            grid_id=grid.id,
            day=DAY - timedelta(days=6),
            kind=ReportKind.ZERO,
            values=zero_values(bot.deps.form),
            incidents=(),
            baseline={},
            worker_id=(await db.roster.workers_of_grid(grid.id))[0].id,
            at=bot.clock.now(),
            late=False,
        )
    data = await chart_data(bot, STREET)
    assert [panel.label for panel in data.panels] == ["东关社区", "前进社区"]
    first, second = (panel.overall for panel in data.panels)
    assert first is not None and second is not None and first < second


def test_status_counts_add_up_and_rate_leaves_excused_out() -> None:
    counts = StatusCounts(on_time=3, zero=1, late=1, excused=2, missing=5)
    assert counts.expected == 10
    assert counts.reporting_rate == 0.5
    assert (counts + counts).missing == 10
    assert StatusCounts(excused=3).reporting_rate is None


def test_latin_only_labels_replace_names_a_latin_font_cannot_draw() -> None:
    form = load_form()
    street = Area(1, "学院南路街道", "学院南路街道", None)
    community = Area(2, "学院南路街道/前进社区", "前进社区", 1)
    day = DayFigures(DAY, StatusCounts(on_time=1, missing=1), {2: StatusCounts(on_time=1)})
    data = build_chart(
        ChartInput(form, ChartRequest(street, DAY), (community,), (day,)), "en", latin_only=True
    )
    assert "学院" not in data.title and data.title.startswith("This area")
    assert [panel.label for panel in data.panels] == ["Sub-area 1"]


# --------------------------------------------------------------------------- the picture


async def test_the_png_has_its_size_and_shows_the_status_colours(bot: Harness) -> None:
    await seed(bot)
    request = ChartRequest(await area(bot, STREET), DAY, 14)
    chart = await draw_chart(bot.deps, request, "zh_CN", highlight=DAY)
    image = Image.open(io.BytesIO(chart.png))
    image.load()
    assert image.format == "PNG"
    assert image.size == (chart.width, chart.height) == png_size(chart.png)
    assert image.width == 1000 and image.height > 600
    colours = {colour for _, colour in image.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    assert len(colours) > 50  # not blank
    for status in (DayStatus.ON_TIME, DayStatus.MISSING, DayStatus.LATE):
        rgb = tuple(int(COLOURS[status][i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, status


# --------------------------------------------------------------------------- delivery


async def street_group(bot: Harness) -> tuple[SimUser, SimUser, SimGroup]:
    """The admin, a supervisor and the street's group, bound."""
    admin, supervisor = bot.user(ADMIN_ID, "Admin"), bot.user(SUPERVISOR, "赵主任")
    group = bot.group(-100_100, "学院南路街道指挥部", admins=(admin,))
    group.add_member(supervisor)
    await bot.send(admin, f"/bindgroup {STREET}", chat=group)
    return admin, supervisor, group


async def test_the_digest_brings_one_photo_after_its_text_also_across_a_restart(
    bot: Harness,
) -> None:
    await seed(bot)
    admin, _, street = await street_group(bot)
    community = bot.group(-100_101, "前进社区防控群", admins=(admin,))
    await bot.send(admin, f"/bindgroup {COMMUNITY} en", chat=community)
    before = {group.id: len(group.inbox()) for group in (street, community)}
    bot.at(20, 0)
    await bot.tick()
    evening = [message for message in bot.emu.sent if message.chat_id in before][-4:]
    assert [message.photo is not None for message in evening] == [False, False, True, True]
    await bot.restart()
    await bot.tick()
    for group in (street, community):
        got = group.inbox()[before[group.id] :]
        assert [message.photo is not None for message in got][-1] is True
        photos = [message.photo for message in got if message.photo is not None]
        assert len(photos) == 1
        assert got[0].text is not None and got[0].photo is None  # the text comes first
        Image.open(io.BytesIO(photos[0].content)).verify()
    assert "学院南路街道" in (street.last().photo.caption or "")  # type: ignore[union-attr]
    assert "reporting days" in (community.last().photo.caption or "")  # type: ignore[union-attr]
    records = await bot.deps.db.schedule.records(DAY, "digest_chart")
    assert {record.status for record in records} == {SendStatus.SENT}
    assert len(records) == 2


async def test_a_chart_that_cannot_be_drawn_never_holds_up_the_text(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The evening's charts are drawn in a child process (which logs to standard error)."""
    broken = "import bot.charting.render as render; render.render_png = None"
    child = evening_process.CHILD_ARGS
    monkeypatch.setattr(evening_process, "CHILD_ARGS", ("-c", f"{broken}; {child[-1]}"))
    await seed(bot)
    _, _, street = await street_group(bot)
    before = len(street.inbox())
    bot.at(20, 0)
    await bot.tick()
    await bot.tick()
    await bot.restart()
    await bot.tick()
    got = street.inbox()[before:]
    assert got and all(message.photo is None for message in got)
    assert "汇总" in (got[0].text or "") or "日报" in (got[0].text or "")
    failures = [
        line for line in capfd.readouterr().err.splitlines() if "could not be drawn" in line
    ]
    assert len(failures) == 1
    [record] = await bot.deps.db.schedule.records(DAY, "digest_chart")
    assert record.status == SendStatus.SKIPPED
    [text] = await bot.deps.db.schedule.records(DAY, "digest")
    assert text.status == SendStatus.SENT


async def test_a_failed_photo_upload_is_retried_without_repeating_the_text(
    bot: Harness,
) -> None:
    await seed(bot)
    _, _, street = await street_group(bot)
    before = len(street.inbox())
    bot.emu.fail_next("sendPhoto", status=502)
    bot.at(20, 0)
    await bot.tick()
    got = street.inbox()[before:]
    assert sum(message.photo is not None for message in got) == 1
    assert sum(message.text is not None for message in got) == len(got) - 1
    [record] = await bot.deps.db.schedule.records(DAY, "digest_chart")
    assert (record.status, record.attempts) == (SendStatus.SENT, 2)


# --------------------------------------------------------------------------- /chart


async def ask(bot: Harness, user: SimUser, text: str, chat: SimGroup | None = None) -> SentMessage:
    """Send a command that answers in the background; its one reply."""
    await bot.send(user, text, chat=chat)
    [reply] = await (chat or user).wait_for_message(1, timeout=30)
    return reply


async def test_chart_in_the_group_sends_the_area_photo(bot: Harness) -> None:
    await seed(bot)
    _, supervisor, street = await street_group(bot)
    reply = await ask(bot, supervisor, "/chart 7d", street)
    assert reply.photo is not None
    assert "学院南路街道" in (reply.photo.caption or "") and "6" in (reply.photo.caption or "")
    field = await ask(bot, supervisor, "/chart home_isolation 前进社区 30d", street)
    assert field.photo is not None and "前进社区" in (field.photo.caption or "")


async def test_chart_drawn_in_a_child_that_gives_nothing_still_comes(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """/chart is drawn in a child process; when the child is killed, in the bot's."""
    await seed(bot)
    _, supervisor, street = await street_group(bot)
    with caplog.at_level(logging.INFO, logger=evening_process.__name__):
        drawn = await ask(bot, supervisor, "/chart 7d", street)
        monkeypatch.setattr(evening_process, "CHILD_ARGS", ("-c", FAULTY_CHILDREN["killed"]))
        again = await ask(bot, supervisor, "/chart 7d", street)
    assert drawn.photo is not None and again.photo is not None
    assert (again.photo.caption, again.photo.content) == (drawn.photo.caption, drawn.photo.content)
    lines = [record.message for record in caplog.records]
    [fallback] = [line for line in lines if "were not made" in line]
    [made] = [line for line in lines if "made in a child" in line and line != fallback]
    assert made.startswith("the charts asked for made")
    assert fallback.startswith("the charts asked for") and "making them here" in fallback


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("5d", "“5d”不是可用的时间段"),
        ("14d 30d", "“30d”不是可用的时间段"),
        ("365", "“365”不是可用的时间段"),
    ],
)
async def test_bad_chart_arguments_get_examples(bot: Harness, args: str, expected: str) -> None:
    _, supervisor, street = await street_group(bot)
    reply = await ask(bot, supervisor, f"/chart {args}", street)
    assert reply.photo is None
    assert expected in (reply.plain_text or "")
    assert "/chart 30d home_isolation" in (reply.plain_text or "")  # the examples
    assert "fever_found" in (reply.plain_text or "")  # the fields


async def test_chart_of_an_unknown_or_outside_area_is_refused(bot: Harness) -> None:
    admin = bot.user(ADMIN_ID, "Admin")
    supervisor = bot.user(SUPERVISOR, "赵主任")
    community = bot.group(-100_101, "前进社区防控群", admins=(admin,))
    community.add_member(supervisor)
    await bot.send(admin, f"/bindgroup {COMMUNITY}", chat=community)
    outside = await ask(bot, supervisor, "/chart 东关社区", community)
    assert outside.photo is None and "东关社区" in (outside.plain_text or "")
    unknown = await ask(bot, supervisor, "/chart 7d 火星社区", community)
    assert unknown.photo is None and "火星社区" in (unknown.plain_text or "")


async def test_chart_is_for_supervisors_and_admins_only(bot: Harness) -> None:
    worker = bot.user(710000001, "王娜")
    reply = await ask(bot, worker, "/chart")
    assert reply.photo is None
    admin = bot.user(ADMIN_ID, "Admin")
    await seed(bot)
    photo = await ask(bot, admin, "/chart 14d fever_found 东关社区")
    assert photo.photo is not None and "东关社区" in (photo.photo.caption or "")
    whole = await ask(bot, admin, "/chart")
    assert whole.photo is not None and STREET in (whole.photo.caption or "")


# --------------------------------------------------------------------------- the CLI


async def test_gridbot_chart_writes_the_png_and_refuses_bad_arguments(
    bot: Harness, tmp_path: Path
) -> None:
    await seed(bot)
    env = {key: value for key, value in os.environ.items() if not key.startswith("GRIDBOT_")}
    env |= {"GRIDBOT_DB": str(bot.settings.db), "GRIDBOT_LOCALE": "en"}
    out = tmp_path / "street.png"
    args = ("chart", "--area", STREET, "--days", "7", "--date", DAY.isoformat(), "--out")
    done = await asyncio.to_thread(gridbot, env, *args, str(out))
    assert done.returncode == 0, done.stderr
    assert f"Chart written to {out} (1000×" in done.stdout and "6 days" in done.stdout
    with Image.open(out) as image:
        assert image.width == 1000 and image.height > 600
    unknown = await asyncio.to_thread(gridbot, env, "chart", "--area", "火星", "--out", str(out))
    assert unknown.returncode == 2 and "--area 火星: no such area" in unknown.stderr
    assert "学院南路街道/前进社区" in unknown.stderr
    days = await asyncio.to_thread(gridbot, env, "chart", "--days", "0", "--out", str(out))
    assert days.returncode == 2 and "from 1 to 366" in days.stderr
    field = await asyncio.to_thread(gridbot, env, "chart", "--field", "x", "--out", str(out))
    assert field.returncode == 2 and "home_isolation" in field.stderr
    ahead = ("chart", "--date", "2999-01-01", "--out", str(tmp_path / "ahead.png"))
    future = await asyncio.to_thread(gridbot, env, *ahead)
    assert future.returncode == 2 and "2999-01-01 has not come yet" in future.stderr
    assert not (tmp_path / "ahead.png").exists()


async def test_without_a_chinese_font_the_chart_is_english_and_says_so_once(
    bot: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)  # a machine without one
    fonts._warn_once.cache_clear()
    await seed(bot)
    request = ChartRequest(await area(bot, STREET), DAY, 14)
    with caplog.at_level(logging.WARNING):
        first = await draw_chart(bot.deps, request, "zh_CN", highlight=DAY)
        await draw_chart(bot.deps, request, "zh_CN", highlight=DAY)
    fonts._warn_once.cache_clear()
    assert first.locale == "en" and first.data.title.startswith("This area")
    assert [panel.label for panel in first.data.panels] == ["Sub-area 2", "Sub-area 1"]
    warnings = [record for record in caplog.records if "no Chinese font" in record.message]
    assert len(warnings) == 1
    assert first.caption(request.area).startswith("📊 学院南路街道")  # Telegram draws it


# --------------------------------------------------------------------------- the emulator


async def test_the_emulator_takes_a_photo_upload_and_refuses_what_is_no_image(
    bot: Harness,
) -> None:
    _, _, street = await street_group(bot)
    sender = bot.running.application.bot
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await sender.send_photo(street.id, b"not an image", filename="chart.png")
    picture = io.BytesIO()
    Image.new("RGB", (320, 200), "white").save(picture, format="PNG")
    sent = await sender.send_photo(street.id, picture.getvalue(), caption="📊 图")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (320, 200)
    seen = street.last()
    assert seen.photo is not None and seen.photo.caption == "📊 图"
    assert seen.photo.content == picture.getvalue() and seen.text is None
    call = next(call for call in reversed(bot.emu.calls) if call.method == "sendPhoto")
    assert call.ok
