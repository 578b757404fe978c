"""Supervisor and worker commands around the daily plan: /digest, /excuse, /away, and the
"acknowledged" button of urgent alerts."""

from __future__ import annotations

from datetime import date

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.dependencies import Dependencies
from bot.domain.answers import parse_answer
from bot.domain.correction import REASON_MAX_CHARS, REASON_MIN_CHARS, apply_fix, find_field
from bot.domain.dates import DateArgError, parse_day
from bot.domain.form import FieldDef
from bot.domain.models import Area, FieldValue, Grid, Supervisor
from bot.domain.numbers import InputError
from bot.domain.rules import RuleContext
from bot.domain.stocks import openings_for
from bot.i18n import listing
from bot.outbound.alerts import ACK_PREFIX, AckResult, AlertDesk
from bot.outbound.digests import DigestDesk
from bot.telegram_ui import escape, escaped
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
            area = await self.deps.db.groups.area_of_chat(turn.chat.id)
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
            areas = [area for area in await self.deps.db.roster.areas() if area.parent_id is None]
        else:
            area = await self._area_in_charge(turn)
            if area is None:
                return
            areas = [area]
        locale = await self.deps.db.groups.language(turn.chat.id) or turn.locale
        for area in areas:
            digest = await self.digests.compile(area, day)
            await self.digests.send(context.bot, turn.chat.id, digest, locale)

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
        grid = await self.deps.db.roster.grid_by_code(args[0])
        if grid is None or not grid.active or (area and not area.covers(grid.area_path)):
            await turn.say(turn.t("supervision.unknown_grid", code=escape(args[0])))
            return
        reason = " ".join(args[1:]).strip()[:REASON_MAX_CHARS]
        day = self.deps.today()
        await self.deps.db.schedule.excuse(
            grid.id, day, reason=reason, actor=turn.user.id, at=self.deps.now()
        )
        await turn.say(
            turn.t(
                "supervision.excused",
                grid=escape(grid.name),
                day=day.isoformat(),
                reason=escape(reason),
            )
        )

    async def fix(self, update: Update, context: Context) -> None:
        """/fix GRID DAY FIELD VALUE REASON: a supervisor corrects any day of their area."""
        turn = Turn.of(update, self.deps)
        args = context.args or []
        if len(args) < FIX_ARGS:
            await turn.say(turn.t("supervision.fix_usage", fields=self._field_keys()))
            return
        admin = self.deps.is_admin(turn.user.id)
        area = None if admin and turn.chat.type == "private" else await self._area_in_charge(turn)
        if area is None and not admin:
            return
        code, day_text, name, raw = args[:4]
        reason = " ".join(args[4:]).strip()
        grid = await self.deps.db.roster.grid_by_code(code)
        if grid is None or (area and not area.covers(grid.area_path)):
            await turn.say(turn.t("supervision.unknown_grid", code=escape(code)))
            return
        day = await self._day_argument(turn, [day_text])
        if day is None:
            return
        field = find_field(self.deps.form, name)
        if field is None:
            await turn.say(
                turn.t(
                    "supervision.fix_unknown_field", name=escape(name), fields=self._field_keys()
                )
            )
            return
        await self._apply_fix(turn, grid, day, field, raw, reason)

    def _field_keys(self) -> str:
        return ", ".join(field.key for field in self.deps.form.questions())

    async def _apply_fix(
        self, turn: Turn, grid: Grid, day: date, field: FieldDef, raw: str, reason: str
    ) -> None:
        report = await self.deps.db.reports.get(grid.id, day)
        if report is None:
            await turn.say(
                turn.t("supervision.fix_no_report", grid=escape(grid.name), day=day.isoformat())
            )
            return
        if not REASON_MIN_CHARS <= len(reason) <= REASON_MAX_CHARS:
            await turn.say(turn.t("supervision.fix_reason"))
            return
        try:
            value = parse_answer(field, raw)
        except InputError as error:
            await turn.say(escape(error.render(turn.locale)))
            return
        history = await self.deps.db.reports.history(grid.id, before=day)
        openings = {**openings_for(self.deps.form, history), **report.current.baseline}
        facts = {"households": grid.households, "population": grid.population}
        fix = apply_fix(
            self.deps.form, report.current, field, value, RuleContext(openings=openings, grid=facts)
        )
        if fix.rejected:
            await turn.say(
                "\n".join(f"❌ {escape(item.render(turn.locale))}" for item in fix.rejected)
            )
            return
        corrected = await self.deps.db.reports.correct(
            report.id,
            kind=fix.kind,
            values=fix.values,
            incidents=report.current.incidents,
            baseline=report.current.baseline,
            worker_id=None,
            at=self.deps.now(),
            reason=reason,
            supervisor=Supervisor(turn.user.id, turn.user.full_name),
        )
        lines = [
            turn.t(
                "supervision.fixed",
                grid=escape(grid.name),
                day=day.isoformat(),
                label=escape(field.label(turn.locale)),
                old=escape(_shown(fix.old)),
                new=escape(_shown(fix.new)),
                version=corrected.current.version,
                reason=escape(reason),
            )
        ]
        lines += [f"⚠️ {escape(item.render(turn.locale))}" for item in fix.warnings]
        await turn.say("\n".join(lines))

    async def away(self, update: Update, context: Context) -> None:
        """/away: a worker mutes today's prompts and nags, if a colleague covers the grid."""
        turn = Turn.of(update, self.deps)
        worker = await turn.worker()
        if worker is None:
            await turn.refuse_unknown()
            return
        day = self.deps.today()
        away = await self.deps.db.schedule.away(day)
        colleagues = [
            other
            for other in await self.deps.db.roster.workers_of_grid(worker.grid_id)
            if other.id != worker.id and other.telegram_id is not None and other.id not in away
        ]
        if not colleagues:
            await turn.say(turn.t("supervision.away_alone"))
            return
        await self.deps.db.schedule.set_away(worker.id, day, at=self.deps.now())
        names = listing(turn.locale, (escape(other.name) for other in colleagues))
        await turn.say(turn.t("supervision.away_ok", day=day.isoformat(), colleagues=names))

    async def acknowledge(self, update: Update, context: Context) -> None:
        """The "acknowledged" button under an urgent alert."""
        turn = Turn.of(update, self.deps)
        data = turn.query.data if turn.query else ""
        alert_id = int((data or "0").split(":")[1])
        result = await self.alerts.acknowledge(
            alert_id, chat_id=turn.chat.id, user_id=turn.user.id, name=turn.user.full_name
        )
        await turn.answer_button(
            turn.t(f"supervision.ack_{result.value}"), alert=result != AckResult.ACKNOWLEDGED
        )


def _shown(value: FieldValue) -> str:
    return "—" if value is None else str(value)
