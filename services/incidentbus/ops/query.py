"""The query service: an HTTP read model over the correlator's output (snapshots and case events).

It consumes case.snapshots.v1, case.events.v1 and every dead-letter topic from the beginning without
a consumer group (a projection, replayable at will) and answers: a case by id, open cases by
area, the case holding an agency's report, overdue cases, per-agency and per-grid statistics,
Prometheus metrics, its OpenAPI.
Drills are left out of every list and figure unless `?include_drills=true`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from aiokafka import AIOKafkaConsumer, TopicPartition

from incidentbus.kernel.catalog import Catalog, load_catalog
from incidentbus.kernel.codec import DecodeError, decode
from incidentbus.kernel.deadletter import decode_dead_letter
from incidentbus.kernel.kafka import raw_record
from incidentbus.kernel.logging import get_logger
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.alerting import add_cap, publish_cap
from incidentbus.ops.dashboard.access import access_middleware, required_token
from incidentbus.ops.dashboard.web import Hub, add_dashboard, now_ms, publish_changes, security_headers
from incidentbus.ops.figures import broker_figures, from_model, prometheus_text
from incidentbus.ops.openapi import OPENAPI
from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import case_events_pb2

CASE_SOURCES = ("case.snapshots.v1", "case.events.v1")


def sources(catalog: Catalog) -> tuple[str, ...]:
    """The topics the read model folds: the case topics and every writer's dead-letter topic."""
    return (*CASE_SOURCES, *(t.name for t in catalog.dead_letter_topics()))


log = get_logger("incidentbus.query")


def fold(model: ReadModel, record: RawRecord, logical_topic: str) -> None:
    """One record into the model; records that do not decode are skipped (their producer logged them)."""
    try:
        if logical_topic == "case.snapshots.v1":
            model.apply_snapshot(decode(record, case_events_pb2.CaseSnapshot).message)  # type: ignore[arg-type]
        elif logical_topic == "case.events.v1":
            event = decode(record, case_events_pb2.CaseEvent).message
            model.apply_event(event, record.partition, record.offset)  # type: ignore[arg-type]
        else:
            model.dead_letters[decode_dead_letter(record).reason] += 1
    except DecodeError as exc:
        log.warning("skipped record", reason=exc.reason, topic=record.topic, offset=record.offset)


Fold = Callable[[RawRecord, str], None]  # a record and its topic's catalog name


async def follow(
    settings: BusSettings,
    model: ReadModel,
    ready: asyncio.Event,
    topics: tuple[str, ...] = (),
    fold_record: Fold | None = None,
) -> None:
    """Keep the model current; `ready` is set once the backlog present at start is folded in.

    `topics` (catalog names; default the query service's `sources`) are read from the beginning
    without a consumer group, each record handed to `fold_record` (default `fold` into `model`)."""
    names = {settings.topic(t): t for t in topics or sources(load_catalog(settings.catalog_path))}
    fold_into = fold_record or (lambda record, name: fold(model, record, name))
    consumer = AIOKafkaConsumer(
        **settings.kafka_client_options(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=8 << 20,
    )
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [TopicPartition(t, p) for t in names for p in sorted(cluster.partitions_for_topic(t) or [])]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        backlog = await consumer.end_offsets(tps)
        while True:
            for tp, messages in (await consumer.getmany(timeout_ms=500)).items():
                for message in messages:
                    fold_into(raw_record(message), names[tp.topic])
            if not ready.is_set() and await _caught_up(consumer, backlog):
                ready.set()
    finally:
        await consumer.stop()


async def _caught_up(consumer: AIOKafkaConsumer, backlog: dict[TopicPartition, int]) -> bool:
    positions = [await consumer.position(tp) for tp in backlog]
    return all(p >= end for p, end in zip(positions, backlog.values(), strict=True))


def include_drills(request: web.Request) -> bool:
    """`?include_drills=true` brings EXERCISE and TEST cases back into lists and figures."""
    value = request.query.get("include_drills", "false").strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "bad_parameter", "detail": "include_drills must be true or false"}),
            content_type="application/json",
        )
    return value in ("true", "1")


