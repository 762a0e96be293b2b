"""The dashboard in a real browser, on the real broker with the services running in this loop.

A report sent through an agency's intake appears on the map and in the list within 2 s of its
case event; a missed deadline turns a case overdue (row, map, alert strip); clicking a case shows
its timeline and source reports without the reporter's personal fields; labels switch language;
the page is usable from the keyboard and axe-core finds nothing serious on it (WCAG 2.1 AA); in
production the token is enforced.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest
from bench.browser import chromium, page_errors
from playwright.async_api import Browser, Page, expect
from pydantic import SecretStr

from incidentbus.devtools import natives
from incidentbus.kernel.codec import decode
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.dashboard.access import AccessError
from incidentbus.ops.query import serve
from incidentbus.v1 import case_events_pb2
from tests.integration.agencies.harness import free_port
from tests.integration.correlator.harness import Bus, now
from tests.integration.correlator.test_end_to_end import fast_rules
from tests.integration.dashboard.browser import accessibility_problems, screenshot
from tests.integration.waits import CEILING

SEEN = """
window.seen = {};
new MutationObserver(() => {
  for (const tr of document.querySelectorAll('#case-rows tr[data-case-id]')) {
    window.seen[tr.dataset.caseId] ??= Date.now();
  }
}).observe(document.getElementById('case-rows'), { childList: true });
"""
WAIT_MS = CEILING * 1000


async def opened(bus: Bus, ref: str) -> tuple[str, int]:
    """(case id, the case_opened record's broker timestamp in ms) once the report opened a case."""

    async def probe() -> tuple[str, int] | None:
        for record in await bus.records("case.events.v1"):
            event: case_events_pb2.CaseEvent = decode(record, case_events_pb2.CaseEvent).message  # type: ignore[assignment]
            if event.WhichOneof("body") == "case_opened" and event.case_opened.first_report.source_ref == ref:
                return event.case_id, record.timestamp_ms
        return None

    found: tuple[str, int] = await bus.until(probe)
    return found


def row(page: Page, case_id: str) -> Any:
    return page.locator(f'#case-rows tr[data-case-id="{case_id}"]')


async def live_report(bus: Bus, page: Page) -> dict[str, Any]:
    """A police report with a caller's personal fields; when its row appeared against its case event."""
    ref, phone = f"P-{uuid.uuid4().hex[:8]}", f"139{uuid.uuid4().int % 10**8:08d}"
    caller = {"name": f"Caller {uuid.uuid4().hex[:6]} 李四", "phone": phone, "id_no": "310177199003070011"}
    report = natives.report("police", ref, "TA1", "310121-001-001-01", now()) | {"caller": caller}
    await bus.send("police", report)
    case_id, logged_ms = await opened(bus, ref)
    await expect(row(page, case_id)).to_be_visible(timeout=WAIT_MS)
    seen_ms = await page.evaluate(f"window.seen[{case_id!r}]")
    return {"case_id": case_id, "latency_ms": seen_ms - logged_ms, "caller": caller}


async def overdue_case(bus: Bus, page: Page) -> str:
    """An urban report whose seconds-long deadlines (fast rules) pass: the case turns overdue."""
    ref = f"U-{uuid.uuid4().hex[:8]}"
    await bus.send("urban", natives.report("urban", ref, "0201", "310122-001-001-01", now()))
    case_id, _ = await opened(bus, ref)
    await expect(row(page, case_id)).to_have_class("late", timeout=WAIT_MS)
    await expect(row(page, case_id).locator(".badge.late")).to_be_visible(timeout=WAIT_MS)
    return case_id


async def audit(browser: Browser, port: int, case_id: str) -> list[str]:
    """axe-core's serious and critical findings on the board, then with a case view open."""
    page = await browser.new_page(viewport={"width": 1600, "height": 1000}, bypass_csp=True)
    await page.goto(f"http://127.0.0.1:{port}/")
    await expect(row(page, case_id)).to_be_visible(timeout=WAIT_MS)
    problems = await accessibility_problems(page)
    await row(page, case_id).locator("button").click()
    await expect(page.locator('#case-view li[data-event-type="case_opened"]')).to_be_visible(timeout=WAIT_MS)
    problems += await accessibility_problems(page)
    await page.close()
    return problems


def test_dashboard_follows_the_bus_live(isolated: BusSettings) -> None:
    async def run() -> dict[str, Any]:
        seen = dict[str, Any]()
        async with Bus(isolated, fast_rules()) as bus:
            port = free_port()  # after the bus's services have bound theirs
            async with serve(isolated, port), chromium() as browser:
                page = await browser.new_page(viewport={"width": 1600, "height": 1000})
                errors = page_errors(page)
                await page.goto(f"http://127.0.0.1:{port}/")
                await expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
                await page.evaluate(SEEN)
                seen["live"] = await live_report(bus, page)
                live_id = seen["live"]["case_id"]
                grid = page.locator('#map path[data-grid="310121-001-001-01"]')
                await expect(grid).not_to_have_attribute("data-open", "0", timeout=WAIT_MS)
                seen["late"] = await overdue_case(bus, page)
                late_grid = page.locator('#map path[data-grid="310122-001-001-01"]')
                await expect(late_grid).not_to_have_attribute("data-late", "0", timeout=WAIT_MS)
                await expect(page.locator("#alert-list li.escalated").first).to_be_visible(timeout=WAIT_MS)
                await screenshot(page, "board")
                seen["a11y"] = await audit(browser, port, live_id)

                # the case view, opened from the keyboard: focus the case's button, press Enter
                await row(page, live_id).locator("button").focus()
                await page.keyboard.press("Enter")
                view = page.locator("#case-view")
                await expect(view).to_be_visible(timeout=WAIT_MS)
                await expect(view.locator('li[data-event-type="case_opened"]')).to_be_visible(timeout=WAIT_MS)
                await expect(view.locator("#cv-reports tbody tr").first).to_be_visible()
                seen["reports"] = await view.locator("#cv-reports tbody tr").first.inner_text()
                seen["view_text"] = await view.inner_text()
                await screenshot(page, "case-view")
                await page.keyboard.press("Escape")
                await expect(view).to_be_hidden()

                # filters: the late case's district only; then English labels
                await page.select_option("#f-level", "district")
                await page.select_option("#f-area", "310122")
                await expect(row(page, seen["late"])).to_be_visible()
                await expect(row(page, live_id)).to_have_count(0)
                await page.click("#lang")
                await expect(page.locator("#cases-h")).to_have_text("Cases")
                seen["english_badge"] = await row(page, seen["late"]).locator(".badge.late").inner_text()
                await screenshot(page, "filtered-english")
                seen["errors"] = errors
        return seen

    seen = asyncio.run(run())
    assert seen["live"]["latency_ms"] < 2000, seen["live"]  # shown within 2 s of its case event
    topic, partition, offset = seen["reports"].split("\t")[2:5]
    assert topic.endswith("police.events.v1")
    assert (int(partition) >= 0, int(offset) >= 0) == (True, True)
    caller = seen["live"]["caller"]
    assert caller["phone"] not in seen["view_text"]
    assert caller["name"] not in seen["view_text"]
    assert seen["english_badge"] in ("⚠ ESCALATED", "⚠ OVERDUE")
    assert seen["errors"] == []
    assert seen["a11y"] == []


def test_production_requires_the_token(isolated: BusSettings) -> None:
    token = uuid.uuid4().hex
    production = isolated.model_copy(update={"environment": "production", "query_token": SecretStr(token)})
    tokenless = isolated.model_copy(update={"environment": "production", "query_token": None})

    async def run() -> dict[str, Any]:
        port, seen = free_port(), dict[str, Any]()
        refusal = serve(tokenless, free_port())
        with pytest.raises(AccessError, match="INCIDENTBUS_QUERY_TOKEN"):
            await refusal.__aenter__()
        async with serve(production, port), chromium() as browser:
            base = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession(base) as http:
                for path in ("/", "/cases", "/events", "/board"):
                    async with http.get(path) as refused:
                        seen[path] = refused.status
                async with http.get("/cases", headers={"Authorization": "Bearer wrong"}) as wrong:
                    seen["wrong"] = wrong.status
                async with http.get("/cases", headers={"Authorization": f"Bearer {token}"}) as right:
                    seen["bearer"] = right.status
                async with http.get("/health") as health:
                    seen["health"] = health.status
            refused = await browser.new_page()
            refused_page = await refused.goto(f"{base}/")
            seen["page_without"] = refused_page.status if refused_page else None
            await refused.close()
            page = await browser.new_page()  # a page of its own: the refusal's console errors stay there
            errors = page_errors(page)
            await page.goto(f"{base}/?access_token={token}")
            seen["url"] = page.url
            await expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=WAIT_MS)
            seen["errors"] = errors
        return seen

    seen = asyncio.run(run())
    assert [seen[p] for p in ("/", "/cases", "/events", "/board", "wrong")] == [401] * 5
    assert (seen["bearer"], seen["health"], seen["page_without"]) == (200, 200, 401)
    assert "access_token" not in seen["url"]  # the token became a cookie and left the address bar
    assert seen["errors"] == []
