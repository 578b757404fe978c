"""The Mini App in a real headless Chromium: a worker fills in the whole day's report on one
screen (a refused placeholder, a conditional question, live stocks, an incident), submits,
and the report is in the database and confirmed in the chat. The same report is then filed
in chat by a colleague of another grid, and the taps and seconds of both are printed (run
with ``-s`` to see them; nothing here asserts a timing).

Skipped, saying why, only where Chromium or its driver cannot be installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from harness import DAY, TOKEN, Harness, current_question, texts
from test_transcript import png_colours
from test_webapp_order import stored_draft
from webapp_browser import (
    PHONE,
    Page,
    Taps,
    chromium,
    missing_browser,
    seconds_since,
    stub_telegram,
)
from webapp_support import BUTTON_EN, BUTTON_ZH, page_url
from webapp_support import bot as bot  # the fixture

from bot.domain.models import Incident
from bot.emulator import SimUser, sign_init_data
from bot.i18n import t

WANG_NA = (710000001, "王娜", "grid_qj01_1")  # QJ-01
WANG_XIUJING = (710000005, "王秀静", "grid_qj03_1")  # QJ-03

ANSWERS = {
    "home_isolation.opening": "45",
    "central_isolation.opening": "0",
    "screened": "120",
    "households_visited": "１２",  # full-width digits, read as 12
    "arrivals": "2",
    "arrivals_risk": "1",  # appears only once arrivals > 0
    "home_iso_in": "3",
    "home_iso_out": "5",
    "central_iso_in": "0",
    "fever_found": "0",
    "close_contacts": "0",
    "disinfection": "1",
}
INCIDENT = ("gathering", "聚集/聚餐", "3号楼 林某某 家中聚餐约10人，已劝散")
DARK_BACKGROUND = bytes.fromhex("17212b")
"""``bg_color`` of the stub's dark theme."""
FIGURES_ENV = "GRIDBOT_WEBAPP_FIGURES"
"""If set, the measured taps and seconds are also written to this JSON file."""


def fill_in_on_one_screen(url: str, stub: str, profile: Path) -> dict[str, Any]:
    """What a worker does in the page, from opening it to "Filed" (runs in a thread)."""
    with chromium(profile, stub) as driver:
        page = Page(driver)
        start = time.monotonic()
        driver.get(url)
        page.taps.waits += 1
        page.wait_for("f-screened")
        assert not page.visible("q-arrivals_risk")  # conditional: not asked yet

        page.answer("screened", "若干")  # a placeholder is refused, with what to send
        refusal = page.wait_text("e-screened", "若干")
        for key, value in ANSWERS.items():
            page.answer(key, value)  # waits for a conditional question to appear
        stock = page.wait_text("s-home_isolation", "43")  # 45 + 3 − 5, computed live
        page.wait(lambda _: page.text_of("e-screened") == "", "the refusal stayed")
        assert not page.visible("q-central_iso_out")  # nobody in central isolation
        assert not page.visible("q-fever_referred")  # no fever case found

        add_incident(page)
        driver.execute_script("window.scrollTo(0, 0)")
        screenshot = page.screenshot()
        page.click(page.find("review"), "review")
        page.taps.waits += 2  # the summary, then filing
        summary = page.wait_for("summary").text
        page.click(page.find("submit"), "submit")
        filed = page.wait_for("message").text
        seconds = seconds_since(start)
    return {
        "refusal": refusal,
        "stock": stock,
        "summary": summary,
        "filed": filed,
        "screenshot": screenshot,
        "taps": page.taps,
        "seconds": seconds,
    }


def add_incident(page: Page) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    page.click(page.find("incident-add"), "add incident")
    card = page.driver.find_elements(By.CSS_SELECTOR, ".incident")[-1]
    category = card.find_element(By.CSS_SELECTOR, ".category")
    page.click(category, "open the kinds")
    Select(category).select_by_value(INCIDENT[0])
    page.taps.tap("choose a kind")
    page.click(card.find_element(By.CSS_SELECTOR, ".urgent"), "urgent")
    description = card.find_element(By.CSS_SELECTOR, ".description")
    description.send_keys(INCIDENT[2])  # focused when added: no extra tap
    page.taps.type(INCIDENT[2])
    description.send_keys(Keys.TAB)


