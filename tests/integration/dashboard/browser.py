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


AXE = Path(__file__).resolve().parents[3] / "web" / "node_modules" / "axe-core" / "axe.min.js"
AXE_RULES = "{runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}"


async def accessibility_problems(page: Page) -> list[str]:
    """Serious and critical findings of axe-core (WCAG 2.1 A/AA and best practice) on the page as it
    stands. The page must be opened with bypass_csp: axe is injected as a script the page's own
    Content-Security-Policy would refuse."""
    if await page.evaluate("typeof window.axe") == "undefined":
        await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(f"axe.run(document, {AXE_RULES})")
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
