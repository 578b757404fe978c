"""Applying a validated roster to the database (the body of ``RosterRepo.apply``).

The file is the truth for roster workers; existing rows are matched, updated, deactivated,
never deleted. A row matches an existing worker, in this order over the whole file:

1. by Telegram id (``worker_id``), active rows first, then a deactivated one (it comes back);
2. by username (case-insensitive), among active workers;
3. by (grid, worker name), among active workers.

Each existing worker is matched at most once. Unmatched active roster workers are
deactivated. Workers who joined through an invite link (origin ``invite``) are not listed
in the file, so an import leaves them alone unless it deactivates their grid or gives their
username to someone else (the file wins: their username is cleared).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import aiosqlite

from bot.domain.models import BindVia, RosterChanges, RosterRow
from storage.rows import fetch_all, insert_id


@dataclass(slots=True)
class _Counts:
    areas_added: int = 0
    grids_added: int = 0
    grids_updated: int = 0
    grids_deactivated: int = 0
    workers_added: int = 0
    workers_updated: int = 0
    workers_deactivated: int = 0
    workers_bound: int = 0

    def freeze(self) -> RosterChanges:
        return RosterChanges(**{f.name: getattr(self, f.name) for f in fields(self)})


@dataclass(frozen=True, slots=True)
class _WorkerState:
    """The columns of ``workers`` an import reads and writes."""

    id: int
    grid_id: int
    name: str
    username: str | None
    telegram_id: int | None
    active: bool
    origin: str
    bound_via: str | None
    bound_at: str | None

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> _WorkerState:
        return cls(
            id=row["id"],
            grid_id=row["grid_id"],
            name=row["name"],
            username=row["username"],
            telegram_id=row["telegram_id"],
            active=bool(row["active"]),
            origin=row["origin"],
            bound_via=row["bound_via"],
            bound_at=row["bound_at"],
        )


async def apply_roster(
    conn: aiosqlite.Connection, rows: Sequence[RosterRow], now: str
) -> RosterChanges:
    """Apply ``rows`` on ``conn`` inside the caller's transaction; ``now`` is a stored time."""
    sync = _RosterSync(conn, now)
    area_ids = await sync.areas({row.area_path for row in rows})
    grid_ids = await sync.grids(rows, area_ids)
    await sync.workers(rows, grid_ids)
    return sync.counts.freeze()


def _key(code: str) -> str:
    return code.casefold()


def _prefixes(path: str) -> list[str]:
    segments = path.split("/")
    return ["/".join(segments[: depth + 1]) for depth in range(len(segments))]


