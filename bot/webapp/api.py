"""The page's JSON API: every call signed by Telegram (``initData``), for the caller's own
grid only, working on the chat's draft with the chat's checks and filing code.

``POST api/form`` the day's form and draft (or what was filed); ``api/answer`` one answer,
checked as typed; ``api/incidents`` the incident list; ``api/review`` the summary;
``api/submit`` file it. ``GET api/strings`` the page's own texts (no sign-in needed).
Every draft state returned carries the draft's ``revision``: the page applies a state only
if it is newer than the last one it applied, whatever order the replies arrive in. One
user's calls are handled one at a time, in turn with their chat updates
(:meth:`.DraftStore.turn`), so each one works on the draft the one before it left.
Refusals are JSON ``{"error": text}`` in the caller's language: 401 (no, forged or expired
``initData``), 403 (not a bound worker, another grid), 409 (already filed, warnings to
confirm), 422 (an answer or a report that the rules refuse), 503 (not saved: the database
refuses writes; try again later).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.dependencies import Dependencies
from bot.domain.draft import Draft, final_values
from bot.domain.models import Grid, Report, Worker
from bot.domain.summary import summary_lines
from bot.i18n import Locale, catalog, t
from bot.outbound.alerts import AlertDesk
from bot.outbound.confirmations import Confirmations
from bot.outbound.storage_alarm import StorageAlarm
from bot.usecases import filing, people
from bot.usecases.errors import RulesRejected, WriteRefused
from bot.usecases.unit import unit_of_work
from bot.webapp.auth import AuthError, Caller, InitDataChecker
from bot.webapp.drafts import DraftStore
from bot.webapp.views import (
    Json,
    Refused,
    apply_answer,
    confirm_warnings,
    form_view,
    review,
    set_incidents,
    skip_unanswered_optional,
    state_view,
)

log = logging.getLogger(__name__)

PAGE_STRINGS = "webapp.page."
"""Catalog keys of the page's own texts (sent to it by ``api/strings``)."""


class ApiError(Exception):
    """A refusal: HTTP status and the message shown in the page."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@dataclass(frozen=True)
class Session:
    """A checked call: who, in which language, for which worker and grid."""

    caller: Caller
    locale: Locale
    worker: Worker
    grid: Grid
    body: dict[str, Any]

    def t(self, key: str, /, **params: object) -> str:
        """Translate into the caller's language."""
        return t(self.locale, key, **params)


Handler = Callable[[Session], Awaitable[Json]]


@dataclass(frozen=True)
class Senders:
    """What filing sends, shared with the chat: urgent alerts, and the confirmations owed
    (recorded with the report, delivered exactly once)."""

    alerts: AlertDesk
    confirmations: Confirmations
    storage_alarm: StorageAlarm
    """The admins hear once that the database refuses writes (the page says "not saved")."""