async def fill_in_chat(bot: Harness, user: SimUser) -> dict[str, Any]:
    """The same report through the chat flow, counting the worker's taps."""
    taps, start = Taps(), time.monotonic()

    async def send(text: str) -> None:
        taps.type(text)
        taps.tap("send")
        taps.waits += 1
        await bot.send(user, text)

    async def press(button: str) -> None:
        taps.tap(button)
        taps.waits += 1
        await bot.press(user, button)

    await send("/report")
    await send("若干")  # the same refused placeholder as in the page
    while (key := current_question(bot, user)) is not None:
        if key == "difficulties":
            await press(t("zh_CN", "button.skip"))
        elif ANSWERS[key] == "0":
            await press("0")
        else:
            await send(ANSWERS[key])
    await press(t("zh_CN", "button.add_incident"))
    await press(INCIDENT[1])
    await send(INCIDENT[2])
    await press(t("zh_CN", "button.urgent_yes"))
    await press(t("zh_CN", "button.incidents_done"))
    await press(t("zh_CN", "button.submit"))
    return {"taps": taps, "seconds": seconds_since(start)}


async def test_a_worker_files_the_whole_report_on_one_screen(bot: Harness, tmp_path: Path) -> None:
    reason = missing_browser()
    if reason is not None:
        pytest.skip(reason)
    wang = bot.user(WANG_NA[0], WANG_NA[1], username=WANG_NA[2])
    await bot.start_bot(wang)
    launch = wang.open_web_app(BUTTON_ZH)
    stub = stub_telegram(launch.init_data, wang.user)
    page = await asyncio.to_thread(fill_in_on_one_screen, page_url(bot), stub, tmp_path / "profile")

    assert "若干" in page["refusal"]
    assert "已提交" in page["filed"]
    assert "排查人数：120 人" in page["summary"]
    report = await bot.report("QJ-01")
    assert report is not None and not report.late and report.submitted_by_name == "王娜"
    values = report.current.values
    assert (values["screened"], values["households_visited"]) == (120, 12)
    assert (values["arrivals_risk"], values["home_iso_out"], values["central_iso_out"]) == (1, 5, 0)
    assert report.current.baseline == {"home_isolation": 45, "central_isolation": 0}
    assert report.current.incidents == (Incident(INCIDENT[0], INCIDENT[2], True),)
    assert texts([wang.last()]) == page["filed"]  # the chat's confirmation, as in the page

    size, colours = png_colours(page["screenshot"])
    assert size == PHONE
    (_, most), total = colours.most_common(1)[0], sum(colours.values())
    assert len(colours) > 20, f"only {len(colours)} colours: a blank page?"
    assert most / total < 0.95, "one colour covers nearly the whole screenshot"

    colleague = bot.user(WANG_XIUJING[0], WANG_XIUJING[1], username=WANG_XIUJING[2])
    chat = await fill_in_chat(bot, colleague)
    in_chat = await bot.report("QJ-03", DAY)
    assert in_chat is not None
    assert in_chat.current.values == values  # the same report, either way
    assert in_chat.current.incidents == report.current.incidents
    report_figures(page, chat)


def report_figures(page: dict[str, Any], chat: dict[str, Any]) -> None:
    figures = {
        name: {
            "taps": run["taps"].taps,
            "characters_typed": run["taps"].characters,
            "waits_for_the_bot": run["taps"].waits,
            "seconds": run["seconds"],
        }
        for name, run in (("page", page), ("chat", chat))
    }
    print("\nfull report, page vs chat:", json.dumps(figures))
    out = os.environ.get(FIGURES_ENV)
    if out:
        Path(out).write_text(json.dumps(figures, indent=2) + "\n", "utf-8")


def page_message(url: str, stub: str, profile: Path) -> str:
    """What the page says when it cannot let the worker in (runs in a thread)."""
    return page_refusal(url, stub, profile)[0]


