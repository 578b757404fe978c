"""A local Telegram Bot API emulator over real HTTP on loopback, for tests and the demo.

The real PTB Application talks to it exactly as to Telegram::

    async with BotApiEmulator() as emu:
        app = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(emu.base_url)
            .base_file_url(emu.base_file_url)
            .build()
        )
        alice = emu.add_user(1001, "Alice")
        await alice.start()
        ...
"""

from bot.emulator._core import BotApiEmulator, Joinable
from bot.emulator._limits import TelegramLimits
from bot.emulator._records import (
    ApiCall,
    CallbackAnswer,
    DocumentInfo,
    JsonDict,
    SentMessage,
    UserAction,
)
from bot.emulator._sim import SimChat, SimGroup, SimUser
from bot.emulator._state import BOT_ID
from bot.emulator._webapp import WebAppLaunch, sign_init_data

__all__ = [
    "BOT_ID",
    "ApiCall",
    "BotApiEmulator",
    "CallbackAnswer",
    "DocumentInfo",
    "Joinable",
    "JsonDict",
    "SentMessage",
    "SimChat",
    "SimGroup",
    "SimUser",
    "TelegramLimits",
    "UserAction",
    "WebAppLaunch",
    "sign_init_data",
]