def build_web(settings: BusSettings, model: ReadModel, hub: Hub | None = None) -> web.Application:
    """Routes of the query API and the dashboard; handlers read the model only. AccessError when
    the settings are production's and no usable access token is set."""
    token = required_token(settings)
    routes = web.RouteTableDef()

    @routes.get("/cases/overdue")
    async def overdue(request: web.Request) -> web.Response:
        return web.json_response({"cases": model.overdue(now_ms(), include_drills(request))})

    @routes.get("/cases/{case_id}")
    async def one_case(request: web.Request) -> web.Response:
        found = model.case(request.match_info["case_id"])
        if found is None:
            return web.json_response({"error": "not_found", "detail": "no such case"}, status=404)
        return web.json_response(found)

    @routes.get("/reports/{agency}/{ref}")
    async def report_case(request: web.Request) -> web.Response:
        found, why = model.case_of_report(request.match_info["agency"], request.match_info["ref"])
        if found is None:
            return web.json_response({"error": "not_found", "detail": why}, status=404)
        return web.json_response(found)

    @routes.get("/cases")
    async def open_cases(request: web.Request) -> web.Response:
        q, drills = request.query, include_drills(request)
        return web.json_response({"cases": model.open_cases(q.get("area", ""), q.get("grid", ""), drills)})

    @routes.get("/stats/agencies")
    async def agencies(request: web.Request) -> web.Response:
        return web.json_response(model.agency_stats(now_ms(), include_drills(request)))

    @routes.get("/stats/grids")
    async def grids(request: web.Request) -> web.Response:
        return web.json_response(model.grid_stats(include_drills(request)))

    @routes.get("/metrics")
    async def metrics(request: web.Request) -> web.Response:
        drills = include_drills(request)  # a bad value is refused before the broker is asked
        broker = await broker_figures(settings, load_catalog(settings.catalog_path))
        figures = from_model(broker, model, drills)
        return web.Response(body=prometheus_text(figures), content_type="text/plain", charset="utf-8")

    @routes.get("/openapi.json")
    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(OPENAPI)

    @routes.get("/health")
    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "cases": len(model.snapshots)})

    app = web.Application(middlewares=[access_middleware(token), security_headers])
    app.add_routes(routes)
    add_dashboard(app, settings, model, hub or Hub())
    add_cap(app, settings, model)
    return app


@asynccontextmanager
async def serve(
    settings: BusSettings, port: int, host: str | None = None, *, publish: bool = False
) -> AsyncIterator[ReadModel]:
    """Run the projection, the live stream and the HTTP server (on `host`, default the settings'
    query_host), and with `publish` the CAP publisher (ops/alerting.py `publish_cap`); yields the
    model once the backlog is in. AccessError before anything starts when production has no
    usable access token."""
    model, ready, hub = ReadModel(), asyncio.Event(), Hub()
    runner = web.AppRunner(build_web(settings, model, hub))
    if publish:
        model.alert_log.outbox = []
    tasks = [
        asyncio.create_task(follow(settings, model, ready)),
        asyncio.create_task(publish_changes(model, hub)),
        *([asyncio.create_task(publish_cap(settings, model))] if publish else []),
    ]
    await runner.setup()
    await web.TCPSite(runner, host or settings.query_host, port).start()
    try:
        await asyncio.wait_for(ready.wait(), timeout=120)
        yield model
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runner.cleanup()


def page_url(settings: BusSettings, port: int, host: str | None = None) -> str:
    """The dashboard's address, with the access token when one is set outside production (the page
    turns it into a cookie); production's token is never printed where logs would keep it."""
    host = host or settings.query_host
    shown = f"[{host}]" if ":" in host else host
    token = settings.query_token.get_secret_value() if settings.query_token is not None else ""
    if token and settings.environment == "production":
        return f"http://{shown}:{port}/?access_token=<INCIDENTBUS_QUERY_TOKEN>"
    return f"http://{shown}:{port}/" + (f"?access_token={token}" if token else "")


def run_forever(settings: BusSettings, port: int, host: str | None = None, *, publish: bool = False) -> None:
    """`incidentbus query`: serve until interrupted."""

    async def main() -> None:
        async with serve(settings, port, host, publish=publish):
            log.info("query service ready", port=port, host=host or settings.query_host)
            print(f"dashboard: {page_url(settings, port, host)}", flush=True)
            await asyncio.Event().wait()

    asyncio.run(main())
