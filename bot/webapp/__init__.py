"""The Mini App: the whole day's report on one screen, inside Telegram.

The bot serves a plain HTML/CSS/JS page (:mod:`.static`, no build step) and a small JSON API
from its own aiohttp server (:mod:`.server`), started with the bot when
``GRIDBOT_WEBAPP_URL`` is set. Every API call carries Telegram's ``initData``, checked by
:mod:`.auth` and mapped to a bound worker. What the page types goes into the same draft the
chat uses (:mod:`.drafts`), is checked by the same domain code (:mod:`.views`), and is filed
through the same use case as the chat (:func:`bot.usecases.filing.file_report`).
"""
