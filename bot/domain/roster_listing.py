"""The roster as lines of text, one listing for the chat and the terminal."""

from __future__ import annotations

from bot.domain.digest.text import Line
from bot.domain.models import Grid, Worker
from bot.i18n import Locale, t

CHAT_GRIDS = 200
"""Above this many grids, ``/grids`` sums the roster up by area instead of listing every
grid (a district's 10,000 grids were 80 messages)."""


def chat_roster_lines(
    locale: Locale, overview: list[tuple[Grid, list[Worker]]], invites: set[int]
) -> list[Line]:
    """``/grids``' reply: the roster grid by grid (:func:`roster_lines`), or above
    :data:`CHAT_GRIDS` grids each area's grids, workers and bound workers, and how to list
    one area."""
    if len(overview) <= CHAT_GRIDS:
        return roster_lines(locale, overview, invites)
    by_area: dict[str, list[list[Worker]]] = {}
    for grid, staff in overview:
        by_area.setdefault(grid.area_path, []).append(staff)
    lines = [_summary(locale, overview), Line("")]
    for area, staffs in by_area.items():
        workers = [worker for staff in staffs for worker in staff]
        counts = {"grids": len(staffs), "workers": len(workers), "bound": _bound(workers)}
        lines.append(Line(t(locale, "admin.grids.area", area=area, **counts)))
    return [*lines, Line(""), Line(t(locale, "admin.grids.narrow", count=len(overview)))]


def roster_lines(
    locale: Locale, overview: list[tuple[Grid, list[Worker]]], invites: set[int]
) -> list[Line]:
    """The roster by area and grid, who is bound and which grids have an invite link: for
    ``/grids`` (as HTML) and ``gridbot roster show`` (as plain text)."""
    lines = [_summary(locale, overview)]
    area = None
    for grid, staff in overview:
        if grid.area_path != area:
            area = grid.area_path
            lines += [Line(""), Line(area, bold=True, keep=True)]
        key = "admin.grids.grid_invite" if grid.id in invites else "admin.grids.grid"
        lines.append(Line(t(locale, key, code=grid.code, grid=grid.name, count=len(staff))))
        if not staff:
            lines.append(Line(t(locale, "admin.grids.no_workers")))
        for worker in staff:
            state = "admin.grids.bound" if worker.telegram_id else "admin.grids.unbound"
            username = f" @{worker.username}" if worker.username else ""
            lines.append(Line(t(locale, state, name=worker.name, username=username)))
    return lines


def _summary(locale: Locale, overview: list[tuple[Grid, list[Worker]]]) -> Line:
    workers = [worker for _, staff in overview for worker in staff]
    counts = {"grids": len(overview), "workers": len(workers), "bound": _bound(workers)}
    return Line(t(locale, "admin.grids.summary", **counts), bold=True)


def _bound(workers: list[Worker]) -> int:
    return sum(worker.telegram_id is not None for worker in workers)
