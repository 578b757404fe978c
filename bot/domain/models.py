"""Shared value types passed between storage, the domain logic and the handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple, Protocol, TypeAlias

from bot.i18n import Locale

FieldValue: TypeAlias = int | str | None
"""A form answer: an integer for ``count``, a choice key or text for ``choice``/``text``."""

Values: TypeAlias = dict[str, FieldValue]
"""A report's answers keyed by field key (derived stocks are never stored here)."""


class ReportKind(StrEnum):
    """How a report was filed. A zero report is never the same as a detailed all-zero one."""

    DETAILED = "detailed"
    ZERO = "zero"


class BindVia(StrEnum):
    """How a worker's Telegram account got bound to their roster row."""

    ROSTER_ID = "roster_id"
    USERNAME = "username"
    INVITE = "invite"


@dataclass(frozen=True, slots=True)
class Area:
    """A node of the area tree; ``path`` is like ``街道/社区``."""

    id: int
    path: str
    name: str
    parent_id: int | None

    def covers(self, path: str) -> bool:
        """Whether the area path ``path`` is this area's own or one below it."""
        return path == self.path or path.startswith(f"{self.path}/")


@dataclass(frozen=True, slots=True)
class Grid:
    """A grid (网格): the unit that reports once a day."""

    id: int
    code: str
    name: str
    area_id: int
    area_path: str
    households: int | None
    population: int | None
    active: bool


@dataclass(frozen=True, slots=True)
class Worker:
    """A grid worker (网格员); ``telegram_id`` is None until bound."""

    id: int
    grid_id: int
    name: str
    username: str | None
    telegram_id: int | None
    active: bool
    bound_via: BindVia | None = None
    language: Locale | None = None
    """The language of the worker's Telegram client, as last seen (for messages the bot starts)."""


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident (异常情况) attached to a report."""

    category: str
    description: str
    urgent: bool


@dataclass(frozen=True, slots=True)
class ReportVersion:
    """One version of a report: version 1 is the submission, later ones are corrections."""

    version: int
    kind: ReportKind
    values: Values
    incidents: tuple[Incident, ...]
    baseline: dict[str, int]
    """Opening balances typed by the worker (stock key -> count); empty except on a grid's
    first report, because later openings are derived from the previous day's closing."""
    created_at: datetime
    created_by: int | None
    """The worker who made this version; None when a supervisor did (see the name)."""
    created_by_name: str
    reason: str | None
    form_version: int | None = None
    """The form version it was filed under (the version in force on the report's day)."""


@dataclass(frozen=True, slots=True)
class Supervisor:
    """Someone outside the roster acting for an area (a supervisor group member, an admin)."""

    telegram_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Report:
    """A grid's report for one day with its whole version history (oldest first)."""

    id: int
    grid_id: int
    day: date
    submitted_at: datetime
    submitted_by: int
    submitted_by_name: str
    late: bool
    versions: tuple[ReportVersion, ...] = field(default=())

    @property
    def current(self) -> ReportVersion:
        """The latest version, which is what the report says now."""
        return self.versions[-1]

    @property
    def kind(self) -> ReportKind:
        """The kind of the current version."""
        return self.current.kind

    @property
    def corrected(self) -> bool:
        """Whether the report has been corrected since it was filed."""
        return len(self.versions) > 1

    @property
    def values(self) -> Values:
        """The answers of the current version."""
        return self.current.values

    @property
    def incident_count(self) -> int:
        """How many incidents the current version lists."""
        return len(self.current.incidents)


class CurrentReport(NamedTuple):
    """A grid's report for one day as it stands now (its current version's kind, answers
    and number of incidents), without its history: what a day's digest reads of ten
    thousand reports (a named tuple: made in a fraction of a dataclass's time)."""

    id: int
    grid_id: int
    day: date
    submitted_at: datetime
    late: bool
    kind: ReportKind
    values: Values
    incident_count: int


class Filed(Protocol):
    """What a grid-day's status and the digest read of a report: a whole :class:`Report` or
    a :class:`CurrentReport`."""

    @property
    def id(self) -> int: ...
    @property
    def grid_id(self) -> int: ...
    @property
    def day(self) -> date: ...
    @property
    def submitted_at(self) -> datetime:
        """When it was first filed (corrections do not move it)."""

    @property
    def late(self) -> bool: ...
    @property
    def kind(self) -> ReportKind: ...
    @property
    def values(self) -> Values: ...
    @property
    def incident_count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One validated row of a roster file (one worker)."""

    line: int
    area_path: str
    grid_code: str
    grid_name: str
    worker_name: str
    worker_username: str | None
    worker_id: int | None
    households: int | None
    population: int | None


@dataclass(frozen=True, slots=True)
class RosterError:
    """A roster row that could not be accepted: line number (1 = header) and reason key."""

    line: int
    reason: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RosterChanges:
    """What applying a roster changed."""

    areas_added: int = 0
    grids_added: int = 0
    grids_updated: int = 0
    grids_deactivated: int = 0
    workers_added: int = 0
    workers_updated: int = 0
    workers_deactivated: int = 0
    workers_bound: int = 0

    @property
    def unchanged(self) -> bool:
        """True when the import changed nothing."""
        return not any(
            (
                self.areas_added,
                self.grids_added,
                self.grids_updated,
                self.grids_deactivated,
                self.workers_added,
                self.workers_updated,
                self.workers_deactivated,
                self.workers_bound,
            )
        )
