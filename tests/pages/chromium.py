"""Debian's Chromium, headless, driven through chromedriver: the one way the page tests start it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
MISSING = (
    "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver); "
    ".ci/run installs them"
)


def headless_chromium(profile: Path, *, timeout: float) -> Any:
    """A fresh headless browser with its own profile folder, quiet (no background traffic)."""
    from selenium import webdriver  # a dev dependency: imported only where a browser is wanted

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1366,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(str(DRIVER)))
    driver.set_page_load_timeout(timeout)
    driver.set_script_timeout(timeout)
    return driver
