"""A real browser for the dashboard's benchmark and browser tests: Debian's chromium driven by
playwright (`playwright install` cannot download browsers here; `.ci/run` installs the package).
Here rather than under tests/ because bench/ does not import tests/."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = Path(os.environ.get("INCIDENTBUS_CHROMIUM", "/usr/bin/chromium"))


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        raise AssertionError(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield browser
        finally:
            await browser.close()


def page_errors(page: Page) -> list[str]:
    """Uncaught script errors and console errors of a page, collected as it runs."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    return errors
