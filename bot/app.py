"""Wiring: settings + storage + form + clock → a python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

from telegram import (
    Bot,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    ContextTypes,
    Defaults,
    TypeHandler,
    Updater,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot import logs
from bot.dependencies import Dependencies
from bot.i18n import LOCALES, Locale, catalog, pick_locale, t
from bot.outbound.alerts import AlertDesk
from bot.outbound.confirmations import Confirmations
from bot.outbound.courier import Courier
from bot.outbound.daily import DailyNotices
from bot.outbound.digests import DigestDesk
from bot.outbound.lanes import TELEGRAM_CHAT_LIMITS, ChatLimits
from bot.outbound.retry import DEFAULT_BACKOFF, RetryingRateLimiter
from bot.outbound.storage_alarm import StorageAlarm
from bot.update_order import PerSenderUpdateProcessor
from bot.usecases import reach, redelivery
from bot.usecases.errors import WriteRefused
from bot.webapp.server import WebServer
from handlers.admin import AdminCommands
from handlers.charts import ChartCommands
from handlers.checkin import CheckinFlow
from handlers.checkin.form_change import FormChangeGuard
from handlers.form_upload import FormUpload
from handlers.menus import register_menus
from handlers.onboarding import Onboarding
from handlers.supervision import Supervision
from scheduler.runner import DailyRunner
from storage.persistence import SQLitePersistence

log = logging.getLogger(__name__)

DEFAULT_READ_TIMEOUT = 20.0
"""Seconds a Bot API call waits for its answer (python-telegram-bot's default is 5): a send
given up on may still be delivered by Telegram, late, and sending it again makes it arrive
twice, so the bot waits long enough for that to be rare (see :mod:`bot.outbound.retry`)."""

LOG_SCOPE_FIRST = -1000
"""Handler group that names the update in the log lines of everything that handles it."""
SKIP_REDELIVERED_FIRST = -900
"""Handler group that drops an update Telegram delivered again after it was handled."""
REACH_FIRST = -800
"""Handler group that notes a person is reachable again (they wrote) or not (they blocked)."""
OWED_CONFIRMATIONS_FIRST = -500
"""Handler group that delivers confirmations a chat is still owed before anything else."""
EDITS_FIRST = -100
"""Handler group that sees edited messages before all others (and stops them there)."""
FORM_CHANGE_FIRST = -50
"""Handler group that moves a draft onto a form applied since it was started."""
PERSIST_AFTER_EVERY_UPDATE = 100
"""Handler group that runs after all others: flushes drafts and conversation states at once."""


@dataclass(frozen=True)
class Outbound:
    """What the bot sends on its own, wired to one bot: shared by handlers and the scheduler."""

    courier: Courier
    notices: DailyNotices
    digests: DigestDesk
    alerts: AlertDesk
    runner: DailyRunner
    storage_alarm: StorageAlarm

    @classmethod
    def build(cls, deps: Dependencies, bot: Bot) -> Outbound:
        """Everything outbound, sending through ``bot``."""
        courier = Courier(deps, bot)
        notices, digests = DailyNotices(deps, courier), DigestDesk(deps)
        alerts = AlertDesk(deps, courier)
        runner = DailyRunner(deps, courier, notices, digests, alerts)
        return cls(courier, notices, digests, alerts, runner, StorageAlarm(deps, bot))


@dataclass(frozen=True)
class RunningBot:
    """A started application and its outbound side."""

    application: Application[Any, Any, Any, Any, Any, Any]
    outbound: Outbound
    confirmations: Confirmations
    """The one keeper of owed confirmations: the chat's and the Mini App's filings share it."""
    token_rejected: asyncio.Event
    """Set when Telegram rejects the token while the bot runs (revoked at @BotFather): polling
    has stopped, and the bot should stop and say so."""
    webapp: WebServer | None = None
    """The Mini App's page and API, listening while the bot runs (GRIDBOT_WEBAPP_URL set)."""


def build_application(
    deps: Dependencies,
    token: str,
    *,
    backoff: Sequence[float] = DEFAULT_BACKOFF,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    request: BaseRequest | None = None,
    chat_limits: ChatLimits = TELEGRAM_CHAT_LIMITS,
) -> RunningBot:
    """The bot, pointed at ``GRIDBOT_API_BASE_URL``, persisting into the gridbot database.

    ``read_timeout`` bounds how long a Bot API call (other than ``getUpdates``) may wait for
    its answer before it counts as failed and is retried by the courier. ``request`` replaces
    the HTTP client (the benchmarks measure the bot's own CPU with one that answers at once).
    ``chat_limits`` are Telegram's per-chat limits except in the fast-forwarded demo."""
    settings = deps.settings
    for locale in LOCALES:  # read now, not while the first person waits for an answer
        catalog(locale)
    polls = _WatchedPolls()
    builder = ApplicationBuilder().token(token).get_updates_request(polls)
    builder = builder.read_timeout(read_timeout) if request is None else builder.request(request)
    application = (
        builder.base_url(settings.bot_api_url)
        .base_file_url(settings.bot_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone))
        .persistence(SQLitePersistence(deps.db))
        .rate_limiter(RetryingRateLimiter(backoff=backoff, chat_limits=chat_limits))
        .concurrent_updates(PerSenderUpdateProcessor())
        .build()
    )
    outbound = Outbound.build(deps, application.bot)
    checkin = CheckinFlow(deps, outbound.alerts)
    application.add_handler(checkin.handler())
    application.add_handlers(Supervision(deps, outbound.digests, outbound.alerts).handlers())
    application.add_handlers(FormUpload(deps).handlers())  # before the roster upload
    application.add_handlers(AdminCommands(deps).handlers())
    application.add_handlers(ChartCommands(deps).handlers())
    onboarding = Onboarding(deps)
    application.add_handler(TypeHandler(Update, _log_scope), group=LOG_SCOPE_FIRST)
    application.add_handler(
        TypeHandler(Update, _skip_redelivered(deps)), group=SKIP_REDELIVERED_FIRST
    )
    application.add_handler(TypeHandler(Update, _track_reach(deps)), group=REACH_FIRST)
    application.add_handler(
        TypeHandler(Update, checkin.confirmations.settle), group=OWED_CONFIRMATIONS_FIRST
    )
    application.add_handler(onboarding.edit_guard(), group=EDITS_FIRST)
    application.add_handler(
        TypeHandler(Update, FormChangeGuard(deps).settle), group=FORM_CHANGE_FIRST
    )
    application.add_handlers(onboarding.handlers())
    application.add_handler(
        TypeHandler(Update, _flush_persistence(deps)), group=PERSIST_AFTER_EVERY_UPDATE
    )
    application.add_error_handler(_error_handler(settings.locale, outbound.storage_alarm))
    return RunningBot(application, outbound, checkin.confirmations, polls.token_rejected)