def page_refusal(url: str, stub: str, profile: Path) -> tuple[str, bytes]:
    """The page's refusal and a screenshot of it (runs in a thread)."""
    with chromium(profile, stub) as driver:
        page = Page(driver)
        driver.get(url)
        return str(page.wait_for("message").text), page.screenshot()


async def test_the_page_says_why_it_cannot_be_used(bot: Harness, tmp_path: Path) -> None:
    reason = missing_browser()
    if reason is not None:
        pytest.skip(reason)
    wang = bot.user(WANG_NA[0], WANG_NA[1], username=WANG_NA[2], lang="en")
    await bot.start_bot(wang)
    launch = wang.open_web_app(BUTTON_EN)
    forged = launch.init_data.replace("%22id%22%3A710000001", "%22id%22%3A710000005")
    url = page_url(bot)
    said, shot = await asyncio.to_thread(
        page_refusal, url, stub_telegram(forged, wang.user, "dark"), tmp_path / "forged"
    )
    assert said == t("en", "webapp.error.forged")
    _, colours = png_colours(shot)
    assert colours.most_common(1)[0][0] == DARK_BACKGROUND  # Telegram's dark theme followed
    stranger = bot.user(123_456, "Stranger", lang="en")
    signed = sign_init_data(TOKEN, stranger.user)
    said = await asyncio.to_thread(
        page_message, url, stub_telegram(signed, stranger.user), tmp_path / "stranger"
    )
    assert said == t("en", "webapp.error.not_registered")
    said = await asyncio.to_thread(page_message, url, "", tmp_path / "outside")
    assert said == t("en", "webapp.page.outside_telegram")  # the browser's language


async def wang_na_with_a_browser(bot: Harness) -> tuple[SimUser, str]:
    """Wang Na, started in chat, and the stub of Telegram for her page (the test is skipped,
    saying why, where Chromium cannot run)."""
    reason = missing_browser()
    if reason is not None:
        pytest.skip(reason)
    wang = bot.user(WANG_NA[0], WANG_NA[1], username=WANG_NA[2])
    await bot.start_bot(wang)
    return wang, stub_telegram(wang.open_web_app(BUTTON_ZH).init_data, wang.user)


@contextmanager
def form_page(url: str, stub: str, profile: Path) -> Iterator[Page]:
    """The page at ``url`` in Chromium, once its form is on the screen."""
    with chromium(profile, stub) as driver:
        page = Page(driver)
        driver.get(url)
        page.wait_for("f-screened")
        yield page


Seen = TypeVar("Seen")


async def in_the_page(
    bot: Harness, scenario: Callable[[str, str, Path], Seen], tmp_path: Path
) -> tuple[Seen, dict[str, Any]]:
    """What Wang Na saw in the page going through ``scenario`` (run in a thread, with the
    page's address, the stub of Telegram and a browser profile), and her draft as then
    committed to the database."""
    _, stub = await wang_na_with_a_browser(bot)
    seen = await asyncio.to_thread(scenario, page_url(bot), stub, tmp_path / "profile")
    draft, _ = await asyncio.to_thread(stored_draft, bot.settings.db, WANG_NA[0])
    return seen, draft


def hold_first_reply(key: str) -> str:
    """A script run before the page's: the page's ``fetch``, except that the first reply to
    an answer to ``key`` is held back, once it has come, until ``window.__release()``
    (``window.__held`` says "arrived", then "delivered")."""
    return (
        "(function () {"
        " const realFetch = window.fetch.bind(window); let release;"
        " const gate = new Promise((resolve) => { release = resolve; });"
        " window.__release = () => release(); window.__held = '';"
        " window.fetch = async (url, init) => {"
        "  const response = await realFetch(url, init);"
        "  const body = init && typeof init.body === 'string' ? JSON.parse(init.body) : {};"
        f"  if (!window.__held && String(url).endsWith('api/answer') && body.key === {key!r}) {{"
        "   window.__held = 'arrived'; await gate; window.__held = 'delivered';"
        "  }"
        "  return response;"
        " };"
        "})();"
    )


