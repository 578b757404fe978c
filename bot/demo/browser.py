"""The demo's page worker in a real headless Chromium, where there is one.

When Debian's ``chromium`` and ``chromium-driver`` and Selenium (installed with the test
extras) are on this machine, the demo's worker fills in the one-screen page in a browser,
as a worker would in Telegram: the page gets a stand-in for Telegram's script carrying the
``initData`` the emulator signed. Anything missing, or a browser that will not start: the
caller falls back to the page's API (:mod:`bot.demo.page`). Selenium is blocking: call
:func:`fill_in_with_chromium` in a thread.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

BROWSERS = ("chromium", "chromium-browser")
DRIVER = "chromedriver"
WAIT_SECONDS = 20.0
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=360,740",
)


class BrowserUnavailable(Exception):
    """No browser here (or it would not start): use the page's API instead."""


def _find_browser() -> tuple[str, str]:
    try:
        import selenium  # noqa: F401
    except ImportError:
        raise BrowserUnavailable("selenium is not installed") from None
    browser = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    driver = shutil.which(DRIVER)
    if browser is None or driver is None:
        raise BrowserUnavailable("chromium or chromium-driver is not installed")
    return browser, driver


def telegram_stub(init_data: str, user: Mapping[str, Any]) -> str:
    """What Telegram's telegram-web-app.js gives the page: ``Telegram.WebApp``."""
    web_app = {"initData": init_data, "initDataUnsafe": {"user": dict(user)}, "themeParams": {}}
    return (
        f"window.Telegram = {{WebApp: Object.assign({json.dumps(web_app)}, "
        "{ready() {}, expand() {}, close() {}})};"
    )


@contextmanager
def _chromium(stub: str) -> Iterator[Any]:
    browser, driver_path = _find_browser()
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium must never fetch a browser
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="gridbot-demo-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        try:
            driver = webdriver.Chrome(options=options, service=Service(driver_path))
        except WebDriverException as failure:
            raise BrowserUnavailable(f"chromium did not start: {failure.msg}") from None
        try:
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": stub})
            yield driver
        finally:
            driver.quit()


def fill_in_with_chromium(
    url: str,
    stub: str,
    keys: Sequence[str],
    answers: Mapping[str, str],
    incident: tuple[str, bool, str] | None,
) -> int:
    """Open the page, answer ``keys`` in order (those shown), add ``incident`` (category,
    urgent, description), review and submit; returns how many answers were typed."""
    with _chromium(stub) as driver:
        page = _Page(driver)
        driver.get(url)
        page.wait(lambda: page.ids("f-"), "the form never appeared")
        typed = 0
        for key in keys:
            page.settle()
            if page.shown(key):
                page.answer(key, answers.get(key, "0"))
                typed += 1
        if incident is not None:
            page.add_incident(*incident)
        page.settle()
        page.click("review")
        page.wait(lambda: page.ids("submit"), "no summary")
        page.click("submit")
        page.wait(lambda: page.ids("filed"), "the report was not filed")
        return typed


class _Page:
    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def wait(self, condition: Any, message: str) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        WebDriverWait(self.driver, WAIT_SECONDS, poll_frequency=0.05).until(
            lambda _: condition(), message
        )

    def ids(self, prefix: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return list(self.driver.find_elements(By.CSS_SELECTOR, f'[id^="{prefix}"]'))

    def settle(self) -> None:
        """Wait until the page has the bot's answer to everything sent so far."""
        self.wait(lambda: self.driver.execute_script("return !document.body.dataset.busy"), "busy")

    def shown(self, key: str) -> bool:
        from selenium.webdriver.common.by import By

        cards = self.driver.find_elements(By.ID, f"q-{key}")
        return bool(cards) and bool(cards[0].is_displayed())

    def click(self, element_id: str) -> None:
        from selenium.webdriver.common.by import By

        element = self.driver.find_element(By.ID, element_id)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()

    def answer(self, key: str, value: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        field = self.driver.find_element(By.ID, f"f-{key}")
        if field.tag_name == "div":  # a choice: tap the option with that label
            field.find_element(By.XPATH, f'.//button[normalize-space()="{value}"]').click()
            return
        self.click(f"f-{key}")
        field.clear()
        field.send_keys(value, Keys.TAB)

    def add_incident(self, category: str, urgent: bool, description: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        from selenium.webdriver.support.ui import Select

        self.click("incident-add")
        card = self.driver.find_elements(By.CSS_SELECTOR, ".incident")[-1]
        Select(card.find_element(By.CSS_SELECTOR, ".category")).select_by_value(category)
        box = card.find_element(By.CSS_SELECTOR, ".urgent")
        if urgent and not box.is_selected() and box.is_enabled():
            box.click()
        card.find_element(By.CSS_SELECTOR, ".description").send_keys(description, Keys.TAB)