class _WatchedPolls(HTTPXRequest):
    """The HTTP client of ``getUpdates`` (python-telegram-bot's default: one connection),
    noticing when Telegram rejects the token: polling then stops for good, with no call back."""

    def __init__(self) -> None:
        super().__init__(connection_pool_size=1)
        self.token_rejected = asyncio.Event()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code in (HTTPStatus.UNAUTHORIZED, HTTPStatus.NOT_FOUND):  # PTB's InvalidToken
            self.token_rejected.set()
        return code, payload


async def _log_scope(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log lines from now on, while this update is handled, say ``update <id>``."""
    logs.set_scope(f"update {update.update_id}")


def _skip_redelivered(deps: Dependencies) -> Any:
    """Drop an update that was handled before (Telegram delivers an update again when the
    bot stopped before confirming it): no second filing, no second reply."""

    async def skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await redelivery.begin_update(deps, update.update_id):
            log.info("update %s was handled before: delivered again, skipped", update.update_id)
            raise ApplicationHandlerStop

    return skip


def _track_reach(deps: Dependencies) -> Any:
    """Anything from a person's private chat means the bot reaches them again (see
    :mod:`bot.usecases.reach`), except Telegram's notice that they blocked the bot: the next
    send to them finds out, is recorded as blocked and told to the admins."""

    async def track(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, member = update.effective_chat, update.my_chat_member
        if chat is None or chat.type != ChatType.PRIVATE:
            return
        if member is None or member.new_chat_member.status != ChatMemberStatus.BANNED:
            await reach.wrote(deps, chat.id)

    return track


def _flush_persistence(deps: Dependencies) -> Any:
    """Write drafts and conversation states now, so a crash cannot lose an answer: all of
    them in one transaction, which also records the update as handled (if nothing it did
    earlier wrote anything, the record is written on its own)."""

    async def flush(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        application = context.application
        persistence = application.persistence
        if update.effective_user is not None:  # PTB marks the user only after the last group
            application.mark_data_for_update_persistence(user_ids=update.effective_user.id)
        if isinstance(persistence, SQLitePersistence):
            async with persistence.batched():
                await application.update_persistence()
        else:
            await application.update_persistence()
        await redelivery.finish_update(deps)

    return flush


def _error_handler(default: Locale, alarm: StorageAlarm) -> Any:
    """Log the error; tell the user something went wrong instead of going silent.

    A write the disk refused is no bug: one log line, the admins told once (``alarm``), the
    user told it was not saved, and the update's later handlers (the flush of drafts) skipped.
    It reaches here from handlers, persistence flushes and scheduler jobs alike."""

    async def handle(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        error = context.error
        if isinstance(error, WriteRefused):
            await alarm.raise_for(error)
            log.warning("not saved (update %s): %s", update_id, error.__cause__)
            await _tell_user(update, default, "reliability.storage.not_saved")
            if isinstance(update, Update):
                raise ApplicationHandlerStop
            return
        log.error("error while handling update %s", update_id, exc_info=error)
        await _tell_user(update, default, "common.internal_error")

    return handle


async def _tell_user(update: object, default: Locale, key: str) -> None:
    """Say ``key`` in the update's chat, if it has one (a failure to say it is only logged)."""
    if not (isinstance(update, Update) and update.effective_chat and update.effective_user):
        return
    locale = pick_locale(update.effective_user.language_code, default)
    try:
        await update.effective_chat.send_message(t(locale, key))
    except TelegramError as failure:
        log.warning("could not tell chat %s: %s", update.effective_chat.id, failure)


