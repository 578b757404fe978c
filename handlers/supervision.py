"""Supervisor and worker commands around the daily plan: /digest, /excuse, /away, and the
"acknowledged" button of urgent alerts."""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.dependencies import Dependencies
from bot.domain.dates import DateArgError, parse_day
from bot.domain.models import Area, FieldValue, Supervisor
from bot.domain.numbers import InputError
from bot.i18n import listing
from bot.outbound.alerts import AlertDesk
from bot.outbound.digests import DigestDesk
from bot.telegram_ui import ACK_PREFIX, escape, escaped, parse_ack_data
from bot.usecases import supervision
from bot.usecases.alerts import AckResult
from bot.usecases.errors import RulesRejected, UseCaseError
from handlers.common import Turn

Context = ContextTypes.DEFAULT_TYPE
FIX_ARGS = 5
"""/fix GRID DAY FIELD VALUE REASON…"""


class Supervision:
    """Commands for supervisors (in their bound group), admins and workers."""

    def __init__(self, deps: Dependencies, digests: DigestDesk, alerts: AlertDesk) -> None:
        self.deps = deps
        self.digests = digests
        self.alerts = alerts

    def handlers(self) -> list[BaseHandler[Update, Context, object]]:
        """Handlers to register before the catch-alls."""
        return [
            CommandHandler("digest", self.digest),
            CommandHandler("excuse", self.excuse),
            CommandHandler("fix", self.fix),
            CommandHandler("away", self.away, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(self.acknowledge, pattern=rf"^{ACK_PREFIX}:\d+$"),
        ]

    async def _area_in_charge(self, turn: Turn) -> Area | None:
        """The area this command speaks for: the group's bound area (any member of a bound
        group is one of its supervisors); None, after saying why, otherwise."""
        if turn.in_group:
            area = await supervision.area_of_group(self.deps, turn.chat.id)
            if area is None:
                await turn.say(turn.t("supervision.group_not_bound"))
            return area
        await turn.say(turn.t("supervision.in_group_only"))
        return None

    async def digest(self, update: Update, context: Context) -> None:
        """/digest [YYYY-MM-DD]: the digest now, in a bound group (or by an admin, privately,
        for every top-level area)."""
        turn = Turn.of(update, self.deps)
        day = await self._day_argument(turn, context.args or [])
        if day is None:
            return
        if turn.chat.type == "private" and self.deps.is_admin(turn.user.id):
            areas = await supervision.top_areas(self.deps)
        else:
            area = await self._area_in_charge(turn)
            if area is None:
                return
            areas = [area]
        locale = await supervision.group_language(self.deps, turn.chat.id) or turn.locale
        for area in areas:
            await self.digests.send(context.bot, turn.chat.id, area, day, locale)

    async def _day_argument(self, turn: Turn, args: list[str]) -> date | None:
        today = self.deps.today()
        try:
            day = parse_day(args[0], today) if args else today
        except DateArgError as error:
            await turn.say(turn.t(error.key, **escaped(error.params)))
            return None
        if day > today:
            await turn.say(turn.t("supervision.future_day", value=day.isoformat(), today=today))
            return None
        return day

    async def excuse(self, update: Update, context: Context) -> None:
        """/excuse GRID reason: a supervisor excuses a grid of their area from today's report."""
        turn = Turn.of(update, self.deps)
        args = context.args or []
        if len(args) < 2:
            await turn.say(turn.t("supervision.excuse_usage"))
            return
        admin = self.deps.is_admin(turn.user.id)
        area = None if admin and turn.chat.type == "private" else await self._area_in_charge(turn)
        if area is None and not admin:
            return
        try:
            excused = await supervision.excuse_grid(
                self.deps,
                grid_code=args[0],
                reason=" ".join(args[1:]),
                actor_id=turn.user.id,
                area=area,
            )
        except UseCaseError as error:
            await turn.say(turn.t(error.key, **escaped(error.params)))
            return
        await turn.say(
            turn.t(
                "supervision.excused",
                grid=escape(excused.grid.name),
                day=excused.day.isoformat(),
                reason=escape(excused.reason),
            )
        )

    async def fix(self, update: Update, context: Context) -> None:
        """/fix GRID DAY FIELD VALUE REASON: a supervisor corrects any day of their area."""
        turn = Turn.of(update, self.deps)
        args = context.args or []
        if len(args) < FIX_ARGS:
            fields = supervision.fixable_fields(self.deps)
            await turn.say(turn.t("supervision.fix_usage", fields=fields))
            return
        admin = self.deps.is_admin(turn.user.id)
        area = None if admin and turn.chat.type == "private" else await self._area_in_charge(turn)
        if area is None and not admin:
            return
        code, day_text, name, raw = args[:4]
        day = await self._day_argument(turn, [day_text])
        if day is None:
            return
        try:
            fixed = await supervision.fix_report(
                self.deps,
                grid_code=code,
                day=day,
                field_name=name,
                value_text=raw,
                reason=" ".join(args[4:]).strip(),
                supervisor=Supervisor(turn.user.id, turn.user.full_name),
                area=area,
            )
        except InputError as error:
            await turn.say(escape(error.render(turn.locale)))
            return
        except RulesRejected as error:
            await turn.say(
                "\n".join(f"❌ {escape(item.render(turn.locale))}" for item in error.violations)
            )
            return
        except UseCaseError as error:
            await turn.say(turn.t(error.key, **escaped(error.params)))
            return
        await turn.say(self._fixed_text(turn, fixed, " ".join(args[4:]).strip()))

    @staticmethod
    def _fixed_text(turn: Turn, fixed: supervision.Fixed, reason: str) -> str:
        lines = [
            turn.t(
                "supervision.fixed",
                grid=escape(fixed.grid.name),
                day=fixed.day.isoformat(),
                label=escape(fixed.field.label(turn.locale)),
                old=escape(_shown(fixed.old)),
                new=escape(_shown(fixed.new)),
                version=fixed.version,
                reason=escape(reason),
            )
        ]
        lines += [f"⚠️ {escape(item.render(turn.locale))}" for item in fixed.warnings]
        return "\n".join(lines)

    async def away(self, update: Update, context: Context) -> None:
        """/away: a worker mutes today's prompts and nags, if a colleague covers the grid."""
        turn = Turn.of(update, self.deps)
        worker = await turn.worker()
        if worker is None:
            await turn.refuse_unknown()
            return
        try:
            colleagues = await supervision.mark_away(self.deps, worker)
        except UseCaseError as error:
            await turn.say(turn.t(error.key, **escaped(error.params)))
            return
        names = listing(turn.locale, (escape(other.name) for other in colleagues))
        day = self.deps.today().isoformat()
        await turn.say(turn.t("supervision.away_ok", day=day, colleagues=names))

    async def acknowledge(self, update: Update, context: Context) -> None:
        """The "acknowledged" button under an urgent alert."""
        turn = Turn.of(update, self.deps)
        alert_id = parse_ack_data(turn.query.data if turn.query else None)
        result = (
            AckResult.EXPIRED
            if alert_id is None
            else await self.alerts.acknowledge(
                alert_id, chat_id=turn.chat.id, user_id=turn.user.id, name=turn.user.full_name
            )
        )
        await turn.answer_button(
            turn.t(f"supervision.ack_{result.value}"), alert=result != AckResult.ACKNOWLEDGED
        )


def _shown(value: FieldValue) -> str:
    return "—" if value is None else str(value)
