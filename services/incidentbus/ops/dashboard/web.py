"""The dashboard's HTTP side, in the query service's process: the page and its files, the grid
layer, the board and case view as JSON, and the live stream (Server-Sent Events).

The stream starts with the whole board (event `board`), then sends what changed: `cases` (rows of
the cases touched, ids of those no longer shown), `alert` (one per alert), `summary` (agency tiles,
at most once a second, and every 5 s for deadlines passing). A client that falls behind is
dropped; the browser's EventSource reconnects and starts again from a fresh board.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp_sse import sse_response

from incidentbus.kernel.jurisdictions import load_jurisdictions
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.dashboard import board
from incidentbus.ops.readmodel import ReadModel

STATIC = Path(__file__).resolve().parent / "static"
VENDOR_BUILT = STATIC / "vendor" / ".built"
CLIENT_QUEUE = 256  # messages a page may lag behind before it is dropped (it reconnects)
SUMMARY_EVERY_S = 5.0
MAX_STREAM_S = 86_400.0


def now_ms() -> int:
    """The query service's clock (deadlines are judged against it, as in /cases/overdue)."""
    return int(time.time() * 1000)


@dataclass(eq=False)
class Client:
    """One page following the stream (hashed by identity)."""

    queue: asyncio.Queue[tuple[str, str]] = field(default_factory=lambda: asyncio.Queue(CLIENT_QUEUE))
    dropped: bool = False


@dataclass
class Hub:
    """Fans the read model's changes out to every page following it."""

    clients: set[Client] = field(default_factory=set)

    def subscribe(self) -> Client:
        client = Client()
        self.clients.add(client)
        return client

    def unsubscribe(self, client: Client) -> None:
        self.clients.discard(client)

    def publish(self, event: str, data: str) -> None:
        for client in list(self.clients):
            try:
                client.queue.put_nowait((event, data))
            except asyncio.QueueFull:
                client.dropped = True  # its stream ends; the page reconnects to a fresh board
                self.unsubscribe(client)


def board_message(model: ReadModel, districts: dict[str, str]) -> dict[str, Any]:
    """The whole board: every case shown, agency tiles, the latest alerts, district names."""
    kept = list(model.alerts)[-50:]
    return {
        "now": now_ms(),
        "rows": board.rows(model),
        "tiles": board.tiles(model, now_ms()),
        "alerts": [board.alert(model, a) for a in kept],
        "districts": districts,
    }


async def publish_changes(model: ReadModel, hub: Hub, interval_s: float = 0.25) -> None:
    """Every `interval_s`, send the cases the read model folded since the last round, new alerts,
    and (at most once a second, and every 5 s regardless) the agency tiles."""
    last_alert = model.alerts[-1].seq if model.alerts else 0
    last_summary = 0.0
    while True:
        await asyncio.sleep(interval_s)
        changed = model.drain()
        fresh = board.alerts_after(model, last_alert)
        last_alert = fresh[-1]["seq"] if fresh else last_alert
        if not hub.clients:
            continue
        if changed:
            rows = board.rows(model, changed)
            gone = sorted(changed - {r["id"] for r in rows})
            hub.publish("cases", json.dumps({"now": now_ms(), "rows": rows, "removed": gone}))
        for alert in fresh:
            hub.publish("alert", json.dumps(alert))
        elapsed = time.monotonic() - last_summary
        if (changed and elapsed >= 1.0) or elapsed >= SUMMARY_EVERY_S:
            last_summary = time.monotonic()
            hub.publish("summary", json.dumps({"now": now_ms(), "tiles": board.tiles(model, now_ms())}))


def _duration(request: web.Request) -> float:
    raw = request.query.get("duration")
    if raw is None:
        return MAX_STREAM_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 1 <= value <= MAX_STREAM_S:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "bad_parameter", "detail": "duration is seconds, 1 to 86400"}),
            content_type="application/json",
        )
    return value


def add_dashboard(app: web.Application, settings: BusSettings, model: ReadModel, hub: Hub) -> None:
    """The page, its files, the grid layer, /board, /cases/{id}/view and /events."""
    districts = {c: d.name for c, d in load_jurisdictions(settings.jurisdictions_path).districts.items()}
    routes = web.RouteTableDef()

    @routes.get("/")
    async def page(request: web.Request) -> web.StreamResponse:
        if not VENDOR_BUILT.exists():
            return web.Response(
                status=503, text="the dashboard's libraries are not built: run `make web` (or `make install`)"
            )
        return web.FileResponse(STATIC / "index.html")

    @routes.get("/favicon.ico")
    async def favicon(request: web.Request) -> web.Response:
        return web.Response(status=204)  # browsers ask for it on any page; there is none

    @routes.get("/layers/grids.geojson")
    async def grids(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(settings.grids_path, headers={"Content-Type": "application/geo+json"})

    @routes.get("/board")
    async def whole(request: web.Request) -> web.Response:
        return web.json_response(board_message(model, districts))

    @routes.get("/cases/{case_id}/view")
    async def view(request: web.Request) -> web.Response:
        found = board.case_view(model, request.match_info["case_id"])
        if found is None:
            return web.json_response({"error": "not_found", "detail": "no such case"}, status=404)
        return web.json_response(found)

    @routes.get("/events")
    async def events(request: web.Request) -> web.StreamResponse:
        ends = time.monotonic() + _duration(request)
        client = hub.subscribe()
        try:
            async with sse_response(request, headers={"Cache-Control": "no-store"}) as stream:
                await stream.send(json.dumps(board_message(model, districts)), event="board")
                while stream.is_connected() and not client.dropped:
                    left = ends - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        event, data = await asyncio.wait_for(client.queue.get(), timeout=min(left, 1.0))
                    except TimeoutError:
                        continue
                    await stream.send(data, event=event)
        except ConnectionResetError:
            pass  # the page went away mid-send: nothing to answer
        finally:
            hub.unsubscribe(client)
        return stream

    app.add_routes(routes)
    app.router.add_static("/static", STATIC, append_version=False)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Same-origin scripts and styles only (the page loads nothing from elsewhere), no framing."""
    response = await handler(request)
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
    return response
