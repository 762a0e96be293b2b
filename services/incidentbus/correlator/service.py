"""The correlator as a service: faust routers put agency events on the input by district, and the
correlate loop (correlator/runtime.py, on aiokafka) feeds the pure core and sends what it decides.

The routers are faust agents (one per agency events topic and the commands topic), read in
batches and store nothing. The loop runs as a service of the same app: started and stopped with
it, its state in RocksDB under the app's data directory (the `rocksdb://` store) or in a
temporary directory restored from the changelog at every start (`memory://`).
"""

from __future__ import annotations

from pathlib import Path

import faust
from mode import Service

from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.engine import refused_record, routed_record
from incidentbus.correlator.routing import (
    COMMANDS,
    UnroutableError,
    publisher_of,
    route_key,
)
from incidentbus.correlator.runtime import Runtime
from incidentbus.kernel.batches import BatchStats
from incidentbus.kernel.codec import Decoded
from incidentbus.kernel.faust_shell import gate_agent, make_app, stateless
from incidentbus.kernel.jurisdictions import load_jurisdictions
from incidentbus.kernel.logging import get_logger
from incidentbus.kernel.records import OutgoingRecord
from incidentbus.kernel.sealing import field_keyring
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2

MEMORY_STORE = "memory://"
log = get_logger("incidentbus.correlator")


class Router:
    """Agency events (and operators' commands) onto the input, keyed by district, with who
    published them; what cannot be routed is a dead letter."""

    def __init__(self, settings: BusSettings) -> None:
        self.settings = settings

    async def route(self, decoded: Decoded) -> list[OutgoingRecord]:
        try:
            places = load_jurisdictions(self.settings.jurisdictions_path)
            publisher = publisher_of(decoded.record.topic.removeprefix(self.settings.topic_prefix))
            event = decoded.as_(agency_events_pb2.AgencyEvent)
            area = route_key(event, decoded.record.timestamp_ms, places, publisher)
        except UnroutableError as exc:
            return [refused_record(self.settings, decoded.record, exc.reason, str(exc), phase="route")]
        return [routed_record(self.settings, decoded.record, area, publisher)]


class CoreLoop(Service):
    """The correlate loop as a service of the faust app: started after the app's own services,
    stopped with it. Its data directory is read from the app when it starts (a benchmark may
    move the app's)."""

    def __init__(self, app: faust.App, runtime: Runtime, *, persistent: bool) -> None:
        super().__init__()
        self.app, self.runtime, self.persistent = app, runtime, persistent

    async def on_start(self) -> None:
        if self.persistent:
            self.runtime.datadir = Path(self.app.conf.datadir) / "correlate"
        await self.runtime.start()

    async def on_stop(self) -> None:
        await self.runtime.stop()


def runtime_of(app: faust.App) -> Runtime:
    """The correlate loop of an app `build_app` made (the benchmark reads its state)."""
    for child in getattr(app, "_children", []):
        if isinstance(child, CoreLoop):
            return child.runtime
    raise LookupError("not a correlator app: no correlate loop")


def build_app(
    settings: BusSettings,
    rules: Rules,
    *,
    agencies: list[str],
    web_port: int,
    store: str = MEMORY_STORE,
    tick_seconds: float | None = 5.0,
    stats: BatchStats | None = None,
) -> faust.App:
    """The correlator app: routers, and the correlate loop with its clock ticker (None: no
    ticks). No side effects until started; starting raises runtime.StartupError when the input or
    state topic is missing or mismatched. The routers read in batches (one round of
    acknowledgements per batch). KeyringError when production has no field keys: its dead letters
    are sealed with them; CheckpointKeyError when it has no checkpoint keys (or the development one)."""
    field_keyring(settings)  # at start, not at the first dead letter
    app = make_app(settings, "incidentbus-correlator", web_port=web_port, store=store)
    router = Router(settings)
    for topic in [*(f"{agency}.events.v1" for agency in agencies), COMMANDS]:
        gate_agent(
            app,
            settings,
            topic,
            agency_events_pb2.AgencyEvent,
            router.route,
            name=f"route-{topic.split('.')[0]}",
            rejected_by="correlator",
            batching=stateless(settings.correlator_batch_records, settings.correlator_batch_wait_ms / 1000),
        )
    runtime = Runtime(settings, rules, None, tick_seconds=tick_seconds, stats=stats)
    app.add_dependency(CoreLoop(app, runtime, persistent=store != MEMORY_STORE))
    return app
