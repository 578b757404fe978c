"""Binding a supervisor group to an area (``/bindgroup``)."""

from __future__ import annotations

from bot.dependencies import Dependencies
from bot.domain.models import Area
from bot.i18n import Locale
from bot.usecases.errors import UseCaseError
from bot.usecases.unit import unit_of_work


async def bind_group(
    deps: Dependencies,
    chat_id: int,
    *,
    area_path: str,
    title: str,
    language: Locale | None,
    actor: int,
) -> Area:
    """Bind the group to the area at ``area_path`` (a group bound elsewhere moves), in
    ``language`` if given. Raises ``group.bind_usage`` (no path) or ``group.unknown_area``,
    both with the known areas, one per line, as ``areas``."""
    async with unit_of_work(deps) as db:
        area = await db.roster.area_by_path(area_path) if area_path else None
        if area is None:
            known = "\n".join(f"• {item.path}" for item in await db.roster.areas()) or "—"
            key = "group.unknown_area" if area_path else "group.bind_usage"
            raise UseCaseError(key, path=area_path, areas=known)
        await db.groups.bind(chat_id, area_id=area.id, title=title, actor=actor, at=deps.now())
        if language is not None:
            await db.groups.set_language(chat_id, language)
        return area
