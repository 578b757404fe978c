"""Three reporting days of the sample roster, filed through storage with known figures.

The roster is imported on D1 at 08:00, so every active grid is expected on D1, D2 and D3
(D3 is the harness's DAY, "today"; the clock ends at 16:00 on it, before the 17:00
deadline). What happened, by grid (everything else is missing):

D1 2026-11-20
  QJ-01  detailed, 10:00, 王娜, opening balances home 45 / central 4, one fever incident;
         corrected on D2 at 10:00 by 王超 ("漏报10人"): screened 120 → 130, home_iso_in 2 → 3
  QJ-03  zero, 09:30, 王秀静
  QJ-05  detailed, late 18:30, 徐涛, opening balances home 10 / central 0
  DG-01  zero, late 19:00, 李芳洋
  DG-04  excused ("整栋封控")
D2 2026-11-21
  QJ-01  zero, 08:50, 王娜
  QJ-05  detailed, 16:00, 徐涛, home_iso_out 3
D3 2026-11-22 (today)
  QJ-01  detailed, 11:00, 王娜, home_iso_in 1, home_iso_out 2, urgent incident

Stocks (home isolation) of QJ-01 after the correction: D1 45 + 3 = 48, D2 48 (zero),
D3 48 + 1 − 2 = 47. QJ-05: D1 10, D2 10 − 3 = 7.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from harness import DAY, Harness

from bot.clock import ManualClock
from bot.config import Settings
from bot.dependencies import Dependencies, open_dependencies
from bot.domain.dates import DayRange
from bot.domain.models import FieldValue, Incident, ReportKind
from bot.domain.stocks import zero_values
from bot.emulator import BotApiEmulator
from storage import synthetic

TZ = ZoneInfo("Asia/Shanghai")
D1, D2, D3 = date(2026, 11, 20), date(2026, 11, 21), DAY
COMMUNITY, EAST, STREET = "学院南路街道/前进社区", "学院南路街道/东关社区", "学院南路街道"


def moment(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware time of day in the configured zone."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


def counts(**given: FieldValue) -> dict[str, FieldValue]:
    """A detailed report's answers: every count 0 and no difficulties, except ``given``."""
    values: dict[str, FieldValue] = {
        "screened": 0,
        "households_visited": 0,
        "arrivals": 0,
        "arrivals_risk": 0,
        "home_iso_in": 0,
        "home_iso_out": 0,
        "central_iso_in": 0,
        "central_iso_out": 0,
        "fever_found": 0,
        "fever_referred": 0,
        "close_contacts": 0,
        "disinfection": 1,
        "difficulties": None,
    }
    values.update(given)
    return values


D1_QJ01 = counts(
    screened=120,
    households_visited=40,
    arrivals=3,
    arrivals_risk=1,
    home_iso_in=2,
    fever_found=1,
    fever_referred=1,
    disinfection=2,
    difficulties="口罩不足，请支援500只",
)
FEVER = Incident("fever", "3栋2单元林某某发热38.2℃，已送发热门诊", False)
ESCAPE = Incident("leave_iso", "5栋张某某擅自离开居家隔离，已劝返", True)


async def file_scenario(bot: Harness) -> None:
    """File the three days described in the module docstring."""
    db = bot.deps.db
    form = bot.deps.form

    async def grid_id(code: str) -> int:
        grid = await db.roster.grid_by_code(code)
        assert grid is not None
        return grid.id

    async def worker_id(telegram_id: int) -> int:
        worker = await db.roster.worker_by_telegram_id(telegram_id)
        assert worker is not None
        return worker.id

    async def file(
        code: str,
        day: date,
        at: datetime,
        who: int,
        values: dict[str, FieldValue] | None = None,
        *,
        baseline: dict[str, int] | None = None,
        incidents: tuple[Incident, ...] = (),
    ) -> int:
        kind = ReportKind.DETAILED if values is not None else ReportKind.ZERO
        report, created = await db.reports.file(
            grid_id=await grid_id(code),
            day=day,
            kind=kind,
            values=values if values is not None else zero_values(form),
            incidents=incidents,
            baseline=baseline or {},
            worker_id=await worker_id(who),
            at=at,
            late=bot.deps.is_late(day, at),
        )
        assert created
        return report.id

    qj01_d1 = await file(
        "QJ-01",
        D1,
        moment(D1, 10),
        710000001,
        D1_QJ01,
        baseline={"home_isolation": 45, "central_isolation": 4},
        incidents=(FEVER,),
    )
    await file("QJ-03", D1, moment(D1, 9, 30), 710000005)
    await file(
        "QJ-05",
        D1,
        moment(D1, 18, 30),
        710000011,
        counts(screened=80, households_visited=20),
        baseline={"home_isolation": 10, "central_isolation": 0},
    )
    await file("DG-01", D1, moment(D1, 19), 710000015)
    await db.schedule.excuse(
        await grid_id("DG-04"), D1, reason="整栋封控", actor=800_000_001, at=moment(D1, 8, 30)
    )
    await file("QJ-01", D2, moment(D2, 8, 50), 710000001)
    await file("QJ-05", D2, moment(D2, 16), 710000011, counts(screened=60, home_iso_out=3))
    await db.reports.correct(
        qj01_d1,
        kind=ReportKind.DETAILED,
        values={**D1_QJ01, "screened": 130, "home_iso_in": 3},
        incidents=(FEVER,),
        baseline={"home_isolation": 45, "central_isolation": 4},
        worker_id=await worker_id(710000002),
        at=moment(D2, 10),
        reason="漏报10人",
        expected_version=1,
    )
    await file(
        "QJ-01",
        D3,
        moment(D3, 11),
        710000001,
        counts(screened=100, home_iso_in=1, home_iso_out=2),
        incidents=(ESCAPE,),
    )
    bot.clock.set(moment(D3, 16))


@asynccontextmanager
async def ledger_harness(
    emulator: BotApiEmulator, clock: ManualClock, db_path: Path
) -> AsyncIterator[Harness]:
    """The bot with the sample roster imported on D1 and the three days filed."""
    clock.set(moment(D1, 8))
    harness = Harness(emulator, clock, db_path)
    await harness.start()
    try:
        await harness.import_roster()
        await file_scenario(harness)
        yield harness
    finally:
        await harness.stop()


TREE_DAYS = DayRange(date(2026, 3, 2), date(2026, 3, 5))
"""The days filed in :func:`generated_tree`."""


@asynccontextmanager
async def generated_tree(folder: Path) -> AsyncIterator[Dependencies]:
    """A generated four-level tree in ``folder`` (a district, 5 streets, 50 communities, 120
    grids; :mod:`storage.synthetic`) with :data:`TREE_DAYS` filed and their running figures
    kept; the clock at 20:00 on the last day."""
    settings = Settings(_env_file=None, db=folder / "tree.sqlite3", timezone=TZ)  # type: ignore[call-arg]
    clock = ManualClock(datetime.combine(TREE_DAYS.last, time(20), tzinfo=TZ))
    async with open_dependencies(settings, clock) as deps:
        answers = counts(screened=10, fever_found=1, home_iso_in=2, home_iso_out=1)
        joined = datetime(2026, 3, 1, 9, tzinfo=TZ)
        categories = deps.form.incident_categories
        await synthetic.populate(deps.db, 120, TREE_DAYS, answers, joined, categories)
        await deps.db.figures.rebuild()
        yield deps