def wait_held(page: Page, state: str, failure: str) -> None:
    """Wait until the held call (see :func:`hold_first_reply`) is in ``state``."""
    page.wait(lambda _: page.driver.execute_script("return window.__held") == state, failure)


def reply_overtaken(url: str, stub: str, profile: Path) -> dict[str, Any]:
    """Disinfection 0 (a soft warning), then arrivals 2 (arrivals_risk appears); the reply
    to the first arrives after the second's (runs in a thread)."""
    with form_page(url, stub + hold_first_reply("disinfection"), profile) as page:
        driver = page.driver
        page.answer("disinfection", "0")
        wait_held(page, "arrived", "the bot never answered the first answer")
        page.answer("arrivals", "2")
        page.wait(lambda _: page.visible("q-arrivals_risk"), "arrivals_risk never appeared")
        driver.execute_script("window.__release()")
        page.wait(
            lambda _: driver.execute_script(
                "return window.__held === 'delivered' && document.body.dataset.busy === ''"
            ),
            "the held reply was never handled",
        )
        return {
            "risk_shown": page.visible("q-arrivals_risk"),
            "warning": page.text_of("w-disinfection"),
        }


async def test_a_reply_overtaken_by_a_newer_one_does_not_undo_it(
    bot: Harness, tmp_path: Path
) -> None:
    seen, draft = await in_the_page(bot, reply_overtaken, tmp_path)

    assert seen["risk_shown"]  # the older state, applied last, would hide the question
    assert "没有公共区域消杀" in seen["warning"]  # the older reply's own warning is still shown
    assert draft["values"] == {"disinfection": 0, "arrivals": 2}


def hold_first_request(path: str, key: str | None = None) -> str:
    """A script run before the page's: the page's ``fetch``, except that the first call to
    ``path`` (an answer to ``key``, if given) is held back before it is sent, until
    ``window.__release()``; ``window.__sent`` lists the bodies of those calls in the order
    they went to the bot."""
    match = f"String(url).endsWith({path!r})" + (f" && body.key === {key!r}" if key else "")
    return (
        "(function () {"
        " const realFetch = window.fetch.bind(window); let release;"
        " const gate = new Promise((resolve) => { release = resolve; });"
        " window.__release = () => release(); window.__held = ''; window.__sent = [];"
        " window.fetch = async (url, init) => {"
        "  const body = init && typeof init.body === 'string' ? JSON.parse(init.body) : {};"
        f"  if ({match}) {{"
        "   if (!window.__held) { window.__held = 'waiting'; await gate; }"
        "   window.__sent.push(body);"
        "  }"
        "  return realFetch(url, init);"
        " };"
        "})();"
    )


def answer_replaced_while_sent(url: str, stub: str, profile: Path) -> dict[str, Any]:
    """Screened 5, slow to leave the phone, then replaced by 50 (runs in a thread)."""
    with form_page(url, stub + hold_first_request("api/answer", "screened"), profile) as page:
        driver = page.driver
        page.answer("screened", "5")
        wait_held(page, "waiting", "the first answer was never sent")
        page.answer("screened", "50")
        page.answer("households_visited", "3")  # another question meanwhile
        driver.execute_script("window.__release()")
        page.wait(
            lambda _: driver.execute_script(
                "return window.__sent.some((body) => body.value === '50')"
                " && document.body.dataset.busy === ''"
            ),
            "the second answer was never sent",
        )
        return {
            "sent": [body["value"] for body in driver.execute_script("return window.__sent")],
            "shown": page.find("f-screened").get_attribute("value"),
            "error": page.text_of("e-screened"),
        }


async def test_an_answer_replaced_while_the_first_is_on_its_way_stays_replaced(
    bot: Harness, tmp_path: Path
) -> None:
    seen, draft = await in_the_page(bot, answer_replaced_while_sent, tmp_path)

    assert draft["values"] == {"screened": 50, "households_visited": 3}
    assert seen["sent"][0] == "5" and seen["sent"][-1] == "50"  # in the order typed
    assert (seen["shown"], seen["error"]) == ("50", "")


