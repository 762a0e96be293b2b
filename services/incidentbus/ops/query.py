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
import time
from collections.abc import AsyncIterator
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
            model.apply_event(decode(record, case_events_pb2.CaseEvent).message)  # type: ignore[arg-type]
        else:
            model.dead_letters[decode_dead_letter(record).reason] += 1
    except DecodeError as exc:
        log.warning("skipped record", reason=exc.reason, topic=record.topic, offset=record.offset)


async def follow(settings: BusSettings, model: ReadModel, ready: asyncio.Event) -> None:
    """Keep the model current; `ready` is set once the backlog present at start is folded in."""
    names = {settings.topic(t): t for t in sources(load_catalog(settings.catalog_path))}
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
                    fold(model, raw_record(message), names[tp.topic])
            if not ready.is_set() and await _caught_up(consumer, backlog):
                ready.set()
    finally:
        await consumer.stop()


def _now_ms() -> int:
    return int(time.time() * 1000)


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


def build_web(settings: BusSettings, model: ReadModel) -> web.Application:
    """Routes of the query API; handlers read the model only."""
    routes = web.RouteTableDef()

    @routes.get("/cases/overdue")
    async def overdue(request: web.Request) -> web.Response:
        return web.json_response({"cases": model.overdue(_now_ms(), include_drills(request))})

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
        return web.json_response(model.agency_stats(_now_ms(), include_drills(request)))

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

    app = web.Application()
    app.add_routes(routes)
    return app


@asynccontextmanager
async def serve(settings: BusSettings, port: int, host: str = "127.0.0.1") -> AsyncIterator[ReadModel]:
    """Run the projection and the HTTP server; yields the model once the backlog is in."""
    model, ready = ReadModel(), asyncio.Event()
    task = asyncio.create_task(follow(settings, model, ready))
    runner = web.AppRunner(build_web(settings, model))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        await asyncio.wait_for(ready.wait(), timeout=120)
        yield model
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await runner.cleanup()


def run_forever(settings: BusSettings, port: int) -> None:
    """`incidentbus query`: serve until interrupted."""

    async def main() -> None:
        async with serve(settings, port):
            log.info("query service ready", port=port)
            await asyncio.Event().wait()

    asyncio.run(main())
