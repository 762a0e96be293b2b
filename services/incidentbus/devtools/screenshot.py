"""A screenshot of the dashboard in Debian's chromium (playwright, a development dependency):
`python -m incidentbus.devtools.screenshot URL OUT.png [--wait SECONDS] [--lang zh|en]`.

Used for the README's picture, taken from a running `make demo` (its printed address); it waits
for the page's first board and then `--wait` seconds more, so the day shows on the map."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from playwright.async_api import async_playwright

CHROMIUM = "/usr/bin/chromium"


async def take(url: str, out: Path, wait_s: float, lang: str) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM)
        page = await browser.new_page(viewport={"width": 1600, "height": 1000}, bypass_csp=True)
        await page.goto(url)
        await page.wait_for_function("window.ibus && window.ibus.firstRender !== null", timeout=120_000)
        if lang == "en":
            await page.click("#lang")
        await asyncio.sleep(wait_s)
        out.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(out), full_page=True)
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url")
    parser.add_argument("out", type=Path)
    parser.add_argument("--wait", type=float, default=2.0, help="seconds after the first board")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args()
    asyncio.run(take(args.url, args.out, args.wait, args.lang))


if __name__ == "__main__":
    main()
