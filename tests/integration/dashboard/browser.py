"""A real browser for the dashboard tests: Debian's chromium driven by playwright (`playwright
install` cannot download browsers here; `.ci/run` installs the package). Screenshots go to
var/artifacts/browser/ (INCIDENTBUS_ARTIFACTS overrides), kept after the run."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = Path(os.environ.get("INCIDENTBUS_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("INCIDENTBUS_ARTIFACTS", "var/artifacts")) / "browser"


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


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


def page_errors(page: Page) -> list[str]:
    """Uncaught script errors and console errors of a page, collected as it runs."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    return errors