def page_and_chat_in_turn(url: str, stub: str, profile: Path, chat: Any) -> dict[str, Any]:
    """The worker starts in the page (two answers refused), goes on in the chat (``chat``
    says the worker's messages there and returns what it asks next), then answers one more
    question in the page (runs in a thread)."""
    with form_page(url, stub, profile) as page:
        driver = page.driver
        for key, value in {**OPENINGS, "households_visited": "4"}.items():
            page.answer(key, value)
        page.answer("screened", "若干")  # refused: the draft has no screened yet
        page.wait_text("e-screened", "若干")
        page.answer("home_iso_in", "-1")  # refused too, and not answered in the chat
        page.wait(lambda _: page.text_of("e-home_iso_in"), "-1 was not refused")
        asked_in_chat = chat(["/report", "7", "2"])  # screened, then arrivals
        page.answer("disinfection", "1")
        page.wait(lambda _: page.visible("q-arrivals_risk"), "arrivals_risk never appeared")
        page.wait(
            lambda _: driver.execute_script("return document.body.dataset.busy === ''"),
            "the page never heard back",
        )
        shown = ("arrivals", "screened", "households_visited", "disinfection", "home_iso_in")
        return {
            "asked_in_chat": asked_in_chat,
            "values": {key: page.find(f"f-{key}").get_attribute("value") for key in shown},
            "refusals": [page.text_of(f"e-{key}") for key in ("screened", "home_iso_in")],
        }


OPENINGS = {"home_isolation.opening": "45", "central_isolation.opening": "0"}


async def test_answers_given_in_the_chat_show_up_in_the_open_page(
    bot: Harness, tmp_path: Path
) -> None:
    wang, stub = await wang_na_with_a_browser(bot)
    loop = asyncio.get_running_loop()

    def chat(messages: list[str]) -> list[str]:
        asked = []
        for text in messages:
            asyncio.run_coroutine_threadsafe(bot.send(wang, text), loop).result()
            asked.append(current_question(bot, wang))
        return asked

    seen = await asyncio.to_thread(
        page_and_chat_in_turn, page_url(bot), stub, tmp_path / "profile", chat
    )

    assert seen["asked_in_chat"] == ["screened", "arrivals", "arrivals_risk"]
    draft, _ = await asyncio.to_thread(stored_draft, bot.settings.db, WANG_NA[0])
    assert draft["values"] == {
        "households_visited": 4,
        "screened": 7,
        "arrivals": 2,
        "disinfection": 1,
    }
    assert seen["values"] == {
        "arrivals": "2",  # answered in the chat
        "screened": "7",  # refused in the page, then answered in the chat
        "households_visited": "4",
        "disinfection": "1",
        "home_iso_in": "-1",  # still refused, as the page said
    }
    assert seen["refusals"][0] == "" and seen["refusals"][1]


def incident_edited_while_sent(url: str, stub: str, profile: Path) -> list[list[str]]:
    """An incident described, its first list slow to leave the phone, then the description
    made longer (runs in a thread); the descriptions of each list as sent."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with form_page(url, stub + hold_first_request("api/incidents"), profile) as page:
        driver = page.driver
        page.click(page.find("incident-add"), "add incident")
        description = driver.find_elements(By.CSS_SELECTOR, ".incident .description")[-1]
        description.send_keys("3号楼聚餐", Keys.TAB)
        wait_held(page, "waiting", "the first list was never sent")
        description.send_keys("，已劝散", Keys.TAB)
        driver.execute_script("window.__release()")
        page.wait(
            lambda _: driver.execute_script(
                "return window.__sent.length === 2 && document.body.dataset.busy === ''"
            ),
            "the second list was never sent",
        )
        sent = driver.execute_script("return window.__sent")
        return [[item["description"] for item in body["incidents"]] for body in sent]


async def test_an_incident_edited_while_its_first_list_is_on_its_way_stays_edited(
    bot: Harness, tmp_path: Path
) -> None:
    sent, draft = await in_the_page(bot, incident_edited_while_sent, tmp_path)

    assert [item["description"] for item in draft["incidents"]] == ["3号楼聚餐，已劝散"]
    assert sent == [["3号楼聚餐"], ["3号楼聚餐，已劝散"]]  # in the order typed
