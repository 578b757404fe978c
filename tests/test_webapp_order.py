"""The Mini App's replies in any order: every draft state the bot returns carries the draft's
revision, which only goes up (page, chat, a new draft, a restart); one worker's calls are
handled one at a time, so answers sent at once all end up in the draft the database holds."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
from harness import Harness, current_question
from test_webapp_api import WANG_NA, worker
from webapp_support import Reply, open_page
from webapp_support import bot as bot  # the fixture

from bot.domain.draft import DRAFT_KEY, REVISION_KEY

Json = dict[str, Any]


def stored_draft(path: Path, user_id: int) -> tuple[Json, int]:
    """The draft of ``user_id`` and its revision as committed to the database file, read
    through a connection of its own (what a restarted bot would find)."""
    with sqlite3.connect(path) as conn:
        (text,) = conn.execute(
            "SELECT data FROM ptb_user_data WHERE user_id = ?", (user_id,)
        ).fetchone()
    data = json.loads(text)
    return json.loads(data[DRAFT_KEY]), data[REVISION_KEY]


async def committed(bot: Harness) -> tuple[Json, int]:
    return await asyncio.to_thread(stored_draft, bot.settings.db, WANG_NA[0])


def revision(reply: Reply) -> int:
    return int(reply.data["state"]["revision"])


def as_the_page_applies(states: list[Json]) -> Json:
    """The state on the page's screen once it has applied ``states`` in this order: one
    older than the state shown is dropped (app.js ``update``)."""
    shown = states[0]
    for state in states[1:]:
        if state["revision"] > shown["revision"]:
            shown = state
    return shown


async def test_replies_read_out_of_order_are_put_back_in_order_by_their_revision(
    bot: Harness,
) -> None:
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    opened = (await client.open()).data["state"]
    assert "arrivals_risk" not in opened["asked"]

    async with aiohttp.ClientSession(headers=client.headers) as http:
        url = f"{client.base}api/answer"
        body = {"grid_id": client.grid_id}
        # The bot has handled an answer once its reply's head is here; the body is read later.
        first = await http.post(url, json={**body, "key": "screened", "value": "7"})
        second = await http.post(url, json={**body, "key": "arrivals", "value": "2"})
        later = (await second.json())["state"]  # read first: the replies arrive out of order
        earlier = (await first.json())["state"]
    assert (first.status, second.status) == (200, 200)

    assert opened["revision"] < earlier["revision"] < later["revision"]
    assert "arrivals_risk" not in earlier["asked"]  # applied last, it would hide the question
    shown = as_the_page_applies([opened, later, earlier])
    assert shown == later
    assert shown["values"]["screened"] == "7" and shown["values"]["arrivals"] == "2"
    assert "arrivals_risk" in shown["asked"]
    draft, stored_revision = await committed(bot)
    assert draft["values"] == {"screened": 7, "arrivals": 2}
    assert stored_revision == later["revision"]


async def test_answers_sent_at_once_all_end_up_in_the_draft(bot: Harness) -> None:
    """Each answer reads the draft the one before it wrote, also when the first of them
    starts the draft (here the chat dropped it while the page was open)."""
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    await bot.send(wang, "/report")
    await bot.send(wang, "/cancel")
    answers = {
        "home_isolation.opening": "45",
        "central_isolation.opening": "0",
        "screened": "7",
        "households_visited": "4",
        "arrivals": "2",
        "home_iso_in": "3",
    }
    replies = await asyncio.gather(*(client.answer(key, value) for key, value in answers.items()))
    assert [reply.status for reply in replies] == [200] * len(answers)
    revisions = sorted(revision(reply) for reply in replies)
    assert len(set(revisions)) == len(answers)  # one change each, one after the other

    newest = as_the_page_applies([reply.data["state"] for reply in replies])
    assert newest["values"] == {"screened": "7", "households_visited": "4", "arrivals": "2"} | {
        "home_iso_in": "3"
    }
    assert newest["openings"] == {"home_isolation.opening": 45, "central_isolation.opening": 0}
    assert newest["stocks"]["home_isolation"] == {"opening": 45, "closing": 48}
    draft, stored_revision = await committed(bot)
    assert draft["values"] == {
        "screened": 7,
        "households_visited": 4,
        "arrivals": 2,
        "home_iso_in": 3,
    }
    assert draft["baseline"] == {"home_isolation": 45, "central_isolation": 0}
    assert stored_revision == revisions[-1] == newest["revision"]


async def test_an_answer_in_the_page_and_one_in_chat_at_once_are_both_kept(bot: Harness) -> None:
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    await bot.send(wang, "/report")
    asked_in_chat = current_question(bot, wang)
    assert asked_in_chat == "home_isolation.opening"
    page, _ = await asyncio.gather(client.answer("screened", "7"), bot.send(wang, "45"))
    assert page.status == 200
    draft, stored_revision = await committed(bot)
    assert draft["values"] == {"screened": 7} and draft["baseline"] == {"home_isolation": 45}
    state = (await client.open()).data["state"]
    assert state["revision"] == stored_revision >= revision(page)
    assert state["values"] == {"screened": "7"}
    assert state["openings"] == {"home_isolation.opening": 45}


async def test_the_revision_never_goes_back(bot: Harness) -> None:
    """Across an answer in chat, a new draft for the same day and a restart of the bot."""
    wang = worker(bot, WANG_NA)
    await bot.start_bot(wang)
    client = await open_page(bot, wang)
    seen = [revision(await client.open())]
    seen.append(revision(await client.answer("screened", "7")))

    await bot.send(wang, "/report")
    await bot.send(wang, "45")  # the chat's first question: the opening of home isolation
    chat_answered = await client.open()
    assert chat_answered.data["state"]["openings"] == {"home_isolation.opening": 45}
    seen.append(revision(chat_answered))

    await bot.send(wang, "/cancel")
    started_again = await client.open()
    assert started_again.data["state"]["values"] == {}  # a new draft for the same day
    seen.append(revision(started_again))
    refused = await client.answer("screened", "若干")
    assert refused.status == 422  # a refused answer's state is numbered too
    seen.append(revision(refused))
    assert seen == sorted(set(seen))

    await bot.restart()
    client.base = client.base.rsplit(":", 1)[0] + f":{bot.running.webapp.port}/"  # type: ignore[union-attr]
    assert revision(await client.open()) == seen[-1]  # nothing changed meanwhile
    assert revision(await client.answer("households_visited", "4")) > seen[-1]
