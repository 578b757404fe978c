"""python-telegram-bot persistence in gridbot's own database, as JSON.

Conversation states and ``user_data``/``chat_data`` (and optionally ``bot_data`` and the
callback-data cache) survive a restart. Values are stored as JSON, never pickled, so
nothing read from the database can run code. The price: what handlers put in those dicts
must be JSON data — dict keys come back as strings, tuples as lists — and anything else
raises TypeError when the Application saves it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, MutableMapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import BasePersistence, PersistenceInput

from storage.codec import from_json
from storage.rows import Params, fetch_all, fetch_one

if TYPE_CHECKING:
    from storage.db import Database

ConversationKey = tuple[int | str, ...]
"""A ConversationHandler's key: (chat id, user id…), as in ``BasePersistence``'s signatures."""
ConversationDict = MutableMapping[ConversationKey, object]
"""One ConversationHandler's states by key."""
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]
"""PTB's callback-data cache as persisted (``CallbackDataCache.persistence_data``).

These three spell out the types of PTB's public ``BasePersistence`` methods, which PTB keeps
in a private module."""

DEFAULT_STORE = PersistenceInput(bot_data=False, chat_data=False, callback_data=False)
"""By default conversations and user_data are kept; chat_data, bot_data and callback data are
not (gridbot keeps its shared state in its own tables and uses no chat_data: saving each
chat's empty dict after every update would be work for nothing)."""

_TABLES = {"user": ("ptb_user_data", "user_id"), "chat": ("ptb_chat_data", "chat_id")}


@dataclass(frozen=True)
class _Write:
    """A statement to run, and what to remember once it is committed."""

    sql: str
    params: Params
    done: Callable[[], object] | None = None


_batch: ContextVar[list[_Write] | None] = ContextVar("persistence_batch", default=None)
"""The writes collected by :meth:`SQLitePersistence.batched` in this task (and the tasks it
starts, such as those of ``Application.update_persistence``)."""


def _dump(what: str, value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what} must be JSON data to be persisted: {exc}") from exc


class SQLitePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB persistence on the gridbot database (tables ``ptb_*``).

    Every write is committed before the call returns, except inside :meth:`batched`, which
    commits all of its writes in one transaction when it ends. Writes whose JSON did not change
    since the last load or save are skipped, so the periodic ``update_persistence`` is cheap.
    """

    def __init__(
        self,
        db: Database,
        *,
        update_interval: float = 60,
        store_data: PersistenceInput = DEFAULT_STORE,
    ) -> None:
        super().__init__(store_data=store_data, update_interval=update_interval)
        self._db = db
        self._saved: dict[tuple[str, int | str], str] = {}
        """The JSON last loaded or committed of each user's and chat's data and each
        conversation's state: writing it again would change nothing."""

    # --- user_data / chat_data -------------------------------------------------------------

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return await self._load_all("user")

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return await self._load_all("chat")

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        await self._save("user", user_id, data)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        await self._save("chat", chat_id, data)

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop("user", user_id)

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._drop("chat", chat_id)

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Nothing to do: only this process writes these tables."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """Nothing to do: only this process writes these tables."""

    async def _load_all(self, kind: str) -> dict[int, dict[Any, Any]]:
        table, key = _TABLES[kind]
        async with self._db.read() as conn:
            rows = await fetch_all(conn, f"SELECT {key} AS id, data FROM {table}")
        for row in rows:
            self._saved[(kind, row["id"])] = row["data"]
        return {int(row["id"]): from_json(row["data"]) for row in rows}

    async def _save(self, kind: str, ident: int, data: dict[Any, Any]) -> None:
        text = _dump(f"{kind}_data of {ident}", data)
        if self._saved.get((kind, ident)) == text:
            return
        table, key = _TABLES[kind]

        def saved() -> None:
            self._saved[(kind, ident)] = text

        await self._write(
            f"INSERT INTO {table} ({key}, data) VALUES (?, ?)"
            f" ON CONFLICT ({key}) DO UPDATE SET data = excluded.data",
            (ident, text),
            saved,
        )

    async def _drop(self, kind: str, ident: int) -> None:
        table, key = _TABLES[kind]
        await self._write(
            f"DELETE FROM {table} WHERE {key} = ?",
            (ident,),
            lambda: self._saved.pop((kind, ident), None),
        )

    # --- bot_data --------------------------------------------------------------------------

    async def get_bot_data(self) -> dict[Any, Any]:
        data = await self._load_single("ptb_bot_data")
        return {} if data is None else dict(data)

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        await self._save_single("ptb_bot_data", _dump("bot_data", data))

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        """Nothing to do: only this process writes these tables."""

    # --- callback data ---------------------------------------------------------------------

    async def get_callback_data(self) -> CDCData | None:
        data = await self._load_single("ptb_callback_data")
        if data is None:
            return None
        buttons, queries = data
        return [(uuid, stamp, dict(mapping)) for uuid, stamp, mapping in buttons], dict(queries)

    async def update_callback_data(self, data: CDCData) -> None:
        await self._save_single("ptb_callback_data", _dump("callback data", data))

    async def _load_single(self, table: str) -> Any:
        async with self._db.read() as conn:
            row = await fetch_one(conn, f"SELECT data FROM {table} WHERE id = 1")
        return None if row is None else from_json(row["data"])

    async def _save_single(self, table: str, text: str) -> None:
        await self._write(
            f"INSERT INTO {table} (id, data) VALUES (1, ?)"
            " ON CONFLICT (id) DO UPDATE SET data = excluded.data",
            (text,),
        )

    # --- conversations ---------------------------------------------------------------------

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self._db.read() as conn:
            rows = await fetch_all(
                conn, "SELECT key, state FROM ptb_conversations WHERE name = ?", (name,)
            )
        for row in rows:
            self._saved[(f"conversation {name}", row["key"])] = row["state"]
        return {tuple(from_json(row["key"])): from_json(row["state"]) for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store a conversation's state (unless it is the one stored); None (the conversation
        ended) removes it."""
        key_text = _dump("conversation key", list(key))
        slot = (f"conversation {name}", key_text)
        if new_state is None:
            await self._write(
                "DELETE FROM ptb_conversations WHERE name = ? AND key = ?",
                (name, key_text),
                lambda: self._saved.pop(slot, None),
            )
            return
        state = _dump(f"state of conversation {name}", new_state)
        if self._saved.get(slot) == state:
            return

        def saved() -> None:
            self._saved[slot] = state

        await self._write(
            "INSERT INTO ptb_conversations (name, key, state) VALUES (?, ?, ?)"
            " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
            (name, key_text, state),
            saved,
        )

    async def flush(self) -> None:
        """Nothing to do: every write was committed when it was made."""

    # --- one transaction for many writes ---------------------------------------------------

    @asynccontextmanager
    async def batched(self) -> AsyncIterator[None]:
        """Collect the writes made in the block (by this task and the tasks it starts) and
        commit them together, in one transaction and one trip to the database thread, when
        the block ends: ``async with persistence.batched(): await app.update_persistence()``.

        If the block raises, nothing of it is written.
        """
        writes: list[_Write] = []
        token = _batch.set(writes)
        try:
            yield
        finally:
            _batch.reset(token)
        await self._commit(writes)

    async def _write(
        self, sql: str, params: Params, done: Callable[[], object] | None = None
    ) -> None:
        """Run one write now, or add it to the running batch."""
        write = _Write(sql, params, done)
        batch = _batch.get()
        if batch is None:
            await self._commit([write])
        else:
            batch.append(write)

    async def _commit(self, writes: list[_Write]) -> None:
        if not writes:
            return
        await self._db.write_all([(write.sql, write.params) for write in writes])
        for write in writes:
            if write.done is not None:
                write.done()
