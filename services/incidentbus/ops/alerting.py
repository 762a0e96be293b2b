"""The query service's CAP 1.2 side: an Atom feed of the latest alerts and each alert as a CAP
document (ops/cap.py builds them from the read model's alerts, ops/alerts.py).

    GET /cap/alerts.atom               the latest alerts, newest first (the read model keeps 500)
    GET /cap/alerts/{identifier}.xml   one alert; 404 once it has left the window

With `--publish-cap`, every alert also goes to `bus.cap.v1` once, as its CAP document
(`publish_cap`).
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from shapely.geometry import MultiPolygon

from incidentbus.kernel.grids import load_grid_layer
from incidentbus.kernel.kafka import producer, read_all, send
from incidentbus.kernel.logging import get_logger
from incidentbus.kernel.records import OutgoingRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.cap import CAP_MEDIA_TYPE, CapSource, document, feed, identifier
from incidentbus.ops.readmodel import ReadModel

CAP_TOPIC = "bus.cap.v1"
log = get_logger("incidentbus.cap")

ATOM_MEDIA_TYPE = "application/atom+xml"


def cap_source(settings: BusSettings) -> CapSource:
    """The sender and scope from the settings; grid polygons from the service's grid layer."""
    layer = load_grid_layer(settings.grids_path)

    def polygon(code: str) -> list[list[tuple[float, float]]]:
        """Each part's outer ring (a MultiPolygon grid has several), (lat, lon); altitudes dropped."""
        grid = layer.grid(code)
        if grid is None:
            return []
        shape = grid.geometry
        parts = list(shape.geoms) if isinstance(shape, MultiPolygon) else [shape]
        return [[(c[1], c[0]) for c in part.exterior.coords] for part in parts]

    return CapSource(settings.cap_sender, polygon, scope=settings.cap_scope)


def add_cap(app: web.Application, settings: BusSettings, model: ReadModel) -> None:
    source = cap_source(settings)
    routes = web.RouteTableDef()

    def link(request: web.Request, ident: str) -> str:
        return str(request.url.with_path(f"/cap/alerts/{ident}.xml").with_query(None))

    built: dict[tuple[int, str], bytes] = {}  # (newest alert's seq, feed address) -> the feed

    @routes.get("/cap/alerts.atom")
    async def atom(request: web.Request) -> web.Response:
        """Built once per new alert (500 alerts take ~170 ms on the loop that also follows Kafka),
        then served as built to every consumer that polls until the next one."""
        url = str(request.url.with_query(None))
        key = (model.alerts[-1].seq if model.alerts else 0, url)
        if key not in built:
            built.clear()
            built[key] = feed(model.alerts, source, url, lambda i: link(request, i))
        return web.Response(body=built[key], content_type=ATOM_MEDIA_TYPE, charset="utf-8")

    @routes.get("/cap/alerts/{identifier}.xml")
    async def one(request: web.Request) -> web.Response:
        wanted = request.match_info["identifier"]
        for alert in model.alerts:
            if identifier(source, alert.event_id) == wanted:
                return web.Response(
                    body=document(alert, source), content_type=CAP_MEDIA_TYPE, charset="utf-8"
                )
        return web.json_response(
            {"error": "not_found", "detail": "no such alert (or it has left the latest 500)"}, status=404
        )

    app.add_routes(routes)


async def publish_cap(settings: BusSettings, model: ReadModel) -> None:
    """Send each alert the model raises to `bus.cap.v1` as its CAP document, keyed by its
    identifier, once: identifiers already on the topic (an earlier run's) are skipped, so a
    restart, which folds the whole history again, sends only what is new. The model's alert log
    must keep an outbox (`AlertLog.outbox`) from before its first fold. Runs until cancelled."""
    outbox = model.alert_log.outbox
    if outbox is None:
        raise ValueError("the read model's alert log keeps no outbox: nothing to publish")
    source, topic = cap_source(settings), settings.topic(CAP_TOPIC)
    sent = {record.key for record in await read_all(settings, topic) if record.key is not None}
    async with producer(settings) as client:
        while True:
            taken, outbox[:] = list(outbox), []
            for alert in taken:
                key = identifier(source, alert.event_id).encode()
                if key in sent:
                    continue
                headers = (("content-type", CAP_MEDIA_TYPE.encode()), ("ce_id", key))
                await send(client, OutgoingRecord(topic, key, document(alert, source), headers))
                sent.add(key)
            if taken:
                log.info("cap documents published", alerts=len(taken), topic=topic)
            await asyncio.sleep(0.5)
