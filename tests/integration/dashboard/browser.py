"""Screenshots of the dashboard tests go to var/artifacts/browser/ (INCIDENTBUS_ARTIFACTS
overrides), kept after the run. The browser itself is bench/browser.py's (the benchmark drives it
too)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import Page

ARTIFACTS = Path(os.environ.get("INCIDENTBUS_ARTIFACTS", "var/artifacts")) / "browser"


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
