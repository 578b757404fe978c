"""The demo day(s): the real bot on a fresh database, talking to the emulator, on a fast clock.

Only two things are stand-ins: the clock (a :class:`ManualClock` the driver moves through
the day) and Telegram (the emulator on 127.0.0.1). Handlers, the scheduler's
:meth:`DailyRunner.tick`, storage and the digests are the application's own.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.app import RunningBot, running_bot
from bot.clock import ManualClock, at
from bot.config import Settings
from bot.demo.acting import DemoError, Stage
from bot.demo.people import Behaviour, Worker
from bot.demo.script import ACKNOWLEDGED_AT, Act, Move, Part, cast_parts, worker_moves
from bot.demo.world import DemoWorld, Person, SupervisorGroup, build_world
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.digest import Digest
from bot.domain.plan import DailyTimes, PlannedSend, day_plan
from bot.domain.roster import parse_roster
from bot.emulator import BotApiEmulator, SimGroup, SimUser
from bot.i18n import Locale, t
from bot.outbound.lanes import FAST_FORWARD_CHAT_LIMITS
from bot.usecases import roster, standing
from bot.usecases.digests import compile_area_digest

TOKEN = "7000000001:DEMO-TOKEN"
"""Any token will do: the emulator accepts it, Telegram never sees it."""
FIRST_DAY = date(2026, 11, 24)
"""A Tuesday: with ``--days 7`` the last day is a Monday, whose digest carries the weekly
late/missing tally (digests on a Monday tally the week before)."""
ZONE = ZoneInfo("Asia/Shanghai")
DEADLINE = time(17, 0)
MORNING = time(7, 0)
HELLO_AT = time(7, 30)
HOURLY = tuple(time(hour, 0) for hour in range(9, 21))
STATS_AT = time(20, 10)
CHART_AT = time(20, 12)
EXPORT_AT = time(20, 15)
DB_NAME = "gridbot-demo.sqlite3"
PAGE_URL = "https://gridbot.demo.invalid/"
"""The Mini App's public address in the demo: only the emulator sees it (in the buttons);
the demo's page worker talks to the bot's web server on 127.0.0.1."""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """What ``gridbot demo`` was asked for."""

    lang: Locale
    days: int
    seed: int
    out: Path
    grids_per_community: int = 5
    say: Callable[[str], None] = print
    """Where progress lines go."""


@dataclass(frozen=True, slots=True)
class PlayedDay:
    """One demo day: each grid's part in it (by grid code) and the digests of the evening
    (by group slug), as compiled right after the day."""

    day: date
    parts: dict[str, Part]
    digests: dict[str, Digest]


@dataclass(frozen=True, slots=True)
class Cast:
    """The simulated people and groups, as the emulator's users and chats."""

    workers: dict[int, Worker]
    """By Telegram id."""
    groups: dict[str, SimGroup]
    """By the supervisor group's slug."""
    supervisors: dict[str, SimUser]
    """By the slug of the group they supervise."""
    admin: SimUser


