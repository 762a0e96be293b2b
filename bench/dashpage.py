"""The dashboard benchmark's side in the page: what is injected and how each figure is read.

Times inside the page are `performance.now()` (ms since navigation start): the page's own
`window.ibus` figures (app.js) and a redraw probe; the update latency crosses the two processes
with the wall clock (Date.now() in the page, time.time() here: the same machine's clock).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Awaitable
from typing import Any

from playwright.async_api import Page

WAIT_MS = 120_000

# Before the page's scripts: long tasks from the start (the first board's included), and a probe
# for a filter change, from its event (capture phase, before the page's own listener) to the first
# redraw after it (`drawn`: list and map drawn) and to the start of the frame after the one that
# redraw was in (`frame`: laid out and painted).
INIT = """
window.bench = { long: [], longtasks: true, redraw: null };
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.bench.long.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
} catch (e) { window.bench.longtasks = false; }
function arm(e) {
  const id = (e.target && e.target.id) || "";
  if (!id.startsWith("f-") || (id === "f-text") !== (e.type === "input")) return;
  const start = performance.now(), renders = window.ibus.renders;
  window.bench.redraw = null;
  const look = (frameAt) => {
    if (window.ibus.renders === renders) { requestAnimationFrame(look); return; }
    const drawn = window.ibus.renderedAt - start;
    const rows = document.querySelectorAll("#case-rows tr").length;
    const done = (at) => { window.bench.redraw = { drawn, frame: at - start, rows }; };
    if (window.ibus.renderedAt > frameAt) requestAnimationFrame(done); // drawn in this very frame
    else done(frameAt);
  };
  requestAnimationFrame(look);
}
document.addEventListener("input", arm, true);
document.addEventListener("change", arm, true);
"""
# When each case's row first appeared in the list, as the browser test's probe: wall clock (`seen`)
# and page clock (`seenAt`, to find the `cases` event that drew it).
SEEN = """
window.seen = {};
window.seenAt = {};
new MutationObserver(() => {
  for (const tr of document.querySelectorAll('#case-rows tr[data-case-id]')) {
    window.seen[tr.dataset.caseId] ??= Date.now();
    window.seenAt[tr.dataset.caseId] ??= performance.now();
  }
}).observe(document.getElementById('case-rows'), { childList: true });
"""
SHOWN = """() => ({
  listed: document.querySelectorAll('#case-rows tr').length,
  count: document.getElementById('count').textContent,
  grids: Number(document.getElementById('map').dataset.grids || 0),
  shaded: Number(document.getElementById('map').dataset.shaded || 0),
  marked: Number(document.getElementById('map').dataset.marked || 0),
  heap_mib: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null,
})"""


async def first_render(page: Page, url: str) -> dict[str, Any]:
    """Open the page and wait for the first board drawn: app.js's figure and what is on screen."""
    await page.add_init_script(INIT)
    await page.goto(url)
    await page.wait_for_function("() => window.ibus && window.ibus.firstRender !== null", timeout=WAIT_MS)
    figure: dict[str, Any] = await page.evaluate("window.ibus.firstRender")
    shown: dict[str, Any] = await page.evaluate(SHOWN)
    await page.evaluate(SEEN)
    return figure | shown


async def now(page: Page) -> float:
    """The page's performance.now(), to mark where a phase starts and ends."""
    at: float = await page.evaluate("performance.now()")
    return at


async def redraw(page: Page, action: Awaitable[object]) -> dict[str, Any]:
    """Do a filter change and wait for its redraw; the probe's figures (ms from the event)."""
    await page.evaluate("window.bench.redraw = null")
    await action
    await page.wait_for_function("() => window.bench.redraw !== null", timeout=WAIT_MS)
    found: dict[str, Any] = await page.evaluate("window.bench.redraw")
    return found


async def row_seen(page: Page, case_id: str) -> tuple[float, dict[str, Any]]:
    """When the case's row appeared (Date.now() in the page), and app.js's figure of the `cases`
    event that drew it (the latest one, once its figure is recorded: just after the frame)."""
    drawn = """(id) => window.seen[id] !== undefined && window.ibus.lastUpdate !== null
        && window.ibus.lastUpdate.renderedAt >= window.seenAt[id]"""
    await page.wait_for_function(drawn, arg=case_id, timeout=WAIT_MS)
    seen: float = await page.evaluate("(id) => window.seen[id]", case_id)
    update: dict[str, Any] = await page.evaluate("window.ibus.lastUpdate")
    return seen, update


async def idle(page: Page, seconds: float) -> dict[str, float]:
    """Redraws while nothing is done on the page (summaries, deadlines passing), per second."""
    before = await page.evaluate("[window.ibus.renders, performance.now()]")
    await page.wait_for_timeout(seconds * 1000)
    after = await page.evaluate("[window.ibus.renders, performance.now()]")
    elapsed = (after[1] - before[1]) / 1000
    return {"renders_per_s": (after[0] - before[0]) / elapsed, "seconds": elapsed}


async def long_tasks(page: Page, phases: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """Long tasks (main thread busy > 50 ms) by phase: count, longest and total ms; None when the
    browser does not report them."""
    if not await page.evaluate("window.bench.longtasks"):
        return {}
    entries: list[list[float]] = await page.evaluate("window.bench.long")
    out: dict[str, Any] = {}
    for name, (start, end) in phases.items():
        inside = [duration for at, duration in entries if start <= at < end]
        out[name] = {
            "count": len(inside),
            "max_ms": round(max(inside, default=0.0), 1),
            "total_ms": round(sum(inside), 1),
        }
    return out


async def profiled(page: Page, action: Awaitable[object], top: int = 8) -> dict[str, Any]:
    """One filter change under the CPU profiler (CDP): its redraw and where the main thread's time
    went, self time in ms by script file and by function, largest first."""
    session = await page.context.new_cdp_session(page)
    await session.send("Profiler.enable")
    await session.send("Profiler.start")
    try:
        figures = await redraw(page, action)
    finally:
        profile = (await session.send("Profiler.stop"))["profile"]
        await session.detach()
    frames = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    by_file: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    for node, delta_us in zip(profile["samples"], profile["timeDeltas"], strict=True):
        frame = frames[node]
        script = frame["url"].rsplit("/", 1)[-1] or frame["functionName"] or "(anonymous)"
        if script == "(idle)":
            continue
        by_file[script] += delta_us / 1000
        name = frame["functionName"] or "(anonymous)"
        where = f"{name} ({script}:{frame['lineNumber'] + 1})" if frame["url"] else name
        by_function[where] += delta_us / 1000
    return figures | {
        "by_file_ms": {k: round(v, 1) for k, v in by_file.most_common(top)},
        "by_function_ms": {k: round(v, 1) for k, v in by_function.most_common(top)},
    }


def spread(values: list[float]) -> dict[str, float]:
    """Median, max and min of a series (0 when empty), rounded to 0.1 ms."""
    if not values:
        return {"p50": 0.0, "max": 0.0, "min": 0.0}
    return {
        k: round(v, 1)
        for k, v in (("p50", statistics.median(values)), ("max", max(values)), ("min", min(values)))
    }
