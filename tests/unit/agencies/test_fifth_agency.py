"""Adding a fifth agency (fire) takes a code table and a small module: shown here end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime

from incidentbus.agencies.base import AgencyAdapter, CodeTables, Mapped, Native, TaskFields, location
from incidentbus.agencies.pipeline import canonical_event
from incidentbus.kernel.catalog import check_catalog, parse_catalog
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2, bus_pb2, common_pb2

FIRE_CODES = """
[incident_types]
F100 = "hazard.fire"
F200 = "hazard.chemical_spill"
"""


class FireCall(Native):
    kind: Literal["fire_call"]
    call_no: str
    code: str
    grid: str
    at: AwareDatetime


class FireAdapter(AgencyAdapter):
    """The whole adapter: a native model, a table lookup, a mapping and a task rendering."""

    name = "fire"
    message_type = FireCall
    task_fields = TaskFields(kind="kind", task="job", case="incident", cancel="stand_down")

    def to_canonical(self, message: Native) -> Mapped:
        assert isinstance(message, FireCall)
        kind = self.codes.incident_type(message.code)
        body = agency_events_pb2.IncidentReported(
            category=kind.category,
            incident_type=kind.name,
            severity=kind.severity,
            location=location(message.grid),
        )
        return Mapped(body, source_ref=message.call_no, occurred_at=message.at)

    def render_dispatch(self, task: bus_pb2.DispatchTask) -> dict[str, Any]:
        return {"kind": "job", "job": task.task_id, "incident": task.case_id}


def test_a_fire_service_maps_its_native_calls(tmp_path: Path) -> None:
    codes = tmp_path / "codes.toml"
    codes.write_text(FIRE_CODES)
    native = {
        "kind": "fire_call",
        "call_no": "119-0001",
        "code": "F100",
        "grid": "310101-002-003-07",
        "at": "2026-11-25T09:00:00+08:00",
    }
    fire = FireAdapter(CodeTables.load("fire", codes))
    event = canonical_event(fire, json.dumps(native).encode(), 1_795_595_400_000, 1_000_000)
    assert event.envelope.source_agency == "fire"
    assert event.incident_reported.category == common_pb2.CATEGORY_HAZARD
    assert event.incident_reported.location.jurisdiction.district == "310101"
    cancel = bus_pb2.TaskCommand(cancel_task=bus_pb2.CancelTask(task_id="T1", case_id="C1", reason="merged"))
    assert fire.render_task(cancel) == {
        "kind": "stand_down",
        "job": "T1",
        "incident": "C1",
        "reason": "merged",
    }


def test_the_catalog_gives_the_fifth_agency_its_topics() -> None:
    text = (
        BusSettings()
        .catalog_path.read_text()
        .replace(
            'agencies = ["police", "health", "urban", "community", "citizen"]',
            'agencies = ["police", "health", "urban", "community", "citizen", "fire"]',
        )
    )
    catalog = parse_catalog(text)
    assert check_catalog(catalog) == []
    assert {"fire.inbox.v1", "fire.events.v1", "fire.dispatch.v1", "fire.outbox.v1"} <= {
        t.name for t in catalog.topics
    }
    assert catalog.get("fire.events.v1").producers == ("fire-service",)