class _RosterSync:
    """One import: areas, then grids, then workers, counting what changed."""

    def __init__(self, conn: aiosqlite.Connection, now: str) -> None:
        self.conn = conn
        self.now = now
        self.counts = _Counts()

    # --- areas -----------------------------------------------------------------------------

    async def areas(self, paths: set[str]) -> dict[str, int]:
        """Make sure every path and each of its prefixes is an area; path -> area id."""
        ids = {
            row["path"]: row["id"]
            for row in await fetch_all(self.conn, "SELECT id, path FROM areas")
        }
        wanted = {prefix for path in paths for prefix in _prefixes(path)}
        for path in sorted(wanted, key=lambda p: (p.count("/"), p)):
            if path in ids:
                continue
            parent, _, name = path.rpartition("/")
            ids[path] = await insert_id(
                self.conn,
                "INSERT INTO areas (parent_id, name, path, created_at) VALUES (?, ?, ?, ?)",
                (ids.get(parent) if parent else None, name, path, self.now),
            )
            self.counts.areas_added += 1
        return ids

    # --- grids -----------------------------------------------------------------------------

    async def grids(self, rows: Sequence[RosterRow], area_ids: dict[str, int]) -> dict[str, int]:
        """Upsert the file's grids by code, deactivate the others; code key -> grid id."""
        existing = {
            _key(row["code"]): row
            for row in await fetch_all(
                self.conn,
                "SELECT id, code, name, area_id, households, population, active FROM grids",
            )
        }
        first_rows: dict[str, RosterRow] = {}
        for row in rows:
            first_rows.setdefault(_key(row.grid_code), row)
        ids: dict[str, int] = {}
        for key, row in first_rows.items():
            wanted = (
                row.grid_code,
                row.grid_name,
                area_ids[row.area_path],
                row.households,
                row.population,
            )
            ids[key] = await self._upsert_grid(existing.get(key), wanted)
        for key, old in existing.items():
            if key not in first_rows and old["active"]:
                await self.conn.execute(
                    "UPDATE grids SET active = 0, updated_at = ? WHERE id = ?",
                    (self.now, old["id"]),
                )
                self.counts.grids_deactivated += 1
        return ids

    async def _upsert_grid(self, old: aiosqlite.Row | None, wanted: tuple[Any, ...]) -> int:
        if old is None:
            self.counts.grids_added += 1
            return await insert_id(
                self.conn,
                "INSERT INTO grids (code, name, area_id, households, population, active,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                (*wanted, self.now, self.now),
            )
        current = (old["code"], old["name"], old["area_id"], old["households"], old["population"])
        if current == wanted and old["active"]:
            return int(old["id"])
        await self.conn.execute(
            "UPDATE grids SET code = ?, name = ?, area_id = ?, households = ?, population = ?,"
            " active = 1, updated_at = ? WHERE id = ?",
            (*wanted, self.now, old["id"]),
        )
        if old["active"]:
            self.counts.grids_updated += 1
        else:
            self.counts.grids_added += 1
        return int(old["id"])

    # --- workers ---------------------------------------------------------------------------

    async def workers(self, rows: Sequence[RosterRow], grid_ids: dict[str, int]) -> None:
        """Match the rows to workers, then write in an order that keeps the "one active
        worker per username / Telegram id" indexes valid after every statement: deactivate
        the unlisted, free usernames that move, update the matched, add the new."""
        existing = [
            _WorkerState.from_row(row)
            for row in await fetch_all(
                self.conn,
                "SELECT id, grid_id, name, username, telegram_id, active, origin, bound_via,"
                " bound_at FROM workers ORDER BY active DESC, id DESC",
            )
        ]
        matches = _match(rows, existing, grid_ids)
        targets = {
            worker.id: self._target(worker, row, grid_ids)
            for row in rows
            if (worker := matches.get(row.line)) is not None
        }
        taken_usernames = {
            row.worker_username.casefold() for row in rows if row.worker_username is not None
        }
        active_grids = set(grid_ids.values())
        for worker in existing:
            if worker.active and worker.id not in targets:
                await self._leave(worker, active_grids, taken_usernames)
        by_id = {worker.id: worker for worker in existing}
        await self._release_usernames(by_id, targets)
        for worker_id, target in targets.items():
            await self._update_worker(by_id[worker_id], target)
        for row in rows:
            if row.line not in matches:
                await self._add_worker(row, grid_ids[_key(row.grid_code)])

    def _target(
        self, worker: _WorkerState, row: RosterRow, grid_ids: dict[str, int]
    ) -> _WorkerState:
        """What the matched worker should look like after the import."""
        rebind = row.worker_id is not None and row.worker_id != worker.telegram_id
        return replace(
            worker,
            grid_id=grid_ids[_key(row.grid_code)],
            name=row.worker_name,
            username=row.worker_username,
            telegram_id=row.worker_id if rebind else worker.telegram_id,
            active=True,
            origin="roster",
            bound_via=BindVia.ROSTER_ID.value if rebind else worker.bound_via,
            bound_at=self.now if rebind else worker.bound_at,
        )

    async def _leave(
        self, worker: _WorkerState, active_grids: set[int], taken_usernames: set[str]
    ) -> None:
        """An active worker the file does not list: deactivate it, or keep an invitee."""
        if worker.origin == "roster" or worker.grid_id not in active_grids:
            await self.conn.execute(
                "UPDATE workers SET active = 0, updated_at = ? WHERE id = ?", (self.now, worker.id)
            )
            self.counts.workers_deactivated += 1
        elif worker.username is not None and worker.username.casefold() in taken_usernames:
            await self.conn.execute(
                "UPDATE workers SET username = NULL, updated_at = ? WHERE id = ?",
                (self.now, worker.id),
            )
            self.counts.workers_updated += 1

    async def _release_usernames(
        self, by_id: dict[int, _WorkerState], targets: dict[int, _WorkerState]
    ) -> None:
        """Free usernames that move between workers before any of them is written."""
        for worker_id, target in targets.items():
            old = by_id[worker_id].username
            if old is not None and old != target.username:
                await self.conn.execute(
                    "UPDATE workers SET username = NULL WHERE id = ?", (worker_id,)
                )

    async def _update_worker(self, old: _WorkerState, new: _WorkerState) -> None:
        if new == old:
            return
        await self.conn.execute(
            "UPDATE workers SET grid_id = ?, name = ?, username = ?, telegram_id = ?, active = 1,"
            " origin = ?, bound_via = ?, bound_at = ?, updated_at = ? WHERE id = ?",
            (
                new.grid_id,
                new.name,
                new.username,
                new.telegram_id,
                new.origin,
                new.bound_via,
                new.bound_at,
                self.now,
                new.id,
            ),
        )
        if old.active:
            self.counts.workers_updated += 1
        else:
            self.counts.workers_added += 1
        if new.telegram_id != old.telegram_id:
            self.counts.workers_bound += 1

    async def _add_worker(self, row: RosterRow, grid_id: int) -> None:
        bound = row.worker_id is not None
        await self.conn.execute(
            "INSERT INTO workers (grid_id, name, username, telegram_id, active, origin,"
            " bound_via, bound_at, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 1, 'roster', ?, ?, ?, ?)",
            (
                grid_id,
                row.worker_name,
                row.worker_username,
                row.worker_id,
                BindVia.ROSTER_ID.value if bound else None,
                self.now if bound else None,
                self.now,
                self.now,
            ),
        )
        self.counts.workers_added += 1
        self.counts.workers_bound += int(bound)


