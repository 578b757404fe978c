"""/chart [7d|14d|30d|90d] [FIELD] [AREA]: the area's chart as a photo, on demand.

Supervisors get their group's area (or an area below it); admins any area. The picture is
the one the evening digest carries; with FIELD it shows that field's daily values (and a
stock's balance) instead of the overview.
"""

from __future__ import annotations

import logging
from datetime import date

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.dependencies import Dependencies
from bot.domain.chart import ChartRequest
from bot.domain.chart_args import ChartArgError, field_keys, parse_chart_args
from bot.domain.models import Area
from bot.i18n import Locale, t
from bot.telegram_ui import escape
from bot.usecases import supervision
from bot.usecases.evening_process import requested_chart
from handlers.common import Turn
from handlers.roles import Reach, Roles

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE


class ChartCommands:
    """/chart."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps
        self.roles = Roles(deps)

    def handlers(self) -> list[BaseHandler[Update, Context, object]]:
        """/chart draws in a worker thread, as a task of its own."""
        return [CommandHandler("chart", self.chart, block=False)]

    async def chart(self, update: Update, context: Context) -> None:
        """/chart [7d|14d|30d|90d] [FIELD] [AREA]"""
        turn = Turn.of(update, self.deps)
        reach = await self.roles.reach(turn, None)
        if reach is None:
            return
        try:
            args = parse_chart_args(context.args or [], self.deps.form)
        except ChartArgError as error:
            params = {name: escape(value) for name, value in error.params.items()}
            await turn.say(f"{t(reach.locale, error.key, **params)}\n\n{self._usage(reach.locale)}")
            return
        area = await self._area(turn, reach, args.area)
        if area is None:
            return
        request = ChartRequest(area, self.deps.today(), args.days, args.field)
        await self._send(turn, reach.locale, request, highlight=self.deps.today())

    async def _area(self, turn: Turn, reach: Reach, text: str | None) -> Area | None:
        """The area asked for, within the group's; an admin outside a group who names none
        gets the top of the tree when it has a single top."""
        if text:
            return await self.roles.area(turn, text, within=reach.area)
        if reach.area is not None:
            return reach.area
        tops = await supervision.top_areas(self.deps)
        if len(tops) == 1:
            return tops[0]
        await turn.say(f"{t(reach.locale, 'chart.name_area')}\n\n{self._usage(reach.locale)}")
        return None

    async def _send(
        self, turn: Turn, locale: Locale, request: ChartRequest, *, highlight: date
    ) -> None:
        try:
            chart = await requested_chart(self.deps, request, locale, highlight=highlight)
        except Exception:
            log.exception("/chart of %s could not be drawn", request.area.path)
            await turn.say(t(locale, "chart.failed"))
            return
        if chart.data.empty:
            await turn.say(escape(chart.data.no_data))
            return
        await turn.chat.send_photo(
            chart.png, caption=chart.caption(request.area), filename="chart.png", parse_mode=None
        )

    def _usage(self, locale: Locale) -> str:
        return t(locale, "chart.usage", fields=escape(", ".join(field_keys(self.deps.form))))
