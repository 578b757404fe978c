"""SQLitePersistence with a real PTB Application, restarted on the same database file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from storage_fixtures import open_db
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PersistenceInput,
    filters,
)
from telegram.request import BaseRequest, RequestData

from storage.db import Database
from storage.persistence import SQLitePersistence

ASKED = 1
USER_ID = 4242
BOT_USER = {"id": 123, "is_bot": True, "first_name": "gridbot", "username": "gridbot_test_bot"}


class OfflineRequest(BaseRequest):
    """Answers ``getMe`` so the Application can initialise without a network."""

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        result: object = BOT_USER if url.endswith("/getMe") else True
        return 200, json.dumps({"ok": True, "result": result}).encode()


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert context.user_data is not None
    context.user_data["asked_at"] = update.update_id
    return ASKED


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    assert context.user_data is not None and update.message is not None
    context.user_data["answer"] = update.message.text
    return ConversationHandler.END


def build_app(db: Database) -> Application[Any, Any, Any, Any, Any, Any]:
    app = (
        ApplicationBuilder()
        .token("123:abc")
        .request(OfflineRequest())
        .get_updates_request(OfflineRequest())
        .updater(None)
        .persistence(SQLitePersistence(db))
        .build()
    )
    app.add_handler(
        ConversationHandler(
            entry_points=[CommandHandler("start", start)],
            states={ASKED: [MessageHandler(filters.TEXT & ~filters.COMMAND, answer)]},
            fallbacks=[],
            name="checkin",
            persistent=True,
        )
    )
    return app


def message(update_id: int, text: str) -> dict[str, Any]:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1714525200,
            "chat": {"id": USER_ID, "type": "private", "first_name": "王"},
            "from": {"id": USER_ID, "is_bot": False, "first_name": "王"},
            "text": text,
            "entities": entities if text.startswith("/") else [],
        },
    }


async def process(app: Application[Any, Any, Any, Any, Any, Any], data: dict[str, Any]) -> None:
    await app.process_update(Update.de_json(data, app.bot))


async def test_conversation_and_user_data_survive_a_restart(tmp_path: Path) -> None:
    async with await open_db(tmp_path) as db:
        app = build_app(db)
        await app.initialize()
        await process(app, message(1, "/start"))
        await app.shutdown()  # saves, as a stop would

    async with await Database.open(db.path) as reopened:
        persistence = SQLitePersistence(reopened)
        assert await persistence.get_conversations("checkin") == {(USER_ID, USER_ID): ASKED}
        app = build_app(reopened)
        await app.initialize()
        assert app.user_data[USER_ID] == {"asked_at": 1}
        await process(app, message(2, "一切正常"))  # only the ASKED state handles plain text
        assert app.user_data[USER_ID] == {"asked_at": 1, "answer": "一切正常"}
        await app.shutdown()
        assert await persistence.get_conversations("checkin") == {}
        assert await persistence.get_user_data() == {USER_ID: {"asked_at": 1, "answer": "一切正常"}}


async def test_data_kinds_round_trip_as_json(tmp_path: Path) -> None:
    async with await open_db(tmp_path) as db:
        everything = PersistenceInput(bot_data=True, callback_data=True)
        persistence = SQLitePersistence(db, update_interval=5, store_data=everything)
        assert persistence.update_interval == 5
        assert await persistence.get_bot_data() == {}
        assert await persistence.get_callback_data() is None
        await persistence.update_bot_data({"digest_sent": "2024-05-01"})
        await persistence.update_chat_data(-100, {"area": 3})
        await persistence.update_user_data(7, {"draft": {"screened": 1, "incidents": []}})
        await persistence.update_callback_data(([("uuid", 1.5, {"btn": "zero"})], {"q": "uuid"}))
        await persistence.update_conversation("checkin", (7, 7), "asked")
        await persistence.update_conversation("checkin", (8, 8), 2)
        await persistence.update_conversation("checkin", (8, 8), None)
        await persistence.drop_user_data(7)

    async with await Database.open(db.path) as reopened:
        again = SQLitePersistence(reopened, store_data=everything)
        assert await again.get_bot_data() == {"digest_sent": "2024-05-01"}
        assert await again.get_chat_data() == {-100: {"area": 3}}
        assert await again.get_user_data() == {}
        assert await again.get_callback_data() == ([("uuid", 1.5, {"btn": "zero"})], {"q": "uuid"})
        assert await again.get_conversations("checkin") == {(7, 7): "asked"}
        assert await again.get_conversations("other") == {}
        await again.refresh_user_data(7, {})
        await again.refresh_chat_data(-100, {})
        await again.refresh_bot_data({})
        await again.flush()


async def test_data_that_is_not_json_is_refused(tmp_path: Path) -> None:
    async with await open_db(tmp_path) as db:
        persistence = SQLitePersistence(db)
        with pytest.raises(TypeError, match="user_data of 7"):
            await persistence.update_user_data(7, {"when": object()})
        assert await persistence.get_user_data() == {}


async def test_writes_in_a_batch_are_committed_together_when_it_ends(tmp_path: Path) -> None:
    async with await open_db(tmp_path) as db:
        persistence = SQLitePersistence(db)
        async with persistence.batched():
            await persistence.update_user_data(7, {"draft": "{}"})
            await persistence.update_conversation("checkin", (7, 7), "asked")
            assert await persistence.get_user_data() == {}  # nothing written yet
        assert await persistence.get_user_data() == {7: {"draft": "{}"}}
        assert await persistence.get_conversations("checkin") == {(7, 7): "asked"}


async def test_a_batch_that_fails_writes_nothing_and_is_written_again(tmp_path: Path) -> None:
    async with await open_db(tmp_path) as db:
        persistence = SQLitePersistence(db)
        async with db.transaction() as conn:
            await conn.execute("ALTER TABLE ptb_chat_data RENAME TO ptb_chat_data_away")
        with pytest.raises(sqlite3.OperationalError, match="ptb_chat_data"):
            async with persistence.batched():
                await persistence.update_user_data(7, {"answer": 1})
                await persistence.update_conversation("checkin", (7, 7), "asked")
                await persistence.update_chat_data(7, {"seen": True})
        assert await persistence.get_user_data() == {}
        assert await persistence.get_conversations("checkin") == {}
        async with db.transaction() as conn:
            await conn.execute("ALTER TABLE ptb_chat_data_away RENAME TO ptb_chat_data")
        await persistence.update_user_data(7, {"answer": 1})  # not taken for already saved
        assert await persistence.get_user_data() == {7: {"answer": 1}}


async def test_a_conversation_state_is_written_only_when_it_changes(tmp_path: Path) -> None:
    async with await open_db(tmp_path) as db:
        persistence = SQLitePersistence(db)
        await persistence.update_conversation("checkin", (7, 7), "ask")
        async with db.transaction() as conn:  # behind the persistence's back
            await conn.execute("UPDATE ptb_conversations SET state = '\"edited\"'")
        await persistence.update_conversation("checkin", (7, 7), "ask")  # the same: not written
        assert await persistence.get_conversations("checkin") == {(7, 7): "edited"}
        await persistence.update_conversation("checkin", (7, 7), "summary")
        await persistence.update_conversation("checkin", (7, 7), None)
        await persistence.update_conversation("checkin", (7, 7), "summary")  # written again
        assert await persistence.get_conversations("checkin") == {(7, 7): "summary"}