def _match(
    rows: Sequence[RosterRow], existing: Sequence[_WorkerState], grid_ids: dict[str, int]
) -> dict[int, _WorkerState]:
    """Row line -> the existing worker it updates (see the module docstring for the order).

    ``existing`` is ordered active first, newest first, so the first free candidate wins.
    """
    by_telegram: dict[object, list[_WorkerState]] = defaultdict(list)
    by_username: dict[object, list[_WorkerState]] = defaultdict(list)
    by_grid_name: dict[object, list[_WorkerState]] = defaultdict(list)
    for worker in existing:
        if worker.telegram_id is not None:
            by_telegram[worker.telegram_id].append(worker)
        if worker.active and worker.username is not None:
            by_username[worker.username.casefold()].append(worker)
        if worker.active:
            by_grid_name[(worker.grid_id, worker.name)].append(worker)
    passes: list[tuple[dict[object, list[_WorkerState]], Callable[[RosterRow], object]]] = [
        (by_telegram, lambda row: row.worker_id),
        (by_username, lambda row: row.worker_username and row.worker_username.casefold()),
        (by_grid_name, lambda row: (grid_ids[_key(row.grid_code)], row.worker_name)),
    ]
    matches: dict[int, _WorkerState] = {}
    claimed: set[int] = set()
    for table, key_of in passes:
        for row in rows:
            key = key_of(row)
            if row.line in matches or key is None:
                continue
            found = next((w for w in table.get(key, ()) if w.id not in claimed), None)
            if found is not None:
                matches[row.line] = found
                claimed.add(found.id)
    return matches
