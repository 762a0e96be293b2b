"""Does the dashboard stay responsive with 10,000 open cases? One run in a real browser.

    .venv/bin/python -m bench.dashboard [--cases N] [--updates 20] [--json]

N open cases (default 10,000) are made by the correlator's own pure core from N agency reports
that cannot merge (bench/opencases.py) and produced onto the case topics of a prefix of the run's
own (`bench-dash-<random>.`, the catalog's topics, deleted at the end, even on failure), with the
benchmark's districts and grid layer (bench/jurisdictions.toml, bench/grids.geojson). The query
service runs in this process against them (`ops.query.serve`), and Debian's chromium (playwright)
opens its page. Measured, in that one run:

(a) first render: navigation start to the whole board drawn (app.js's `window.ibus.firstRender`),
    its rows; and one GET /board (the server building and sending the same board), time and bytes;
(b) update latency, over `--updates` new cases (one more report through the same core each, its
    case events and snapshot produced): from the broker's acknowledgement of the last record to
    its row in the list (a MutationObserver, wall clock), with the search box set to the case's
    id so the row is on screen; and the page's own time for the `cases` event;
(c) responsiveness with every row held: a filter change (category, then back to all; the search
    box) to its redraw, and long tasks (main thread busy > 50 ms) by phase, plus redraws per
    second while nothing is done (summaries; deadlines passing turn rows overdue).

Progress goes to stderr, the table (or `--json`) to stdout. No figure is judged here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiokafka import AIOKafkaProducer
from playwright.async_api import Page

from bench import dashpage
from bench.browser import chromium, page_errors
from bench.machine import load_average, machine
from bench.opencases import Case, OpenCases, produce
from bench.topics import BenchTopics, bench_settings
from incidentbus.correlator.rulesfile import rules_for
from incidentbus.kernel.kafka import producer
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.query import serve

CATEGORY = "TRAFFIC"  # the filter measured: a quarter of the cases (bench/opencases.py KINDS)
# name -> (unit, how); the order of the table
FIGURES = {
    "board.get_ms": ("ms", "one GET /board: the server builds the whole board, JSON, local transfer"),
    "board.bytes": ("B", "that response's body"),
    "board.overdue_rows": ("rows", "rows overdue (escalated or a deadline past) in it"),
    "first_render.rows": ("rows", "rows of the first `board` event (window.ibus.firstRender.rows)"),
    "first_render.received_ms": ("ms", "navigation start -> the `board` event arrived"),
    "first_render.rendered_ms": ("ms", "navigation start -> the board drawn (list, map, tiles)"),
    "first_render.draw_ms": ("ms", "the `board` event arrived -> drawn (parse, list, map)"),
    "update.latency_p50_ms": ("ms", "new case produced (acked) -> its row in the list, median"),
    "update.latency_max_ms": ("ms", "the same, slowest"),
    "update.page_p50_ms": ("ms", "a `cases` event arrived -> drawn, median"),
    "search.redraw_p50_ms": ("ms", "a case id typed in the search box -> redrawn, median"),
    "search.redraw_max_ms": ("ms", "the same, slowest"),
    "filter.category_p50_ms": ("ms", f"category filter set ({CATEGORY}) -> redrawn, median"),
    "filter.category_max_ms": ("ms", "the same, slowest"),
    "filter.all_p50_ms": ("ms", "filter cleared -> every row sorted, 100 drawn, median"),
    "filter.all_max_ms": ("ms", "the same, slowest"),
    "filter.all_frame_p50_ms": ("ms", "filter cleared -> the next frame (laid out, painted), median"),
    "idle.renders_per_s": ("1/s", "redraws while nothing is done on the page"),
    "page.js_heap_mib": ("MiB", "the page's JS heap after the first render (performance.memory)"),
}


def progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def now_ms() -> int:
    return int(time.time() * 1000)


async def get_board(base: str) -> dict[str, Any]:
    """One GET /board, timed from request to the last byte; its size and how many rows are overdue."""
    async with aiohttp.ClientSession() as http:
        started = time.perf_counter()
        async with http.get(f"{base}/board") as response:
            body = await response.read()
        elapsed = (time.perf_counter() - started) * 1000
    board = json.loads(body)
    late = [r for r in board["rows"] if r["open"] and (r["escalations"] or (r["due"] or 1e18) < board["now"])]
    return {"ms": elapsed, "bytes": len(body), "rows": len(board["rows"]), "overdue": len(late)}


async def in_page(
    page: Page, url: str, cases: OpenCases, client: AIOKafkaProducer, args: argparse.Namespace
) -> dict[str, Any]:
    """(a), (b) and (c) on one open page, phase by phase."""
    progress("page: first render")
    first = await dashpage.first_render(page, url)
    loaded = await dashpage.now(page)
    updates, searches = [], []
    for k in range(args.updates):
        case: Case = cases.report(args.cases + k, now_ms())
        searches.append(await dashpage.redraw(page, page.fill("#f-text", case.case_id)))
        acked = await produce(client, case.records)
        seen, update = await dashpage.row_seen(page, case.case_id)
        page_ms = round(update["renderedAt"] - update["receivedAt"], 1)
        updates.append({"case_id": case.case_id, "latency_ms": round(seen - acked, 1), "page_ms": page_ms})
    progress(f"page: {len(updates)} updates seen")
    updated = await dashpage.now(page)
    everything = [await dashpage.redraw(page, page.fill("#f-text", ""))]
    category = []
    for _ in range(args.repeat):
        category.append(await dashpage.redraw(page, page.select_option("#f-category", CATEGORY)))
        everything.append(await dashpage.redraw(page, page.select_option("#f-category", "")))
    profile = await dashpage.profiled(page, page.select_option("#f-category", CATEGORY))
    await dashpage.redraw(page, page.select_option("#f-category", ""))
    filtered = await dashpage.now(page)
    progress(f"page: filters measured; {args.idle_seconds} s idle")
    quiet = await dashpage.idle(page, args.idle_seconds)
    ended = await dashpage.now(page)
    phases = {
        "first_render": (0.0, first["renderedAt"]),
        "updates": (loaded, updated),
        "filters": (updated, filtered),
        "idle": (filtered, ended),
    }
    return {
        "first": first,
        "updates": updates,
        "searches": searches,
        "category": category,
        "all": everything,
        "idle": quiet,
        "long_tasks": await dashpage.long_tasks(page, phases),
        "profile": profile,
    }


async def run(
    settings: BusSettings, cases: OpenCases, filled: list[Case], args: argparse.Namespace
) -> dict[str, Any]:
    """Topics, the fill, the query service and the browser; the topics are deleted at the end."""
    topics = BenchTopics(settings)
    result: dict[str, Any] = {}
    try:
        progress(f"topics under {settings.topic_prefix}")
        await topics.apply()
        async with producer(settings) as client:
            records = [r for c in filled for r in c.records]
            started = time.perf_counter()
            await produce(client, records)
            result["produce_s"] = round(time.perf_counter() - started, 2)
            result["records"] = len(records)
            progress(f"{len(records)} case events and snapshots produced; the query service folds them")
            port, started = free_port(), time.perf_counter()
            async with serve(settings, port, "127.0.0.1"):
                result["query_ready_s"] = round(time.perf_counter() - started, 2)
                base = f"http://127.0.0.1:{port}"
                result["board"] = await get_board(base)
                async with chromium() as browser:
                    result["browser"] = browser.version
                    page = await browser.new_page(viewport={"width": 1600, "height": 1000})
                    errors = page_errors(page)
                    result |= await in_page(page, f"{base}/", cases, client, args)
                    result["errors"] = errors
    finally:
        dropped = await topics.drop()
        result["topics_deleted"] = len(dropped)
        progress(f"deleted {len(dropped)} topics under {settings.topic_prefix}")
    return result


def figures(run: dict[str, Any]) -> dict[str, float]:
    first, board = run["first"], run["board"]
    latency = dashpage.spread([u["latency_ms"] for u in run["updates"]])
    page = dashpage.spread([u["page_ms"] for u in run["updates"]])
    search = dashpage.spread([r["drawn"] for r in run["searches"]])
    category = dashpage.spread([r["drawn"] for r in run["category"]])
    everything = dashpage.spread([r["drawn"] for r in run["all"]])
    frame = dashpage.spread([r["frame"] for r in run["all"]])
    return {
        "board.get_ms": round(board["ms"], 1),
        "board.bytes": board["bytes"],
        "board.overdue_rows": board["overdue"],
        "first_render.rows": first["rows"],
        "first_render.received_ms": round(first["receivedAt"], 1),
        "first_render.rendered_ms": round(first["renderedAt"], 1),
        "first_render.draw_ms": round(first["renderedAt"] - first["receivedAt"], 1),
        "update.latency_p50_ms": latency["p50"],
        "update.latency_max_ms": latency["max"],
        "update.page_p50_ms": page["p50"],
        "search.redraw_p50_ms": search["p50"],
        "search.redraw_max_ms": search["max"],
        "filter.category_p50_ms": category["p50"],
        "filter.category_max_ms": category["max"],
        "filter.all_p50_ms": everything["p50"],
        "filter.all_max_ms": everything["max"],
        "filter.all_frame_p50_ms": frame["p50"],
        "idle.renders_per_s": round(run["idle"]["renders_per_s"], 2),
        "page.js_heap_mib": round(first["heap_mib"] or 0.0, 1),
    }


def render(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=150)
    m = result["machine"]
    title = "[bold]incidentbus dashboard benchmark[/bold]"
    console.print(f"{title}   {result['started_at']}   {result['duration_seconds']} s")
    console.print(f"command: {result['command']}")
    console.print(
        f"machine: {m['cores']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}, Python {m['python']}, "
        f"Kafka {m['kafka']}, chromium {result['browser']}; load average before/after: "
        f"{m['load_average_before']} / {m['load_average_after']}"
    )
    d = result["details"]
    console.print(
        f"{result['cases']:,} open cases by the core in {d['core_s']} s; {d['records']:,} records "
        f"produced in {d['produce_s']} s; query service caught up in {d['query_ready_s']} s; on the page: "
        f"{d['shown']['count']!r}, {d['shown']['grids']} grids ({d['shown']['shaded']} shaded, "
        f"{d['shown']['marked']} marked)"
    )
    table = Table(title="figures (one run)")
    for column in ("figure", "value", "unit", "how"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for name, value in result["figures"].items():
        unit, how = FIGURES[name]
        shown = f"{value:,}" if unit in ("B", "rows") else f"{value:,.1f}"
        table.add_row(name, shown, unit, how)
    console.print(table)
    tasks = Table(title="long tasks (main thread busy > 50 ms), by phase")
    for column in ("phase", "count", "longest ms", "total ms"):
        tasks.add_column(column, justify="left" if column == "phase" else "right")
    for phase, t in d["long_tasks"].items():
        tasks.add_row(phase, str(t["count"]), f"{t['max_ms']:,.1f}", f"{t['total_ms']:,.1f}")
    console.print(tasks if d["long_tasks"] else "long tasks: not reported by this browser")
    profile = d["profile"]
    console.print(
        f"CPU profile around one category filter change ({profile['drawn']:,.0f} ms to redraw), main thread "
        f"self time by script: {_listed(profile['by_file_ms'])}; by function: "
        f"{_listed(profile['by_function_ms'])} ((program): the browser's own work, style, layout, paint)"
    )
    console.print(f"page errors: {d['errors'] or 'none'}")


def _listed(times: dict[str, float]) -> str:
    return ", ".join(f"{name} {ms:,.0f} ms" for name, ms in times.items())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="open cases in the read model")
    parser.add_argument("--updates", type=int, default=20, help="new cases whose latency is measured")
    parser.add_argument("--repeat", type=int, default=5, help="filter changes measured, each way")
    parser.add_argument(
        "--span-minutes", type=int, default=30, help="the fill's reports span this before now"
    )
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="idle window watched at the end")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # so the topics are deleted on `kill` too
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # retried NotLeader warnings on new topics
    try:
        result = _measure(args, argv)
    except KeyboardInterrupt as exc:
        progress(f"interrupted ({exc or 'Ctrl-C'}); no figures")
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    else:
        render(result)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _measure(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    base = bench_settings()
    settings = base.model_copy(update={"topic_prefix": f"bench-dash-{uuid.uuid4().hex[:8]}."})
    started, clock, before = datetime.now(UTC), time.perf_counter(), load_average()
    cases = OpenCases(settings, rules_for(settings), args.cases + args.updates)
    progress(f"core: {args.cases} reports -> {args.cases} open cases")
    stepped = time.perf_counter()
    filled = cases.fill(args.cases, args.span_minutes * 60_000, progress)
    core_s = round(time.perf_counter() - stepped, 1)
    measured = asyncio.run(run(settings, cases, filled, args))
    first = measured["first"]
    details = {
        "core_s": core_s,
        **{k: measured[k] for k in ("records", "produce_s", "query_ready_s", "board", "errors")},
        **{k: measured[k] for k in ("long_tasks", "profile")},
        "shown": {k: first[k] for k in ("listed", "count", "grids", "shaded", "marked")},
        "idle": measured["idle"],
        "updates": measured["updates"],
        "redraws": {k: measured[k] for k in ("searches", "category", "all")},
    }
    return {
        "command": " ".join([os.path.relpath(sys.executable), "-m", "bench.dashboard", *argv]),
        "started_at": started.isoformat(timespec="seconds"),
        "duration_seconds": round(time.perf_counter() - clock, 1),
        "cases": args.cases,
        "machine": {**machine(settings), "load_average_before": before, "load_average_after": load_average()},
        "browser": measured.get("browser", ""),
        "topic_prefix": settings.topic_prefix,
        "topics_deleted": measured["topics_deleted"],
        "figures": figures(measured),
        "units": {name: unit for name, (unit, _) in FIGURES.items()},
        "how": {name: how for name, (_, how) in FIGURES.items()},
        "details": details,
    }


if __name__ == "__main__":
    raise SystemExit(main())
