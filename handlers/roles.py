"""Who may do what: admins (GRIDBOT_ADMINS and granted in chat) and supervisors (anyone
acting inside a group bound to an area, for that area and everything below it).

Each check answers the user itself when it says no, so a handler just returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.dependencies import Dependencies
from bot.domain.ledger import areas_within, find_area
from bot.domain.models import Area
from bot.i18n import Locale
from bot.telegram_ui import escape
from bot.usecases import stats, supervision
from handlers.common import Turn


@dataclass(frozen=True, slots=True)
class Reach:
    """What a supervisor command may read, and in which language to answer."""

    area: Area | None
    """None: the whole tree (an admin outside a bound group)."""
    locale: Locale


class Roles:
    """Permission checks that explain a refusal."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps

    async def admin(self, turn: Turn) -> bool:
        """An admin in a private chat with the bot; anyone else is told why not."""
        if not self.deps.is_admin(turn.user.id):
            await _refuse(turn, "admin.admins_only")
            return False
        if turn.chat.type != "private":
            await turn.say(turn.t("admin.private_only"))
            return False
        return True

    async def reach(self, turn: Turn, area_text: str | None) -> Reach | None:
        """The area a supervisor command covers: the bound group's area (narrowed by
        ``area_text`` within it), or for an admin elsewhere anything ``area_text`` names."""
        admin = self.deps.is_admin(turn.user.id)
        in_group = turn.in_group
        bound = await supervision.area_of_group(self.deps, turn.chat.id) if in_group else None
        if not admin and not in_group:
            await _refuse(turn, "admin.supervisors_only")
            return None
        if not admin and bound is None:
            await turn.say(turn.t("admin.group_not_bound"))
            return None
        locale = (
            await supervision.group_language(self.deps, turn.chat.id) if in_group else None
        ) or turn.locale
        if not area_text:
            return Reach(bound, locale)
        area = await self.area(turn, area_text, within=bound)
        return None if area is None else Reach(area, locale)

    async def area(self, turn: Turn, text: str, *, within: Area | None = None) -> Area | None:
        """The area ``text`` names, or None after saying why: no such area (the choices are
        listed), or one outside ``within`` (the group's own area)."""
        everywhere = await stats.all_areas(self.deps)
        areas = everywhere if within is None else areas_within(everywhere, within)
        area = find_area(areas, text)
        if area is not None:
            return area
        if within is not None and find_area(everywhere, text) is not None:
            await turn.say(turn.t("admin.outside_area", area=escape(text), own=escape(within.path)))
            return None
        known = "\n".join(f"• {escape(item.path)}" for item in areas) or "—"
        await turn.say(turn.t("admin.unknown_area", area=escape(text), areas=known))
        return None


async def _refuse(turn: Turn, key: str) -> None:
    """A worker learns who the command is for (``key``); a stranger gets the usual refusal."""
    if await turn.worker() is None:
        await turn.refuse_unknown()
        return
    await turn.say(turn.t(key))
