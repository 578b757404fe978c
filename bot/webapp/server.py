"""The bot's own web server: the page and its API, on ``GRIDBOT_WEBAPP_HOST:PORT``.

It runs in the bot's process and event loop (``gridbot run`` starts it with the bot), so
the API works on the very drafts and database connection the chat uses. Telegram only
opens https:// pages: put it behind a reverse proxy that terminates TLS (README).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Final

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.dependencies import Dependencies
from bot.i18n import t
from bot.startup import StartupError
from bot.webapp.api import Senders, WebApi
from bot.webapp.auth import InitDataChecker
from bot.webapp.drafts import DraftStore

if TYPE_CHECKING:
    from bot.app import RunningBot

log = logging.getLogger(__name__)

MAX_BODY: Final = 64 * 1024
"""The largest API request accepted (a whole form with incidents is a few KB)."""

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' https://telegram.org; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
"""The page loads nothing but itself (and Telegram's script, inside Telegram)."""


def static_folder() -> Path:
    """The page's files, shipped in the package."""
    return Path(str(resources.files("bot.webapp") / "static"))


@web.middleware
async def _secure(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.update(SECURITY_HEADERS)
    return response


def _never_a_traceback(deps: Dependencies) -> Middleware:
    """A failure while handling a call is logged; the page gets a message it can show."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception:
            log.exception("error while handling %s %s", request.method, request.path)
            locale = deps.locale_for(request.headers.get("Accept-Language"))
            return web.json_response({"error": t(locale, "webapp.error.internal")}, status=500)

    return guard


def build_web_app(api: WebApi) -> web.Application:
    """The aiohttp application: the page at ``/``, its files under ``/static/``, the API."""
    app = web.Application(
        client_max_size=MAX_BODY, middlewares=[_secure, _never_a_traceback(api.deps)]
    )
    folder = static_folder()

    async def page(request: web.Request) -> web.FileResponse:
        return web.FileResponse(folder / "index.html")

    app.router.add_get("/", page)
    app.router.add_static("/static/", folder)
    app.add_routes(api.routes())
    return app


class WebServer:
    """The page and API, listening while the bot runs."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self._runner = web.AppRunner(app, access_log=None)
        self._host = host
        self._port = port
        self.port = port

    @classmethod
    def for_bot(cls, deps: Dependencies, bot: RunningBot, token: str) -> WebServer:
        """The server for a running bot, configured by the ``GRIDBOT_WEBAPP_*`` settings."""
        settings = deps.settings
        checker = InitDataChecker(token, timedelta(hours=settings.webapp_max_age_hours))
        senders = Senders(bot.outbound.alerts, bot.confirmations, bot.outbound.storage_alarm)
        api = WebApi(deps, DraftStore(bot.application), senders, checker)
        return cls(build_web_app(api), settings.webapp_host, settings.webapp_port)

    async def start(self) -> None:
        """Listen (port 0: any free port, then ``port`` says which); a port that cannot be
        had (in use, not allowed) stops start-up with one line (StartupError)."""
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        try:
            await site.start()
        except OSError as failure:
            await self._runner.cleanup()
            raise StartupError(
                "webapp_listen", host=self._host, port=self._port, reason=failure.strerror
            ) from None
        self.port = int(self._runner.addresses[0][1])
        log.info("the one-screen form is served on %s", self.local_url)

    @property
    def local_url(self) -> str:
        """The page's address on this machine (tests, the demo, the proxy's upstream)."""
        return f"http://{self._host}:{self.port}/"

    async def stop(self) -> None:
        """Stop listening."""
        await self._runner.cleanup()
