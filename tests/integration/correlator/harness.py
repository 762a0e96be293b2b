"""The whole bus in one event loop: the agency services and the correlator, on the real broker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Self

import faust

from incidentbus.agencies.registry import AGENCIES, load_adapter
from incidentbus.agencies.service import build_app as agency_app
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.service import build_app as correlator_app
from incidentbus.devtools.natives import OUTBOX_IDS
from incidentbus.kernel.codec import decode
from incidentbus.kernel.kafka import producer, read_all, send
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import bus_pb2, case_events_pb2
from tests.integration.agencies.harness import free_ports
from tests.integration.waits import CEILING


def now() -> datetime:
    return datetime.now(UTC)


class Bus:
    """Agency services and the correlator running in this loop, plus the agencies' side of the wire."""

    def __init__(self, settings: BusSettings, rules: Rules, tick_seconds: float = 0.5) -> None:
        self.settings = settings
        *agency_ports, correlator_port = free_ports(len(AGENCIES) + 1)
        self.ports = dict(zip(AGENCIES, agency_ports, strict=True))  # each agency service's HTTP port
        self.apps: list[faust.App] = [
            agency_app(load_adapter(name), settings, web_port=self.ports[name]) for name in AGENCIES
        ]
        self.apps.append(
            correlator_app(
                settings, rules, agencies=list(AGENCIES), web_port=correlator_port, tick_seconds=tick_seconds
            )
        )

    async def __aenter__(self) -> Self:
        await asyncio.gather(*(app.start() for app in self.apps))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for app in reversed(self.apps):
            await app.stop()

    async def send(self, agency: str, native: dict[str, Any], key: str = "k") -> None:
        record = OutgoingRecord(
            self.settings.topic(f"{agency}.inbox.v1"),
            key.encode(),
            json.dumps(native).encode(),
            (("content-type", b"application/json"),),
        )
        async with producer(self.settings) as client:
            await send(client, record)

    async def records(self, topic: str) -> list[RawRecord]:
        return await read_all(self.settings, self.settings.topic(topic), idle_ms=200)

    async def case_events(self) -> list[case_events_pb2.CaseEvent]:
        return [decode(r, case_events_pb2.CaseEvent).message for r in await self.records("case.events.v1")]  # type: ignore[misc]

    async def until(self, probe: Callable[[], Any], timeout: float = CEILING) -> Any:
        """Poll an async probe until it returns something truthy."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            found = await probe()
            if found:
                return found
            await asyncio.sleep(0.4)
        raise AssertionError(f"timed out after {timeout}s waiting for {probe.__name__}")

    async def tasks_for(self, agency: str, case_id: str) -> list[dict[str, Any]]:
        """Native tasks the agency's system received for a case (its outbox)."""
        task_key, case_key = OUTBOX_IDS[agency]
        natives = [json.loads(r.value or b"{}") for r in await self.records(f"{agency}.outbox.v1")]
        return [n for n in natives if n.get(case_key) == case_id and n.get(task_key)]

    async def alerts(self, case_id: str) -> list[bus_pb2.AlertRaised]:
        found = [decode(r, bus_pb2.AlertRaised).message for r in await self.records("bus.alerts.v1")]
        return [a for a in found if a.case_id == case_id]  # type: ignore[attr-defined]


def case_of(events: list[case_events_pb2.CaseEvent], source_ref: str) -> str:
    """The live case holding a report (following merges)."""
    linked = [
        e.case_id
        for e in events
        if e.WhichOneof("body") == "report_linked" and e.report_linked.report.source_ref == source_ref
    ]
    merged = {
        e.case_id: e.case_closed.merged_into
        for e in events
        if e.WhichOneof("body") == "case_closed" and e.case_closed.merged_into
    }
    if not linked:  # not linked yet; other tests' sample events may close a case with no id
        return ""
    case = linked[-1]
    while case in merged:
        case = merged[case]
    return case


def history(events: list[case_events_pb2.CaseEvent], case_id: str) -> list[case_events_pb2.CaseEvent]:
    """A case's events in sequence order, byte-identical repeats collapsed."""
    unique = {e.sequence: e for e in events if e.case_id == case_id}
    return [unique[n] for n in sorted(unique)]


def bodies(events: list[case_events_pb2.CaseEvent], case_id: str) -> list[str]:
    return [e.WhichOneof("body") or "" for e in history(events, case_id)]