class WebApi:
    """The API's handlers, bound to the running bot."""

    def __init__(
        self, deps: Dependencies, drafts: DraftStore, senders: Senders, checker: InitDataChecker
    ) -> None:
        self.deps = deps
        self.drafts = drafts
        self.senders = senders
        self.checker = checker

    def routes(self) -> list[web.RouteDef]:
        """The API's routes (relative to the page)."""
        calls: dict[str, Handler] = {
            "form": self.form_and_draft,
            "answer": self.answer,
            "incidents": self.incidents,
            "review": self.review,
            "submit": self.submit,
        }
        return [web.get("/api/strings", self.strings)] + [
            web.post(f"/api/{name}", self._endpoint(handler)) for name, handler in calls.items()
        ]

    async def strings(self, request: web.Request) -> web.Response:
        """The page's texts in the language asked for (``?lang=``), else the bot's default."""
        locale = self.deps.locale_for(request.query.get("lang"))
        texts = {
            key.removeprefix(PAGE_STRINGS): text
            for key, text in catalog(locale).items()
            if key.startswith(PAGE_STRINGS)
        }
        return web.json_response({"locale": locale, "strings": texts})

    # ------------------------------------------------------------------ the checks of every call

    def _endpoint(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def endpoint(request: web.Request) -> web.Response:
            fallback = self.deps.locale_for(request.headers.get("Accept-Language"))
            try:
                session = await self._session(request, fallback)
                async with self.drafts.turn(session.caller.telegram_id):
                    return web.json_response(await handler(session))
            except ApiError as error:
                return web.json_response(
                    {"error": error.message, **error.extra}, status=error.status
                )
            except AuthError as error:
                return web.json_response({"error": t(fallback, error.key)}, status=error.status)
            except WriteRefused as refused:
                await self.senders.storage_alarm.raise_for(refused)
                log.warning("not saved (%s): %s", request.path, refused.__cause__)
                not_saved = t(fallback, "reliability.storage.not_saved")
                return web.json_response({"error": not_saved}, status=503)

        return endpoint

    async def _session(self, request: web.Request, fallback: Locale) -> Session:
        caller = self.checker.caller(request.headers.get("Authorization"))
        locale = self.deps.locale_for(caller.language_code) if caller.language_code else fallback
        language = locale if caller.language_code else None
        worker = await people.worker_of(self.deps, caller.telegram_id, language)
        if worker is None:
            raise ApiError(403, t(locale, "webapp.error.not_registered"))
        grid = await people.grid_of(self.deps, worker)
        body = await _json_body(request, locale)
        asked = body.get("grid_id")
        if asked is not None and asked != grid.id:
            raise ApiError(403, t(locale, "webapp.error.other_grid"))
        return Session(caller, locale, worker, grid, body)

    # ------------------------------------------------------------------ the calls

    async def form_and_draft(self, session: Session) -> Json:
        """The day's form with the draft (started now if there is none), or what was filed."""
        day = self.deps.today()
        head = {
            "grid": {"id": session.grid.id, "name": session.grid.name},
            "area": session.grid.area_path,
            "day": day.isoformat(),
            "locale": session.locale,
        }
        filed = await filing.report_of(self.deps, session.grid.id, day)
        if filed is not None:
            return {**head, "filed": await self._filed_view(session, filed)}
        draft = await self._draft(session)
        return {
            **head,
            "form": form_view(self.deps.form_for(draft.day), draft, session.locale),
            "state": await self._state(session, draft),
        }

    async def answer(self, session: Session) -> Json:
        """One answer, checked as typed and kept in the draft unless refused."""
        draft = await self._draft(session)
        key, raw = str(session.body.get("key", "")), str(session.body.get("value", ""))
        try:
            warnings = apply_answer(self.deps.form_for(draft.day), draft, key, raw, session.locale)
        except Refused as refused:
            await self.drafts.save(session.caller.telegram_id, draft)
            raise await self._refusal(session, refused, draft) from None
        await self.drafts.save(session.caller.telegram_id, draft)
        return {"warnings": warnings, "state": await self._state(session, draft)}

    async def incidents(self, session: Session) -> Json:
        """The incident list as the page has it now."""
        draft = await self._draft(session)
        try:
            set_incidents(
                self.deps.form_for(draft.day), draft, session.body.get("incidents"), session.locale
            )
        except Refused as refused:
            raise await self._refusal(session, refused, draft) from None
        await self.drafts.save(session.caller.telegram_id, draft)
        return {"state": await self._state(session, draft)}

    async def review(self, session: Session) -> Json:
        """The summary before submitting, with missing answers and the rules' messages."""
        draft = await self._draft(session)
        return {"review": self._review(session, draft)}

    async def submit(self, session: Session) -> Json:
        """File the report: hard rules and missing answers block, soft warnings need
        ``confirm``; then the chat gets its confirmation."""
        draft = await self._draft(session)
        checked = self._review(session, draft)
        if checked["missing"] or checked["hard"]:
            raise ApiError(422, session.t("webapp.error.not_ready"), review=checked)
        if checked["soft"] and session.body.get("confirm") is not True:
            raise ApiError(409, session.t("webapp.error.confirm"), review=checked)
        form = self.deps.form_for(draft.day)
        skip_unanswered_optional(form, draft)
        confirm_warnings(form, draft)
        draft.no_more_incidents()
        chat, confirmations = session.caller.telegram_id, self.senders.confirmations
        try:
            async with unit_of_work(self.deps) as db:  # the report and its confirmation owed
                filed = await filing.file_report(
                    self.deps,
                    worker_id=session.worker.id,
                    grid_id=draft.grid_id,
                    day=draft.day,
                    values=final_values(form, draft),
                    incidents=draft.incident_values(),
                    baseline=draft.baseline,
                )
                if filed.created:
                    await confirmations.owe(db, filed.report, chat)
        except RulesRejected:
            raise ApiError(422, session.t("webapp.error.not_ready"), review=checked) from None
        await self.drafts.forget(chat)
        if not filed.created:
            raise ApiError(409, self._already_filed(session, filed.report), filed=True)
        await confirmations.send(chat, session.locale, filed.report)
        self.senders.alerts.raise_soon(filed.report)
        text = confirmations.text(session.locale, filed.report, filed.report.current.version)
        return {"filed": {"text": text, "lines": checked["lines"]}}

    # ------------------------------------------------------------------ helpers

    async def _draft(self, session: Session) -> Draft:
        """The chat's draft of today's report of this grid, or a new one (as /report does)."""
        day = self.deps.today()
        filed = await filing.report_of(self.deps, session.grid.id, day)
        if filed is not None:
            raise ApiError(409, self._already_filed(session, filed), filed=True)
        telegram_id = session.caller.telegram_id
        draft = self.drafts.load(telegram_id)
        if draft is None or (draft.mode, draft.day, draft.grid_id) != ("new", day, session.grid.id):
            draft = await filing.start_draft(self.deps, session.grid, day)
            await self.drafts.save(telegram_id, draft)
        return draft

    async def _state(self, session: Session, draft: Draft) -> Json:
        """The draft's state for the page, with the revision of the draft as kept (called
        in the user's turn, after any change of the draft was kept)."""
        revision = await self.drafts.committed_revision(session.caller.telegram_id)
        return state_view(self.deps.form_for(draft.day), draft, revision)

    async def _refusal(self, session: Session, refused: Refused, draft: Draft) -> ApiError:
        messages = refused.messages or [session.t("webapp.error.bad_request")]
        state = await self._state(session, draft)
        return ApiError(422, "\n".join(messages), messages=messages, state=state)

    def _review(self, session: Session, draft: Draft) -> Json:
        return {
            "title": session.t(
                "webapp.summary_title", grid=draft.grid_name, day=draft.day.isoformat()
            ),
            **review(self.deps.form_for(draft.day), draft, session.locale),
        }

    def _already_filed(self, session: Session, report: Report) -> str:
        moment = report.submitted_at.astimezone(self.deps.settings.timezone)
        status = session.t("status.late") if report.late else session.t("status.on_time")
        return session.t(
            "webapp.already_filed",
            grid=session.grid.name,
            day=report.day.isoformat(),
            who=report.submitted_by_name,
            time=moment.strftime("%H:%M"),
            status=status,
        )

    async def _filed_view(self, session: Session, report: Report) -> Json:
        lines = summary_lines(
            self.deps.form_for(report.day),
            session.locale,
            values=report.current.values,
            openings=await filing.openings_of(self.deps, report),
            kind=report.kind,
            incidents=report.current.incidents,
        )
        return {"text": self._already_filed(session, report), "lines": lines}


async def _json_body(request: web.Request, locale: Locale) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, t(locale, "webapp.error.bad_request")) from None
    if not isinstance(body, dict):
        raise ApiError(400, t(locale, "webapp.error.bad_request"))
    return body