@dataclass
class Demo:
    """A running demo: the world, the emulator, the bot, and what was played so far."""

    options: DemoOptions
    world: DemoWorld
    emu: BotApiEmulator
    clock: ManualClock
    deps: Dependencies
    bot: RunningBot
    stage: Stage
    people: Cast
    played: list[PlayedDay] = field(default_factory=list)

    @property
    def lang(self) -> Locale:
        return self.options.lang

    def say(self, key: str, /, **params: object) -> None:
        """Print one line of the catalog's ``demo.*`` strings."""
        self.options.say(t(self.lang, f"demo.{key}", **params))

    # the set-up ------------------------------------------------------------------------------

    async def set_up(self) -> None:
        """Import the roster, bind the supervisor groups, let everyone open the bot."""
        self._at(FIRST_DAY, MORNING)
        parsed = parse_roster("demo-roster.csv", self.world.roster_csv(self.lang))
        if parsed.errors:
            raise DemoError(f"the demo roster does not import: {parsed.errors}")
        await roster.import_roster(self.deps, parsed.rows, actor=None)
        for group in self.world.groups:
            command = f"/bindgroup {group.area_path(self.lang)}"
            await self.stage.send(self.people.admin, command, chat=self.people.groups[group.slug])
        self._at(FIRST_DAY, HELLO_AT)
        for worker in self.people.workers.values():
            await worker.say_hello()
        self._progress()

    # a day -----------------------------------------------------------------------------------

    async def play_day(self, day: date, *, closing: bool = False) -> None:
        """Move the clock through ``day``: the plan's sends, people acting in between.

        On the ``closing`` day the evening ends with ``/stats`` and ``/export``.
        """
        rng = random.Random(f"{self.options.seed}:{day.isoformat()}")
        parts = cast_parts(self._grid_workers(), rng)
        self.say("day", number=len(self.played) + 1, day=day.isoformat())
        form = self.deps.form
        moves = [m for p in parts for m in worker_moves(p, form, rng, self._correctable(p, day))]
        moves += self._supervisor_moves(parts) + (self._closing_moves(day) if closing else [])
        plan = {send.at.time(): send for send in day_plan(self._times(), day)}
        moments = sorted({*plan, *HOURLY, *(move.at for move in moves)})
        for moment in moments:
            self._at(day, moment)
            await self.bot.outbound.runner.tick()
            for move in (m for m in moves if m.at == moment):
                await move.act()
            if moment in plan or moment in HOURLY or moment == moments[-1]:
                await self._report_progress(day, plan.get(moment))
        by_grid = {part.worker.grid.code: part for part in parts}
        self.played.append(PlayedDay(day, by_grid, await self._digests(day)))

    def _correctable(self, part: Part, day: date) -> date:
        """Yesterday when the part's grid filed a report yesterday, else ``day`` itself."""
        if not self.played:
            return day
        yesterday = self.played[-1]
        missing = yesterday.parts[part.worker.grid.code].behaviour == Behaviour.MISSING
        return day if missing else yesterday.day

    def _closing_moves(self, last: date) -> list[Move]:
        """After the last digest: the street's supervisor asks for /stats and for the chart of
        home isolation in the group, the admin for the whole demo's ledger (/export, in the
        private chat)."""
        street = self.world.street_group.slug
        supervisor, group = self.people.supervisors[street], self.people.groups[street]
        first = self.played[0].day if self.played else last

        async def stats() -> None:
            await self.stage.ask(supervisor, "/stats", chat=group)

        async def chart() -> None:
            await self.stage.ask(supervisor, "/chart 30d home_isolation", chat=group)

        async def export() -> None:
            await self.stage.ask(self.people.admin, f"/export {first} {last}", replies=2)

        return [Move(STATS_AT, stats), Move(CHART_AT, chart), Move(EXPORT_AT, export)]

    def _supervisor_moves(self, parts: Sequence[Part]) -> list[Move]:
        """The community supervisor acknowledges the urgent alert a few minutes after it."""
        moves = []
        for part in parts:
            if part.behaviour == Behaviour.URGENT:
                group = next(g for g in self.world.groups if g.slug == part.worker.grid.community)
                moves.append(Move(ACKNOWLEDGED_AT, self._acknowledger(group)))
        return moves

    def _acknowledger(self, group: SupervisorGroup) -> Act:
        async def acknowledge() -> None:
            label = t(self.lang, "outbound.ack_button")
            supervisor = self.people.supervisors[group.slug]
            chat = self.people.groups[group.slug]
            await self.stage.tap(supervisor, label, chat=chat)

        return acknowledge

    async def _report_progress(self, day: date, planned: PlannedSend | None) -> None:
        reported = (await standing.standing(self.deps, day)).counts.reported
        event = "" if planned is None else t(self.lang, f"demo.event.{planned.kind.value}")
        self.say(
            "progress",
            time=self.clock.now().strftime("%H:%M"),
            messages=self.stage.message_count(),
            reported=reported,
            grids=len(self.world.grids),
            event=event,
        )

    def _progress(self) -> None:
        self.say(
            "progress_setup",
            time=self.clock.now().strftime("%H:%M"),
            messages=self.stage.message_count(),
        )

    async def _digests(self, day: date) -> dict[str, Digest]:
        """Each bound group's digest of ``day``, by group slug, as compiled now."""
        compiled = {}
        for group in self.world.groups:
            area = await roster.area_named(self.deps, group.area_path(self.lang))
            if area is None:
                raise DemoError(f"area {group.area_path(self.lang)} is missing")
            compiled[group.slug] = await compile_area_digest(self.deps, area, day)
        return compiled

    # helpers ---------------------------------------------------------------------------------

    def _grid_workers(self) -> list[list[Worker]]:
        by_grid: dict[str, list[Worker]] = {}
        for worker in self.people.workers.values():
            by_grid.setdefault(worker.grid.code, []).append(worker)
        return [by_grid[grid.code] for grid in self.world.grids]

    def _times(self) -> DailyTimes:
        return DailyTimes.from_settings(self.deps.settings)

    def _at(self, day: date, moment: time) -> None:
        self.clock.set(at(day, moment, ZONE))