@asynccontextmanager
async def running_bot(
    deps: Dependencies,
    token: str,
    *,
    poll_timeout: int = 10,
    schedule: bool = True,
    backoff: Sequence[float] = DEFAULT_BACKOFF,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    chat_limits: ChatLimits = TELEGRAM_CHAT_LIMITS,
) -> AsyncIterator[RunningBot]:
    """The application, initialised, started and polling, until the block ends.

    With ``schedule`` the day's plan runs on cron triggers; without it (tests, the demo) the
    caller drives ``outbound.runner.tick()`` with its own clock.
    """
    bot = build_application(
        deps, token, backoff=backoff, read_timeout=read_timeout, chat_limits=chat_limits
    )
    application = bot.application
    async with application, _serving_webapp(deps, bot, token) as bot:
        await deps.db.meta.set("bot_username", application.bot.username)
        await register_menus(application.bot, deps.settings.locale, deps.settings.admins)
        await application.start()
        updater = application.updater
        if updater is None:
            raise RuntimeError("the application has no updater")
        if schedule:
            if application.job_queue is None:
                raise RuntimeError(
                    "the job queue is missing: install python-telegram-bot[job-queue]"
                )
            bot.outbound.runner.schedule(application.job_queue)
        await updater.start_polling(
            poll_interval=0, timeout=poll_timeout, error_callback=_polling_failed
        )
        try:
            yield bot
        finally:
            await _stop_polling(updater, bot.token_rejected)
            await application.stop()
            await bot.outbound.alerts.stop()


async def _stop_polling(updater: Updater, token_rejected: asyncio.Event) -> None:
    """Stop polling; python-telegram-bot raises what ended it, and a rejected token (already
    told to the operator) is no reason to skip stopping the rest."""
    try:
        await updater.stop()
    except InvalidToken:
        if not token_rejected.is_set():
            raise


def _polling_failed(error: TelegramError) -> None:
    """One line for a getUpdates call that failed (python-telegram-bot's default logs a
    traceback each time); polling goes on by itself, waiting longer after each failure."""
    log.warning("polling Telegram for updates failed (%s); trying again", error)


@asynccontextmanager
async def _serving_webapp(
    deps: Dependencies, bot: RunningBot, token: str
) -> AsyncIterator[RunningBot]:
    """The Mini App's web server, listening while the block runs (if GRIDBOT_WEBAPP_URL is set)."""
    if deps.settings.webapp_url is None:
        yield bot
        return
    server = WebServer.for_bot(deps, bot, token)
    await server.start()
    try:
        yield replace(bot, webapp=server)
    finally:
        await server.stop()
