"""The roster: importing it, listing it, invite links, adding and removing workers, and a
new user binding themselves to it (``/start``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.dependencies import Dependencies
from bot.domain.ledger import contains, find_area
from bot.domain.models import Area, Grid, RosterChanges, RosterRow, Worker
from bot.i18n import Locale
from bot.usecases.errors import UseCaseError
from bot.usecases.people import grid_of, worker_of
from bot.usecases.unit import unit_of_work
from storage.roster import InviteStatus
from storage.roster_edits import RosterEdits

BOT_USERNAME_KEY = "bot_username"
"""Meta key: the bot's @username, learnt when it starts (for invite links)."""


class UnknownGrid(UseCaseError):
    """No active grid with that code."""

    def __init__(self, code: str) -> None:
        super().__init__("admin.unknown_grid", code=code)


@dataclass(frozen=True, slots=True)
class Listing:
    """The active grids with their active workers, and which grids have an invite link."""

    grids: list[tuple[Grid, list[Worker]]]
    invites: set[int]


@dataclass(frozen=True, slots=True)
class Invite:
    """A grid's invite: its token and, when the bot's @username is known, the deep link."""

    grid: Grid
    token: str
    link: str | None


def invite_link(bot_username: str, token: str) -> str:
    """Telegram's deep link that opens the bot and sends ``/start <token>``."""
    return f"https://t.me/{bot_username}?start={token}"


async def area_named(deps: Dependencies, text: str) -> Area | None:
    """The area ``text`` names: its full path, or a name only one area has."""
    return find_area(await deps.db.roster.areas(), text)


async def active_grid(deps: Dependencies, code: str) -> Grid:
    """The active grid with that code; :class:`UnknownGrid` otherwise."""
    grid = await deps.db.roster.grid_by_code(code)
    if grid is None or not grid.active:
        raise UnknownGrid(code)
    return grid


async def roster_listing(deps: Dependencies, area: Area | None = None) -> Listing:
    """The roster (of ``area`` and below; None: all of it) by area path and grid code."""
    overview = await deps.db.roster.roster_overview()
    chosen = [(grid, workers) for grid, workers in overview if area is None or contains(area, grid)]
    return Listing(chosen, await RosterEdits(deps.db).grids_with_invites())


async def preview_import(deps: Dependencies, rows: Sequence[RosterRow]) -> RosterChanges:
    """What importing ``rows`` (a parse without errors) would change; nothing is written."""
    return await RosterEdits(deps.db).preview_import(rows, at=deps.now())


async def import_roster(
    deps: Dependencies, rows: Sequence[RosterRow], *, actor: int | None
) -> RosterChanges:
    """Import or update the roster from ``rows`` (a parse without errors). Importing the
    same rows again changes nothing; nobody's reports are ever lost."""
    return await deps.db.roster.apply(rows, actor=actor, at=deps.now())


async def invite(
    deps: Dependencies, grid_code: str, *, rotate: bool = False, actor: int | None
) -> Invite:
    """The active grid's invite (made if there is none; a new one with ``rotate``)."""
    async with unit_of_work(deps) as db:
        grid = await active_grid(deps, grid_code)
        token = await db.roster.invite_token(grid.id, rotate=rotate, actor=actor, at=deps.now())
        username = deps.settings.bot_username or await db.meta.get(BOT_USERNAME_KEY)
        return Invite(grid, token, invite_link(username, token) if username else None)


async def revoke_invites(
    deps: Dependencies, grid_code: str, *, actor: int | None
) -> tuple[Grid, int]:
    """The active grid's invite links stop working; returns the grid and how many did."""
    async with unit_of_work(deps) as db:
        grid = await active_grid(deps, grid_code)
        return grid, await db.roster.revoke_invites(grid.id, actor=actor, at=deps.now())


async def worker_by_username(deps: Dependencies, username: str) -> Worker | None:
    """The active worker with that @username, if any."""
    return await RosterEdits(deps.db).worker_by_username(username)


@dataclass(frozen=True, slots=True)
class Added:
    """A worker added to a grid, or (``created`` False) the active worker who already has
    the @username, with their grid."""

    worker: Worker
    grid: Grid
    created: bool


async def add_worker(
    deps: Dependencies, grid_code: str, *, username: str, name: str, actor: int
) -> Added:
    """Add a worker known by @username to the active grid (bound when they send /start);
    :class:`UnknownGrid` for a grid that is not."""
    async with unit_of_work(deps) as db:
        grid = await active_grid(deps, grid_code)
        edits = RosterEdits(db)
        worker = await edits.add_worker(
            grid, username=username, name=name, actor=actor, at=deps.now()
        )
        if worker is not None:
            return Added(worker, grid, created=True)
        existing = await edits.worker_by_username(username)
        if existing is None:
            raise LookupError(f"@{username} is taken by no active worker")
        return Added(existing, await grid_of(deps, existing), created=False)


async def remove_worker(deps: Dependencies, worker: Worker, *, actor: int) -> list[Worker]:
    """Deactivate ``worker`` (their reports stay); returns the grid's workers left."""
    async with unit_of_work(deps) as db:
        await RosterEdits(db).remove_worker(worker, actor=actor, at=deps.now())
        return await db.roster.workers_of_grid(worker.grid_id)


async def register(
    deps: Dependencies,
    telegram_id: int,
    *,
    invite_token: str | None,
    display_name: str,
    username: str | None,
    language: Locale | None,
) -> Worker | None:
    """The worker a Telegram user is, binding them when needed: by the grid's invite token
    (``/start <token>``), else by the roster's @username. None: not (or no longer) on the
    roster. Raises ``onboarding.invite_invalid`` for a token that does not work."""
    roster, now = deps.db.roster, deps.now()
    if invite_token:
        outcome = await roster.bind_via_invite(
            invite_token,
            telegram_id=telegram_id,
            display_name=display_name,
            username=username,
            at=now,
        )
        if outcome.status == InviteStatus.INVALID:
            raise UseCaseError("onboarding.invite_invalid")
        return outcome.worker
    worker = await worker_of(deps, telegram_id, language)
    if worker is None and username:
        worker = await roster.bind_by_username(username, telegram_id, at=now)
    return worker