def demo_days(count: int) -> list[date]:
    """The days the demo plays, from :data:`FIRST_DAY`."""
    return [FIRST_DAY + timedelta(days=offset) for offset in range(count)]


class _DemoSettings(Settings):
    """Settings read from the arguments only: the environment and ``.env`` are ignored, so
    the demo behaves the same on every machine, whatever ``GRIDBOT_*`` says."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def demo_settings(options: DemoOptions, api_url: str, admin_id: int) -> Settings:
    """Settings of the demo's bot: the defaults, pointed at the emulator and the demo's files."""
    return _DemoSettings(
        token=TOKEN,
        api_base_url=api_url,
        bot_username=None,
        db=options.out / DB_NAME,
        admins=frozenset({admin_id}),
        timezone=ZONE,
        locale=options.lang,
        deadline=DEADLINE,
        form=None,
        webapp_url=PAGE_URL,
        webapp_port=0,
    )


@asynccontextmanager
async def demo_session(options: DemoOptions) -> AsyncIterator[Demo]:
    """A fresh demo: the emulator on loopback, a new database, the bot running, the cast."""
    world = build_world(random.Random(options.seed), options.grids_per_community)
    clock = ManualClock(datetime.combine(FIRST_DAY, MORNING, tzinfo=ZONE))
    _remove_database(options.out / DB_NAME)
    async with AsyncExitStack() as stack:
        emu = await stack.enter_async_context(BotApiEmulator(clock=clock.now))
        settings = demo_settings(options, emu.url, world.admin.telegram_id)
        deps = await stack.enter_async_context(open_dependencies(settings, clock))
        bot = await stack.enter_async_context(
            running_bot(
                deps,
                TOKEN,
                poll_timeout=1,
                schedule=False,
                chat_limits=FAST_FORWARD_CHAT_LIMITS,
            )
        )
        yield _cast(options, world, emu, clock, deps, bot)


def _cast(
    options: DemoOptions,
    world: DemoWorld,
    emu: BotApiEmulator,
    clock: ManualClock,
    deps: Dependencies,
    bot: RunningBot,
) -> Demo:
    """The simulated people, as users and groups of the emulator."""
    lang = options.lang
    code = "zh-hans" if lang == "zh_CN" else "en"
    page_url = bot.webapp.local_url if bot.webapp is not None else ""
    stage = Stage(emu, bot.application.update_queue, clock, page_url, bot.outbound.alerts.settled)

    def user(person: Person) -> SimUser:
        name, username = person.name_in(lang), person.username
        return emu.add_user(person.telegram_id, name, username=username, language_code=code)

    workers = {
        person.telegram_id: Worker(stage, person, grid, user(person), deps.form, lang)
        for grid in world.grids
        for person in grid.workers
    }
    admin = user(world.admin)
    supervisors = {group.slug: user(group.supervisor) for group in world.groups}
    groups = {
        group.slug: emu.add_group(
            group.chat_id, group.title(lang), admins=(admin, supervisors[group.slug])
        )
        for group in world.groups
    }
    people = Cast(workers, groups, supervisors, admin)
    return Demo(options, world, emu, clock, deps, bot, stage, people)


def _remove_database(path: Path) -> None:
    """A fresh database each run (with SQLite's side files)."""
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
