"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium, for the UI tests.

The flags keep Chromium off the network beyond the cluster on 127.0.0.1 (no background services, no
component updates) and allow running as root without a sandbox, as CI does.

Example::

    with chromium(screenshots) as browser:
        browser.open(f"{api_url}/")
        browser.shot("login")
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1440,1000",
)


@dataclass
class Browser:
    """A Selenium driver plus the folder its screenshots go to.

    Example::

        browser.wait_for(lambda: browser.driver.find_elements(By.NAME, "username"))
    """

    driver: Any
    screenshots: Path

    def open(self, url: str) -> None:
        self.driver.get(url)

    def shot(self, name: str) -> Path:
        """Save a screenshot of the page as ``<screenshots>/<name>.png``."""
        path = self.screenshots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def wait_for(self, found: Callable[[], Any], what: str = "", timeout: float = 60) -> Any:
        """Poll ``found`` until it returns something truthy; fail with a screenshot otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = found()
            except Exception:  # stale elements while React re-renders
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                shot = self.shot(f"timeout-{int(time.time())}")
                raise AssertionError(f"not on the page within {timeout:.0f} s: {what} (see {shot})")
            time.sleep(0.3)

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return str(self.driver.find_element(By.TAG_NAME, "body").text)


@contextmanager
def chromium(screenshots: Path) -> Iterator[Browser]:
    """A headless Chromium session; quit afterwards, whatever happened."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    screenshots.mkdir(parents=True, exist_ok=True)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield Browser(driver, screenshots)
    finally:
        driver.quit()
