"""What supervisors do with their area: excuse a grid, fix a report; and a worker's /away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.dependencies import Dependencies
from bot.domain.answers import parse_answer
from bot.domain.correction import REASON_MAX_CHARS, REASON_MIN_CHARS, apply_fix, find_field
from bot.domain.form import FieldDef
from bot.domain.models import Area, FieldValue, Grid, Supervisor, Worker
from bot.domain.rules import RuleContext, Violation
from bot.i18n import Locale
from bot.usecases.errors import FutureDay, RulesRejected, UseCaseError
from bot.usecases.filing import openings_of
from bot.usecases.unit import unit_of_work


class UnknownGrid(UseCaseError):
    """No such grid (or not in the caller's area, or no longer active)."""

    def __init__(self, code: str) -> None:
        super().__init__("supervision.unknown_grid", code=code)


@dataclass(frozen=True, slots=True)
class Excused:
    """A grid excused from a day's report."""

    grid: Grid
    day: date
    reason: str


@dataclass(frozen=True, slots=True)
class Fixed:
    """A supervisor's correction, as stored: old → new, the version it made, warnings."""

    grid: Grid
    day: date
    field: FieldDef
    old: FieldValue
    new: FieldValue
    version: int
    warnings: tuple[Violation, ...]


async def area_of_group(deps: Dependencies, chat_id: int) -> Area | None:
    """The area a supervisor group is bound to, if any."""
    return await deps.db.groups.area_of_chat(chat_id)


async def bound_groups(deps: Dependencies) -> list[tuple[int, Area]]:
    """Every supervisor group (chat id) and the area it is bound to."""
    return await deps.db.groups.bindings()


async def grid_count(deps: Dependencies, area: Area) -> int:
    """How many active grids ``area`` and the areas below it have."""
    return await deps.db.roster.grid_count(area.path, active_only=True)


async def group_language(deps: Dependencies, chat_id: int) -> Locale | None:
    """The language a group was bound in, if one was chosen."""
    return await deps.db.groups.language(chat_id)


async def group_locale(deps: Dependencies, chat_id: int) -> Locale:
    """The language to write to a group in: the one it was bound in, else GRIDBOT_LOCALE."""
    return await group_language(deps, chat_id) or deps.settings.locale


async def top_areas(deps: Dependencies) -> list[Area]:
    """The areas at the top of the tree (streets), by path."""
    return [area for area in await deps.db.roster.areas() if area.parent_id is None]


async def excuse_grid(
    deps: Dependencies, *, grid_code: str, reason: str, actor_id: int, area: Area | None
) -> Excused:
    """Excuse an active grid of ``area`` (None: any area) from today's report: it is shown
    as excused, never as missing. The reason is cut to the longest kept."""
    async with unit_of_work(deps) as db:
        grid = await db.roster.grid_by_code(grid_code)
        if grid is None or not grid.active or (area and not area.covers(grid.area_path)):
            raise UnknownGrid(grid_code)
        kept, day = reason.strip()[:REASON_MAX_CHARS], deps.today()
        await db.schedule.excuse(grid.id, day, reason=kept, actor=actor_id, at=deps.now())
        return Excused(grid, day, kept)


async def fix_report(
    deps: Dependencies,
    *,
    grid_code: str,
    day: date,
    field_name: str,
    value_text: str,
    reason: str,
    supervisor: Supervisor,
    area: Area | None,
) -> Fixed:
    """A supervisor sets one answer of any day's report of ``area`` (None: any area), with
    the same checks as the form; the report gets a new version saying who and why.

    Raises :class:`UnknownGrid`, :class:`FutureDay`, ``supervision.fix_unknown_field``,
    ``supervision.fix_no_report``, ``supervision.fix_reason`` (all :class:`UseCaseError`),
    :class:`~bot.domain.numbers.InputError` for a value that does not parse, and
    :class:`RulesRejected` for one that breaks a hard rule.
    """
    async with unit_of_work(deps) as db:
        grid = await db.roster.grid_by_code(grid_code)
        if grid is None or (area and not area.covers(grid.area_path)):
            raise UnknownGrid(grid_code)
        if day > deps.today():
            raise FutureDay(day, deps.today())
        form = deps.form_for(day)
        field = find_field(form, field_name)
        if field is None:
            fields = fixable_fields(deps, day)
            if any(find_field(version.form, field_name) for version in deps.forms.versions):
                raise UseCaseError(
                    "formversion.fix_not_asked", name=field_name, day=day.isoformat(), fields=fields
                )
            raise UseCaseError("supervision.fix_unknown_field", name=field_name, fields=fields)
        report = await db.reports.get(grid.id, day)
        if report is None:
            raise UseCaseError("supervision.fix_no_report", grid=grid.name, day=day.isoformat())
        if not REASON_MIN_CHARS <= len(reason) <= REASON_MAX_CHARS:
            raise UseCaseError("supervision.fix_reason")
        value = parse_answer(field, value_text)
        openings = await openings_of(deps, report)
        facts = {"households": grid.households, "population": grid.population}
        fix = apply_fix(
            form, report.current, field, value, RuleContext(openings=openings, grid=facts)
        )
        if fix.rejected:
            raise RulesRejected(fix.rejected)
        corrected = await db.reports.correct(
            report.id,
            kind=fix.kind,
            values=fix.values,
            incidents=report.current.incidents,
            baseline=report.current.baseline,
            worker_id=None,
            at=deps.now(),
            reason=reason,
            expected_version=report.current.version,  # read in this transaction: always current
            supervisor=supervisor,
        )
        return Fixed(grid, day, field, fix.old, fix.new, corrected.current.version, fix.warnings)


def fixable_fields(deps: Dependencies, day: date | None = None) -> str:
    """The keys /fix accepts for ``day`` (None: today), comma-separated (for its usage
    message): the questions of that day's form."""
    form = deps.form_for(deps.today() if day is None else day)
    return ", ".join(field.key for field in form.questions())


async def mark_away(deps: Dependencies, worker: Worker) -> list[Worker]:
    """Mute today's prompts and nags to ``worker``, if a colleague of the grid (bound, not
    away) still gets them; returns those colleagues. Raises ``supervision.away_alone``."""
    async with unit_of_work(deps) as db:
        day = deps.today()
        away = await db.schedule.away(day)
        colleagues = [
            other
            for other in await db.roster.workers_of_grid(worker.grid_id)
            if other.id != worker.id and other.telegram_id is not None and other.id not in away
        ]
        if not colleagues:
            raise UseCaseError("supervision.away_alone")
        await db.schedule.set_away(worker.id, day, at=deps.now())
        return colleagues
