"""The roster as lines of text, one listing for the chat and the terminal."""

from __future__ import annotations

from bot.domain.digest.text import Line
from bot.domain.models import Grid, Worker
from bot.i18n import Locale, t


def roster_lines(
    locale: Locale, overview: list[tuple[Grid, list[Worker]]], invites: set[int]
) -> list[Line]:
    """The roster by area and grid, who is bound and which grids have an invite link: for
    ``/grids`` (as HTML) and ``gridbot roster show`` (as plain text)."""
    workers = [worker for _, staff in overview for worker in staff]
    bound = sum(worker.telegram_id is not None for worker in workers)
    summary = t(
        locale, "admin.grids.summary", grids=len(overview), workers=len(workers), bound=bound
    )
    lines = [Line(summary, bold=True)]
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
