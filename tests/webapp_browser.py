"""Driving the Mini App in a real headless Chromium (Debian's ``chromium`` and
``chromium-driver``, through Selenium; nothing is downloaded at run time).

The page is opened with a stub ``Telegram.WebApp`` (as Telegram's own script would provide
inside Telegram) whose ``initData`` was signed for the bot by the emulator. Selenium is
blocking: the caller runs these functions in a thread while the bot serves the page.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BROWSER_NAMES = ("chromium", "chromium-browser")
DRIVER = "chromedriver"
PHONE = (360, 740)
"""A small phone's viewport, in CSS pixels."""
WAIT_SECONDS = 20.0


def missing_browser() -> str | None:
    """Why the browser test cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (it is in the test extras: make install)"
    if not any(shutil.which(name) for name in BROWSER_NAMES) or not shutil.which(DRIVER):
        return (
            "Chromium or chromium-driver is not installed and could not be installed here "
            "(`make test` runs scripts/ensure-chromium.sh, which needs apt-get and root): "
            "the Mini App was not checked in a browser"
        )
    return None


def stub_telegram(init_data: str, user: dict[str, Any], scheme: str = "light") -> str:
    """The script standing in for telegram-web-app.js: ``Telegram.WebApp`` with signed
    ``initData``, the user, theme parameters; ``close()`` is recorded."""
    theme = (
        {"bg_color": "#ffffff", "text_color": "#000000", "button_color": "#2481cc"}
        if scheme == "light"
        else {"bg_color": "#17212b", "text_color": "#f5f5f5", "button_color": "#5288c1"}
    )
    web_app = {
        "initData": init_data,
        "initDataUnsafe": {"user": user},
        "themeParams": theme,
        "colorScheme": scheme,
    }
    return (
        f"window.Telegram = {{WebApp: Object.assign({json.dumps(web_app)}, {{"
        "ready() {}, expand() {}, close() { window.__closed = true; }})};"
    )


@dataclass
class Taps:
    """What a worker does on the phone: taps on the screen, characters typed, and how often
    they must wait for the bot before going on (a reply in chat; loading, review and submit
    in the page, whose checks run in the background as the worker types)."""

    taps: int = 0
    characters: int = 0
    waits: int = 0
    log: list[str] = field(default_factory=list)

    def tap(self, what: str) -> None:
        self.taps += 1
        self.log.append(what)

    def type(self, text: str) -> None:
        self.characters += len(text)


class Page:
    """One Chromium window on the Mini App, with helpers that count the worker's taps."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.taps = Taps()

    def find(self, element_id: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.ID, element_id)

    def wait(self, condition: Any, message: str) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT_SECONDS, poll_frequency=0.05).until(
            condition, message
        )

    def wait_for(self, element_id: str) -> Any:
        return self.wait(
            lambda driver: self.find(element_id) if self._present(element_id) else False,
            f"#{element_id} never appeared",
        )

    def _present(self, element_id: str) -> bool:
        from selenium.webdriver.common.by import By

        return bool(self.driver.find_elements(By.ID, element_id))

    def text_of(self, element_id: str) -> str:
        return str(self.find(element_id).text)

    def wait_text(self, element_id: str, expected: str) -> str:
        self.wait(
            lambda _: expected in self.text_of(element_id),
            f"#{element_id} never said {expected!r}: {self.text_of(element_id)!r}",
        )
        return self.text_of(element_id)

    def answer(self, key: str, value: str) -> None:
        """Tap the field once it is shown, type the answer, tap "next" on the keyboard (a
        change event); a zero is one tap on the field's 0 button, as in chat."""
        from selenium.webdriver.common.keys import Keys

        if value == "0":
            self.click(self.find(f"z-{key}"), f"0 for {key}")
            return
        field_element = self.find(f"f-{key}")
        self.click(field_element, f"field {key}")
        field_element.clear()
        field_element.send_keys(value)
        self.taps.type(value)
        field_element.send_keys(Keys.TAB)

    def click(self, element: Any, what: str) -> None:
        """Tap ``element`` once the worker could: shown, enabled and scrolled to the middle
        of the screen (off the bar at the bottom). A conditional question is shown only when
        the bot's answer to an earlier one has arrived, later under load."""
        from selenium.webdriver.support import expected_conditions as ec

        self.wait(ec.element_to_be_clickable(element), f"{what}: never shown and enabled")
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()
        self.taps.tap(what)

    def visible(self, element_id: str) -> bool:
        return bool(self.find(element_id).is_displayed())

    def screenshot(self) -> bytes:
        png: bytes = self.driver.get_screenshot_as_png()
        return png


@contextmanager
def chromium(profile: Path, stub: str) -> Iterator[Any]:
    """Headless Chromium at phone size, with ``stub`` run before any script of a page."""
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a browser or driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = next(
        path for name in BROWSER_NAMES if (path := shutil.which(name)) is not None
    )
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--force-device-scale-factor=1",
        f"--window-size={PHONE[0]},{PHONE[1]}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    service = Service(executable_path=shutil.which(DRIVER))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": stub})
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 1, "mobile": True},
        )
        yield driver
    finally:
        driver.quit()


def seconds_since(start: float) -> float:
    return round(time.monotonic() - start, 2)
